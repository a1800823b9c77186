import { ConnectionError, DatabricksError, TimeoutError } from "./errors.js";

/** The one retry policy: which failures are retried, and how long to wait before the next attempt. */
export interface RetryPolicy {
  /** Retries per call (not counting the first attempt). */
  maxRetries: number;
  /** First backoff in ms; doubles per attempt, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Largest `Retry-After` honoured, in ms; longer values are capped to it. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 6,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

// Messages the official SDKs treat as transient whatever the status.
const TRANSIENT_MESSAGES = [
  "UnknownWorkerEnvironmentException",
  "does not have any associated worker environments",
  "There is no worker environment with id",
  "Unknown worker environment",
  "ClusterNotReadyException",
  "Please try again later or try a faster operation.",
  "RPC token bucket limit has been exceeded",
];

// Errors raised before the request reached the server: safe to retry for any method.
const CONNECT_PHASE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** The server's certificate was not trusted: repeating cannot help. */
export const CERTIFICATE_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REVOKED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export interface RetryDecision {
  retry: boolean;
  reason: string;
}

/** Decides whether a failed attempt may be repeated. `safe` = repeating it cannot apply it twice. */
export function shouldRetry(error: unknown, safe: boolean): RetryDecision {
  if (error instanceof DatabricksError) {
    const s = error.statusCode;
    if (s === 429 || s === 503) return { retry: true, reason: `HTTP ${s} ${error.errorCode}` };
    if (TRANSIENT_MESSAGES.some((m) => error.message.includes(m)))
      return { retry: true, reason: `transient: ${error.message.slice(0, 80)}` };
    if (s >= 500 && safe) return { retry: true, reason: `HTTP ${s} ${error.errorCode}` };
    return { retry: false, reason: `HTTP ${s} ${error.errorCode}` };
  }
  if (error instanceof ConnectionError) {
    if (error.hostNeverAnswered) return { retry: false, reason: "the host has never answered" };
    const code = (error.cause as { code?: string } | undefined)?.code ?? "";
    if (CONNECT_PHASE.has(code)) return { retry: true, reason: `connect failed: ${code}` };
    if (CERTIFICATE_ERRORS.has(code)) return { retry: false, reason: `certificate rejected: ${code}` };
    return { retry: safe, reason: `connection error: ${code || error.message}` };
  }
  if (error instanceof TimeoutError) return { retry: safe, reason: "attempt timed out" };
  return { retry: false, reason: "not retryable" };
}

/** Delay before retry number `retry` (1-based). */
export function retryDelay(error: unknown, retry: number, policy: RetryPolicy, random: () => number): number {
  if (error instanceof DatabricksError && error.retryAfterMs !== undefined) {
    return Math.min(Math.max(0, error.retryAfterMs), policy.maxRetryAfterMs);
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/** Parses `Retry-After` (seconds or HTTP-date) and `retry-after-ms`; undefined when absent or unparsable. */
export function parseRetryAfter(headers: Record<string, unknown>, now: number): number | undefined {
  const ms = headers["retry-after-ms"];
  if (typeof ms === "string" && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const value = headers["retry-after"];
  if (typeof value !== "string" || !value.trim()) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  // Anything else must be an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"), never a bare number.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
