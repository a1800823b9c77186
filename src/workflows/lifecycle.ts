import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Databricks } from "../client.js";
import { isNotFound, ValidationError } from "../core/errors.js";
import type { DriftReport } from "../data/drift.js";
import type { ModelVersion } from "./model-version.js";
import { Notebook, type NotebookSource } from "./notebook.js";
import { type LifecycleStep, type OnStep, step } from "./progress.js";
import { RegisteredModel } from "./registered-model.js";
import { type RetrainOptions, type RetrainResult, retrainIf } from "./retrain.js";
import { ServingEndpoint } from "./serving-endpoint.js";
import { TrainingRun } from "./training-run.js";

/** The whole life cycle, declared once: `plan()` shows what would change, `apply()` makes it so. */
export interface LifecycleSpec {
  notebook: {
    /** Workspace path, e.g. `/Shared/churn/train`. */
    path: string;
    /** Local notebook file or inline source to upload; omit to run what is in the workspace. */
    source?: string | NotebookSource;
  };
  /** New cluster spec for the training run, or `{ clusterId }` of an existing cluster. */
  cluster: Record<string, unknown>;
  /** Notebook widgets. A change of parameters means a new training run. */
  parameters?: Record<string, string>;
  /** MLflow experiment the notebook logs to (helps find its run faster). */
  experiment?: string;
  model: {
    /** Unity Catalog name `catalog.schema.model`. */
    name: string;
    /** Alias pointed at the trained version (default `champion`). */
    alias?: string;
    artifactPath?: string;
  };
  endpoint: {
    name: string;
    workloadSize?: string;
    scaleToZero?: boolean;
    inferenceTable?: { catalog_name: string; schema_name: string; table_name_prefix?: string };
  };
  traffic?: {
    /** When the endpoint already serves another version, canary the new one with this share instead of replacing it. */
    canaryPercent?: number;
  };
}

export type PlanAction = "create" | "update" | "run" | "none";

export interface PlannedStep {
  step: LifecycleStep;
  action: PlanAction;
  resource: string;
  reason: string;
}

export interface Plan {
  steps: PlannedStep[];
  /** Steps whose action is not `none`. */
  changes: number;
}

export interface ApplyResult {
  plan: Plan;
  run: TrainingRun;
  version: ModelVersion;
  endpoint: ServingEndpoint;
}

/** What the workspace holds for this spec, read once per plan or apply. */
interface Observed {
  source: string | undefined;
  /** The notebook's source in the workspace. */
  current: string | undefined;
  fingerprint: string;
  run: TrainingRun | undefined;
  version: ModelVersion | undefined;
  /** The version the alias points at. */
  aliased: number | undefined;
  /** Versions of this model the endpoint serves; undefined when it does not exist. */
  serving: number[] | undefined;
}

/** Recent one-time runs searched for one this spec already started. */
const RUNS_SEARCHED = 100;

/**
 * Drives notebook → run → model version → alias → endpoint from one spec. Every step checks the
 * workspace first, so `apply()` twice changes nothing the second time, and an interrupted `apply()`
 * re-run continues where it stopped: the training run is found by the spec's fingerprint (and
 * submitted with it as idempotency token), the version by the MLflow run it came from, and the
 * endpoint is only updated when it serves something else.
 */
export class Lifecycle {
  constructor(
    private readonly db: Databricks,
    readonly spec: LifecycleSpec,
  ) {
    validateSpec(spec);
  }

  /** What `apply()` would do, read from the workspace's current state. Changes nothing. */
  async plan(): Promise<Plan> {
    return this.planFor(await this.observe());
  }

  /** Reads, once, everything the plan and the steps depend on. */
  private async observe(): Promise<Observed> {
    const source = await this.localSource();
    const current = await new Notebook(this.db, this.spec.notebook.path).source();
    const fingerprint = await this.fingerprint(source ?? current ?? "");
    const run = await this.findRun(fingerprint);
    return {
      source,
      current,
      fingerprint,
      run,
      version: run ? await this.findVersion(run) : undefined,
      aliased: await this.aliasVersion(this.alias),
      serving: await this.servedVersions(),
    };
  }

  private planFor(o: Observed): Plan {
    const s = this.spec;
    const { source, current, run, version, aliased, serving } = o;
    const steps: PlannedStep[] = [
      {
        step: "upload",
        action:
          source === undefined
            ? "none"
            : current === undefined
              ? "create"
              : sameSource(current, source)
                ? "none"
                : "update",
        resource: s.notebook.path,
        reason:
          source === undefined
            ? "no local source given"
            : current === undefined
              ? "not in the workspace"
              : "compared with the workspace copy",
      },
      {
        step: "train",
        action: run ? "none" : "run",
        resource: run ? `run ${run.runId}` : s.notebook.path,
        reason: run
          ? "a run of this notebook and these parameters succeeded already"
          : "no run of this notebook and parameters yet",
      },
      {
        step: "register",
        action: version ? "none" : "create",
        resource: version ? `${s.model.name}/${version.version}` : s.model.name,
        reason: version ? "the run's model is registered" : "the trained model is not registered yet",
      },
      {
        step: "alias",
        action: version && aliased === version.version ? "none" : aliased === undefined ? "create" : "update",
        resource: `${s.model.name}@${this.alias}`,
        reason: aliased === undefined ? "alias not set" : `points at version ${aliased}`,
      },
      {
        step: this.canaryWanted(serving, version) ? "canary" : "deploy",
        action: serving === undefined ? "create" : servesOnly(serving, version) ? "none" : "update",
        resource: s.endpoint.name,
        reason:
          serving === undefined
            ? "endpoint does not exist"
            : `serves version(s) ${serving.join(", ") || "none"}`,
      },
    ];
    return { steps, changes: steps.filter((x) => x.action !== "none").length };
  }

