/**
 * OpenTelemetry traces and metrics, when the application installs `@opentelemetry/api`.
 *
 * The API is an optional peer: it is required on the first traced operation, never by
 * `import "brickml"`, and a missing package means no telemetry. With the API but no registered
 * provider every hook returns after one non-recording span (the API's own no-op), so calls cost
 * next to nothing. Attributes hold ids, route templates and error codes only — never a URL with
 * its query, a header, a body or an error message, so no token or secret can reach an exporter.
 */
import { createRequire } from "node:module";
import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  MeterProvider,
  Span,
  Tracer,
} from "@opentelemetry/api";
import { VERSION } from "../version.js";
import type { Waiter } from "./wait.js";

type Api = typeof import("@opentelemetry/api");

let api: Api | null | undefined;
let tracer: Tracer | undefined;

/** The API, required once; null when the application does not have it. */
function otel(): Api | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)("@opentelemetry/api") as Api;
      tracer = api.trace.getTracer("brickml", VERSION);
    } catch {
      api = null;
    }
  }
  return api;
}

interface Instruments {
  provider: MeterProvider;
  requests: Counter;
  duration: Histogram;
  retries: Counter;
}
let instruments: Instruments | undefined;

/** The instruments of the global meter provider, made again when the application registers another. */
function meters(a: Api): Instruments {
  const provider = a.metrics.getMeterProvider();
  if (instruments?.provider !== provider) {
    const meter = provider.getMeter("brickml", VERSION);
    instruments = {
      provider,
      requests: meter.createCounter("brickml.client.requests", {
        description: "HTTP requests sent to Databricks, each attempt counted",
      }),
      duration: meter.createHistogram("http.client.request.duration", {
        description: "Duration of HTTP client requests",
        unit: "s",
      }),
      retries: meter.createCounter("brickml.client.retries", {
        description: "Failed HTTP requests that are sent again",
      }),
    };
  }
  return instruments;
}

/**
 * Route templates of the requests whose paths hold parameters (resource names, ids, file paths):
 * `url.template` must not grow with them. Every other path is its own template.
 */
const TEMPLATES = [
  "/api/2.0/serving-endpoints/{name}/served-models/{served_model_name}/build-logs",
  "/api/2.0/serving-endpoints/{name}/served-models/{served_model_name}/logs",
  "/api/2.0/serving-endpoints/{name}/{operation}",
  "/api/2.0/serving-endpoints/{name}",
  "/serving-endpoints/{name}/served-models/{served_model_name}/invocations",
  "/serving-endpoints/{name}/invocations",
  "/api/2.0/permissions/{request_object_type}/{request_object_id}/permissionLevels",
  "/api/2.0/permissions/{request_object_type}/{request_object_id}",
  "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}",
  "/api/2.1/unity-catalog/effective-permissions/{securable_type}/{full_name}",
  "/api/2.0/preview/scim/v2/Users/{id}",
  "/api/2.0/preview/scim/v2/ServicePrincipals/{id}",
  "/api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}",
  "/api/2.0/sql/statements/{statement_id}/cancel",
  "/api/2.0/sql/statements/{statement_id}",
  "/api/2.0/sql/warehouses/{id}/{operation}",
  "/api/2.0/sql/warehouses/{id}",
  "/api/2.1/unity-catalog/models/{full_name}/aliases/{alias}",
  "/api/2.1/unity-catalog/models/{full_name}/versions/{version}",
  "/api/2.1/unity-catalog/models/{full_name}",
  "/api/2.1/unity-catalog/tables/{table_name}/monitor/refreshes/{refresh_id}/cancel",
  "/api/2.1/unity-catalog/tables/{table_name}/monitor/refreshes/{refresh_id}",
  "/api/2.1/unity-catalog/tables/{table_name}/monitor/{operation}",
  "/api/2.1/unity-catalog/tables/{table_name}/monitor",
  "/api/data-quality/v1/monitors/{object_type}/{object_id}/refreshes/{refresh_id}/cancel",
  "/api/data-quality/v1/monitors/{object_type}/{object_id}/refreshes/{refresh_id}",
  "/api/data-quality/v1/monitors/{object_type}/{object_id}/{operation}",
  "/api/data-quality/v1/monitors/{object_type}/{object_id}",
  "/api/2.0/fs/files{file_path}",
  "/api/2.0/fs/directories{directory_path}",
].map((template) => ({
  template,
  // `{…_path}` spans segments (a file path); any other parameter is one segment.
  pattern: new RegExp(
    `^${template.replace(/[.]/g, "\\.").replace(/\{(\w+)\}/g, (_, p: string) => (p.endsWith("_path") ? "/.*" : "[^/]+"))}$`,
  ),
}));

