import {
  AlreadyExistsError,
  BadRequestError,
  CancelledError,
  ConflictError,
  DatabricksError,
  type DatabricksErrorInit,
  DeadlineExceededError,
  type ErrorDetail,
  InternalError,
  InvalidParameterError,
  InvalidStateError,
  NotFoundError,
  NotImplementedError,
  PermissionDeniedError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
} from "./errors.js";
import { parseJson } from "./json.js";
import { redact, redactDeep } from "./redact.js";

type ErrorClass = new (init: DatabricksErrorInit) => DatabricksError;

// error_code wins over the HTTP status (the official SDKs' rule).
const BY_ERROR_CODE: Record<string, ErrorClass> = {
  INVALID_PARAMETER_VALUE: InvalidParameterError,
  MALFORMED_REQUEST: BadRequestError,
  BAD_REQUEST: BadRequestError,
  INVALID_STATE: InvalidStateError,
  UNAUTHENTICATED: UnauthenticatedError,
  CUSTOMER_UNAUTHORIZED: UnauthenticatedError,
  PERMISSION_DENIED: PermissionDeniedError,
  NOT_FOUND: NotFoundError,
  RESOURCE_DOES_NOT_EXIST: NotFoundError,
  ENDPOINT_NOT_FOUND: NotFoundError,
  FEATURE_DISABLED: NotFoundError,
  ABORTED: ConflictError,
  RESOURCE_CONFLICT: ConflictError,
  ALREADY_EXISTS: AlreadyExistsError,
  RESOURCE_ALREADY_EXISTS: AlreadyExistsError,
  RESOURCE_EXHAUSTED: RateLimitedError,
  REQUEST_LIMIT_EXCEEDED: RateLimitedError,
  CANCELLED: CancelledError,
  INTERNAL_ERROR: InternalError,
  UNKNOWN: InternalError,
  DATA_LOSS: InternalError,
  NOT_IMPLEMENTED: NotImplementedError,
  TEMPORARILY_UNAVAILABLE: UnavailableError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
};

const BY_STATUS: Record<number, ErrorClass> = {
  400: BadRequestError,
  401: UnauthenticatedError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  429: RateLimitedError,
  499: CancelledError,
  500: InternalError,
  501: NotImplementedError,
  503: UnavailableError,
  504: DeadlineExceededError,
};

// Databricks answers a missing job, run or cluster with 400 INVALID_PARAMETER_VALUE; the
// official SDKs rewrite those to NotFound, and so do we.
const MISSING_RESOURCE = /(does not exist|not found)/i;
const MISSING_RESOURCE_PATH = /\/(jobs|clusters)\//;

/** Largest number of characters of a non-JSON body kept in a message. */
const MAX_TEXT = 500;

interface ParsedBody {
  errorCode?: string;
  message?: string;
  details?: ErrorDetail[];
}

function parseText(text: string): ParsedBody {
  const trimmed = text.trim();
  if (!trimmed) return {};
  const html = /<pre>([\s\S]*?)<\/pre>/i.exec(trimmed) ?? /<title>([\s\S]*?)<\/title>/i.exec(trimmed);
  if (html?.[1]) return { message: truncate(html[1].trim()) };
  if (/^\s*</.test(trimmed))
    return { message: truncate(trimmed.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ")) };
  const coded = /^([A-Z][A-Z0-9_]+):\s*([\s\S]*)$/.exec(trimmed);
  if (coded?.[1] && coded[2] !== undefined) return { errorCode: coded[1], message: truncate(coded[2]) };
  return { message: truncate(trimmed) };
}

function truncate(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length - MAX_TEXT} more characters)` : s;
}

function parseObject(body: Record<string, unknown>): ParsedBody {
  const out: ParsedBody = {};
  // A code is a non-empty string or a number; anything else (empty, an object) says nothing.
  const code = body.error_code;
  if ((typeof code === "string" && code.trim() !== "") || typeof code === "number")
    out.errorCode = String(code);
  if (typeof body.message === "string") out.message = body.message;
  else if (typeof body.error === "string") out.message = body.error;
  else if (typeof body.detail === "string") {
    // SCIM shape: {detail, status, schemas}
    out.message = body.detail;
    if (body.status !== undefined) out.errorCode = `SCIM_${String(body.status)}`;
  }
  if (Array.isArray(body.details)) {
    out.details = body.details.filter(
      (d): d is ErrorDetail => typeof d === "object" && d !== null && !Array.isArray(d),
    );
  }
  return out;
}

function decodeBody(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  if (Buffer.isBuffer(body)) body = body.toString("utf8");
  if (body instanceof ArrayBuffer) body = Buffer.from(body).toString("utf8");
  if (typeof body === "string") {
    const t = body.trim();
    if (t.startsWith("{")) {
      try {
        return parseJson(t);
      } catch {
        return body;
      }
    }
  }
  return body;
}

export interface ErrorContext {
  status: number;
  statusText?: string | undefined;
  body: unknown;
  requestId?: string | undefined;
  method?: string | undefined;
  path?: string | undefined;
  retryAfterMs?: number | undefined;
  /** Credentials the request carried: a server that echoes them must not put them in the error. */
  secrets?: readonly string[] | undefined;
}

/** Turns any error answer a Databricks server (or a gateway in front of it) sends into a typed error. */
export function errorFromResponse(ctx: ErrorContext): DatabricksError {
  const body = decodeBody(ctx.body);
  let parsed: ParsedBody;
  if (typeof body === "string") parsed = parseText(body);
  else if (typeof body === "object" && body !== null && !Array.isArray(body))
    parsed = parseObject(body as Record<string, unknown>);
  else parsed = {};

  const secrets = ctx.secrets ?? [];
  const message = redact(parsed.message || ctx.statusText || `HTTP ${ctx.status}`, secrets);
  const errorCode = redact(parsed.errorCode ?? defaultCode(ctx.status), secrets);
  // Only a code the server sent picks the class; a code filled in from the status must not
  // (an unknown status filled in as UNKNOWN is not an internal error).
  let cls =
    (parsed.errorCode === undefined ? undefined : BY_ERROR_CODE[parsed.errorCode]) ??
    BY_STATUS[ctx.status] ??
    DatabricksError;
  if (
    ctx.status === 400 &&
    errorCode === "INVALID_PARAMETER_VALUE" &&
    MISSING_RESOURCE.test(message) &&
    (!ctx.path || MISSING_RESOURCE_PATH.test(ctx.path))
  ) {
    cls = NotFoundError;
  }
  return new cls({
    message,
    errorCode,
    statusCode: ctx.status,
    requestId: ctx.requestId ?? requestIdFromDetails(parsed.details),
    details: secrets.length ? redactDeep(parsed.details, secrets) : parsed.details,
    method: ctx.method,
    path: ctx.path,
    retryAfterMs: ctx.retryAfterMs,
  });
}

function requestIdFromDetails(details: ErrorDetail[] | undefined): string | undefined {
  const info = details?.find((d) => d["@type"]?.endsWith("google.rpc.RequestInfo"));
  return typeof info?.request_id === "string" ? info.request_id : undefined;
}

function defaultCode(status: number): string {
  const codes: Record<number, string> = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "RESOURCE_CONFLICT",
    429: "REQUEST_LIMIT_EXCEEDED",
    499: "CANCELLED",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    502: "BAD_GATEWAY",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
  };
  return codes[status] ?? "UNKNOWN";
}
