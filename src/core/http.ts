import http from "node:http";
import https from "node:https";
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import { rootCertificates } from "node:tls";
import { inspect } from "node:util";
import type {
  AxiosInstance,
  AxiosRequestConfig,
  AxiosResponse,
  AxiosStatic,
  CreateAxiosDefaults,
} from "axios";
import type { Credentials } from "./auth/types.js";
import { abortReason, type Clock } from "./clock.js";
import { isLoopback } from "./config.js";
import { errorFromResponse } from "./error-mapping.js";
import {
  AbortError,
  BrickmlError,
  ConnectionError,
  TimeoutError,
  UnexpectedResponseError,
} from "./errors.js";
import { parseJson, stringifyJson } from "./json.js";
import { type Logger, silentLogger } from "./logger.js";
import { secretsOf } from "./redact.js";
import { CERTIFICATE_ERRORS, parseRetryAfter, type RetryPolicy, retryDelay, shouldRetry } from "./retry.js";
import { traceAttempt, traceRetry } from "./telemetry.js";
import { REQUEST_ID } from "./validation.js";

/** Options every call accepts, as its last argument. */
export interface RequestOptions {
  /** Per-attempt timeout in ms. */
  timeout?: number;
  /** Budget for the whole call, retries included: ms from now, or a point in time. */
  deadline?: number | Date;
  signal?: AbortSignal;
  /** Retries for this call; 0 disables retrying. */
  maxRetries?: number;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";

export interface RequestSpec {
  method: HttpMethod;
  /** Path with parameters already encoded (build it with `encodePath`). */
  path: string;
  query?: Record<string, unknown> | undefined;
  /** JSON body. */
  body?: unknown;
  /** Raw body; pass a factory for streams so a retry can send the body again. */
  data?: Buffer | string | (() => Readable);
  contentType?: string;
  headers?: Record<string, string>;
  /** Repeating the request cannot apply it twice (PUT/DELETE/GET are by default). */
  idempotent?: boolean;
  responseType?: "json" | "text" | "stream" | "arraybuffer";
  /** Which default per-attempt timeout applies: control-plane calls or model queries. */
  kind?: "control" | "query";
  /** Send without credentials (e.g. presigned URLs); `path` may then be an absolute URL. */
  anonymous?: boolean;
  /** Values the request carries that no error may show (e.g. a secret being stored), scrubbed like credentials. */
  secrets?: readonly string[];
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Record<string, string>;
  requestId: string | undefined;
}

/** One finished attempt, for observers (metrics, soak reports). Holds no header or body. */
export interface RequestEvent {
  method: string;
  path: string;
  attempt: number;
  status?: number | undefined;
  durationMs: number;
  requestId?: string | undefined;
  error?: string | undefined;
  /** Set when the attempt failed and will be retried after this many ms. */
  retryInMs?: number | undefined;
  retryReason?: string | undefined;
}

export interface TransportSettings {
  host: string;
  credentials: Credentials;
  userAgent: string;
  timeoutMs: number;
  queryTimeoutMs: number;
  deadlineMs: number;
  retry: RetryPolicy;
  clock: Clock;
  logger: Logger;
  random: () => number;
  workspaceId?: string | undefined;
  onRequest?: ((event: RequestEvent) => void) | undefined;
  headers?: Record<string, string> | undefined;
  /**
   * Fail fast on a host that has never answered: until the first HTTP answer, an attempt times
   * out after this many ms and a failure without an answer (refused, DNS, TLS, silence) is not
   * retried. A wrong host then fails in seconds instead of after the whole retry budget.
   */
  firstContactTimeoutMs?: number | undefined;
}

/** The request id of the response a result came from, when the server sent one. */
export function requestIdOf(result: unknown): string | undefined {
  return result && typeof result === "object" ? (result as Record<symbol, string>)[REQUEST_ID] : undefined;
}

/** Builds a path from a template, encoding each parameter so it cannot leave its segment. */
export function encodePath(
  strings: TemplateStringsArray,
  ...params: Array<string | number | bigint>
): string {
  let out = strings[0] ?? "";
  params.forEach((p, i) => {
    const s = String(p);
    if (s === "" || s === "." || s === "..") {
      throw new BrickmlError(`Path parameter ${JSON.stringify(s)} would change the request path`);
    }
    out += encodeSegment(s) + (strings[i + 1] ?? "");
  });
  return out;
}

// Half of a UTF-16 surrogate pair on its own: no URL can carry it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function encodeSegment(s: string): string {
  if (LONE_SURROGATE.test(s)) {
    throw new BrickmlError(`Path parameter ${JSON.stringify(s)} holds a lone UTF-16 surrogate`);
  }
  return encodeURIComponent(s);
}