// Literal operations of the routes above that are not parameters (a list, a create).
const LITERAL = new Set([
  "/api/2.0/serving-endpoints/pt",
  "/api/2.0/sql/statements/",
  "/api/data-quality/v1/monitors",
]);

const templates = new Map<string, string | undefined>();
const MAX_CACHED = 1000;

/** The route template of a request path; undefined for an absolute URL (a presigned link). */
export function routeTemplate(path: string): string | undefined {
  if (/^https?:/i.test(path)) return undefined;
  const bare = path.split("?")[0]!;
  let template = templates.get(bare);
  if (template === undefined && !templates.has(bare)) {
    template = LITERAL.has(bare) ? bare : (TEMPLATES.find((t) => t.pattern.test(bare))?.template ?? bare);
    if (templates.size >= MAX_CACHED) templates.clear();
    templates.set(bare, template);
  }
  return template;
}

/** The REST service a route belongs to, for metrics: `serving-endpoints`, `jobs`, `mlflow`, … */
function serviceOf(template: string | undefined): string {
  if (!template) return "external";
  return /^\/(?:api\/(?:[\d.]+\/)?)?([\w-]+)/.exec(template)?.[1] ?? "other";
}

const addresses = new Map<string, { address: string; port: number | undefined }>();

function serverOf(url: string): { address: string; port: number | undefined } {
  let server = addresses.get(url);
  if (!server) {
    const u = URL.canParse(url) ? new URL(url) : undefined;
    server = { address: u?.hostname ?? "unknown", port: u?.port ? Number(u.port) : undefined };
    if (addresses.size >= MAX_CACHED) addresses.clear();
    addresses.set(url, server);
  }
  return server;
}

/** A low-cardinality name for an error: its brickml code (`NOT_FOUND`, `TIMEOUT`…) or class. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : error instanceof Error ? error.name : "Error";
}

/**
 * The retry decision's reason cut to a fixed vocabulary: `HTTP 503`, `connect failed: ECONNRESET`,
 * `transient`… The full reason can quote the server's message or error code, which the server
 * chooses (and may echo a secret in).
 */
function retryReason(reason: string): string {
  const status = /^HTTP \d+/.exec(reason);
  if (status) return status[0];
  return /^[a-z ]+: [A-Z][A-Z0-9_]*$/.test(reason) ? reason : reason.split(":")[0]!.slice(0, 40);
}

// Why a request is sent again, keyed by the call's request spec, for the next attempt's span.
const resends = new WeakMap<object, string>();

/** A failed request will be sent again: counted, and its reason goes on the next attempt's span. */
export function traceRetry(spec: { method: string; path: string }, host: string, reason: string): void {
  const a = otel();
  if (!a) return;
  const why = retryReason(reason);
  resends.set(spec, why);
  const template = routeTemplate(spec.path);
  meters(a).retries.add(1, {
    "brickml.service": serviceOf(template),
    "http.request.method": spec.method,
    "server.address": serverOf(template ? host : spec.path).address,
    "brickml.retry.reason": why,
  });
}

/** One HTTP attempt that has just ended: a CLIENT span (started `durationMs` ago) and its metrics. */
export function traceAttempt(
  spec: { method: string; path: string },
  host: string,
  attempt: number,
  durationMs: number,
  status: number | undefined,
  error: Error | undefined,
): void {
  const a = otel();
  if (!a) return;
  const template = routeTemplate(spec.path);
  const server = serverOf(template ? host : spec.path);
  const metricAttributes: Attributes = {
    "brickml.service": serviceOf(template),
    "http.request.method": spec.method,
    "server.address": server.address,
    ...(status !== undefined ? { "http.response.status_code": status } : {}),
    ...(error ? { "error.type": errorType(error) } : {}),
  };
  const m = meters(a);
  m.requests.add(1, metricAttributes);
  m.duration.record(durationMs / 1000, metricAttributes);

  const span = tracer!.startSpan(template ? `${spec.method} ${template}` : spec.method, {
    kind: a.SpanKind.CLIENT,
    startTime: Date.now() - durationMs,
  });
  if (!span.isRecording()) return;
  const reason = attempt > 1 ? resends.get(spec) : undefined;
  span.setAttributes({
    ...metricAttributes,
    ...(template ? { "url.template": template } : {}),
    ...(server.port !== undefined ? { "server.port": server.port } : {}),
    "brickml.http.attempt": attempt,
    ...(attempt > 1 ? { "http.request.resend_count": attempt - 1 } : {}),
    ...(reason ? { "brickml.retry.reason": reason } : {}),
  });
  if (error) span.setStatus({ code: a.SpanStatusCode.ERROR });
  span.end();
}

