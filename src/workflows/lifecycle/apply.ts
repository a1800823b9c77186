import { entitiesOf } from "../../api/serving-deploy.js";
import type { ServingEndpointDetailed } from "../../api/serving-endpoints-schemas.js";
import type { Databricks } from "../../client.js";
import { ConflictError, isAlreadyExists, isConflict } from "../../core/errors.js";
import { ModelVersion } from "../model-version.js";
import { Notebook } from "../notebook.js";
import { type OnStep, step } from "../progress.js";
import { ServingEndpoint } from "../serving-endpoint.js";
import type { TrainingRun } from "../training-run.js";
import type { Budget } from "./budget.js";
import {
  aclPrincipal,
  aliasedVersion,
  observeVersion,
  readAccess,
  readEndpoint,
  registrationIdOf,
  runNameOf,
  runTokenOf,
} from "./observe.js";
import {
  type AccessGrant,
  aliasOf,
  type Observed,
  type PlannedStep,
  planAccess,
  planSteps,
  servedConfig,
  wantedEndpoint,
} from "./plan.js";
import { type LifecycleSpec, principalKind } from "./spec.js";

/** Config updates tried when another update keeps getting in the way. */
const DEPLOY_ATTEMPTS = 3;

export interface Applied {
  steps: PlannedStep[];
  run: TrainingRun;
  version: ModelVersion;
  endpoint: ServingEndpoint;
}

/**
 * Runs the planned steps in order, each doing what its action says. A step that acted changes
 * what the later ones compare with; those are planned again from a fresh read of what they
 * depend on (a new run's version; after a new version, the alias and the endpoint).
 */
export async function applySteps(
  db: Databricks,
  spec: LifecycleSpec,
  observed: Observed,
  budget: Budget,
  onStep: OnStep | undefined,
): Promise<Applied> {
  const o = { ...observed };
  const done: PlannedStep[] = [];
  const next = (i: number) => planSteps(spec, o)[i]!;
  const skip = (s: PlannedStep, url?: string) =>
    onStep?.({ step: s.step, status: "skipped", resource: s.resource, message: s.reason, url, elapsedMs: 0 });
  const notebook = new Notebook(db, spec.notebook.path);

  const upload = next(0);
  done.push(upload);
  if (upload.action === "none") skip(upload);
  else
    await step(onStep, "upload", upload.resource, () =>
      notebook.upload({ content: o.source! }, budget.request()),
    );

  const train = next(1);
  done.push(train);
  let run = o.run;
  if (run) skip(train, run.url);
  else {
    run = await step(onStep, "train", train.resource, async (progress) => {
      const started = await notebook.run({
        ...("clusterId" in spec.cluster
          ? { clusterId: spec.cluster.clusterId }
          : { cluster: spec.cluster as Record<string, unknown> }),
        parameters: spec.parameters ?? {},
        runName: runNameOf(o.fingerprint),
        idempotencyToken: runTokenOf(o.fingerprint, o.failedRuns),
        ...(spec.experiment ? { experiment: spec.experiment } : {}),
        requestOptions: budget.request(),
      });
      return started.wait(budget.wait({ onProgress: progress }));
    });
    o.run = run;
    // An earlier, interrupted apply may have registered this run's model already.
    o.version = await observeVersion(db, spec, run, budget);
  }

  const register = next(2);
  done.push(register);
  let version: ModelVersion;
  if (register.action === "none") {
    version = new ModelVersion(db, spec.model.name, o.version!.number);
    skip(register);
  } else {
    const trained = run;
    version = await step(onStep, "register", register.resource, async (progress) => {
      const mlflowRunId = String((await trained.mlflowRun(budget.request())).info?.run_id);
      return trained.registerModel(spec.model.name, {
        artifactPath: spec.model.artifactPath ?? "model",
        registrationId: registrationIdOf(spec, mlflowRunId),
        wait: budget.wait({ onProgress: progress }),
        requestOptions: budget.request(),
      });
    });
  }
  if (register.action !== "none" || train.action !== "none") {
    o.version = { number: version.version, status: "READY" };
    [o.aliased, o.endpoint] = await Promise.all([
      aliasedVersion(db, spec, budget),
      readEndpoint(db, spec, budget),
    ]);
  }

  const alias = next(3);
  done.push(alias);
  if (alias.action === "none") skip(alias);
  else await step(onStep, "alias", alias.resource, () => version.setAlias(aliasOf(spec), budget.request()));

  const deploy = next(4);
  done.push(deploy);
  const endpoint = new ServingEndpoint(db, spec.endpoint.name);
  const settled = o.endpoint?.state?.config_update !== "IN_PROGRESS" && o.endpoint?.state?.ready === "READY";
  if (deploy.action === "none" && settled) skip(deploy, endpoint.url);
  else {
    await step(onStep, deploy.step, deploy.resource, (progress) =>
      deployVersion(db, spec, version.version, deploy, budget, (e) => progress(e)),
    );
  }
  if (spec.access) {
    // Deploying may have created the endpoint (and registering the model): plan access from a fresh read.
    const access = planAccess(spec, await readAccess(db, spec, await readEndpoint(db, spec, budget), budget));
    done.push(access);
    if (access.action === "none") skip(access);
    else await step(onStep, "access", access.resource, () => applyAccess(db, spec, access.access!, budget));
  }
  return { steps: done, run, version, endpoint };
}

/**
 * Writes the planned grants. The endpoint's direct list is replaced as a whole (PUT, the only way
 * to revoke), keeping every entry the plan does not change; the model's grants are patched.
 */
