import type { z } from "zod";
import type {
  EndpointCoreConfigOutput,
  endpointCoreConfigInput,
  ServedEntityOutput,
} from "./serving-endpoints-schemas.js";

type ConfigInput = z.output<typeof endpointCoreConfigInput>;
type Loose = Record<string, unknown>;

/** Fields the server accepts but never returns (secrets, one-shot switches): never compared. */
const WRITE_ONLY = /(_plaintext$|^burst_scaling_enabled$)/;
/** Fields the server fills in when the request leaves them out. */
const ENTITY_DEFAULTS: Loose = { workload_type: "CPU", scale_to_zero_enabled: false };
/** Compared as a whole: a key the user dropped must be dropped on the server too. */
const WHOLE = new Set(["environment_vars"]);

/** Served entities of a config in the current form (`served_models` mapped to entity fields). */
export function entitiesOf(config: Loose | undefined): Loose[] {
  if (!config) return [];
  const entities = config.served_entities as Loose[] | undefined;
  if (entities?.length) return entities;
  return ((config.served_models as Loose[] | undefined) ?? []).map(
    ({ model_name, model_version, ...rest }) => ({
      ...rest,
      entity_name: model_name,
      entity_version: model_version,
    }),
  );
}

/** The served entity a requested one stands for: same name, or (no name given) same model and version. */
export function findEntity(wanted: Loose, among: Loose[]): Loose | undefined {
  if (typeof wanted.name === "string") return among.find((e) => e.name === wanted.name);
  if (wanted.external_model) {
    const model = (wanted.external_model as Loose).name;
    return among.find((e) => (e.external_model as Loose | undefined)?.name === model);
  }
  return among.find(
    (e) => e.entity_name === wanted.entity_name && String(e.entity_version) === String(wanted.entity_version),
  );
}

/**
 * Differences between a wanted config and what an endpoint serves, as readable lines (empty when
 * it matches). Only fields the caller gave are compared; defaults the server fills in count as
 * given, write-only fields are ignored.
 */
export function configDifferences(
  wanted: ConfigInput,
  actual: EndpointCoreConfigOutput | undefined,
): string[] {
  if (!actual) return ["the endpoint serves no config yet"];
  const diffs: string[] = [];
  const want = entitiesOf(wanted);
  const have = entitiesOf(actual);
  if (want.length !== have.length)
    diffs.push(`served entities: ${have.length} served, ${want.length} wanted`);
  for (const w of want) {
    const label = String(w.name ?? w.entity_name ?? (w.external_model as Loose | undefined)?.name);
    const h = findEntity(w, have);
    if (!h) {
      diffs.push(`served entity ${label}: not served`);
      continue;
    }
    const { name: _name, ...fields } = w;
    subsetDifferences(fields, { ...ENTITY_DEFAULTS, ...h }, `served entity ${label}`, diffs);
  }
  const routes = routeMap(wanted.traffic_config?.routes as Loose[] | undefined);
  const actualRoutes = routeMap(actual.traffic_config?.routes as Loose[] | undefined);
  if (routes) {
    if (!sameRoutes(routes, actualRoutes ?? {})) diffs.push("traffic_config: routes differ");
  } else if (want.length === 1 && have.length === 1 && actualRoutes) {
    // One entity without routes gets all the traffic.
    const only = String(have[0]!.name);
    if (!sameRoutes({ [only]: 100 }, actualRoutes)) diffs.push("traffic_config: routes differ");
  }
  if (wanted.auto_capture_config) {
    subsetDifferences(
      wanted.auto_capture_config,
      actual.auto_capture_config ?? {},
      "auto_capture_config",
      diffs,
    );
  }
  return diffs;
}

/** Differences of the fields in `wanted` (recursively), appended to `diffs`. */
export function subsetDifferences(wanted: unknown, actual: unknown, path: string, diffs: string[]): void {
  if (wanted === undefined) return;
  if (Array.isArray(wanted)) {
    if (!Array.isArray(actual) || actual.length !== wanted.length) {
      diffs.push(`${path}: differs`);
      return;
    }
    for (const [i, w] of wanted.entries()) subsetDifferences(w, actual[i], `${path}[${i}]`, diffs);
    return;
  }
  if (typeof wanted === "object" && wanted !== null) {
    if (typeof actual !== "object" || actual === null) {
      diffs.push(`${path}: missing`);
      return;
    }
    for (const [k, v] of Object.entries(wanted)) {
      if (WRITE_ONLY.test(k)) continue;
      const a = (actual as Loose)[k];
      if (WHOLE.has(k)) {
        if (!sameJson(v, a ?? {})) diffs.push(`${path}.${k}: differs`);
      } else subsetDifferences(v, a, `${path}.${k}`, diffs);
    }
    return;
  }
  if (wanted !== actual && String(wanted) !== String(actual ?? "")) {
    diffs.push(`${path}: ${JSON.stringify(actual)} served, ${JSON.stringify(wanted)} wanted`);
  }
}

function routeMap(routes: Loose[] | undefined): Record<string, number> | undefined {
  if (!routes?.length) return undefined;
  const out: Record<string, number> = {};
  for (const r of routes)
    out[String(r.served_entity_name ?? r.served_model_name)] = Number(r.traffic_percentage);
  return out;
}

function sameRoutes(a: Record<string, number>, b: Record<string, number>): boolean {
  // A 0 % route and a missing route send the same traffic.
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Loose)[k])]),
    );
  }
  return v;
}

/** The input form of a served entity as the server reports it (drops state and audit fields). */
export function toEntityInput(e: ServedEntityOutput): Loose {
  const keep = [
    "name",
    "entity_name",
    "entity_version",
    "workload_size",
    "workload_type",
    "scale_to_zero_enabled",
    "environment_vars",
    "instance_profile_arn",
    "max_provisioned_throughput",
    "min_provisioned_throughput",
    "provisioned_model_units",
    "external_model",
  ];
  const out: Loose = {};
  for (const k of keep) if ((e as Loose)[k] !== undefined) out[k] = (e as Loose)[k];
  // Sizes and explicit concurrency are exclusive; the size is what the user chose when both are shown.
  if (out.workload_size === undefined) {
    for (const k of ["min_provisioned_concurrency", "max_provisioned_concurrency"]) {
      if ((e as Loose)[k] !== undefined) out[k] = (e as Loose)[k];
    }
  }
  return out;
}
