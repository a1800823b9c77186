import { BrickmlError } from "../core/errors.js";
import { entitiesOf, toEntityInput } from "./serving-deploy.js";
import type { EndpointCoreConfigOutput, ServedEntityOutput } from "./serving-endpoints-schemas.js";

/**
 * Traffic plans on top of `updateConfig`. The REST API keeps no history of an endpoint's
 * configs (GET shows only the current and the pending one), so the config a rollout replaces is
 * recorded in an endpoint tag: it survives the process, is visible in the UI, and any client can
 * roll back from it.
 */
export const PREVIOUS_CONFIG_TAG = "brickml_previous_config";
/** Endpoint tag values are short; a config that does not fit is not recorded. */
const TAG_VALUE_LIMIT = 255;

type Loose = Record<string, unknown>;

export interface PlannedConfig {
  served_entities: Loose[];
  traffic_config: { routes: Array<{ served_entity_name: string; traffic_percentage: number }> };
}

/** The entities the previous config served, as recorded in the tag. */
export interface PreviousConfig {
  entities: Array<{
    name: string;
    entity_name: string;
    entity_version: string;
    workload_size?: string;
    workload_type?: string;
    scale_to_zero_enabled?: boolean;
  }>;
  routes: Record<string, number>;
}

export function routesOf(config: EndpointCoreConfigOutput | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of config?.traffic_config?.routes ?? []) {
    out[String(r.served_entity_name ?? r.served_model_name)] = Number(r.traffic_percentage);
  }
  const entities = entitiesOf(config);
  if (Object.keys(out).length === 0 && entities.length === 1) out[String(entities[0]!.name)] = 100;
  return out;
}

/** The entity carrying most traffic (the oldest one on a tie). */
export function stableEntity(config: EndpointCoreConfigOutput): ServedEntityOutput {
  const routes = routesOf(config);
  const entities = entitiesOf(config) as ServedEntityOutput[];
  if (entities.length === 0) throw new BrickmlError("The endpoint serves no entity yet");
  return [...entities].sort(
    (a, b) =>
      (routes[String(b.name)] ?? 0) - (routes[String(a.name)] ?? 0) ||
      (a.creation_timestamp ?? 0) - (b.creation_timestamp ?? 0),
  )[0]!;
}

/** Default served entity name: the model's own name (last part of a UC name) and its version. */
export function defaultEntityName(entity: Loose): string {
  const model = String(entity.entity_name ?? (entity.external_model as Loose | undefined)?.name ?? "entity");
  const short = model
    .split(".")
    .pop()!
    .replace(/[^A-Za-z0-9_-]/g, "-");
  return entity.entity_version === undefined ? short : `${short}-${entity.entity_version}`;
}

const COMPUTE_FIELDS = [
  "workload_size",
  "workload_type",
  "scale_to_zero_enabled",
  "environment_vars",
  "instance_profile_arn",
] as const;

/** The stable entity plus `candidate` on `percent` % of the traffic. */
export function planCanary(
  config: EndpointCoreConfigOutput,
  candidate: Loose,
  percent: number,
): PlannedConfig {
  const stable = toEntityInput(stableEntity(config));
  const next: Loose = { ...candidate };
  next.name ??= defaultEntityName(next);
  // A canary runs on the same compute as the entity it is compared with, unless told otherwise.
  const explicitConcurrency =
    next.min_provisioned_concurrency !== undefined || next.max_provisioned_concurrency !== undefined;
  for (const k of COMPUTE_FIELDS) {
    if (k === "workload_size" && explicitConcurrency) continue;
    if (next[k] === undefined && stable[k] !== undefined) next[k] = stable[k];
  }
  if (next.workload_size === undefined && !explicitConcurrency) {
    for (const k of ["min_provisioned_concurrency", "max_provisioned_concurrency"]) {
      if (stable[k] !== undefined) next[k] = stable[k];
    }
  }
  if (next.name === stable.name) {
    throw new BrickmlError(
      `The canary needs its own served entity name; "${String(stable.name)}" already serves the stable traffic`,
    );
  }
  return withRoutes([stable, next], { [String(stable.name)]: 100 - percent, [String(next.name)]: percent });
}

/** Same entities, other traffic. Every named entity must be served; unnamed ones get 0 %. */
export function planShift(config: EndpointCoreConfigOutput, routes: Record<string, number>): PlannedConfig {
  const entities = entitiesOf(config) as ServedEntityOutput[];
  const names = new Set(entities.map((e) => String(e.name)));
  for (const n of Object.keys(routes)) {
    if (!names.has(n))
      throw new BrickmlError(`The endpoint serves no entity named "${n}" (serves ${[...names].join(", ")})`);
  }
  const total = Object.values(routes).reduce((s, p) => s + p, 0);
  if (total !== 100) throw new BrickmlError(`Traffic percentages must add up to 100, got ${total}`);
  const full = Object.fromEntries(entities.map((e) => [String(e.name), routes[String(e.name)] ?? 0]));
  return withRoutes(entities.map(toEntityInput), full);
}

