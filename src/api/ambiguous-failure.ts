import { isAlreadyExists, isConnectionError, isDatabricksError, isTimeoutError } from "../core/errors.js";

/**
 * True when a failed request may still have been applied by the server: the connection broke or
 * timed out after the request was sent, or the server failed while handling it. A create that
 * ends like this must be looked up before it is sent again.
 */
export function isAmbiguousFailure(error: unknown): boolean {
  if (isConnectionError(error) || isTimeoutError(error)) return true;
  return isDatabricksError(error) && error.statusCode >= 500 && error.statusCode !== 501;
}

/** A create that keeps failing ambiguously is sent at most this many times. */
const CREATE_ATTEMPTS = 3;

/**
 * Creates something the API offers no idempotency token for. When a create fails in a way that
 * may have applied it, or says the thing exists, it is looked up; it is sent again only when the
 * lookup finds nothing, so it is never created twice and a lost request is not fatal.
 */
export async function createOrFind<T>(
  create: () => Promise<T>,
  find: () => Promise<T | undefined>,
): Promise<{ value: T; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await create(), created: true };
    } catch (error) {
      if (!isAlreadyExists(error) && !isAmbiguousFailure(error)) throw error;
      const found = await find();
      if (found !== undefined) return { value: found, created: false };
      if (isAlreadyExists(error) || attempt >= CREATE_ATTEMPTS) throw error;
    }
  }
}
