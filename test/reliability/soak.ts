// Full life cycles (notebook → run → model version → alias → endpoint → query) against an emulator
// injecting faults, several at a time; afterwards the workspace must hold exactly one training run,
// one model version and one endpoint config per life cycle. Shared by `npm run soak` and the
// small slice in `npm test`.

import { scriptedChurnNotebook } from "../../examples/churn-notebook.js";
import { abortReason, type Clock } from "../../src/core/clock.js";
import type { JobsState } from "../../src/emulator/compute/run-model.js";
import { type Emulator, FAULT_KINDS, type FaultKind, startEmulator } from "../../src/emulator/index.js";
import type { RegistryState } from "../../src/emulator/services/registry.js";
import type { EndpointRecord } from "../../src/emulator/services/serving-state.js";
import { Databricks, type LifecycleSpec, type RequestEvent } from "../../src/index.js";

const NOTEBOOK = scriptedChurnNotebook().content;
const ROWS = [
  { tenure_months: 2, monthly_charges: 89.5, support_calls: 4 },
  { tenure_months: 48, monthly_charges: 35.0, support_calls: 0 },
];

export interface SoakOptions {
  lifecycles: number;
  /** Life cycles in flight at once. */
  concurrency: number;
  /** Share of requests that get a fault, 0 to 1; every kind is drawn alike. */
  faultRate: number;
  seed?: number;
  /**
   * "driving": every client sleep (retry backoff, poll delay) moves the emulator's clock instead
   * of waiting, so a life cycle takes about a second; "real": wall-clock sleeps against an
   * emulator running `timeScale` times faster than real time.
   */
  clock: "driving" | "real";
  timeScale?: number;
  /** Called as each life cycle ends. */
  onLifecycle?: (index: number, ms: number, error?: unknown) => void;
}

export interface SoakReport {
  lifecycles: number;
  completed: number;
  failed: Array<{ index: number; error: string }>;
  faults: Record<FaultKind, number>;
  requests: number;
  /** Attempts that failed and were repeated, by reason. */
  retries: number;
  retriesByReason: Record<string, number>;
  durationsMs: number[];
  /** Duplicates or missing resources found in the emulator's state: must be empty. */
  problems: string[];
}

/**
 * Client sleeps take no real time: the client's own clock moves by what it asked for, and the
 * emulator's clock 60 times more, so runs and endpoint builds that take minutes finish within a
 * few polls while deadlines and backoffs keep their meaning for the client.
 */
export function drivingClock(emu: Emulator, factor = 60): Clock {
  let now = Date.now();
  return {
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw abortReason(signal);
      now += Math.max(0, ms);
      emu.clock.advance(Math.max(0, ms) * factor);
      // Let other life cycles' requests through, as a real sleep would.
      await new Promise((r) => setImmediate(r));
    },
  };
}

function spec(i: number): LifecycleSpec {
  return {
    notebook: { path: `/Shared/soak/lc${i}/train`, source: { content: NOTEBOOK } },
    cluster: { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 },
    parameters: { max_iter: String(100 + i), C: "1.0" },
    experiment: `/Shared/soak/lc${i}`,
    model: { name: `main.soak.churn_${i}`, alias: "champion" },
    endpoint: { name: `soak-${i}`, workloadSize: "Small", scaleToZero: true },
  };
}

