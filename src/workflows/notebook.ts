import { existsSync } from "node:fs";
import { extname } from "node:path";
import type { Databricks } from "../client.js";
import { fixCall } from "../core/call.js";
import { isNotFound, ValidationError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { TrainingRun } from "./training-run.js";

/** A notebook's language, as the Workspace API names it. */
export type Language = "PYTHON" | "SQL" | "SCALA" | "R";

/** Notebook source given inline instead of a local file. */
export interface NotebookSource {
  content: string;
  language?: Language;
}

export interface NotebookRunOptions {
  /** A new cluster for this run (`new_cluster` of the Jobs API). */
  cluster?: Record<string, unknown>;
  /** An existing all-purpose cluster. */
  clusterId?: string;
  /** A job cluster spec, shared by the run's tasks. */
  jobCluster?: Record<string, unknown>;
  /** Notebook widgets (`base_parameters`). */
  parameters?: Record<string, string>;
  /** Libraries to install on the cluster, as in the Jobs API (`[{ pypi: { package } }]`). */
  libraries?: Array<Record<string, unknown>>;
  /** Run time limit in ms; Databricks stops the run after it. */
  timeout?: number;
  runName?: string;
  /** MLflow experiment the notebook logs to, used by `TrainingRun.mlflowRun()` (default: searched). */
  experiment?: string;
  /** Same token → same run, even across processes (default: a fresh one per call). */
  idempotencyToken?: string;
  requestOptions?: RequestOptions;
}

const LANGUAGE_BY_EXTENSION: Record<string, Language> = {
  ".py": "PYTHON",
  ".sql": "SQL",
  ".scala": "SCALA",
  ".r": "R",
};

/** A notebook in the workspace, by path. */
export class Notebook {
  constructor(
    private readonly db: Databricks,
    readonly path: string,
  ) {
    if (!path.startsWith("/")) {
      throw new ValidationError("notebook path", [
        { path: "path", message: "must be an absolute workspace path like /Shared/project/train" },
      ]);
    }
  }

  /** Uploads a local notebook file or inline source (replacing what is there), creating folders. */
  async upload(source: string | NotebookSource, options: RequestOptions = {}): Promise<this> {
    const call = fixCall(options, this.db.ctx.clock);
    await this.db.workspace.mkdirs({ path: parentOf(this.path) }, call);
    if (typeof source === "string") {
      if (!existsSync(source)) {
        throw new ValidationError("notebook upload", [
          { path: "source", message: `local file ${source} does not exist` },
        ]);
      }
      await this.db.workspace.uploadNotebook(source, this.path, { overwrite: true }, call);
    } else {
      const language = source.language ?? LANGUAGE_BY_EXTENSION[extname(this.path).toLowerCase()] ?? "PYTHON";
      await this.db.workspace.import(
        {
          path: this.path,
          format: "SOURCE",
          language,
          content: Buffer.from(source.content).toString("base64"),
          overwrite: true,
        },
        call,
      );
    }
    return this;
  }

  /** The notebook's source, or undefined when it does not exist. */
  async source(options?: RequestOptions): Promise<string | undefined> {
    try {
      const res = await this.db.workspace.export({ path: this.path, format: "SOURCE" }, options);
      return Buffer.from(String(res.content ?? ""), "base64").toString("utf8");
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Runs the notebook once as a job run (`runs/submit`) and returns its handle without waiting. */
  async run(options: NotebookRunOptions): Promise<TrainingRun> {
    const compute = [options.cluster, options.clusterId, options.jobCluster].filter((c) => c !== undefined);
    if (compute.length !== 1) {
      throw new ValidationError("notebook run options", [
        {
          path: "cluster",
          message: "give exactly one of cluster (a new cluster spec), clusterId or jobCluster",
        },
      ]);
    }
    const task: Record<string, unknown> = {
      task_key: "notebook",
      notebook_task: {
        notebook_path: this.path,
        base_parameters: options.parameters ?? {},
        source: "WORKSPACE",
      },
      ...(options.libraries ? { libraries: options.libraries } : {}),
      ...(options.timeout !== undefined ? { timeout_seconds: Math.ceil(options.timeout / 1000) } : {}),
    };
    if (options.cluster) task.new_cluster = options.cluster;
    if (options.clusterId) task.existing_cluster_id = options.clusterId;
    if (options.jobCluster) task.job_cluster_key = "main";
    const res = await this.db.jobs.submit(
      {
        run_name: options.runName ?? `brickml ${this.path}`,
        tasks: [task],
        ...(options.jobCluster
          ? { job_clusters: [{ job_cluster_key: "main", new_cluster: options.jobCluster }] }
          : {}),
        ...(options.idempotencyToken ? { idempotency_token: options.idempotencyToken } : {}),
      } as Parameters<Databricks["jobs"]["submit"]>[0],
      options.requestOptions,
    );
    return new TrainingRun(this.db, Number(res.run_id), {
      notebookPath: this.path,
      experiment: options.experiment,
    });
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}
