import { ApiFault, invalidParameter, notFound, requireFields } from "../errors.js";
import type { EmuRequest, EmuResponse, Router } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import { type RequestEvent, recordEvent, renderMetrics } from "./serving-metrics.js";
import {
  canonical,
  chatEventStream,
  executionMs,
  isLlmRequest,
  llmAnswer,
  parseCoefficients,
  predict,
  rowsOf,
} from "./serving-predict.js";

/**
 * Model Serving: endpoints move through their real state machine on the emulator clock (create →
 * NOT_READY/IN_PROGRESS with a pending config → READY/NOT_UPDATING), builds can be scripted to
 * fail, queries answer deterministically, and inference tables and health metrics follow traffic.
 */

// Realistic durations (virtual ms): a container build, then the replicas coming up.
const BUILD_MS = 4 * 60_000;
const DEPLOY_MS = 2 * 60_000;
const EXTERNAL_MODEL_MS = 30_000;
/** An update that only changes traffic still takes a moment to propagate. */
const PROPAGATE_MS = 20_000;
const MAX_SERVED_ENTITIES = 15;
const MAX_INFERENCE_RECORDS = 50_000;
const MAX_LOG_LINES = 200;
const CURRENT_USER = "user@example.com";

type Loose = Record<string, unknown>;

interface EntityRecord {
  /** The served entity as requested, with its (default) name. */
  spec: Loose;
  name: string;
  /** Joins inference records to the entity. */
  id: string;
  creation_timestamp: number;
  build_start: number;
  ready_at: number;
  status: "CREATING" | "READY" | "FAILED" | "ABORTED";
  failure?: string;
}

interface ConfigRecord {
  config_version: number;
  start_time: number;
  /** When the whole config serves, at the earliest. */
  apply_at: number;
  entities: EntityRecord[];
  routes: Array<{ served_entity_name: string; traffic_percentage: number }>;
  auto_capture_config?: Loose;
  /** Given as the deprecated `served_models`; reported in that form too. */
  legacy: boolean;
  failed?: boolean;
}

interface EndpointRecord {
  id: string;
  name: string;
  creator: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  /** Create-time fields echoed back (description, route_optimized, budget_policy_id, …). */
  extras: Loose;
  tags: Array<{ key: string; value?: string }>;
  ai_gateway?: Loose;
  rate_limits?: unknown[];
  config?: ConfigRecord;
  pending?: ConfigRecord;
  config_update: "NOT_UPDATING" | "IN_PROGRESS" | "UPDATE_FAILED" | "UPDATE_CANCELED";
  last_version: number;
  /** Smooth weighted round-robin weights: a deterministic, evenly interleaved traffic split. */
  wrr: Record<string, number>;
  acl: Array<{ principal: Loose; level: string }>;
  events: RequestEvent[];
  server_logs: Record<string, string[]>;
}

export interface InferenceRecord {
  databricks_request_id: string;
  client_request_id?: string;
  request_time: number;
  status_code: number;
  execution_time_ms: number;
  served_entity_id: string;
  endpoint_name: string;
  request: string;
  response: string;
  table_full_name?: string;
}

interface BuildFailure {
  entity_name: string;
  version?: string;
  message: string;
}

export interface ServingState {
  endpoints: Record<string, EndpointRecord>;
  inference: InferenceRecord[];
  build_failures: BuildFailure[];
}

export interface ServingEmulatorExports {
  /** Captured inference records (when the endpoint's AI gateway inference table is enabled). */
  inferenceRecords(endpointName?: string): InferenceRecord[];
  /** Makes builds of this entity (and version, when given) fail with `message` until cleared. */
  failBuild(entityName: string, version: string | number | undefined, message: string): void;
  clearBuildFailures(): void;
}

/** The registry slice's exports this service reads (see the cross-service contracts). */
interface RegistryExports {
  getModelVersion(fullName: string, version: number): { status: string } | undefined;
  readModelFile(fullName: string, version: number, relPath: string): Buffer | undefined;
}

const NAME = /^[A-Za-z0-9_-]+$/;

function state(ctx: EmulatorContext): ServingState {
  return ctx.state<ServingState>("serving");
}

function endpointOr404(ctx: EmulatorContext, name: string): EndpointRecord {
  const ep = state(ctx).endpoints[name];
  if (!ep) throw notFound(`Endpoint with name '${name}' does not exist.`);
  return ep;
}

