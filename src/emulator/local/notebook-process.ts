import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pythonEnv } from "./runtime-files.js";

/** How a notebook process ended. */
export interface NotebookResult {
  state: "SUCCESS" | "FAILED" | "TIMEDOUT" | "KILLED";
  exitValue?: string;
  error?: string;
  errorTrace?: string;
  /** Real milliseconds the process ran. */
  wallMs: number;
  stdout: string;
  stderr: string;
  /** True when only the last LOG_LIMIT bytes of a stream were kept. */
  logsTruncated: boolean;
}

export interface NotebookJob {
  python: string;
  url: string;
  token: string;
  /** SOURCE text of the notebook (Python). */
  source: string;
  /** What the runtime reads from BRICKML_CONTEXT: notebook path, job and run ids, parameters, start time. */
  context: Record<string, unknown>;
  /** Real ms after which the process is killed and the run times out; undefined: no limit. */
  budgetMs?: number;
}

/** The Jobs API keeps the last 5 MB of a task's output. */
export const LOG_LIMIT = 5 * 1024 * 1024;
/** `dbutils.notebook.exit` values are cut to their first 5 MB, like `runs/get-output`. */
const EXIT_LIMIT = 5 * 1024 * 1024;

export interface NotebookProcess {
  done: Promise<NotebookResult>;
  /** Stops the process (cancel); `done` then resolves KILLED. */
  kill(): void;
}

/** Runs a notebook in a new Python process in its own temporary directory. */
export function runNotebook(job: NotebookJob): NotebookProcess {
  const dir = mkdtempSync(join(tmpdir(), "brickml-notebook-"));
  const notebook = join(dir, "notebook.py");
  const resultFile = join(dir, ".brickml-result.json");
  writeFileSync(notebook, `# Databricks notebook source\n${job.source}`);
  const started = Date.now();
  const child = spawn(job.python, ["-m", "brickml_local.run_notebook", notebook, resultFile], {
    cwd: dir,
    env: pythonEnv(job.url, job.token, dir, { BRICKML_CONTEXT: JSON.stringify(job.context) }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  const stdout = new Tail();
  const stderr = new Tail();
  child.stdout.on("data", (c: Buffer) => stdout.push(c));
  child.stderr.on("data", (c: Buffer) => stderr.push(c));
  let stop: "TIMEDOUT" | "KILLED" | undefined;
  const killTree = () => {
    try {
      // The whole process group: a notebook's own subprocesses end with it.
      if (child.pid !== undefined && process.platform !== "win32") process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer =
    job.budgetMs !== undefined
      ? setTimeout(
          () => {
            stop ??= "TIMEDOUT";
            killTree();
          },
          Math.max(0, job.budgetMs),
        )
      : undefined;
  const done = new Promise<NotebookResult>((resolve) => {
    const finish = (spawnError?: Error) => {
      if (timer) clearTimeout(timer);
      const base = {
        wallMs: Date.now() - started,
        stdout: stdout.text(),
        stderr: stderr.text(),
        logsTruncated: stdout.truncated || stderr.truncated,
      };
      let result: NotebookResult;
      if (stop) result = { ...base, state: stop };
      else if (spawnError) {
        const error = `OSError: cannot start ${job.python}: ${spawnError.message}`;
        result = { ...base, state: "FAILED", error, errorTrace: error };
      } else {
        result = { ...base, ...readResult(resultFile, base.stderr) };
      }
      rmSync(dir, { recursive: true, force: true });
      resolve(result);
    };
    child.once("error", (e) => finish(e));
    child.once("close", () => finish());
  });
  return {
    done,
    kill() {
      stop ??= "KILLED";
      killTree();
    },
  };
}

function readResult(
  file: string,
  stderr: string,
): Pick<NotebookResult, "state" | "exitValue" | "error" | "errorTrace"> {
  let parsed: { state?: string; exitValue?: string; error?: string; errorTrace?: string };
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // The process died before the runtime could report (killed from outside, interpreter crash).
    const last = stderr.trim().split("\n").pop() || "the Python process exited without a result";
    return { state: "FAILED", error: `RuntimeError: ${last}`, errorTrace: stderr || last };
  }
  if (parsed.state === "SUCCESS") {
    return parsed.exitValue === undefined
      ? { state: "SUCCESS" }
      : { state: "SUCCESS", exitValue: parsed.exitValue.slice(0, EXIT_LIMIT) };
  }
  return { state: "FAILED", error: parsed.error ?? "Exception", errorTrace: parsed.errorTrace ?? "" };
}

/** Keeps the last LOG_LIMIT bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > LOG_LIMIT && this.chunks.length) {
      const extra = this.size - LOG_LIMIT;
      const first = this.chunks[0]!;
      this.truncated = true;
      if (first.length <= extra) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(extra);
        this.size -= extra;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}
