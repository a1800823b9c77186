import type { RegistryExports, ServingState } from "../services/serving-state.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import type { PythonChoice } from "./interpreter.js";
import { ModelWorker } from "./model-worker.js";
import {
  type NotebookJob,
  type NotebookProcess,
  type NotebookResult,
  runNotebook,
} from "./notebook-process.js";

/** What `emulator.localMode` reports. */
export interface LocalMode {
  /** The interpreter that runs notebooks and serves pickled models; undefined when local mode is off. */
  readonly python: string | undefined;
  /** Why (e.g. "python3 on PATH has pandas", or why local mode is off). */
  readonly reason: string;
  /** stdout and stderr of a notebook task run executed locally (the last 5 MB of each), while the emulator runs. */
  notebookLogs(taskRunId: number): { stdout: string; stderr: string; truncated: boolean } | undefined;
}

const PICKLED_LOADERS = new Set(["mlflow.sklearn", "mlflow.pyfunc.model"]);

/**
 * Local mode: notebook processes by task run id, and model workers by served entity. The emulator
 * reaches it as the "local" service.
 */
export class LocalRuntime implements LocalMode {
  python: string | undefined = undefined;
  reason = "starting";
  private url = "";
  private readonly notebooks = new Map<number, NotebookProcess>();
  private readonly ended = new Set<Promise<NotebookResult>>();
  private readonly logs = new Map<number, { stdout: string; stderr: string; truncated: boolean }>();
  /** By `endpoint/entity/model@version`; null: the entity's model is not a pickled python_function. */
  private readonly workers = new Map<string, ModelWorker | null>();
  private closed = false;

  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  /** Once the server listens: the interpreter chosen, and the URL notebooks call back. */
  start(choice: PythonChoice, url: string): void {
    this.python = choice.python;
    this.reason = choice.reason;
    this.url = url;
  }

  notebookLogs(taskRunId: number) {
    return this.logs.get(taskRunId);
  }

  /** Starts a notebook process for a task run; `onEnd` gets how it ended unless it was stopped. */
  startNotebook(
    taskRunId: number,
    job: Pick<NotebookJob, "source" | "context" | "budgetMs">,
    onEnd: (result: NotebookResult) => void,
  ): void {
    if (!this.python || this.closed) throw new Error("local mode is off");
    const proc = runNotebook({ ...job, python: this.python, url: this.url, token: this.#token });
    this.notebooks.set(taskRunId, proc);
    const done = proc.done.then((result) => {
      this.ended.delete(done);
      this.logs.set(taskRunId, {
        stdout: result.stdout,
        stderr: result.stderr,
        truncated: result.logsTruncated,
      });
      if (this.notebooks.get(taskRunId) !== proc) return result;
      this.notebooks.delete(taskRunId);
      if (result.state !== "KILLED") onEnd(result);
      return result;
    });
    this.ended.add(done);
  }

  isRunning(taskRunId: number): boolean {
    return this.notebooks.has(taskRunId);
  }

  /** Kills a task run's process (cancel, or the run stopped otherwise). */
  stopNotebook(taskRunId: number): void {
    const proc = this.notebooks.get(taskRunId);
    if (!proc) return;
    this.notebooks.delete(taskRunId);
    proc.kill();
  }

  /** The worker serving an entity's model, or undefined when that model is not served by Python. */
  worker(endpoint: string, entity: string): ModelWorker | undefined {
    for (const [key, w] of this.workers) if (w && key.startsWith(`${endpoint}/${entity}/`)) return w;
    return undefined;
  }

  /**
   * Keeps one worker per READY served entity whose model is a pickled python_function: started when
   * the entity becomes READY, stopped when it leaves the endpoint or the endpoint is deleted.
   */
  syncWorkers(ctx: EmulatorContext): void {
    if (!this.python || this.closed) return;
    const wanted = new Set<string>();
    const endpoints = ctx.state<ServingState>("serving").endpoints;
    for (const ep of Object.values(endpoints)) {
      for (const e of ep.config?.entities ?? []) {
        if (e.status !== "READY" || e.spec.entity_version === undefined) continue;
        const name = String(e.spec.entity_name);
        const version = Number(e.spec.entity_version);
        const key = `${ep.name}/${e.name}/${name}@${version}`;
        wanted.add(key);
        if (this.workers.has(key)) continue;
        const worker = this.newWorker(ctx, name, version);
        this.workers.set(key, worker);
        // Loading errors surface on the first request, as a 400 from that request.
        worker?.start().catch(() => undefined);
      }
    }
    for (const [key, w] of this.workers) {
      if (wanted.has(key)) continue;
      w?.stop();
      this.workers.delete(key);
    }
  }

  private newWorker(ctx: EmulatorContext, name: string, version: number): ModelWorker | null {
    const registry = ctx.service<RegistryExports>("registry");
    const mlmodel = registry?.readModelFile(name, version, "MLmodel");
    if (!mlmodel || !this.python) return null;
    const pickled = pickledModelFile(mlmodel.toString("utf8"));
    const file = pickled && registry?.readModelFile(name, version, pickled);
    if (!pickled || !file) return null;
    return new ModelWorker(this.python, { MLmodel: mlmodel, [pickled]: file });
  }

  /** Stops every process; resolves once notebook processes are gone. */
  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.notebooks.keys()]) this.stopNotebook(id);
    for (const w of this.workers.values()) w?.stop();
    this.workers.clear();
    await Promise.all([...this.ended]);
  }
}

/**
 * The pickled file of a python_function model (`model_path` of `mlflow.sklearn`, `python_model` of
 * `mlflow.pyfunc.model`), or undefined for any other model. The worker reads the rest of MLmodel.
 */
export function pickledModelFile(mlmodelText: string): string | undefined {
  const field = (key: string) =>
    new RegExp(`^\\s+${key}: ['"]?([^'"\\s]+)['"]?\\s*$`, "m").exec(mlmodelText)?.[1];
  if (!/^flavors:\s*$/m.test(mlmodelText) || !/^\s+python_function:\s*$/m.test(mlmodelText)) return undefined;
  const loader = field("loader_module");
  if (!loader || !PICKLED_LOADERS.has(loader)) return undefined;
  return field(loader === "mlflow.sklearn" ? "model_path" : "python_model");
}

/** The emulator reaches local mode as the "local" service. */
export function localService(runtime: LocalRuntime): EmulatorService<Record<string, never>, LocalRuntime> {
  return {
    name: "local",
    init: () => ({}),
    routes: () => undefined,
    tick: (ctx) => runtime.syncWorkers(ctx),
    exports: () => runtime,
  };
}
