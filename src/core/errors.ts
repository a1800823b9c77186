/**
 * Error hierarchy. Every error carries a stable `code` brand so the `is*` guards work even when
 * two copies of the package (ESM and CommonJS) are loaded and `instanceof` fails.
 */

const BRAND = Symbol.for("brickml.error");

export interface ErrorDetail {
  "@type"?: string;
  [key: string]: unknown;
}

export class BrickmlError extends Error {
  /** Stable identifier of the error class, e.g. `NOT_FOUND` or `VALIDATION`. */
  readonly code: string = "BRICKML";
  readonly [BRAND] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface DatabricksErrorInit {
  message: string;
  errorCode: string;
  statusCode: number;
  requestId?: string | undefined;
  details?: ErrorDetail[] | undefined;
  method?: string | undefined;
  path?: string | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/** An error answered by the server. Never holds headers or credentials. */
export class DatabricksError extends BrickmlError {
  override readonly code: string = "API_ERROR";
  readonly errorCode: string;
  readonly statusCode: number;
  readonly requestId: string | undefined;
  readonly details: ErrorDetail[];
  readonly method: string | undefined;
  readonly path: string | undefined;
  /** Server-advised delay before retrying, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(init: DatabricksErrorInit) {
    super(init.message, { cause: init.cause });
    this.errorCode = init.errorCode;
    this.statusCode = init.statusCode;
    this.requestId = init.requestId;
    this.details = init.details ?? [];
    this.method = init.method;
    this.path = init.path;
    this.retryAfterMs = init.retryAfterMs;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      errorCode: this.errorCode,
      statusCode: this.statusCode,
      message: this.message,
      requestId: this.requestId,
      method: this.method,
      path: this.path,
      details: this.details,
    };
  }
}

export class BadRequestError extends DatabricksError {
  override readonly code: string = "BAD_REQUEST";
}
export class InvalidParameterError extends BadRequestError {
  override readonly code: string = "INVALID_PARAMETER";
}
export class InvalidStateError extends BadRequestError {
  override readonly code: string = "INVALID_STATE";
}
export class UnauthenticatedError extends DatabricksError {
  override readonly code: string = "UNAUTHENTICATED";
}
export class PermissionDeniedError extends DatabricksError {
  override readonly code: string = "PERMISSION_DENIED";
}
export class NotFoundError extends DatabricksError {
  override readonly code: string = "NOT_FOUND";
}
export class ConflictError extends DatabricksError {
  override readonly code: string = "CONFLICT";
}
export class AlreadyExistsError extends ConflictError {
  override readonly code: string = "ALREADY_EXISTS";
}
export class RateLimitedError extends DatabricksError {
  override readonly code: string = "RATE_LIMITED";
}
export class CancelledError extends DatabricksError {
  override readonly code: string = "CANCELLED";
}
export class InternalError extends DatabricksError {
  override readonly code: string = "INTERNAL";
}
export class NotImplementedError extends DatabricksError {
  override readonly code: string = "NOT_IMPLEMENTED";
}
export class UnavailableError extends DatabricksError {
  override readonly code: string = "UNAVAILABLE";
}
export class DeadlineExceededError extends DatabricksError {
  override readonly code: string = "DEADLINE_EXCEEDED";
}

/** The request never got an HTTP answer (refused, reset, DNS, TLS). */
export class ConnectionError extends BrickmlError {
  override readonly code: string = "CONNECTION";
  /** The host has not answered any request yet (set only where fail-fast on first contact is on). */
  readonly hostNeverAnswered: boolean;
  constructor(
    message: string,
    readonly method: string,
    readonly path: string,
    options?: { cause?: unknown; hostNeverAnswered?: boolean },
  ) {
    super(message, options);
    this.hostNeverAnswered = options?.hostNeverAnswered ?? false;
  }
}

/** One attempt took longer than `timeout`, or the whole call passed its `deadline`. */
export class TimeoutError extends BrickmlError {
  override readonly code: string = "TIMEOUT";
}

/** The caller's AbortSignal fired. */
export class AbortError extends BrickmlError {
  override readonly code: string = "ABORTED";
}

export interface FieldIssue {
  /** Dotted path of the bad field, e.g. `new_cluster.num_workers`. */
  path: string;
  message: string;
}

/** Bad input caught on the client: nothing was sent. */
export class ValidationError extends BrickmlError {
  override readonly code: string = "VALIDATION";
  constructor(
    readonly what: string,
    readonly issues: FieldIssue[],
  ) {
    super(
      `Invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}`,
    );
  }
}

/**
 * A success answer the client cannot use: a field it needs to go on (an id, a version, a state)
 * is missing or of another type. `issues` names the fields.
 */
export class UnexpectedResponseError extends BrickmlError {
  override readonly code: string = "UNEXPECTED_RESPONSE";
  constructor(
    readonly what: string,
    readonly issues: FieldIssue[],
  ) {
    super(
      `Unexpected ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}`,
    );
  }
}

/** A configuration that cannot work (no host, no credentials, conflicting credentials, …). */
export class ConfigError extends BrickmlError {
  override readonly code: string = "CONFIG";
}

/**
 * A wait ran out of time; `lastState` is the resource as last read (undefined if no poll
 * succeeded), `polls` how many reads succeeded; `cause` is the last poll error, if any.
 */
export class WaitTimeoutError extends BrickmlError {
  override readonly code: string = "WAIT_TIMEOUT";
  constructor(
    message: string,
    readonly lastState: unknown,
    readonly polls: number,
    readonly elapsedMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A long-running operation reached a terminal state other than success. */
export class OperationFailedError extends BrickmlError {
  override readonly code: string = "OPERATION_FAILED";
  constructor(
    message: string,
    readonly state: unknown,
    readonly info: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function hasCode(e: unknown, ...codes: string[]): boolean {
  return (
    typeof e === "object" &&
    e !== null &&
    (e as Record<symbol, unknown>)[BRAND] === true &&
    codes.includes((e as { code: string }).code)
  );
}

export const isBrickmlError = (e: unknown): e is BrickmlError =>
  typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
export const isDatabricksError = (e: unknown): e is DatabricksError =>
  isBrickmlError(e) && typeof (e as DatabricksError).statusCode === "number";
export const isBadRequest = (e: unknown): e is BadRequestError =>
  hasCode(e, "BAD_REQUEST", "INVALID_PARAMETER", "INVALID_STATE");
export const isInvalidParameter = (e: unknown): e is InvalidParameterError => hasCode(e, "INVALID_PARAMETER");
export const isInvalidState = (e: unknown): e is InvalidStateError => hasCode(e, "INVALID_STATE");
export const isNotFound = (e: unknown): e is NotFoundError => hasCode(e, "NOT_FOUND");
export const isConflict = (e: unknown): e is ConflictError => hasCode(e, "CONFLICT", "ALREADY_EXISTS");
export const isAlreadyExists = (e: unknown): e is AlreadyExistsError => hasCode(e, "ALREADY_EXISTS");
export const isPermissionDenied = (e: unknown): e is PermissionDeniedError => hasCode(e, "PERMISSION_DENIED");
export const isUnauthenticated = (e: unknown): e is UnauthenticatedError => hasCode(e, "UNAUTHENTICATED");
export const isRateLimited = (e: unknown): e is RateLimitedError => hasCode(e, "RATE_LIMITED");
export const isCancelled = (e: unknown): e is CancelledError => hasCode(e, "CANCELLED");
export const isInternalError = (e: unknown): e is InternalError => hasCode(e, "INTERNAL");
export const isNotImplemented = (e: unknown): e is NotImplementedError => hasCode(e, "NOT_IMPLEMENTED");
export const isUnavailable = (e: unknown): e is UnavailableError => hasCode(e, "UNAVAILABLE");
export const isDeadlineExceeded = (e: unknown): e is DeadlineExceededError => hasCode(e, "DEADLINE_EXCEEDED");
export const isConfigError = (e: unknown): e is ConfigError => hasCode(e, "CONFIG");
export const isValidationError = (e: unknown): e is ValidationError => hasCode(e, "VALIDATION");
export const isWaitTimeout = (e: unknown): e is WaitTimeoutError => hasCode(e, "WAIT_TIMEOUT");
export const isOperationFailed = (e: unknown): e is OperationFailedError => hasCode(e, "OPERATION_FAILED");
export const isAbortError = (e: unknown): e is AbortError => hasCode(e, "ABORTED");
export const isTimeoutError = (e: unknown): e is TimeoutError => hasCode(e, "TIMEOUT");
export const isConnectionError = (e: unknown): e is ConnectionError => hasCode(e, "CONNECTION");
export const isUnexpectedResponse = (e: unknown): e is UnexpectedResponseError =>
  hasCode(e, "UNEXPECTED_RESPONSE");