/** Encodes an absolute file path segment by segment (Files and Workspace file paths keep their slashes). */
export function encodeFilePath(path: string): string {
  return path.split("/").map(encodeSegment).join("/");
}

/** Query encoding of the official SDKs: booleans as true/false, nested objects dotted, arrays repeated. */
export function encodeQuery(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) for (const v of value) add(key, v);
    else if (typeof value === "object") for (const [k, v] of Object.entries(value)) add(`${key}.${k}`, v);
    else params.append(key, String(value));
  };
  for (const [k, v] of Object.entries(query)) add(k, v);
  return params.toString();
}

/** What the transport and the token endpoints need of axios. */
export interface HttpClient {
  request<T = unknown>(config: AxiosRequestConfig): Promise<AxiosResponse<T>>;
  post<T = unknown>(url: string, data?: unknown, config?: AxiosRequestConfig): Promise<AxiosResponse<T>>;
}

/**
 * An axios instance created on the first request: axios and its dependencies take longer to load
 * than the rest of brickml, and `import "brickml"` should not pay for them before any call. It is
 * required in its CommonJS build, one file that loads in about half the time of its ES modules.
 */
class LazyAxios implements HttpClient {
  #instance: AxiosInstance | undefined;

  constructor(private readonly defaults: CreateAxiosDefaults) {}

  private get instance(): AxiosInstance {
    this.#instance ??= (createRequire(import.meta.url)("axios") as AxiosStatic).create(this.defaults);
    return this.#instance;
  }

  request<T = unknown>(config: AxiosRequestConfig): Promise<AxiosResponse<T>> {
    return this.instance.request<T>(config);
  }

  post<T = unknown>(url: string, data?: unknown, config?: AxiosRequestConfig): Promise<AxiosResponse<T>> {
    return this.instance.post<T>(url, data, config);
  }
}

/** Shared connection pools: one per client tree, reused by `withOptions` copies. */
export function createAxios(ca?: string | Buffer | Array<string | Buffer>): HttpClient {
  const extra = ca === undefined ? [] : Array.isArray(ca) ? ca : [ca];
  return new LazyAxios({
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({
      keepAlive: true,
      rejectUnauthorized: true,
      ...(extra.length ? { ca: [...rootCertificates, ...extra.map(String)] } : {}),
    }),
    validateStatus: () => true,
    maxRedirects: 5,
    maxBodyLength: Number.POSITIVE_INFINITY,
    maxContentLength: Number.POSITIVE_INFINITY,
    transformResponse: [(d: unknown) => d],
    // Plain axios would read proxy variables; keep-alive pools and TLS rules stay ours.
    proxy: false,
  });
}

export class Transport {
  constructor(
    readonly axios: HttpClient,
    readonly settings: TransportSettings,
    /** Whether the host has answered yet; shared by the transports derived from this one. */
    private readonly contact = { answered: false },
  ) {}

  with(overrides: Partial<TransportSettings>): Transport {
    return new Transport(this.axios, { ...this.settings, ...overrides }, this.contact);
  }

  /** Set while fail-fast applies: the host has never answered and first contact is bounded. */
  private get firstContactMs(): number | undefined {
    return this.contact.answered ? undefined : this.settings.firstContactTimeoutMs;
  }

  // The connection pool keeps the last request of each socket, Authorization header included:
  // inspecting a client (or a service holding one) must never print it.
  [inspect.custom](): string {
    return `Transport { host: ${this.settings.host} }`;
  }