/** Exactly one run, one model version and one endpoint config per life cycle; nothing else. */
function checkState(emu: Emulator, n: number): string[] {
  const problems: string[] = [];
  const jobs = emu.context.state<JobsState>("jobs");
  const registry = emu.context.state<RegistryState>("registry");
  const serving = emu.context.state<{ endpoints: Record<string, EndpointRecord> }>("serving");
  for (let i = 0; i < n; i++) {
    const s = spec(i);
    const runs = Object.values(jobs.runs).filter((r) =>
      r.tasks.some((t) => t.spec.notebook_task?.notebook_path === s.notebook.path),
    );
    if (runs.length !== 1) problems.push(`life cycle ${i}: ${runs.length} training runs`);
    else if (runs[0]!.result_state !== "SUCCESS")
      problems.push(`life cycle ${i}: run ${runs[0]!.result_state}`);
    const model = registry.models[s.model.name.toLowerCase()];
    const versions = Object.values(model?.versions ?? {});
    if (versions.length !== 1) problems.push(`life cycle ${i}: ${versions.length} model versions`);
    else if (versions[0]!.status !== "READY")
      problems.push(`life cycle ${i}: version ${versions[0]!.status}`);
    if (model && model.aliases.champion !== versions[0]?.version)
      problems.push(`life cycle ${i}: alias champion → ${model.aliases.champion}`);
    const endpoint = serving.endpoints[s.endpoint.name];
    if (!endpoint) problems.push(`life cycle ${i}: no endpoint`);
    else {
      if (endpoint.last_version !== 1 || endpoint.config?.config_version !== 1 || endpoint.pending)
        problems.push(`life cycle ${i}: endpoint configs up to version ${endpoint.last_version}`);
      const served = endpoint.config?.entities.map((e) => `${e.spec.entity_name}/${e.spec.entity_version}`);
      if (served?.join() !== `${s.model.name}/1`) problems.push(`life cycle ${i}: serves ${served?.join()}`);
    }
  }
  const endpoints = Object.keys(serving.endpoints).length;
  if (endpoints !== n) problems.push(`${endpoints} endpoints for ${n} life cycles`);
  return problems;
}

export async function soak(options: SoakOptions): Promise<SoakReport> {
  const emu = await startEmulator(
    options.clock === "driving" ? { manualClock: true } : { timeScale: options.timeScale ?? 3000 },
  );
  const retriesByReason: Record<string, number> = {};
  let requests = 0;
  let retries = 0;
  const onRequest = (e: RequestEvent) => {
    if (e.retryInMs === undefined) {
      requests++;
      return;
    }
    retries++;
    // "HTTP 429 REQUEST_LIMIT_EXCEEDED" → "HTTP 429"; "connection error: ECONNRESET" → "connection error".
    const reason = /^HTTP \d+/.exec(e.retryReason ?? "")?.[0] ?? (e.retryReason ?? "?").split(":")[0]!;
    retriesByReason[reason] = (retriesByReason[reason] ?? 0) + 1;
  };
  const db = new Databricks({
    host: emu.url,
    token: emu.token,
    env: {},
    onRequest,
    // Faults come in bursts at 20 %: give each call room for several retries in a row.
    maxRetries: 10,
    ...(options.clock === "driving" ? { clock: drivingClock(emu) } : {}),
  });
  if (options.faultRate > 0)
    emu.faults.set({ rate: options.faultRate, kinds: [...FAULT_KINDS], seed: options.seed ?? 7 });

  const report: SoakReport = {
    lifecycles: options.lifecycles,
    completed: 0,
    failed: [],
    faults: emu.faults.counts(),
    requests: 0,
    retries: 0,
    retriesByReason,
    durationsMs: [],
    problems: [],
  };
  let next = 0;
  const worker = async () => {
    while (next < options.lifecycles) {
      const i = next++;
      const t0 = performance.now();
      try {
        const { endpoint } = await db.lifecycle(spec(i)).apply();
        const predictions = await endpoint.predict<number>(ROWS);
        if (predictions.length !== ROWS.length) throw new Error(`${predictions.length} predictions`);
        report.completed++;
        report.durationsMs.push(performance.now() - t0);
        options.onLifecycle?.(i, performance.now() - t0);
      } catch (e) {
        report.failed.push({ index: i, error: describe(e) });
        options.onLifecycle?.(i, performance.now() - t0, e);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    emu.faults.clear();
    report.faults = emu.faults.counts();
    report.requests = requests;
    report.retries = retries;
    report.problems = checkState(emu, options.lifecycles);
    return report;
  } finally {
    await emu.close();
  }
}

/** The error and its causes, one line each. */
function describe(e: unknown): string {
  const lines: string[] = [];
  for (let c = e, depth = 0; c && depth < 4; c = (c as { cause?: unknown }).cause, depth++) {
    const err = c as { name?: string; message?: string; method?: string; path?: string };
    const where = err.path && !err.message?.includes(err.path) ? ` (${err.method} ${err.path})` : "";
    lines.push(`${err.name ?? "Error"}: ${err.message ?? String(c)}${where}`);
  }
  return lines.join("\n  caused by ");
}
