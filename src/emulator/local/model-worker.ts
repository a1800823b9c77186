import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pythonEnv } from "./runtime-files.js";

export type WorkerAnswer = { predictions: unknown } | { error: string };

/** A model worker: one Python process answering predictions, restarted when it crashes. */
export class ModelWorker {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private ready: Promise<void> | undefined;
  private pending = new Map<number, (a: WorkerAnswer) => void>();
  private nextId = 1;
  private stderrTail = "";
  private closed = false;
  readonly dir: string;

  constructor(
    private readonly python: string,
    files: Record<string, Buffer>,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "brickml-model-"));
    for (const [rel, data] of Object.entries(files)) {
      const path = join(this.dir, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data);
    }
  }

  /** Starts the process unless it runs; resolves once the model is loaded. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the model worker is stopped"));
    this.ready ??= this.spawn();
    return this.ready;
  }

  async predict(body: unknown): Promise<WorkerAnswer> {
    await this.start();
    const child = this.child!;
    const id = this.nextId++;
    return new Promise<WorkerAnswer>((resolve) => {
      this.pending.set(id, resolve);
      child.stdin.write(`${JSON.stringify({ id, body })}\n`);
    });
  }

  stop(): void {
    this.closed = true;
    this.child?.kill("SIGKILL");
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(): Promise<void> {
    const child = spawn(this.python, ["-m", "brickml_local.serve", this.dir], {
      cwd: this.dir,
      env: pythonEnv("", "", this.dir),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child = child;
    this.stderrTail = "";
    child.stderr.on("data", (c: Buffer) => {
      this.stderrTail = (this.stderrTail + c.toString("utf8")).slice(-4000);
    });
    return new Promise<void>((resolve, reject) => {
      let buffered = "";
      let loaded = false;
      child.stdout.on("data", (c: Buffer) => {
        buffered += c.toString("utf8");
        for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const message = JSON.parse(line) as {
            ready?: boolean;
            id?: number;
            predictions?: unknown;
            error?: string;
          };
          if (message.ready) {
            loaded = true;
            resolve();
          } else if (message.id !== undefined) {
            const answer = this.pending.get(message.id);
            this.pending.delete(message.id);
            answer?.(
              message.error !== undefined ? { error: message.error } : { predictions: message.predictions },
            );
          }
        }
      });
      const onGone = (e?: Error) => {
        if (this.child !== child) return;
        // A crash: answer what was asked, and start afresh on the next request.
        this.child = undefined;
        this.ready = undefined;
        const last = this.stderrTail.trim().split("\n").pop() || e?.message || "the model worker exited";
        for (const answer of this.pending.values()) answer({ error: `The model server crashed: ${last}` });
        this.pending.clear();
        if (!loaded) reject(new Error(`The model could not be loaded: ${last}`));
      };
      child.once("error", onGone);
      child.once("exit", () => onGone());
    });
  }
}
