import { invalidParameter, requireFields } from "../errors.js";
import type { EmulatorContext } from "../types.js";
import { canonical } from "./serving-predict.js";
import {
  type ConfigRecord,
  type EndpointRecord,
  type EntityRecord,
  hex,
  type Loose,
  NAME,
  type RegistryExports,
  state,
} from "./serving-state.js";

/**
 * Endpoint configs: validation of a requested config like the real service does, and the state
 * machine that rolls a pending config out on the emulator clock.
 */

// Realistic durations (virtual ms): a container build, then the replicas coming up.
const WORKLOAD_SIZES = ["Small", "Medium", "Large"];
const WORKLOAD_TYPES = ["CPU", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE", "MULTIGPU_MEDIUM"];

function oneOf(spec: Loose, field: string, allowed: string[]): void {
  const v = spec[field];
  if (v !== undefined && !allowed.includes(String(v))) {
    throw invalidParameter(
      `Invalid ${field} ${JSON.stringify(v)} for served entity '${spec.entity_name}'; use one of ${allowed.join(", ")}.`,
    );
  }
}

export const BUILD_MS = 4 * 60_000;
const DEPLOY_MS = 2 * 60_000;
const EXTERNAL_MODEL_MS = 30_000;
/** An update that only changes traffic still takes a moment to propagate. */
const PROPAGATE_MS = 20_000;
const MAX_SERVED_ENTITIES = 15;

export function defaultName(spec: Loose): string {
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
export function newConfig(ctx: EmulatorContext, ep: EndpointRecord, body: Loose): ConfigRecord {
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
      // The emulated workspace offers the documented sizes only (a real one may add custom sizes).
      oneOf(spec, "workload_size", WORKLOAD_SIZES);
      oneOf(spec, "workload_type", WORKLOAD_TYPES);
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

export function advance(ctx: EmulatorContext, ep: EndpointRecord): void {
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
