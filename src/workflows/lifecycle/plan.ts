import { configDifferences, entitiesOf, subsetDifferences, toEntityInput } from "../../api/serving-deploy.js";
import type {
  EndpointCoreConfigInput,
  EndpointCoreConfigOutput,
  ServingEndpointDetailed,
} from "../../api/serving-endpoints-schemas.js";
import { routesOf } from "../../api/serving-rollouts.js";
import type { LifecycleStep } from "../progress.js";
import type { TrainingRun } from "../training-run.js";
import type { LifecycleSpec } from "./spec.js";

export type PlanAction = "create" | "update" | "run" | "none";

export interface PlannedStep {
  step: LifecycleStep;
  /** What applying the step does; `none` leaves the workspace as it is. */
  action: PlanAction;
  resource: string;
  reason: string;
  /** The fields that differ, for steps that compare settings (the endpoint, access). */
  changes?: string[];
  /** The access step's grants to add and to revoke. */
  access?: { add: AccessGrant[]; revoke: AccessGrant[] };
}

/** One level (or privilege) of one principal on the endpoint or the model. */
export interface AccessGrant {
  object: "endpoint" | "model";
  /** The endpoint's or model's name. */
  name: string;
  /** As the spec writes it: a user name, `group:<name>`, or a service principal's application id. */
  principal: string;
  level: string;
}

/** Direct levels and grants held now, principals as the spec writes them. */
export interface ObservedAccess {
  /** Undefined when the endpoint does not exist yet. */
  endpoint: Array<{ principal: string; level: string }> | undefined;
  /** Undefined when the model does not exist yet. */
  model: Array<{ principal: string; level: string }> | undefined;
  /** Principals the spec never changes: the endpoint's creator, the model's owner, `group:admins`. */
  keep: string[];
}

export interface Plan {
  steps: PlannedStep[];
  /** Steps that create or change something (action not `none`); 0 when the workspace matches. */
  changes: number;
}

/** What the workspace holds for a spec. Every decision of a plan is made from this alone. */
export interface Observed {
  /** The spec's notebook source (read from the local file); undefined when the spec gives none. */
  source: string | undefined;
  /** The notebook's source in the workspace. */
  current: string | undefined;
  /** Notebook, source, parameters and cluster: one training. */
  fingerprint: string;
  /** A run of this training that succeeded. */
  run: TrainingRun | undefined;
  /** Runs of this training that ended without success (each retry gets its own submit token). */
  failedRuns: number;
  /** The version registered from the run's model, and its registration state. */
  version: { number: number; status: string | undefined } | undefined;
  /** The version the alias points at. */
  aliased: number | undefined;
  /** The endpoint as read; undefined when it does not exist. */
  endpoint: ServingEndpointDetailed | undefined;
  /** Read only when the spec has an `access` block. */
  access: ObservedAccess | undefined;
}

export function aliasOf(spec: LifecycleSpec): string {
  return spec.model.alias ?? "champion";
}

/** The served-entity name a version gets: `<model>-<version>`. */
export function entityNameOf(spec: LifecycleSpec, version: number): string {
  return `${spec.model.name.split(".").pop()}-${version}`;
}

/** The config a spec wants an endpoint to serve with `version`, and its tags and AI gateway. */
export interface WantedEndpoint {
  config: EndpointCoreConfigInput & { served_entities: Array<Record<string, unknown>> };
  tags: Array<{ key: string; value: string }>;
  ai_gateway: { inference_table_config: Record<string, unknown> } | undefined;
  /** The new version runs next to the serving one with `traffic.canaryPercent` of the requests. */
  canary: boolean;
}

/** The config the endpoint serves, or will serve once the update in progress is done. */
export function servedConfig(
  endpoint: ServingEndpointDetailed | undefined,
): EndpointCoreConfigOutput | undefined {
  if (!endpoint) return undefined;
  return endpoint.state?.config_update === "IN_PROGRESS" && endpoint.pending_config
    ? (endpoint.pending_config as EndpointCoreConfigOutput)
    : endpoint.config;
}