function hex(ctx: EmulatorContext, length: number): string {
  let out = "";
  while (out.length < length) out += Math.floor(ctx.random() * 16).toString(16);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Configs
// ---------------------------------------------------------------------------------------------

function defaultName(spec: Loose): string {
  const external = spec.external_model as Loose | undefined;
  if (external) return String(external.name).replace(/[.:]/g, "-");
  const model = String(spec.entity_name).split(".").pop()!;
  return `${model}-${spec.entity_version}`;
}

/** Entity fields that, when unchanged, let an update keep the running deployment. */
function deploymentKey(spec: Loose): string {
  const { name: _n, ...rest } = spec;
  return canonical(rest);
}

/** Validates a config like the real endpoint does and turns it into a pending config record. */
function newConfig(ctx: EmulatorContext, ep: EndpointRecord, body: Loose): ConfigRecord {
  const now = ctx.clock.now();
  if (body.served_entities !== undefined && body.served_models !== undefined) {
    throw invalidParameter("Only one of served_entities and served_models can be specified.");
  }
  const legacy = body.served_models !== undefined;
  const raw = (legacy ? body.served_models : body.served_entities) as unknown;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw invalidParameter("The config must specify at least one served entity in served_entities.");
  }
  if (raw.length > MAX_SERVED_ENTITIES) {
    throw invalidParameter(`A serving endpoint can have at most ${MAX_SERVED_ENTITIES} served entities.`);
  }
  const specs = raw.map((r, i) => {
    if (typeof r !== "object" || r === null)
      throw invalidParameter(`served_entities[${i}] must be an object.`);
    const spec: Loose = legacy
      ? (({ model_name, model_version, ...rest }) => ({
          ...rest,
          entity_name: model_name,
          entity_version: model_version,
        }))(r as Loose)
      : { ...(r as Loose) };
    if (spec.external_model !== undefined) {
      const ext = spec.external_model as Loose;
      if (spec.entity_name !== undefined) {
        throw invalidParameter("external_model cannot be specified together with entity_name.");
      }
      requireFields(ext, "name", "provider", "task");
    } else {
      if (!spec.entity_name) throw invalidParameter("Missing required field: entity_name");
      if (spec.entity_version === undefined || spec.entity_version === "") {
        throw invalidParameter(
          `Missing required field: entity_version (served entity '${spec.entity_name}')`,
        );
      }
      spec.entity_version = String(spec.entity_version);
      // Defaults the server fills in, so an unchanged entity re-sent with them keeps its deployment.
      spec.workload_type ??= "CPU";
      spec.scale_to_zero_enabled ??= false;
      if (
        spec.workload_size !== undefined &&
        (spec.min_provisioned_concurrency ?? spec.max_provisioned_concurrency) !== undefined
      ) {
        throw invalidParameter(
          "workload_size cannot be specified together with min/max_provisioned_concurrency.",
        );
      }
    }
    spec.name ??= defaultName(spec);
    if (!NAME.test(String(spec.name))) {
      throw invalidParameter(
        `Served entity name '${spec.name}' is invalid: it may contain only alphanumeric characters, dashes and underscores.`,
      );
    }
    return spec;
  });
  const names = specs.map((s) => String(s.name));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw invalidParameter(`Served entity names must be unique; '${dup}' is used more than once.`);
  const tasks = new Set(specs.map((s) => (s.external_model as Loose | undefined)?.task).filter(Boolean));
  if (tasks.size > 1)
    throw invalidParameter("The task type of all external models within an endpoint must be the same.");

  const routes = routesFor(body.traffic_config as Loose | undefined, names);
  const live = new Map((ep.config?.entities ?? []).map((e) => [e.name, e]));
  let applyAt = now + PROPAGATE_MS;
  const entities = specs.map((spec): EntityRecord => {
    const name = String(spec.name);
    const running = live.get(name);
    if (running && running.status === "READY" && deploymentKey(running.spec) === deploymentKey(spec)) {
      return { ...running, spec };
    }
    const duration = spec.external_model ? EXTERNAL_MODEL_MS : BUILD_MS + DEPLOY_MS;
    applyAt = Math.max(applyAt, now + duration);
    return {
      spec,
      name,
      id: hex(ctx, 32),
      creation_timestamp: now,
      build_start: now,
      ready_at: now + duration,
      status: "CREATING",
    };
  });
  ep.last_version += 1;
  return {
    config_version: ep.last_version,
    start_time: now,
    apply_at: applyAt,
    entities,
    routes,
    ...(body.auto_capture_config ? { auto_capture_config: body.auto_capture_config as Loose } : {}),
    legacy,
  };
}

