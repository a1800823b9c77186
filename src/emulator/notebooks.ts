/**
 * What a notebook does when a job run executes it in the emulator. Tests and examples script it per
 * path with the jobs service export `scriptNotebook(path, behaviour)`, or with a first line in the
 * notebook source: `# brickml-emulator: {"durationMs": 90000, "exitValue": "ok"}`.
 */

/** The model a scripted notebook logs. */
export interface NotebookModel {
  /** Default "model". */
  artifactPath?: string;
  /** Default true: MLmodel declares inputs and outputs. */
  signature?: boolean;
  /** Simple linear model the serving emulator can evaluate. */
  coefficients?: { intercept: number; weights: Record<string, number>; link?: "identity" | "logistic" };
}

/** What a notebook logs to MLflow when it succeeds. */
export interface NotebookMlflow {
  /** Default: the notebook path. */
  experimentName?: string;
  params?: Record<string, string>;
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  model?: NotebookModel;
}

export interface NotebookBehaviour {
  /** Virtual ms the notebook runs (default: a realistic 2–4 minutes). */
  durationMs?: number;
  /** Default SUCCESS. */
  result?: "SUCCESS" | "FAILED";
  /** `dbutils.notebook.exit(value)`: `runs/get-output` → `notebook_output.result`. */
  exitValue?: string;
  /** For FAILED: `runs/get-output` → `error` and `error_trace`. */
  error?: string;
  errorTrace?: string;
  /** With result FAILED: fail only the first n attempts, then succeed (to exercise `max_retries`). */
  failTimes?: number;
  /** What the notebook logs to MLflow when it succeeds. */
  mlflow?: NotebookMlflow;
}

/** The "mlflow" emulator service's export the jobs service calls when a notebook succeeds. */
export interface MlflowEmulatorExports {
  logNotebookRun(
    input: NotebookMlflow & {
      notebookPath: string;
      startTime: number;
      endTime: number;
      jobId?: number;
      /** The TASK run id. */
      jobRunId: number;
      parameters?: Record<string, string>;
    },
  ): { run_id: string; experiment_id: string };
}

const DIRECTIVE = /^\s*(?:#|--|\/\/)\s*brickml-emulator:\s*(.*)$/;
const NOTEBOOK_HEADER = /^\s*(?:#|--|\/\/) Databricks notebook source\s*$/;

/** Checks a behaviour and returns it; throws an Error naming the bad field. */
export function checkBehaviour(value: unknown): NotebookBehaviour {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("must be a JSON object");
  const b = value as Record<string, unknown>;
  const fail = (field: string, expected: string) => {
    throw new Error(`${field} must be ${expected}, got ${JSON.stringify(b[field])}`);
  };
  if (b.durationMs !== undefined && !(typeof b.durationMs === "number" && b.durationMs >= 0)) {
    fail("durationMs", "a number of virtual ms ≥ 0");
  }
  if (b.result !== undefined && b.result !== "SUCCESS" && b.result !== "FAILED")
    fail("result", '"SUCCESS" or "FAILED"');
  for (const f of ["exitValue", "error", "errorTrace"]) {
    if (b[f] !== undefined && typeof b[f] !== "string") fail(f, "a string");
  }
  if (b.failTimes !== undefined && !(Number.isInteger(b.failTimes) && (b.failTimes as number) >= 0)) {
    fail("failTimes", "a whole number ≥ 0");
  }
  if (b.mlflow !== undefined && (typeof b.mlflow !== "object" || b.mlflow === null))
    fail("mlflow", "an object");
  return b as NotebookBehaviour;
}

/**
 * The behaviour a notebook's source declares on its first line (after the `Databricks notebook
 * source` header). Undefined when it declares none; throws when the declaration is not valid.
 */
export function declaredBehaviour(source: string): NotebookBehaviour | undefined {
  const lines = source.split(/\r?\n/).filter((l) => l.trim() !== "" && !NOTEBOOK_HEADER.test(l));
  const m = DIRECTIVE.exec(lines[0] ?? "");
  if (!m) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(m[1] ?? "");
  } catch (e) {
    throw new Error(`the brickml-emulator line is not valid JSON (${(e as Error).message})`);
  }
  return checkBehaviour(parsed);
}

/** A default run length between 2 and 4 minutes. */
export function defaultDurationMs(random: () => number): number {
  return Math.round(120_000 + random() * 120_000);
}

/** MLflow params, where a run parameter of the same name wins (a retrain with other parameters logs them). */
export function mlflowParams(
  mlflow: NotebookMlflow,
  parameters: Record<string, string>,
): Record<string, string> | undefined {
  if (!mlflow.params) return undefined;
  return Object.fromEntries(Object.entries(mlflow.params).map(([k, v]) => [k, parameters[k] ?? v]));
}

/** A Python-looking traceback for a scripted failure without one. */
export function defaultTrace(path: string, error: string): string {
  return [
    "---------------------------------------------------------------------------",
    "Exception                                 Traceback (most recent call last)",
    `File ${path}:1`,
    `----> 1 raise Exception(${JSON.stringify(error)})`,
    "",
    error,
  ].join("\n");
}
