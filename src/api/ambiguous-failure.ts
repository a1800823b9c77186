import { isConnectionError, isDatabricksError, isTimeoutError } from "../core/errors.js";

/**
 * True when a failed request may still have been applied by the server: the connection broke or
 * timed out after the request was sent, or the server failed while handling it. A create that
 * ends like this must be looked up before it is sent again.
 */
export function isAmbiguousFailure(error: unknown): boolean {
  if (isConnectionError(error) || isTimeoutError(error)) return true;
  return isDatabricksError(error) && error.statusCode >= 500 && error.statusCode !== 501;
}