function routesFor(traffic: Loose | undefined, names: string[]): ConfigRecord["routes"] {
  const given = traffic?.routes as Loose[] | undefined;
  if (!given?.length) {
    // Without routes the traffic is shared evenly (the first entities take the remainder).
    const share = Math.floor(100 / names.length);
    return names.map((n, i) => ({
      served_entity_name: n,
      traffic_percentage: share + (i < 100 - share * names.length ? 1 : 0),
    }));
  }
  const routes = given.map((r) => {
    const name = String(r.served_entity_name ?? r.served_model_name ?? "");
    const pct = Number(r.traffic_percentage);
    if (!names.includes(name)) {
      throw invalidParameter(
        `The traffic config routes to served entity '${name}', which is not in the config.`,
      );
    }
    if (!Number.isInteger(pct) || pct < 0 || pct > 100) {
      throw invalidParameter(
        `traffic_percentage must be an integer between 0 and 100, got ${r.traffic_percentage}.`,
      );
    }
    return { served_entity_name: name, traffic_percentage: pct };
  });
  const total = routes.reduce((s, r) => s + r.traffic_percentage, 0);
  if (total !== 100) throw invalidParameter(`The traffic percentages must add up to 100, got ${total}.`);
  return routes;
}

/** Why this entity's build fails, if it does: a scripted failure, or a registry version that is missing or not READY. */
function buildFailure(ctx: EmulatorContext, e: EntityRecord): string | undefined {
  const spec = e.spec;
  const entityName = String(spec.entity_name ?? (spec.external_model as Loose | undefined)?.name ?? "");
  const version = spec.entity_version === undefined ? undefined : String(spec.entity_version);
  const scripted = state(ctx).build_failures.find(
    (f) => f.entity_name === entityName && (f.version === undefined || f.version === version),
  );
  if (scripted) return scripted.message;
  const registry = ctx.service<RegistryExports>("registry");
  if (!registry || spec.external_model || entityName.split(".").length !== 3) return undefined;
  const mv = registry.getModelVersion(entityName, Number(version));
  if (!mv)
    return `Model version ${version} of model ${entityName} does not exist or you do not have access to it.`;
  if (mv.status !== "READY") {
    return `Model version ${version} of model ${entityName} is not ready to be served (status ${mv.status}).`;
  }
  return undefined;
}

function advance(ctx: EmulatorContext, ep: EndpointRecord): void {
  const p = ep.pending;
  if (!p || p.failed) return;
  const now = ctx.clock.now();
  for (const e of p.entities) {
    if (e.status !== "CREATING" || now < e.ready_at) continue;
    const failure = buildFailure(ctx, e);
    if (failure) {
      e.status = "FAILED";
      e.failure = failure;
    } else e.status = "READY";
  }
  if (p.entities.some((e) => e.status === "FAILED")) {
    for (const e of p.entities) if (e.status === "CREATING") e.status = "ABORTED";
    p.failed = true;
    ep.config_update = "UPDATE_FAILED";
    return;
  }
  if (p.entities.every((e) => e.status === "READY") && now >= p.apply_at) {
    // The new config serves; `ready` turns READY in the same step as NOT_UPDATING.
    ep.config = p;
    ep.pending = undefined;
    ep.config_update = "NOT_UPDATING";
    ep.wrr = {};
  }
}

// ---------------------------------------------------------------------------------------------
// Views (response bodies)
// ---------------------------------------------------------------------------------------------

const WRITE_ONLY = /(_plaintext$|^burst_scaling_enabled$)/;

function withoutWriteOnly(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutWriteOnly);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => !WRITE_ONLY.test(k))
      .map(([k, x]) => [k, withoutWriteOnly(x)]),
  );
}

const DEPLOYMENT: Record<EntityRecord["status"], string> = {
  CREATING: "DEPLOYMENT_CREATING",
  READY: "DEPLOYMENT_READY",
  FAILED: "DEPLOYMENT_FAILED",
  ABORTED: "DEPLOYMENT_ABORTED",
};

function stateMessage(e: EntityRecord, now: number): string {
  switch (e.status) {
    case "READY":
      return "";
    case "FAILED":
      return `Served entity creation failed: ${e.failure}`;
    case "ABORTED":
      return "Served entity creation aborted because another served entity of the update failed.";
    default:
      if (e.spec.external_model) return "Served entity creation is in progress.";
      return now < e.build_start + BUILD_MS
        ? "Creating the container image for the served entity."
        : "Deploying the served entity: waiting for replicas to become ready.";
  }
}