  async request<T = unknown>(spec: RequestSpec, options: RequestOptions = {}): Promise<T> {
    const res = await this.send<T>(spec, options);
    const data = res.data;
    if (res.requestId && data && typeof data === "object" && !Object.isFrozen(data)) {
      Object.defineProperty(data, REQUEST_ID, { value: res.requestId, enumerable: false });
    }
    return data;
  }

  async send<T = unknown>(spec: RequestSpec, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const { clock, logger, retry } = this.settings;
    const start = clock.now();
    const deadline =
      options.deadline instanceof Date
        ? options.deadline.getTime()
        : start + (options.deadline ?? this.settings.deadlineMs);
    const signal = options.signal;
    if (signal?.aborted) throw abortReason(signal);
    if (isAbsolute(spec.path) && !spec.anonymous) {
      if (!URL.canParse(spec.path)) throw new BrickmlError(`Not a URL: ${JSON.stringify(spec.path)}`);
      const origin = new URL(spec.path).origin;
      // A URL from elsewhere (a link in a response, say) must never receive the workspace's credentials.
      if (origin !== new URL(this.settings.host).origin) {
        throw new BrickmlError(
          `Refusing to send credentials to ${origin}, which is not the workspace host; ` +
            "send requests to other hosts with { anonymous: true }",
        );
      }
    }
    const safe =
      spec.idempotent ??
      (["GET", "HEAD", "PUT", "DELETE"].includes(spec.method) ||
        (typeof spec.body === "object" && spec.body !== null && "idempotency_token" in spec.body));
    const maxRetries = options.maxRetries ?? retry.maxRetries;

    /** Throws when failed attempt `attemptNumber` must not be repeated; otherwise waits out the backoff. */
    const afterFailure = async (error: Error, attemptNumber: number, retriesLeft: number) => {
      if (signal?.aborted) throw abortReason(signal);
      if (error instanceof AbortError) throw error;
      if (this.firstContactMs !== undefined && !spec.anonymous)
        throw unreachable(spec, this.settings.host, error);
      const decision = shouldRetry(error, safe);
      if (!decision.retry || retriesLeft <= 0) throw error;
      const delay = retryDelay(error, attemptNumber, retry, this.settings.random);
      if (clock.now() + delay >= deadline) throw error;
      logger.info(`retrying ${spec.method} ${spec.path} in ${delay} ms (${decision.reason})`, {
        attempt: attemptNumber,
      });
      traceRetry(spec, this.settings.host, decision.reason);
      this.settings.onRequest?.({
        method: spec.method,
        path: spec.path,
        attempt: attemptNumber,
        durationMs: 0,
        error: error.message,
        retryInMs: delay,
        retryReason: decision.reason,
      });
      await clock.sleep(delay, signal);
    };
    try {
      // Most calls succeed at once: the first attempt skips the retry machinery.
      try {
        return await this.attempt<T>(spec, options, 1, deadline);
      } catch (error) {
        await afterFailure(asError(error), 1, maxRetries);
      }
      // Loaded only when a first attempt failed and may be repeated.
      const { default: pRetry } = await import("p-retry");
      return await pRetry((n) => this.attempt<T>(spec, options, n + 1, deadline), {
        retries: maxRetries - 1,
        minTimeout: 0,
        maxTimeout: 0,
        factor: 1,
        shouldRetry: () => true,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) =>
          afterFailure(error, attemptNumber + 1, retriesLeft),
      });
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw error;
    }
  }

  private async attempt<T>(
    spec: RequestSpec,
    options: RequestOptions,
    attempt: number,
    deadline: number,
  ): Promise<ApiResponse<T>> {
    const s = this.settings;
    const remaining = deadline - s.clock.now();
    if (remaining <= 0) {
      throw new TimeoutError(
        `${spec.method} ${spec.path}: the call's deadline passed before attempt ${attempt}`,
      );
    }
    const perAttempt = options.timeout ?? (spec.kind === "query" ? s.queryTimeoutMs : s.timeoutMs);
    const timeoutMs = Math.min(perAttempt, remaining, this.firstContactMs ?? perAttempt);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError("attempt timed out")), timeoutMs);
    const onAbort = () => controller.abort(abortReason(options.signal!));
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const headers: Record<string, string> = {
      "User-Agent": s.userAgent,
      ...(s.workspaceId ? { "X-Databricks-Workspace-Id": s.workspaceId } : {}),
      ...(attempt > 1 ? { "X-Brickml-Retry-Count": String(attempt - 1) } : {}),
      ...s.headers,
      ...spec.headers,
      ...options.headers,
    };
    let data: unknown;
    if (spec.data !== undefined) {
      data = typeof spec.data === "function" ? spec.data() : spec.data;
      headers["Content-Type"] = spec.contentType ?? "application/octet-stream";
    } else if (spec.body !== undefined) {
      data = stringifyJson(spec.body);
      headers["Content-Type"] = "application/json";
    }
    if (spec.responseType === undefined || spec.responseType === "json")
      headers.Accept ??= "application/json";

    const url = isAbsolute(spec.path) ? spec.path : `${s.host}${spec.path}`;
    const qs = spec.query ? encodeQuery(spec.query) : "";
    const fullUrl = qs ? `${url}${url.includes("?") ? "&" : "?"}${qs}` : url;
    const started = s.clock.now();
    let res: AxiosResponse;
    let credentials: Record<string, string> = {};
    try {
      if (!spec.anonymous) {
        credentials = await s.credentials.headers(controller.signal);
        Object.assign(headers, credentials);
      }
      res = await this.axios.request({
        method: spec.method,
        url: fullUrl,
        data,
        headers,
        signal: controller.signal,
        responseType:
          spec.responseType === "stream"
            ? "stream"
            : spec.responseType === "arraybuffer"
              ? "arraybuffer"
              : "text",
        beforeRedirect: (redirect: Record<string, any>) => guardRedirect(new URL(fullUrl), redirect),
        // Following a redirect means replaying the body, so the redirect layer keeps every byte
        // sent; a streamed body must stay unbuffered, and a redirect then surfaces as an error.
        ...(typeof spec.data === "function" ? { maxRedirects: 0 } : {}),
      });
    } catch (cause) {
      const reason = controller.signal.reason;
      const err =
        reason instanceof TimeoutError
          ? new TimeoutError(
              `${spec.method} ${spec.path}: no answer within ${timeoutMs} ms (attempt ${attempt})`,
            )
          : reason instanceof Error && controller.signal.aborted
            ? reason
            : (ownError(cause) ?? connectionError(spec, cause));
      this.emit(spec, attempt, started, undefined, undefined, err);
      throw err;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }

    if (!spec.anonymous) this.contact.answered = true;
    const resHeaders = flattenHeaders(res.headers);
    const requestId = resHeaders["x-request-id"] ?? resHeaders["x-databricks-request-id"];
    if (res.status >= 300) {
      const body = spec.responseType === "stream" ? await readText(res.data as Readable) : res.data;
      const err = errorFromResponse({
        status: res.status,
        statusText: res.statusText,
        body,
        requestId,
        method: spec.method,
        path: spec.path,
        retryAfterMs: parseRetryAfter(resHeaders, s.clock.now()),
        secrets: [...secretsOf(Object.values(credentials)), ...(spec.secrets ?? [])],
      });
      this.emit(spec, attempt, started, res.status, requestId, err);
      throw err;
    }
    this.emit(spec, attempt, started, res.status, requestId);
    let parsed: unknown = res.data;
    if (spec.responseType === undefined || spec.responseType === "json") {
      parsed = parseBody(res.data);
      // Databricks answers with a JSON object (a bare list from some model endpoints); anything
      // else — text from a proxy's page, `null`, a number — cannot be what the caller asked for.
      if (parsed === null || typeof parsed !== "object") {
        throw new UnexpectedResponseError(`${spec.method} ${spec.path} response`, [
          { path: "", message: `expected a JSON object, got ${describeBody(parsed)}` },
        ]);
      }
    }
    return { data: parsed as T, status: res.status, headers: resHeaders, requestId };
  }

  private emit(
    spec: RequestSpec,
    attempt: number,
    started: number,
    status: number | undefined,
    requestId: string | undefined,
    error?: Error,
  ) {
    const { logger, onRequest } = this.settings;
    const durationMs = this.settings.clock.now() - started;
    traceAttempt(spec, this.settings.host, attempt, durationMs, status, error);
    // Nobody listens by default: build no line and no event then.
    if (logger === silentLogger && !onRequest) return;
    const fields = { method: spec.method, path: spec.path, status, attempt, durationMs, requestId };
    const outcome = error ? `${status ?? "failed"}: ${error.message}` : String(status);
    logger.debug(`${spec.method} ${spec.path} ${outcome} (attempt ${attempt}, ${durationMs} ms)`, fields);
    onRequest?.({ ...fields, error: error?.message });
  }
}