export function wantedEndpoint(
  spec: LifecycleSpec,
  version: number,
  endpoint: ServingEndpointDetailed | undefined,
): WantedEndpoint {
  const e = spec.endpoint;
  const candidate = {
    name: entityNameOf(spec, version),
    entity_name: spec.model.name,
    entity_version: String(version),
    workload_size: e.workloadSize ?? "Small",
    workload_type: e.workloadType ?? "CPU",
    scale_to_zero_enabled: e.scaleToZero ?? true,
    environment_vars: e.environmentVars ?? {},
  };
  const served = servedConfig(endpoint);
  const percent = spec.traffic?.canaryPercent;
  const routes = routesOf(served);
  // The stable side of a canary: the other entity with the most traffic.
  const stable = (entitiesOf(served) as Array<Record<string, unknown>>)
    .filter((x) => x.name !== candidate.name)
    .sort((a, b) => (routes[String(b.name)] ?? 0) - (routes[String(a.name)] ?? 0))[0];
  const canary = percent !== undefined && stable !== undefined;
  const config = canary
    ? {
        served_entities: [toEntityInput(stable as never), candidate],
        traffic_config: {
          routes: [
            { served_entity_name: String(stable.name), traffic_percentage: 100 - percent },
            { served_entity_name: candidate.name, traffic_percentage: percent },
          ],
        },
      }
    : {
        served_entities: [candidate],
        traffic_config: { routes: [{ served_entity_name: candidate.name, traffic_percentage: 100 }] },
      };
  return {
    config,
    tags: Object.entries(e.tags ?? {}).map(([key, value]) => ({ key, value })),
    ai_gateway: e.inferenceTable
      ? { inference_table_config: { ...e.inferenceTable, enabled: true } }
      : undefined,
    canary,
  };
}

/** What differs between the wanted endpoint and the one read (empty when it matches). */
export function endpointDifferences(wanted: WantedEndpoint, endpoint: ServingEndpointDetailed): string[] {
  const diffs = configDifferences(wanted.config as never, servedConfig(endpoint));
  const have = new Map((endpoint.tags ?? []).map((t) => [t.key, t.value ?? ""]));
  for (const t of wanted.tags) {
    if (have.get(t.key) !== t.value)
      diffs.push(`tag ${t.key}: ${JSON.stringify(have.get(t.key))} set, ${JSON.stringify(t.value)} wanted`);
  }
  if (wanted.ai_gateway) subsetDifferences(wanted.ai_gateway, endpoint.ai_gateway ?? {}, "ai_gateway", diffs);
  return diffs;
}

/** Every decision of the life cycle: one step per stage, each with its action and why. */
export function planSteps(spec: LifecycleSpec, o: Observed): PlannedStep[] {
  const model = spec.model.name;
  const alias = aliasOf(spec);
  const { source, current, run, version, aliased, endpoint } = o;
  const wanted = version ? wantedEndpoint(spec, version.number, endpoint) : undefined;
  // A version still to be registered is new to the endpoint: whatever it serves stays as the stable side.
  const canary = wanted
    ? wanted.canary
    : spec.traffic?.canaryPercent !== undefined && entitiesOf(servedConfig(endpoint)).length > 0;

  const upload: PlannedStep =
    source === undefined
      ? { step: "upload", action: "none", resource: spec.notebook.path, reason: "no local source given" }
      : current === undefined
        ? { step: "upload", action: "create", resource: spec.notebook.path, reason: "not in the workspace" }
        : sameSource(current, source)
          ? {
              step: "upload",
              action: "none",
              resource: spec.notebook.path,
              reason: "the workspace copy is the same",
            }
          : {
              step: "upload",
              action: "update",
              resource: spec.notebook.path,
              reason: "the workspace copy differs",
            };

  const train: PlannedStep = run
    ? {
        step: "train",
        action: "none",
        resource: `run ${run.runId}`,
        reason: "a run of this notebook, parameters and cluster succeeded already",
      }
    : {
        step: "train",
        action: "run",
        resource: spec.notebook.path,
        reason:
          o.failedRuns > 0
            ? `${o.failedRuns} earlier run(s) of this notebook, parameters and cluster failed`
            : "no successful run of this notebook, parameters and cluster yet",
      };

  const register: PlannedStep = !version
    ? {
        step: "register",
        action: "create",
        resource: model,
        reason: "the trained model is not registered yet",
      }
    : version.status === "READY"
      ? {
          step: "register",
          action: "none",
          resource: `${model}/${version.number}`,
          reason: "the run's model is registered",
        }
      : {
          step: "register",
          action: "update",
          resource: `${model}/${version.number}`,
          reason: `its registration did not finish (${version.status ?? "status unknown"}): finish it`,
        };

  const aliasStep: PlannedStep = canary
    ? {
        step: "alias",
        action: "none",
        resource: `${model}@${alias}`,
        reason: "kept on the serving version until the canary is promoted",
      }
    : {
        step: "alias",
        action: version && aliased === version.number ? "none" : aliased === undefined ? "create" : "update",
        resource: `${model}@${alias}`,
        reason: aliased === undefined ? "alias not set" : `points at version ${aliased}`,
      };

  const name = spec.endpoint.name;
  let deploy: PlannedStep;
  if (!endpoint) {
    deploy = { step: "deploy", action: "create", resource: name, reason: "endpoint does not exist" };
  } else if (!wanted) {
    deploy = {
      step: canary ? "canary" : "deploy",
      action: "update",
      resource: name,
      reason: canary ? "the new version will get a share of the traffic" : "a new version will be served",
    };
  } else {
    const changes = endpointDifferences(wanted, endpoint);
    deploy = {
      step: wanted.canary ? "canary" : "deploy",
      action: changes.length ? "update" : "none",
      resource: name,
      reason: changes.length ? changes.join("; ") : "serves the spec's version and settings",
      ...(changes.length ? { changes } : {}),
    };
  }
  const accessStep = spec.access ? planAccess(spec, o.access) : undefined;
  return accessStep
    ? [upload, train, register, aliasStep, deploy, accessStep]
    : [upload, train, register, aliasStep, deploy];
}