function entityView(e: EntityRecord, now: number): Loose {
  return {
    ...(withoutWriteOnly(e.spec) as Loose),
    name: e.name,
    creator: CURRENT_USER,
    creation_timestamp: e.creation_timestamp,
    state: { deployment: DEPLOYMENT[e.status], deployment_state_message: stateMessage(e, now) },
  };
}

function configView(c: ConfigRecord, now: number): Loose {
  const served = c.entities.map((e) => entityView(e, now));
  return {
    served_entities: served,
    ...(c.legacy
      ? {
          served_models: served.map(({ entity_name, entity_version, ...rest }) => ({
            ...rest,
            model_name: entity_name,
            model_version: entity_version,
          })),
        }
      : {}),
    traffic_config: {
      routes: c.routes.map((r) => ({
        ...r,
        ...(c.legacy ? { served_model_name: r.served_entity_name } : {}),
      })),
    },
    config_version: c.config_version,
    ...(c.auto_capture_config ? { auto_capture_config: autoCaptureView(c.auto_capture_config) } : {}),
  };
}

function autoCaptureView(a: Loose): Loose {
  return a.enabled
    ? {
        ...a,
        state: { payload_table: { name: `${a.table_name_prefix ?? "inference"}_payload`, status: "ACTIVE" } },
      }
    : a;
}

function task(ep: EndpointRecord): string | undefined {
  const entities = (ep.config ?? ep.pending)?.entities ?? [];
  const ext = entities.map((e) => e.spec.external_model as Loose | undefined).find(Boolean);
  return ext ? String(ext.task) : undefined;
}

function endpointView(ctx: EmulatorContext, ep: EndpointRecord): Loose {
  const now = ctx.clock.now();
  const t = task(ep);
  return {
    name: ep.name,
    id: ep.id,
    creator: ep.creator,
    creation_timestamp: ep.creation_timestamp,
    last_updated_timestamp: ep.last_updated_timestamp,
    state: { ready: ep.config ? "READY" : "NOT_READY", config_update: ep.config_update },
    ...(ep.config ? { config: configView(ep.config, now) } : {}),
    ...(ep.pending
      ? { pending_config: { ...configView(ep.pending, now), start_time: ep.pending.start_time } }
      : {}),
    ...(ep.tags.length ? { tags: ep.tags } : {}),
    ...(ep.ai_gateway ? { ai_gateway: ep.ai_gateway } : {}),
    ...(ep.rate_limits ? { rate_limits: ep.rate_limits } : {}),
    ...(t ? { task: t } : {}),
    route_optimized: false,
    ...(withoutWriteOnly(ep.extras) as Loose),
    permission_level: "CAN_MANAGE",
  };
}

