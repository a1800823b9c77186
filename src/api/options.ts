import type { RequestOptions } from "../core/http.js";

/** The request options of a waiting call: its requests stop too when the wait's signal fires. */
export function withSignal(
  options: RequestOptions | undefined,
  wait: { signal?: AbortSignal },
): RequestOptions {
  return wait.signal && !options?.signal ? { ...options, signal: wait.signal } : { ...options };
}