  /** Makes the workspace match the spec, step by step, reporting progress. */
  async apply(options: { onProgress?: OnStep } = {}): Promise<ApplyResult> {
    const s = this.spec;
    const onStep = options.onProgress;
    const observed = await this.observe();
    const plan = this.planFor(observed);
    const { source, fingerprint, serving } = observed;
    const notebook = new Notebook(this.db, s.notebook.path);
    if (source !== undefined && plan.steps[0]!.action !== "none") {
      await step(onStep, "upload", s.notebook.path, () => notebook.upload({ content: source }));
    } else onStep?.({ step: "upload", status: "skipped", resource: s.notebook.path, elapsedMs: 0 });

    let run = observed.run;
    if (run) {
      onStep?.({
        step: "train",
        status: "skipped",
        resource: `run ${run.runId}`,
        url: run.url,
        elapsedMs: 0,
      });
    } else {
      run = await step(onStep, "train", s.notebook.path, async (progress) => {
        const started = await notebook.run({
          ...("clusterId" in s.cluster ? { clusterId: String(s.cluster.clusterId) } : { cluster: s.cluster }),
          parameters: s.parameters ?? {},
          runName: runName(fingerprint),
          idempotencyToken: `brickml-${fingerprint}`,
          ...(s.experiment ? { experiment: s.experiment } : {}),
        });
        return started.wait({ onProgress: progress });
      });
    }

    // A run found by `observe` was searched for its version already; a new one may have been
    // registered by an earlier, interrupted apply that submitted the same run.
    let version = observed.run ? observed.version : await this.findVersion(run);
    if (version) {
      onStep?.({
        step: "register",
        status: "skipped",
        resource: `${s.model.name}/${version.version}`,
        elapsedMs: 0,
      });
    } else {
      const trained = run;
      version = await step(onStep, "register", s.model.name, () =>
        trained.registerModel(s.model.name, { artifactPath: s.model.artifactPath ?? "model" }),
      );
    }

    const alias = this.alias;
    const canary = this.canaryWanted(serving, version);
    // A canary keeps the alias on the serving version until the new one is promoted.
    if (canary) {
      const message = "kept on the serving version until the canary is promoted";
      onStep?.({
        step: "alias",
        status: "skipped",
        resource: `${s.model.name}@${alias}`,
        message,
        elapsedMs: 0,
      });
    } else if (observed.aliased !== version.version) {
      const v = version;
      await step(onStep, "alias", `${s.model.name}@${alias}`, () => v.setAlias(alias));
    } else onStep?.({ step: "alias", status: "skipped", resource: `${s.model.name}@${alias}`, elapsedMs: 0 });

    const endpoint = new ServingEndpoint(this.db, s.endpoint.name);
    const v = version;
    if (serving !== undefined && servesOnly(serving, version)) {
      onStep?.({
        step: "deploy",
        status: "skipped",
        resource: s.endpoint.name,
        url: endpoint.url,
        elapsedMs: 0,
      });
    } else if (canary) {
      await step(onStep, "canary", s.endpoint.name, (progress) =>
        endpoint.canary(v, s.traffic!.canaryPercent!, { waitOptions: { onProgress: progress } }),
      );
    } else {
      await step(onStep, "deploy", s.endpoint.name, (progress) =>
        v.deploy(s.endpoint.name, {
          ...(s.endpoint.workloadSize ? { workloadSize: s.endpoint.workloadSize } : {}),
          ...(s.endpoint.scaleToZero !== undefined ? { scaleToZero: s.endpoint.scaleToZero } : {}),
          ...(s.endpoint.inferenceTable ? { inferenceTable: s.endpoint.inferenceTable } : {}),
          waitOptions: { onProgress: progress },
        }),
      );
    }
    return { plan, run, version, endpoint };
  }

  /**
   * Watches the endpoint and retrains when needed: compares `baseline` (the training data) with the
   * endpoint's recent inference data; when `decide(report)` is true, runs training again (this spec
   * with `parameters` and a retrain timestamp, so it is a new run), registers the new version,
   * canaries it with `canaryPercent` % of the traffic, then promotes it — moving the alias — when it
   * beats the champion on `metric` (or when no metric is given), and rolls the endpoint back
   * otherwise.
   */
  async retrainIf(
    decide: (report: DriftReport) => boolean | Promise<boolean>,
    options: RetrainOptions,
  ): Promise<RetrainResult> {
    return retrainIf(
      this.db,
      this.spec,
      (spec, onProgress) => new Lifecycle(this.db, spec).apply(onProgress ? { onProgress } : {}),
      decide,
      options,
    );
  }

