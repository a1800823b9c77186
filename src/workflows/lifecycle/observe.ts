import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { runStatus } from "../../api/run-status.js";
import type { ServingEndpointDetailed } from "../../api/serving-endpoints-schemas.js";
import type { Databricks } from "../../client.js";
import { BrickmlError, type FieldIssue, isNotFound, ValidationError } from "../../core/errors.js";
import { Notebook } from "../notebook.js";
import { StepFailedError } from "../progress.js";
import { RegisteredModel } from "../registered-model.js";
import { TrainingRun } from "../training-run.js";
import type { Budget } from "./budget.js";
import { aliasOf, normaliseSource, type Observed, type ObservedAccess } from "./plan.js";
import { type LifecycleSpec, principalKind } from "./spec.js";

/** Recent one-time runs searched for the runs this spec started. */
const RUNS_SEARCHED = 100;

/** Reads everything a plan decides from, once. */
export async function observe(db: Databricks, spec: LifecycleSpec, budget: Budget): Promise<Observed> {
  const source = await localSource(spec);
  await checkSecretReferences(db, spec, budget);
  const current = await new Notebook(db, spec.notebook.path).source(budget.request());
  const fingerprint = fingerprintOf(spec, source ?? current ?? "");
  const { run, failedRuns } = await findRuns(db, spec, fingerprint, budget);
  const [version, aliased, endpoint] = await Promise.all([
    run ? observeVersion(db, spec, run, budget) : undefined,
    aliasedVersion(db, spec, budget),
    readEndpoint(db, spec, budget),
  ]);
  const access = await readAccess(db, spec, endpoint, budget);
  return { source, current, fingerprint, run, failedRuns, version, aliased, endpoint, access };
}

const SECRET_REFERENCE = /^\{\{secrets\/([^/]+)\/([^/]+)\}\}$/;

/**
 * Each `{{secrets/scope/key}}` of the endpoint's environment names a secret that exists: else an
 * error of the deploy step naming the variable, before anything is changed.
 */
async function checkSecretReferences(db: Databricks, spec: LifecycleSpec, budget: Budget): Promise<void> {
  const keys = new Map<string, Promise<Set<string> | undefined>>();
  const keysOf = (scope: string) => {
    if (!keys.has(scope))
      keys.set(
        scope,
        db.secrets.listSecrets({ scope }, budget.request()).then(
          (list) => new Set(list.map((s) => String(s.key))),
          (e) => {
            if (isNotFound(e)) return undefined;
            throw e;
          },
        ),
      );
    return keys.get(scope)!;
  };
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(spec.endpoint.environmentVars ?? {})) {
    const ref = SECRET_REFERENCE.exec(value.trim());
    if (!ref) continue;
    const [, scope, key] = ref as unknown as [string, string, string];
    const found = await keysOf(scope);
    if (!found?.has(key))
      issues.push({
        path: `endpoint.environmentVars.${name}`,
        message: found
          ? `secret scope ${scope} has no key ${key}; create it with db.secrets.putSecret`
          : `secret scope ${scope} does not exist; create it with db.secrets.createScope`,
      });
  }
  if (issues.length)
    throw new StepFailedError("deploy", spec.endpoint.name, new ValidationError("lifecycle spec", issues));
}

/** What the endpoint and the model grant now, for the spec's `access` block (undefined without one). */
export async function readAccess(
  db: Databricks,
  spec: LifecycleSpec,
  endpoint: ServingEndpointDetailed | undefined,
  budget: Budget,
): Promise<ObservedAccess | undefined> {
  if (!spec.access) return undefined;
  const keep = ["group:admins"];
  let endpointAcl: ObservedAccess["endpoint"];
  if (spec.access.endpoint && endpoint?.id) {
    if (endpoint.creator) keep.push(endpoint.creator);
    const acl = await db.permissions.get(
      { request_object_type: "serving-endpoints", request_object_id: endpoint.id },
      budget.request(),
    );
    endpointAcl = (acl.access_control_list ?? []).flatMap((entry) => {
      const principal = aclPrincipal(entry);
      return (entry.all_permissions ?? [])
        .filter((p) => !p.inherited && p.permission_level)
        .map((p) => ({ principal, level: String(p.permission_level) }));
    });
  }
  let modelGrants: ObservedAccess["model"];
  if (spec.access.model) {
    try {
      const [model, grants] = await Promise.all([
        db.registeredModels.get({ full_name: spec.model.name }, budget.request()),
        db.grants.get({ securable_type: "function", full_name: spec.model.name }, budget.request()),
      ]);
      if (model.owner) keep.push(specPrincipal(model.owner));
      modelGrants = (grants.privilege_assignments ?? []).flatMap((a) =>
        (a.privileges ?? []).map((level) => ({ principal: specPrincipal(String(a.principal)), level })),
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  // An object still to be created will belong to the caller: plan as apply will see it.
  if ((spec.access.endpoint && !endpointAcl) || (spec.access.model && !modelGrants)) {
    const me = (await db.currentUser.me(budget.request())).userName;
    if (me) keep.push(me);
  }
  return { endpoint: endpointAcl, model: modelGrants, keep };
}

/** A Permissions API entry's principal as the spec writes it. */
export function aclPrincipal(entry: {
  user_name?: string | undefined;
  group_name?: string | undefined;
  service_principal_name?: string | undefined;
}): string {
  return entry.group_name
    ? `group:${entry.group_name}`
    : (entry.user_name ?? entry.service_principal_name ?? "");
}

/** A Unity Catalog principal as the spec writes it: names that are neither users nor application ids are groups. */
function specPrincipal(name: string): string {
  return principalKind(name) === undefined ? `group:${name}` : name;
}

/** The spec's notebook source; a file that cannot be read is an error of the upload step naming the field. */
async function localSource(spec: LifecycleSpec): Promise<string | undefined> {
  const src = spec.notebook.source;
  if (src === undefined) return undefined;
  if (typeof src !== "string") return src.content;
  try {
    return await readFile(src, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new StepFailedError(
      "upload",
      spec.notebook.path,
      new ValidationError("lifecycle spec", [
        { path: "notebook.source", message: `cannot read the local file ${src} (${reason})` },
      ]),
    );
  }
}

/** Identifies a training: the notebook's path and source, its parameters and its compute. */
export function fingerprintOf(spec: LifecycleSpec, source: string): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        spec.notebook.path,
        normaliseSource(source),
        sorted(spec.parameters ?? {}),
        sorted(spec.cluster as Record<string, unknown>),
      ]),
    )
    .digest("hex")
    .slice(0, 32);
}