function summaryView(ep: EndpointRecord): Loose {
  const c = ep.config ?? ep.pending;
  const t = task(ep);
  return {
    name: ep.name,
    id: ep.id,
    creator: ep.creator,
    creation_timestamp: ep.creation_timestamp,
    last_updated_timestamp: ep.last_updated_timestamp,
    state: { ready: ep.config ? "READY" : "NOT_READY", config_update: ep.config_update },
    ...(c
      ? {
          config: {
            served_entities: c.entities.map((e) =>
              withoutWriteOnly({
                name: e.name,
                ...(e.spec.entity_name !== undefined
                  ? { entity_name: e.spec.entity_name, entity_version: e.spec.entity_version }
                  : {}),
                ...(e.spec.external_model ? { external_model: e.spec.external_model } : {}),
              }),
            ),
          },
        }
      : {}),
    ...(ep.tags.length ? { tags: ep.tags } : {}),
    ...(ep.ai_gateway ? { ai_gateway: ep.ai_gateway } : {}),
    ...(t ? { task: t } : {}),
    ...(typeof ep.extras.description === "string" ? { description: ep.extras.description } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

function servedEntity(ep: EndpointRecord, served: string): EntityRecord {
  const e =
    ep.pending?.entities.find((x) => x.name === served) ?? ep.config?.entities.find((x) => x.name === served);
  if (!e) throw notFound(`Served model '${served}' does not exist in endpoint '${ep.name}'.`);
  return e;
}

function buildLog(e: EntityRecord, now: number): string {
  const at = (ms: number) => new Date(e.build_start + ms).toISOString();
  const lines: string[] = [];
  const push = (ms: number, text: string) => {
    if (e.build_start + ms <= now || e.status === "FAILED" || e.status === "READY")
      lines.push(`${at(ms)} ${text}`);
  };
  if (e.spec.external_model) {
    push(0, "No container build needed: the served entity is an external model.");
    return `${lines.join("\n")}\n`;
  }
  const model = `${e.spec.entity_name} version ${e.spec.entity_version}`;
  push(0, `Container image build started for ${model}.`);
  push(5_000, "Resolving the model's environment from conda.yaml / requirements.txt.");
  push(60_000, "Installing model dependencies.");
  if (e.status === "FAILED") {
    push(BUILD_MS / 2, `ERROR: ${e.failure}`);
    push(BUILD_MS / 2 + 1_000, "Container image creation failed.");
  } else {
    push(BUILD_MS - 10_000, `Model files of ${model} downloaded.`);
    push(BUILD_MS, "Container image creation finished successfully.");
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

function logLine(ep: EndpointRecord, entity: string, now: number, line: string): void {
  ep.server_logs[entity] ??= [];
  const lines = ep.server_logs[entity]!;
  lines.push(`${new Date(now).toISOString()} ${line}`);
  if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

function pickEntity(ep: EndpointRecord, config: ConfigRecord): EntityRecord {
  const routes = config.routes.filter((r) => r.traffic_percentage > 0);
  if (!routes.length)
    throw new ApiFault(
      503,
      "TEMPORARILY_UNAVAILABLE",
      `Endpoint '${ep.name}' routes no traffic to any served entity.`,
    );
  let best = routes[0]!;
  let total = 0;
  for (const r of routes) {
    total += r.traffic_percentage;
    ep.wrr[r.served_entity_name] = (ep.wrr[r.served_entity_name] ?? 0) + r.traffic_percentage;
    if (ep.wrr[r.served_entity_name]! > ep.wrr[best.served_entity_name]!) best = r;
  }
  ep.wrr[best.served_entity_name]! -= total;
  return config.entities.find((e) => e.name === best.served_entity_name)!;
}

function inferenceTable(ep: EndpointRecord): { enabled: boolean; table?: string } {
  const ai = ep.ai_gateway?.inference_table_config as Loose | undefined;
  const legacy = ep.config?.auto_capture_config;
  const cfg = ai?.enabled ? ai : legacy?.enabled ? legacy : undefined;
  if (!cfg) return { enabled: false };
  const prefix = String(cfg.table_name_prefix ?? ep.name);
  return cfg.catalog_name && cfg.schema_name
    ? { enabled: true, table: `${cfg.catalog_name}.${cfg.schema_name}.${prefix}_payload` }
    : { enabled: true };
}

function invoke(ctx: EmulatorContext, req: EmuRequest): EmuResponse {
  const ep = endpointOr404(ctx, req.params.name!);
  const now = ctx.clock.now();
  const config = ep.config;
  if (!config) {
    throw ep.pending && !ep.pending.failed
      ? new ApiFault(
          503,
          "TEMPORARILY_UNAVAILABLE",
          `Endpoint '${ep.name}' is not ready yet: its config is being deployed.`,
        )
      : new ApiFault(
          400,
          "BAD_REQUEST",
          `Endpoint '${ep.name}' is not ready: it has no served entity that can take traffic.`,
        );
  }
  const served = req.params.served;
  const entity = served
    ? (config.entities.find((e) => e.name === served) ??
      (() => {
        throw notFound(`Served model '${served}' does not exist in endpoint '${ep.name}'.`);
      })())
    : pickEntity(ep, config);

  const body = req.body as unknown;
  let status = 200;
  let payload: unknown;
  let raw: string | undefined;
  let rows = 1;
  try {
    const fields = (typeof body === "object" && body !== null && !Array.isArray(body) ? body : {}) as Loose;
    const external = entity.spec.external_model as Loose | undefined;
    if (external || isLlmRequest(fields)) {
      const answer = llmAnswer(fields, String(external?.name ?? entity.name), Math.floor(now / 1000));
      if (fields.stream === true) {
        if (!answer.choices || (answer.object as string) !== "chat.completion") {
          throw new ApiFault(400, "BAD_REQUEST", "Streaming is supported for chat requests only.");
        }
        raw = chatEventStream(answer);
      }
      payload = answer;
    } else {
      if (fields.stream === true) {
        throw new ApiFault(400, "BAD_REQUEST", "This served model does not support streaming responses.");
      }
      const input = rowsOf(body);
      rows = input.length;
      payload = { predictions: predict(input, modelOf(ctx, entity)) };
    }
  } catch (e) {
    if (!(e instanceof ApiFault)) throw e;
    status = e.status;
    payload = e.body();
  }

  const ms = executionMs(rows, `${entity.name}|${ep.events.length}`);
  recordEvent(ep.events, [now, entity.name, status, ms]);
  logLine(
    ep,
    entity.name,
    now,
    `${status === 200 ? "INFO" : "ERROR"} POST /invocations ${status} (${rows} rows, ${ms} ms)`,
  );
  const capture = inferenceTable(ep);
  if (capture.enabled) {
    const records = state(ctx).inference;
    const fields = body as Loose | undefined;
    records.push({
      databricks_request_id: `${hex(ctx, 8)}-${hex(ctx, 4)}-${hex(ctx, 4)}-${hex(ctx, 4)}-${hex(ctx, 12)}`,
      ...(typeof fields?.client_request_id === "string"
        ? { client_request_id: fields.client_request_id }
        : {}),
      request_time: now,
      status_code: status,
      execution_time_ms: ms,
      served_entity_id: entity.id,
      endpoint_name: ep.name,
      request: JSON.stringify(body ?? null),
      response: raw ?? JSON.stringify(payload),
      ...(capture.table ? { table_full_name: capture.table } : {}),
    });
    if (records.length > MAX_INFERENCE_RECORDS) records.splice(0, records.length - MAX_INFERENCE_RECORDS);
  }
  const headers = { "served-model-name": entity.name };
  if (status !== 200) return { status, body: payload, headers };
  return raw === undefined ? { body: payload, headers } : { raw, contentType: "text/event-stream", headers };
}

function modelOf(ctx: EmulatorContext, e: EntityRecord) {
  const name = String(e.spec.entity_name);
  const version = String(e.spec.entity_version);
  const registry = ctx.service<RegistryExports>("registry");
  const file = registry?.readModelFile(name, Number(version), "coefficients.json");
  return { key: `${name}@${version}`, coefficients: parseCoefficients(file) };
}

// ---------------------------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------------------------

const LEVELS = ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"];

function principalOf(entry: Loose): Loose {
  for (const k of ["user_name", "group_name", "service_principal_name"]) {
    if (typeof entry[k] === "string") return { [k]: entry[k] };
  }
  throw invalidParameter(
    "Each access control entry needs one of user_name, group_name or service_principal_name.",
  );
}

function aclFrom(body: Loose | undefined): EndpointRecord["acl"] {
  const list = (body?.access_control_list as Loose[] | undefined) ?? [];
  return list.map((entry) => {
    const level = String(entry.permission_level ?? "");
    if (!LEVELS.includes(level)) {
      throw invalidParameter(`Invalid permission level '${level}'; use one of ${LEVELS.join(", ")}.`);
    }
    return { principal: principalOf(entry), level };
  });
}

function permissionsView(ep: EndpointRecord): Loose {
  const direct = [{ principal: { user_name: ep.creator }, level: "CAN_MANAGE" }, ...ep.acl];
  const merged = new Map<string, { principal: Loose; levels: string[] }>();
  for (const d of direct) {
    const key = canonical(d.principal);
    const m = merged.get(key) ?? { principal: d.principal, levels: [] };
    if (!m.levels.includes(d.level)) m.levels.push(d.level);
    merged.set(key, m);
  }
  return {
    object_id: `/serving-endpoints/${ep.id}`,
    object_type: "serving-endpoint",
    access_control_list: [
      ...[...merged.values()].map((m) => ({
        ...m.principal,
        all_permissions: m.levels.map((permission_level) => ({ permission_level, inherited: false })),
      })),
      {
        group_name: "admins",
        all_permissions: [
          { permission_level: "CAN_MANAGE", inherited: true, inherited_from_object: ["/serving-endpoints/"] },
        ],
      },
    ],
  };
}

function endpointById(ctx: EmulatorContext, id: string): EndpointRecord {
  const ep = Object.values(state(ctx).endpoints).find((e) => e.id === id);
  if (!ep) throw notFound(`Serving endpoint with id '${id}' does not exist.`);
  return ep;
}

// ---------------------------------------------------------------------------------------------
// AI gateway
// ---------------------------------------------------------------------------------------------

function checkAiGateway(ep: EndpointRecord, body: Loose): Loose {
  const { name: _name, ...gateway } = body;
  const table = gateway.inference_table_config as Loose | undefined;
  if (table?.enabled) {
    requireFields(table, "catalog_name", "schema_name");
    const current = ep.ai_gateway?.inference_table_config as Loose | undefined;
    if (
      current?.enabled &&
      ["catalog_name", "schema_name", "table_name_prefix"].some(
        (k) => (current[k] ?? null) !== (table[k] ?? null),
      )
    ) {
      throw invalidParameter(
        "The inference table's catalog, schema and table name prefix cannot change while it is enabled; disable it first.",
      );
    }
  }
  for (const limit of (gateway.rate_limits as Loose[] | undefined) ?? []) {
    if (limit.renewal_period !== "minute")
      throw invalidParameter("rate_limits.renewal_period must be 'minute'.");
  }
  return gateway;
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

function routes(router: Router): void {
  const base = "/api/2.0/serving-endpoints";

  router.post(base, (req) => {
    const ctx = req.ctx;
    const body = (req.body ?? {}) as Loose;
    requireFields(body, "name");
    const name = String(body.name);
    if (!NAME.test(name)) {
      throw invalidParameter(
        `Endpoint name '${name}' is invalid: it may contain only alphanumeric characters, dashes and underscores.`,
      );
    }
    const st = state(ctx);
    if (st.endpoints[name])
      throw new ApiFault(409, "RESOURCE_ALREADY_EXISTS", `Endpoint with name '${name}' already exists.`);
    const now = ctx.clock.now();
    const { name: _n, config, tags, ai_gateway, rate_limits, ...extras } = body;
    const ep: EndpointRecord = {
      id: hex(ctx, 32),
      name,
      creator: CURRENT_USER,
      creation_timestamp: now,
      last_updated_timestamp: now,
      extras,
      tags: Array.isArray(tags) ? (tags as EndpointRecord["tags"]) : [],
      config_update: "NOT_UPDATING",
      last_version: 0,
      wrr: {},
      acl: [],
      events: [],
      server_logs: {},
    };
    if (ai_gateway) ep.ai_gateway = checkAiGateway(ep, ai_gateway as Loose);
    if (rate_limits) ep.rate_limits = rate_limits as unknown[];
    if (config) {
      ep.pending = newConfig(ctx, ep, config as Loose);
      ep.config_update = "IN_PROGRESS";
    }
    st.endpoints[name] = ep;
    return { body: endpointView(ctx, ep) };
  });

  router.get(base, (req) => ({
    body: { endpoints: Object.values(state(req.ctx).endpoints).map(summaryView) },
  }));

  router.get(`${base}/:name`, (req) => ({
    body: endpointView(req.ctx, endpointOr404(req.ctx, req.params.name!)),
  }));

  router.delete(`${base}/:name`, (req) => {
    endpointOr404(req.ctx, req.params.name!);
    delete state(req.ctx).endpoints[req.params.name!];
    return { body: {} };
  });

  router.put(`${base}/:name/config`, (req) => {
    const ctx = req.ctx;
    const ep = endpointOr404(ctx, req.params.name!);
    if (ep.config_update === "IN_PROGRESS") {
      throw new ApiFault(
        409,
        "RESOURCE_CONFLICT",
        `Endpoint '${ep.name}' already has a config update in progress; wait until it finishes before updating it again.`,
      );
    }
    ep.pending = newConfig(ctx, ep, (req.body ?? {}) as Loose);
    ep.config_update = "IN_PROGRESS";
    ep.last_updated_timestamp = ctx.clock.now();
    return { body: endpointView(ctx, ep) };
  });

  router.patch(`${base}/:name/tags`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    const body = (req.body ?? {}) as {
      add_tags?: Array<{ key: string; value?: string }>;
      delete_tags?: string[];
    };
    for (const t of body.add_tags ?? []) {
      requireFields(t as unknown as Loose, "key");
      ep.tags = [
        ...ep.tags.filter((x) => x.key !== t.key),
        { key: t.key, ...(t.value !== undefined ? { value: t.value } : {}) },
      ];
    }
    const drop = new Set(body.delete_tags ?? []);
    ep.tags = ep.tags.filter((t) => !drop.has(t.key));
    return { body: { tags: ep.tags } };
  });

  router.put(`${base}/:name/ai-gateway`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    ep.ai_gateway = checkAiGateway(ep, (req.body ?? {}) as Loose);
    ep.last_updated_timestamp = req.ctx.clock.now();
    return { body: ep.ai_gateway };
  });

  router.put(`${base}/:name/rate-limits`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    const limits = ((req.body ?? {}) as Loose).rate_limits;
    ep.rate_limits = Array.isArray(limits) ? limits : [];
    for (const l of ep.rate_limits as Loose[]) requireFields(l, "calls", "renewal_period");
    return { body: { rate_limits: ep.rate_limits } };
  });

  router.get(`${base}/:name/served-models/:served/build-logs`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    return { body: { logs: buildLog(servedEntity(ep, req.params.served!), req.ctx.clock.now()) } };
  });

  router.get(`${base}/:name/served-models/:served/logs`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    const e = servedEntity(ep, req.params.served!);
    return { body: { logs: (ep.server_logs[e.name] ?? []).map((l) => `${l}\n`).join("") } };
  });

  router.get(`${base}/:name/metrics`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    const entities = (ep.config?.entities ?? []).map((e) => ({
      name: e.name,
      workload_size: e.spec.workload_size as string | undefined,
      scale_to_zero_enabled: e.spec.scale_to_zero_enabled as boolean | undefined,
    }));
    return {
      raw: renderMetrics(entities, ep.events, req.ctx.clock.now()),
      contentType: "text/plain; version=0.0.4; charset=utf-8",
    };
  });

  router.get(`${base}/:name/openapi`, (req) => {
    const ep = endpointOr404(req.ctx, req.params.name!);
    if (!ep.config)
      throw new ApiFault(400, "BAD_REQUEST", `Endpoint '${ep.name}' is not ready: it has no served config.`);
    return { body: openApi(req.ctx, ep) };
  });

  const perms = "/api/2.0/permissions/serving-endpoints/:id";
  router.get(perms, (req) => ({ body: permissionsView(endpointById(req.ctx, req.params.id!)) }));
  router.get(`${perms}/permissionLevels`, (req) => {
    endpointById(req.ctx, req.params.id!);
    return {
      body: {
        permission_levels: [
          { permission_level: "CAN_MANAGE", description: "Can manage the endpoint" },
          { permission_level: "CAN_QUERY", description: "Can query the endpoint" },
          { permission_level: "CAN_VIEW", description: "Can view the endpoint" },
        ],
      },
    };
  });
  router.put(perms, (req) => {
    const ep = endpointById(req.ctx, req.params.id!);
    ep.acl = aclFrom(req.body as Loose | undefined);
    return { body: permissionsView(ep) };
  });
  router.patch(perms, (req) => {
    const ep = endpointById(req.ctx, req.params.id!);
    const added = aclFrom(req.body as Loose | undefined);
    const keys = new Set(added.map((a) => canonical(a.principal)));
    ep.acl = [...ep.acl.filter((a) => !keys.has(canonical(a.principal))), ...added];
    return { body: permissionsView(ep) };
  });

  // Queries are not persisted one by one: they change only counters and captured records.
  router.post("/serving-endpoints/:name/invocations", (req) => invoke(req.ctx, req), { mutates: false });
  router.post("/serving-endpoints/:name/served-models/:served/invocations", (req) => invoke(req.ctx, req), {
    mutates: false,
  });
}

function openApi(ctx: EmulatorContext, ep: EndpointRecord): Loose {
  const row = { type: "object", additionalProperties: true };
  return {
    openapi: "3.1.0",
    info: { title: ep.name, version: String(ep.config?.config_version ?? 0) },
    servers: [{ url: `${ctx.url}/serving-endpoints/${ep.name}` }],
    paths: {
      "/invocations": {
        post: {
          requestBody: {
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    {
                      type: "object",
                      required: ["dataframe_split"],
                      properties: { dataframe_split: { type: "object" } },
                    },
                    {
                      type: "object",
                      required: ["dataframe_records"],
                      properties: { dataframe_records: { type: "array", items: row } },
                    },
                    { type: "object", required: ["instances"], properties: { instances: { type: "array" } } },
                    { type: "object", required: ["inputs"], properties: { inputs: {} } },
                  ],
                },
              },
            },
          },
          responses: {
            "200": {
              description: "Successful operation",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { predictions: { type: "array", items: { type: "number" } } },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}

export const servingService: EmulatorService<ServingState, ServingEmulatorExports> = {
  name: "serving",
  init: () => ({ endpoints: {}, inference: [], build_failures: [] }),
  routes,
  tick(ctx) {
    for (const ep of Object.values(state(ctx).endpoints)) advance(ctx, ep);
  },
  exports: (ctx) => ({
    inferenceRecords: (endpointName) =>
      state(ctx).inference.filter((r) => endpointName === undefined || r.endpoint_name === endpointName),
    failBuild(entityName, version, message) {
      state(ctx).build_failures.push({
        entity_name: entityName,
        ...(version !== undefined ? { version: String(version) } : {}),
        message,
      });
    },
    clearBuildFailures() {
      state(ctx).build_failures = [];
    },
  }),
};