  private get alias(): string {
    return this.spec.model.alias ?? "champion";
  }

  private canaryWanted(serving: number[] | undefined, version: ModelVersion | undefined): boolean {
    const percent = this.spec.traffic?.canaryPercent;
    return (
      percent !== undefined &&
      serving !== undefined &&
      serving.length > 0 &&
      !serving.includes(version?.version ?? -1)
    );
  }

  private async localSource(): Promise<string | undefined> {
    const src = this.spec.notebook.source;
    if (src === undefined) return undefined;
    return typeof src === "string" ? readFile(src, "utf8") : src.content;
  }

  /** Identifies a training: the notebook's source, its parameters and its compute. */
  private async fingerprint(source: string): Promise<string> {
    const s = this.spec;
    return createHash("sha256")
      .update(
        JSON.stringify([s.notebook.path, normalise(source), sorted(s.parameters ?? {}), sorted(s.cluster)]),
      )
      .digest("hex")
      .slice(0, 32);
  }

  /** A successful run this spec started before, found by its name among recent one-time runs. */
  private async findRun(fingerprint: string): Promise<TrainingRun | undefined> {
    const name = runName(fingerprint);
    let seen = 0;
    for await (const run of this.db.jobs.listRuns({ run_type: "SUBMIT_RUN", completed_only: true })) {
      if (
        run.run_name === name &&
        (run.state?.result_state === "SUCCESS" || run.status?.termination_details?.code === "SUCCESS")
      ) {
        const handle = TrainingRun.attach(this.db, Number(run.run_id), {
          notebookPath: this.spec.notebook.path,
          experiment: this.spec.experiment,
        });
        await handle.refresh();
        return handle;
      }
      if (++seen >= RUNS_SEARCHED) break;
    }
    return undefined;
  }

  /** The version registered from `run`'s MLflow run, if any. */
  private async findVersion(run: TrainingRun): Promise<ModelVersion | undefined> {
    let mlflowRunId: string;
    try {
      mlflowRunId = String((await run.mlflowRun()).info?.run_id);
    } catch {
      return undefined;
    }
    try {
      for await (const v of new RegisteredModel(this.db, this.spec.model.name).versions()) {
        if (v.runId === mlflowRunId) return v;
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return undefined;
  }

  private async aliasVersion(alias: string): Promise<number | undefined> {
    try {
      return (await new RegisteredModel(this.db, this.spec.model.name).alias(alias)).version;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Versions of this model the endpoint serves now; undefined when the endpoint does not exist. */
  private async servedVersions(): Promise<number[] | undefined> {
    try {
      const e = await this.db.servingEndpoints.get({ name: this.spec.endpoint.name });
      return (e.config?.served_entities ?? [])
        .filter((x) => x.entity_name === this.spec.model.name)
        .map((x) => Number(x.entity_version));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}

/** True when the endpoint serves exactly this version of the model and nothing else. */
function servesOnly(serving: number[], version: ModelVersion | undefined): boolean {
  return version !== undefined && serving.length === 1 && serving[0] === version.version;
}

function runName(fingerprint: string): string {
  return `brickml lifecycle ${fingerprint}`;
}

function normalise(source: string): string {
  return source.replace(/\r\n/g, "\n").trim();
}

function sameSource(a: string, b: string): boolean {
  // The workspace adds its header line when exporting SOURCE; compare the code itself.
  const strip = (s: string) => normalise(s.replace(/^# Databricks notebook source\r?\n/gm, ""));
  return strip(a) === strip(b);
}

function sorted(obj: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(obj).sort(([a], [b]) => a.localeCompare(b));
}

function validateSpec(spec: LifecycleSpec): void {
  const issues: Array<{ path: string; message: string }> = [];
  if (!spec?.notebook?.path?.startsWith("/"))
    issues.push({ path: "notebook.path", message: "must be an absolute workspace path" });
  if (!spec?.cluster || typeof spec.cluster !== "object")
    issues.push({ path: "cluster", message: "must be a new cluster spec or { clusterId }" });
  if (!/^[^.\s/]+\.[^.\s/]+\.[^.\s/]+$/.test(spec?.model?.name ?? ""))
    issues.push({ path: "model.name", message: "must be catalog.schema.model" });
  if (!/^[A-Za-z0-9_-]+$/.test(spec?.endpoint?.name ?? ""))
    issues.push({ path: "endpoint.name", message: "letters, digits, - and _ only" });
  const p = spec?.traffic?.canaryPercent;
  if (p !== undefined && !(Number.isInteger(p) && p > 0 && p < 100))
    issues.push({ path: "traffic.canaryPercent", message: "must be a whole number between 1 and 99" });
  if (issues.length) throw new ValidationError("lifecycle spec", issues);
}