/**
 * One of our errors, thrown by credentials or the redirect guard, possibly wrapped by axios and
 * follow-redirects on the way out.
 */
function ownError(cause: unknown): BrickmlError | undefined {
  for (let e = cause, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof BrickmlError) return e;
  }
  return undefined;
}

/** Wraps a failure without an HTTP answer; keeps only the error code (axios errors hold the request headers). */
function connectionError(spec: RequestSpec, cause: unknown): ConnectionError {
  const code = (cause as { code?: string } | undefined)?.code;
  const hint =
    code && CERTIFICATE_ERRORS.has(code)
      ? " (the server's TLS certificate is not trusted; pass its CA certificate as { ca })"
      : "";
  return new ConnectionError(
    `${spec.method} ${spec.path}: ${(cause as Error | undefined)?.message ?? "connection failed"}${hint}`,
    spec.method,
    spec.path,
    { cause: { code } },
  );
}

/**
 * The error for a first request that got no HTTP answer while fail-fast applies, saying what
 * happened in words; the caller's own errors (credentials, a refused redirect) pass unchanged.
 */
function unreachable(spec: RequestSpec, host: string, error: Error): Error {
  if (!(error instanceof ConnectionError || error instanceof TimeoutError)) return error;
  const code = (error.cause as { code?: string } | undefined)?.code;
  const reason =
    error instanceof TimeoutError
      ? "no answer"
      : code === "ECONNREFUSED"
        ? "connection refused"
        : code === "ENOTFOUND" || code === "EAI_AGAIN"
          ? "the host name does not resolve (DNS)"
          : code && (CERTIFICATE_ERRORS.has(code) || /SSL|TLS|EPROTO/.test(code))
            ? `TLS failed (${error.message.replace(/^\S+ \S+: /, "")})`
            : `the connection failed (${code ?? error.message})`;
  return new ConnectionError(`${host} never answered: ${reason}`, spec.method, spec.path, {
    cause: { code: code ?? "TIMEOUT" },
    hostNeverAnswered: true,
  });
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new TypeError(`Non-error was thrown: "${String(e)}"`);
}