async function applyAccess(
  db: Databricks,
  spec: LifecycleSpec,
  planned: { add: AccessGrant[]; revoke: AccessGrant[] },
  budget: Budget,
): Promise<void> {
  const on = (object: AccessGrant["object"], list: AccessGrant[]) => list.filter((g) => g.object === object);
  const endpointAdd = on("endpoint", planned.add);
  const endpointRevoke = on("endpoint", planned.revoke);
  if (endpointAdd.length || endpointRevoke.length) {
    const id = (await db.servingEndpoints.get({ name: spec.endpoint.name }, budget.request())).id!;
    const target = { request_object_type: "serving-endpoints", request_object_id: id } as const;
    const current = await db.permissions.get(target, budget.request());
    const changed = new Set([...endpointAdd, ...endpointRevoke].map((g) => g.principal));
    const kept = (current.access_control_list ?? []).flatMap((entry) => {
      const principal = aclPrincipal(entry);
      if (changed.has(principal)) return [];
      return (entry.all_permissions ?? [])
        .filter((p) => !p.inherited && p.permission_level)
        .map((p) => aclEntry(principal, String(p.permission_level)));
    });
    await db.permissions.set(
      {
        ...target,
        access_control_list: [...kept, ...endpointAdd.map((g) => aclEntry(g.principal, g.level))],
      },
      budget.request(),
    );
  }
  const byPrincipal = new Map<string, { principal: string; add: string[]; remove: string[] }>();
  const change = (g: AccessGrant) => {
    const principal = g.principal.replace(/^group:/, "");
    if (!byPrincipal.has(principal)) byPrincipal.set(principal, { principal, add: [], remove: [] });
    return byPrincipal.get(principal)!;
  };
  for (const g of on("model", planned.add)) change(g).add.push(g.level);
  for (const g of on("model", planned.revoke)) change(g).remove.push(g.level);
  if (byPrincipal.size)
    await db.grants.update(
      { securable_type: "function", full_name: spec.model.name, changes: [...byPrincipal.values()] },
      budget.request(),
    );
}

/** A Permissions API entry for a principal written as the spec writes it. */
function aclEntry(principal: string, level: string) {
  const kind = principalKind(principal);
  if (kind === "group") return { group_name: principal.slice("group:".length), permission_level: level };
  if (kind === "servicePrincipal") return { service_principal_name: principal, permission_level: level };
  return { user_name: principal, permission_level: level };
}

/**
 * Makes the endpoint serve the version with the spec's settings, then checks that it does: an
 * update by someone else that replaced it, or keeps getting in the way, is a ConflictError.
 */
async function deployVersion(
  db: Databricks,
  spec: LifecycleSpec,
  version: number,
  planned: PlannedStep,
  budget: Budget,
  onProgress: NonNullable<Parameters<Budget["wait"]>[0]>["onProgress"],
): Promise<ServingEndpointDetailed> {
  const name = spec.endpoint.name;
  const waitOptions = () => budget.wait<ServingEndpointDetailed>(onProgress ? { onProgress } : {});
  let endpoint: ServingEndpointDetailed | undefined;
  if (planned.action === "none") {
    endpoint = await db.servingEndpoints.waitUntilEndpointReady({ name }, waitOptions());
  } else {
    for (let attempt = 1; !endpoint; attempt++) {
      const wanted = wantedEndpoint(spec, version, await readEndpoint(db, spec, budget));
      try {
        const res = await db.servingEndpoints.createOrUpdate(name, wanted.config, {
          ...(wanted.tags.length ? { tags: wanted.tags } : {}),
          ...(wanted.ai_gateway ? { ai_gateway: wanted.ai_gateway } : {}),
          waitOptions: waitOptions(),
          requestOptions: budget.request(),
        });
        endpoint = res.endpoint;
      } catch (e) {
        // Another update started between our read and our write: look again.
        if (!isConflict(e) || isAlreadyExists(e) || attempt >= DEPLOY_ATTEMPTS) {
          if (isConflict(e) && !isAlreadyExists(e)) throw conflict(name, version, undefined, e);
          throw e;
        }
      }
    }
  }
  const now = await db.servingEndpoints.get({ name }, budget.request());
  const entity = `${spec.model.name}/${version}`;
  const serves = (config: unknown) =>
    entitiesOf(config as never).some(
      (x) => `${String(x.entity_name)}/${String(x.entity_version)}`.toLowerCase() === entity.toLowerCase(),
    );
  if (!serves(servedConfig(now)) || !serves(now.config)) throw conflict(name, version, now);
  return now;
}

function conflict(
  name: string,
  version: number,
  endpoint: ServingEndpointDetailed | undefined,
  cause?: unknown,
): ConflictError {
  const describe = (config: unknown) =>
    entitiesOf(config as never)
      .map((x) => `${String(x.entity_name)}/${String(x.entity_version)}`)
      .join(", ") || "nothing";
  const other = endpoint
    ? endpoint.state?.config_update === "IN_PROGRESS"
      ? `another config update is in progress (config version ${endpoint.pending_config?.config_version ?? "?"}, serving ${describe(endpoint.pending_config)})`
      : `another change made it serve ${describe(endpoint.config)} (config version ${endpoint.config?.config_version ?? "?"})`
    : `another config update kept getting in the way: ${(cause as Error)?.message ?? cause}`;
  return new ConflictError({
    message: `Serving endpoint ${name} does not serve version ${version}: ${other}`,
    errorCode: "RESOURCE_CONFLICT",
    statusCode: 409,
    cause,
  });
}