/** Runs a wait in a `wait` span that records each poll's state as an event and the final state. */
export function traceWait<S, R>(waiter: Waiter<S, R>, run: (w: Waiter<S, R>) => Promise<R>): Promise<R> {
  const a = otel();
  if (!a) return run(waiter);
  const span = tracer!.startSpan("wait", { attributes: { "brickml.wait.for": waiter.what } });
  if (!span.isRecording()) return run(waiter);
  let polls = 0;
  let last: string | undefined;
  const watched: Waiter<S, R> = Object.create(waiter);
  watched.poll = async (signal) => {
    try {
      return await waiter.poll(signal);
    } catch (error) {
      span.addEvent("poll", { "brickml.wait.poll": polls + 1, "error.type": errorType(error) });
      throw error;
    }
  };
  watched.state = (resource) => {
    last = waiter.state(resource);
    polls++;
    span.addEvent("poll", { "brickml.wait.poll": polls, "brickml.wait.state": last });
    return last;
  };
  return settle(
    a,
    span,
    a.trace.setSpan(a.context.active(), span),
    () => run(watched),
    () => ({
      "brickml.wait.polls": polls,
      ...(last !== undefined ? { "brickml.wait.final_state": last } : {}),
    }),
  );
}

const STEP = Symbol.for("brickml.step");

/**
 * Runs a workflow step (`train`, `register`, `deploy`, `canary`, `promote`, a life cycle and its
 * steps) in a span carrying the ids it touched: those given, and those read from its result. A
 * step inside a step of the same name (a life cycle's `register` calling `registerModel`) adds
 * to the outer span instead of nesting a copy.
 */
export function traceStep<T>(name: string, ids: Attributes, work: () => Promise<T>): Promise<T> {
  const a = otel();
  if (!a) return work();
  const active = a.context.active();
  const outer = active.getValue(STEP) as { name: string; span: Span } | undefined;
  if (outer?.name === name) {
    outer.span.setAttributes(ids);
    return work().then((result) => {
      outer.span.setAttributes(idsOf(result));
      return result;
    });
  }
  const span = tracer!.startSpan(name, { attributes: { "brickml.step": name, ...ids } }, active);
  if (!span.isRecording()) return work();
  return settle(a, span, a.trace.setSpan(active, span).setValue(STEP, { name, span }), work, idsOf);
}

/** Runs `work` in `context` (where `span` is active); ends `span` with attributes from the result. */
function settle<T>(
  a: Api,
  span: Span,
  context: Context,
  work: () => Promise<T>,
  attributes: (result?: T) => Attributes,
): Promise<T> {
  return a.context.with(context, work).then(
    (result) => {
      span.setAttributes(attributes(result));
      span.end();
      return result;
    },
    (error: unknown) => {
      span.setAttributes({ ...attributes(), "error.type": errorType(error) });
      span.setStatus({ code: a.SpanStatusCode.ERROR });
      span.end();
      throw error;
    },
  );
}

/** The ids a step's result names: a training run, a model version, an endpoint and its config. */
function idsOf(result: unknown): Attributes {
  if (!result || typeof result !== "object") return {};
  const r = result as Record<string, any>;
  const ids: Attributes = {};
  if (typeof r.runId === "number") ids["brickml.run.id"] = r.runId;
  if (typeof r.fullName === "string" && typeof r.version === "number") {
    ids["brickml.model.name"] = r.fullName;
    ids["brickml.model.version"] = r.version;
  }
  const config = r.pending_config ?? r.config;
  if (typeof r.name === "string" && (r.config || r.pending_config || r.state)) {
    ids["brickml.endpoint.name"] = r.name;
    if (config?.config_version !== undefined)
      ids["brickml.endpoint.config_version"] = Number(config.config_version);
  }
  for (const key of ["run", "version", "endpoint"] as const) {
    if (r[key] && typeof r[key] === "object" && r[key] !== r) Object.assign(ids, idsOf(r[key]));
  }
  return ids;
}