export function runNameOf(fingerprint: string): string {
  return `brickml lifecycle ${fingerprint}`;
}

/** The submit token of the next training run: the same for everyone until one more run fails. */
export function runTokenOf(fingerprint: string, failedRuns: number): string {
  return failedRuns === 0 ? `brickml-${fingerprint}` : `brickml-${fingerprint}-${failedRuns}`;
}

/** The key a run's model is registered under: the MLflow run and the model, like the run's token. */
export function registrationIdOf(spec: LifecycleSpec, mlflowRunId: string): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([mlflowRunId, spec.model.name.toLowerCase()]))
    .digest("hex");
  return `brickml-lifecycle-${hash.slice(0, 32)}`;
}

/** A run of this training that succeeded, and how many ended otherwise, among recent one-time runs. */
async function findRuns(
  db: Databricks,
  spec: LifecycleSpec,
  fingerprint: string,
  budget: Budget,
): Promise<{ run: TrainingRun | undefined; failedRuns: number }> {
  const name = runNameOf(fingerprint);
  let seen = 0;
  let failedRuns = 0;
  for await (const r of db.jobs.listRuns(
    { run_type: "SUBMIT_RUN", completed_only: true },
    budget.request(),
  )) {
    if (r.run_name === name) {
      const status = runStatus(r);
      if (status.succeeded) {
        const run = TrainingRun.attach(db, Number(r.run_id), {
          notebookPath: spec.notebook.path,
          experiment: spec.experiment,
        });
        await run.refresh(budget.request());
        return { run, failedRuns };
      }
      if (status.terminal) failedRuns++;
    }
    if (++seen >= RUNS_SEARCHED) break;
  }
  return { run: undefined, failedRuns };
}

/**
 * The version registered from `run`'s model: the one keyed by its MLflow run (any state but
 * FAILED_REGISTRATION), else a READY one registered from the same MLflow run by other means.
 */
export async function observeVersion(
  db: Databricks,
  spec: LifecycleSpec,
  run: TrainingRun,
  budget: Budget,
): Promise<Observed["version"]> {
  let mlflowRunId: string;
  try {
    mlflowRunId = String((await run.mlflowRun(budget.request())).info?.run_id);
  } catch (e) {
    // No MLflow run found (a plain BrickmlError): registering will say so, as its step's error.
    if (e instanceof BrickmlError && e.code === "BRICKML") return undefined;
    throw e;
  }
  try {
    const keyed = await db.modelVersions.findRegistration(
      { name: spec.model.name, registration_id: registrationIdOf(spec, mlflowRunId), run_id: mlflowRunId },
      budget.request(),
    );
    if (keyed) return { number: keyed.version, status: keyed.status };
    for await (const v of new RegisteredModel(db, spec.model.name).versions(budget.request())) {
      if (v.runId === mlflowRunId && v.status === "READY") return { number: v.version, status: v.status };
    }
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return undefined;
}

export async function aliasedVersion(
  db: Databricks,
  spec: LifecycleSpec,
  budget: Budget,
): Promise<number | undefined> {
  try {
    return (await new RegisteredModel(db, spec.model.name).alias(aliasOf(spec), budget.request())).version;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function readEndpoint(
  db: Databricks,
  spec: LifecycleSpec,
  budget: Budget,
): Promise<ServingEndpointDetailed | undefined> {
  try {
    return await db.servingEndpoints.get({ name: spec.endpoint.name }, budget.request());
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function sorted(obj: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(obj).sort(([a], [b]) => a.localeCompare(b));
}