/**
 * The grants to add and revoke so the endpoint and the model hold what the spec's `access` lists.
 * For each level a block lists, principals holding it directly but not listed lose it; a principal
 * given another endpoint level than the one it holds loses that one (one direct level per principal).
 */
export function planAccess(spec: LifecycleSpec, observed: ObservedAccess | undefined): PlannedStep {
  const add: AccessGrant[] = [];
  const revoke: AccessGrant[] = [];
  const keep = new Set(observed?.keep ?? []);
  const blocks = [
    { object: "endpoint", name: spec.endpoint.name, wanted: spec.access?.endpoint, have: observed?.endpoint },
    { object: "model", name: spec.model.name, wanted: spec.access?.model, have: observed?.model },
  ] as const;
  for (const { object, name, wanted, have } of blocks) {
    if (!wanted) continue;
    const held = new Set((have ?? []).map((g) => `${g.principal}\n${g.level}`));
    const listed = new Set<string>();
    for (const [level, principals] of Object.entries(wanted)) {
      for (const principal of principals ?? []) {
        listed.add(`${principal}\n${level}`);
        if (!keep.has(principal) && !held.has(`${principal}\n${level}`))
          add.push({ object, name, principal, level });
      }
    }
    // An endpoint principal holds one direct level: the one granted replaces any other it holds.
    const granted = new Set(
      object === "endpoint" ? add.filter((g) => g.object === object).map((g) => g.principal) : [],
    );
    for (const g of have ?? []) {
      if (
        (g.level in wanted || granted.has(g.principal)) &&
        !listed.has(`${g.principal}\n${g.level}`) &&
        !keep.has(g.principal)
      )
        revoke.push({ object, name, principal: g.principal, level: g.level });
    }
  }
  const changes = [
    ...add.map((g) => `grant ${g.level} on ${g.object} ${g.name} to ${g.principal}`),
    ...revoke.map((g) => `revoke ${g.level} on ${g.object} ${g.name} from ${g.principal}`),
  ];
  const resource = blocks
    .filter((b) => b.wanted)
    .map((b) => b.name)
    .join(", ");
  return {
    step: "access",
    action: changes.length ? "update" : "none",
    resource,
    reason: changes.length ? `${add.length} to grant, ${revoke.length} to revoke` : "grants match the spec",
    ...(changes.length ? { changes } : {}),
    access: { add, revoke },
  };
}

export function toPlan(steps: PlannedStep[]): Plan {
  return { steps, changes: steps.filter((s) => s.action !== "none").length };
}

function normalise(source: string): string {
  return source.replace(/\r\n/g, "\n").trim();
}

/** Notebook sources compared as code: the workspace adds its header line when exporting SOURCE. */
export function sameSource(a: string, b: string): boolean {
  const strip = (s: string) => normalise(s.replace(/^# Databricks notebook source\r?\n/gm, ""));
  return strip(a) === strip(b);
}

export { normalise as normaliseSource };