function isAbsolute(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/** Never forwards credentials to another host, and never follows a downgrade to plain http. */
function guardRedirect(origin: URL, redirect: Record<string, any>): void {
  const sameHost = redirect.hostname === origin.hostname && String(redirect.port ?? "") === origin.port;
  const protocol = String(redirect.protocol ?? "");
  if (protocol === "http:" && origin.protocol === "https:" && !isLoopback(String(redirect.hostname))) {
    throw new BrickmlError(
      `Refusing a redirect from https to plain http (${redirect.hostname}): credentials would travel in clear text`,
    );
  }
  if (!sameHost && redirect.headers) {
    for (const key of Object.keys(redirect.headers)) {
      if (/^(authorization|cookie|x-databricks-)/i.test(key)) delete redirect.headers[key];
    }
  }
}

function flattenHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const src = headers && typeof (headers as any).toJSON === "function" ? (headers as any).toJSON() : headers;
  for (const [k, v] of Object.entries((src ?? {}) as Record<string, unknown>)) {
    if (v !== undefined && v !== null) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  return out;
}

function describeBody(body: unknown): string {
  if (typeof body !== "string") return JSON.stringify(body);
  return body.length > 40 ? `text (${JSON.stringify(body.slice(0, 40))}…)` : `text (${JSON.stringify(body)})`;
}

function parseBody(text: unknown): unknown {
  if (typeof text !== "string") return text;
  if (text.trim() === "") return {};
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}

async function readText(stream: Readable, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (size < limit) chunks.push(buf);
    size += buf.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}
