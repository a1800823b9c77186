import { spawn } from "node:child_process";

/** What one measured variant reports from its own process. */
export interface Measurement {
  variant: string;
  ms: number;
  rows: number;
  bytes?: number;
  /** Peak resident set size of the whole process (input preparation included), MiB. */
  peakRssMiB: number;
  /**
   * Peak of JavaScript heap + external memory while the step ran, minus the level after the input
   * was prepared, MiB: the memory the measured step itself needed. Sampled at the step's
   * checkpoints, every few milliseconds while it waits, and at its end with its output alive.
   */
  stepMiB: number;
}

export interface StepResult {
  rows: number;
  bytes?: number;
  /** Output kept alive until the final memory sample (what a caller would hold). */
  keep?: unknown;
}

const MiB = 1024 * 1024;

/**
 * Runs `script --variant <name>` in a fresh Node.js process (same loader flags, so TypeScript
 * runs under tsx), so that each variant's memory is its own. The event loop stays free, so this
 * process can serve the variant (e.g. run the emulator).
 */
export function runVariant(
  script: string,
  variant: string,
  env: Record<string, string> = {},
): Promise<Measurement> {
  const args = [...process.execArgv, "--expose-gc", script, "--variant", variant];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (status) => {
      if (status !== 0) return reject(new Error(`${variant} failed (${status}): ${err}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!) as Measurement);
    });
  });
}

/** The fastest of `runs` runs of a variant, each in a fresh process (timings vary run to run). */
export async function bestOf(
  runs: number,
  script: string,
  variant: string,
  env: Record<string, string> = {},
): Promise<Measurement> {
  let best: Measurement | undefined;
  for (let i = 0; i < runs; i++) {
    const m = await runVariant(script, variant, env);
    if (!best || m.ms < best.ms) best = m;
  }
  return best!;
}

/** Inside a variant process: measures `step` after `prepare`, and prints the result as JSON. */
export async function measure<I>(
  variant: string,
  prepare: () => Promise<I> | I,
  step: (input: I, sample: () => void) => Promise<StepResult> | StepResult,
): Promise<void> {
  const input = await prepare();
  (globalThis as { gc?: () => void }).gc?.();
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const before = used();
  let peak = before;
  const sample = () => {
    peak = Math.max(peak, used());
  };
  const timer = setInterval(sample, 5);
  const start = performance.now();
  const out = await step(input, sample);
  const ms = performance.now() - start;
  clearInterval(timer);
  sample();
  const result: Measurement = {
    variant,
    ms: Math.round(ms),
    rows: out.rows,
    ...(out.bytes !== undefined ? { bytes: out.bytes } : {}),
    peakRssMiB: Math.round((process.resourceUsage().maxRSS * 1024) / MiB),
    stepMiB: Math.round((peak - before) / MiB),
  };
  void out.keep;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
