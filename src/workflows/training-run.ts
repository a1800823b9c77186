import type { Databricks } from "../client.js";
import { fixCall } from "../core/call.js";
import { BrickmlError, isNotFound } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { traceStep } from "../core/telemetry.js";
import type { WaitOptions } from "../core/wait.js";
import { ModelVersion } from "./model-version.js";
import { RegisteredModel } from "./registered-model.js";

type JobRun = Awaited<ReturnType<Databricks["jobs"]["getRun"]>>;
type RunOutput = Awaited<ReturnType<Databricks["jobs"]["getRunOutput"]>>;
type MlflowRun = Awaited<ReturnType<Databricks["runs"]["get"]>>["run"];

export interface RegisterModelOptions {
  /** Where the run logged the model (default `model`). */
  artifactPath?: string;
  /** Point this alias at the new version, e.g. `champion` or `challenger`. */
  alias?: string;
  description?: string;
  /** Same id → same version: a retried or re-run registration finds (and finishes) its version. */
  registrationId?: string;
  wait?: WaitOptions;
  requestOptions?: RequestOptions;
}

/** Where a run came from, to find what it logged to MLflow. */
export interface RunOrigin {
  notebookPath?: string | undefined;
  experiment?: string | undefined;
}

/** Experiments searched for a run's MLflow run when its experiment is not known. */
const MAX_EXPERIMENTS_SEARCHED = 200;

/** A job run that trains a model: wait for it, read its output, find its MLflow run, register its model. */
export class TrainingRun {
  private last: JobRun | undefined;

  constructor(
    private readonly db: Databricks,
    readonly runId: number,
    private readonly origin: RunOrigin = {},
  ) {}

  /** Re-binds to an existing job run, e.g. one started by another process. */
  static attach(db: Databricks, runId: number, origin: RunOrigin = {}): TrainingRun {
    return new TrainingRun(db, runId, origin);
  }

  /** The run's page in the workspace UI (known after the first refresh or wait). */
  get url(): string | undefined {
    return this.last?.run_page_url ?? undefined;
  }

  /** The run as the server reports it now. */
  async refresh(options?: RequestOptions): Promise<JobRun> {
    this.last = await this.db.jobs.getRun({ run_id: this.runId }, options);
    return this.last;
  }

  /** Waits until the run ends; rejects with OperationFailedError (with each failed task's error) unless it succeeded. */
  async wait(options: WaitOptions<JobRun> = {}): Promise<this> {
    this.last = await traceStep("train", { "brickml.run.id": this.runId }, () =>
      this.db.jobs.waitUntilRunTerminated({ run_id: this.runId }, options),
    );
    return this;
  }

  /** The output of the run's notebook task (exit value, or error and trace). */
  async output(options?: RequestOptions): Promise<RunOutput> {
    const call = fixCall(options, this.db.ctx.clock);
    return this.db.jobs.getRunOutput({ run_id: await this.taskRunId(call) }, call);
  }

  async cancel(options?: RequestOptions): Promise<void> {
    await this.db.jobs.cancelRun({ run_id: this.runId }, options);
  }

  /** The MLflow run the notebook logged, found by the job-run tags Databricks puts on it. */
  async mlflowRun(options?: RequestOptions): Promise<MlflowRun> {
    const call = fixCall(options, this.db.ctx.clock);
    const run = this.last ?? (await this.refresh(call));
    const ids = new Set([String(this.runId), ...(run.tasks ?? []).map((t) => String(t.run_id))]);
    const filter = [...ids].map((id) => `tags.mlflow.databricks.jobRunID = '${id}'`);
    const experimentIds = await this.experimentIds(call);
    for (let i = 0; i < experimentIds.length; i += 100) {
      const batch = experimentIds.slice(i, i + 100);
      for (const f of filter) {
        const page = await this.db.runs
          .search({ experiment_ids: batch, filter: f, max_results: 1 }, call)
          .firstPage();
        const found = page.items[0];
        if (found) return found;
      }
    }
    throw new BrickmlError(
      `No MLflow run was logged by job run ${this.runId}${this.origin.notebookPath ? ` (${this.origin.notebookPath})` : ""}. ` +
        "Check that the notebook logs with mlflow.start_run() and that the run succeeded. " +
        "On the brickml emulator, a notebook runs for real only in local mode (startEmulator({ python }), " +
        "`brickml emulator --python PATH` or BRICKML_EMULATOR_PYTHON: a Python with pandas); otherwise the emulator " +
        "does not execute it and logs only what scriptNotebook() or a `# brickml-emulator:` line declares " +
        "(docs/emulator.md, Local mode).",
    );
  }

  /** Registers the model this run logged as a new Unity Catalog version and waits until it is READY. */
  registerModel(fullName: string, options: RegisterModelOptions = {}): Promise<ModelVersion> {
    return traceStep("register", { "brickml.run.id": this.runId }, () => this.register(fullName, options));
  }

  private async register(fullName: string, options: RegisterModelOptions): Promise<ModelVersion> {
    const call = fixCall(options.requestOptions, this.db.ctx.clock, options.wait);
    const mlflowRun = await this.mlflowRun(call);
    const runId = String(mlflowRun.info?.run_id);
    await new RegisteredModel(this.db, fullName).getOrCreate(call);
    const info = await this.db.modelVersions.createAndWait(
      {
        name: fullName,
        source: `runs:/${runId}/${options.artifactPath ?? "model"}`,
        run_id: runId,
        ...(options.description ? { description: options.description } : {}),
        ...(options.registrationId ? { registration_id: options.registrationId } : {}),
      },
      options.wait,
      call,
    );
    const version = new ModelVersion(this.db, fullName, Number(info.version), info);
    if (options.alias) await version.setAlias(options.alias, call);
    return version;
  }

  private async taskRunId(options?: RequestOptions): Promise<number> {
    const run = this.last ?? (await this.refresh(options));
    const tasks = run.tasks ?? [];
    if (tasks.length > 1) {
      throw new BrickmlError(
        `Job run ${this.runId} has ${tasks.length} tasks; read each task's output with db.jobs.getRunOutput`,
      );
    }
    return Number(tasks[0]?.run_id ?? this.runId);
  }

  private async experimentIds(options?: RequestOptions): Promise<string[]> {
    for (const name of [this.origin.experiment, this.origin.notebookPath]) {
      if (!name) continue;
      try {
        const res = await this.db.experiments.getByName({ experiment_name: name }, options);
        if (res.experiment?.experiment_id) return [String(res.experiment.experiment_id)];
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    const all = await this.db.experiments.search({}, options).toArray({ limit: MAX_EXPERIMENTS_SEARCHED });
    return all.map((e) => String(e.experiment_id));
  }
}