/** Only `entityName` (default: the newest entity) stays, with all the traffic. */
export function planPromote(config: EndpointCoreConfigOutput, entityName?: string): PlannedConfig {
  const entities = entitiesOf(config) as ServedEntityOutput[];
  const target =
    entityName === undefined
      ? [...entities].sort((a, b) => (b.creation_timestamp ?? 0) - (a.creation_timestamp ?? 0))[0]
      : entities.find((e) => e.name === entityName);
  if (!target) {
    throw new BrickmlError(
      entityName === undefined
        ? "The endpoint serves no entity yet"
        : `The endpoint serves no entity named "${entityName}"`,
    );
  }
  return withRoutes([toEntityInput(target)], { [String(target.name)]: 100 });
}

/**
 * The config to go back to: from the recorded previous config when there is one, otherwise (a
 * canary still running) the oldest entity alone. Entities still served keep their full current
 * settings; re-created ones inherit environment and instance profile from the entity they replace.
 */
export function planRollback(
  config: EndpointCoreConfigOutput,
  previous: PreviousConfig | undefined,
): PlannedConfig {
  const current = entitiesOf(config) as ServedEntityOutput[];
  if (!previous) {
    if (current.length < 2) {
      throw new BrickmlError(
        `No previous config is recorded on this endpoint (tag ${PREVIOUS_CONFIG_TAG}) and it serves a single entity: nothing to roll back to`,
      );
    }
    const oldest = [...current].sort((a, b) => (a.creation_timestamp ?? 0) - (b.creation_timestamp ?? 0))[0]!;
    return withRoutes([toEntityInput(oldest)], { [String(oldest.name)]: 100 });
  }
  const donor = current.length ? toEntityInput(stableEntity(config)) : {};
  const entities = previous.entities.map((p) => {
    const same = current.find((c) => c.name === p.name);
    if (same) return toEntityInput(same);
    const rebuilt: Loose = { ...p };
    for (const k of ["environment_vars", "instance_profile_arn"] as const) {
      if (donor[k] !== undefined) rebuilt[k] = donor[k];
    }
    for (const k of ["workload_size", "workload_type", "scale_to_zero_enabled"] as const) {
      if (rebuilt[k] === undefined && donor[k] !== undefined) rebuilt[k] = donor[k];
    }
    return rebuilt;
  });
  return withRoutes(entities, previous.routes);
}

/** The tag value recording `config`, or undefined when it cannot be recorded (external models, too long). */
export function encodePrevious(config: EndpointCoreConfigOutput | undefined): string | undefined {
  const entities = entitiesOf(config) as ServedEntityOutput[];
  if (entities.length === 0 || entities.some((e) => !e.entity_name || e.entity_version === undefined))
    return undefined;
  const routes = Object.entries(routesOf(config));
  const full = JSON.stringify({
    e: entities.map((e) => [
      e.name,
      e.entity_name,
      String(e.entity_version),
      e.workload_size ?? null,
      e.workload_type ?? null,
      e.scale_to_zero_enabled ?? null,
    ]),
    r: routes,
  });
  if (full.length <= TAG_VALUE_LIMIT) return full;
  const short = JSON.stringify({
    e: entities.map((e) => [e.name, e.entity_name, String(e.entity_version)]),
    r: routes,
  });
  return short.length <= TAG_VALUE_LIMIT ? short : undefined;
}

export function decodePrevious(value: string | undefined): PreviousConfig | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as { e: unknown[][]; r: Array<[string, number]> };
    return {
      entities: parsed.e.map(([name, entity_name, entity_version, size, type, zero]) => ({
        name: String(name),
        entity_name: String(entity_name),
        entity_version: String(entity_version),
        ...(typeof size === "string" ? { workload_size: size } : {}),
        ...(typeof type === "string" ? { workload_type: type } : {}),
        ...(typeof zero === "boolean" ? { scale_to_zero_enabled: zero } : {}),
      })),
      routes: Object.fromEntries(parsed.r),
    };
  } catch {
    return undefined;
  }
}

function withRoutes(entities: Loose[], routes: Record<string, number>): PlannedConfig {
  return {
    served_entities: entities,
    traffic_config: {
      routes: entities.map((e) => ({
        served_entity_name: String(e.name),
        traffic_percentage: routes[String(e.name)] ?? 0,
      })),
    },
  };
}
