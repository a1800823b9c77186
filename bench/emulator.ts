// Emulator throughput (a simple GET, load from this process against an emulator in its own
// process) and how long the whole integration suite takes against it.
import { spawnSync } from "node:child_process";
import http from "node:http";
import { type EmulatorProcess, spawnEmulator } from "../test/emulator-process.js";
import { ensureBuild, ROOT } from "./build.js";
import { type BenchResult, isMain, percentile, report, round, saveResults } from "./lib.js";

const DURATION_MS = 3_000;
const WARMUP_MS = 500;

/** Keeps `concurrency` GETs in flight for `durationMs`; returns requests/s and latency percentiles. */
async function load(
  emu: EmulatorProcess,
  path: string,
  concurrency: number,
  durationMs: number,
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(path, emu.url);
  const headers = { Authorization: `Bearer ${emu.token}`, Accept: "application/json" };
  const latencies: number[] = [];
  let errors = 0;
  const get = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = http.get(url, { agent, headers }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) latencies.push(performance.now() - t0);
          else errors++;
          resolve();
        });
      });
      req.on("error", () => {
        errors++;
        resolve();
      });
    });
  const end = performance.now() + durationMs;
  const worker = async () => {
    while (performance.now() < end) await get();
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - t0;
  agent.destroy();
  return {
    rps: latencies.length / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

/** A resource to read: a cluster, created through the REST API (the same GET as the call-overhead benchmark). */
async function target(emu: EmulatorProcess): Promise<string> {
  const res = await fetch(`${emu.url}/api/2.1/clusters/create`, {
    method: "POST",
    headers: { Authorization: `Bearer ${emu.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      cluster_name: "bench",
      spark_version: "15.4.x-scala2.12",
      node_type_id: "i3.xlarge",
      num_workers: 1,
    }),
  });
  const { cluster_id } = (await res.json()) as { cluster_id: string };
  return `/api/2.1/clusters/get?cluster_id=${cluster_id}`;
}

function integrationSuite(): { seconds: number; files: string; tests: string; ok: boolean } {
  const t0 = performance.now();
  const res = spawnSync("npx", ["vitest", "run", "test/integration"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  const seconds = (performance.now() - t0) / 1000;
  const out = res.stdout ?? "";
  const line = (label: string) => new RegExp(`${label}\\s+(.+)`).exec(out)?.[1]?.trim() ?? "?";
  return { seconds, files: line("Test Files"), tests: line("Tests"), ok: res.status === 0 };
}

export async function run(): Promise<BenchResult> {
  ensureBuild();
  const emu = await spawnEmulator([], { dist: true });
  const rows: BenchResult["rows"] = [];
  const ratios: Record<string, number> = {};
  try {
    const path = await target(emu);
    await load(emu, path, 8, WARMUP_MS);
    for (const concurrency of [1, 64]) {
      const r = await load(emu, path, concurrency, DURATION_MS);
      rows.push({
        measure: `GET ${path.split("?")[0]}, ${concurrency} in flight`,
        "requests/s": Math.round(r.rps),
        "p50 ms": round(r.p50),
        "p99 ms": round(r.p99),
        errors: r.errors,
      });
      ratios[`requests/s at ${concurrency} in flight`] = Math.round(r.rps);
    }
  } finally {
    await emu.stop();
  }
  const suite = integrationSuite();
  rows.push({
    measure: `integration suite (npx vitest run test/integration): ${suite.files} files, ${suite.tests} tests${suite.ok ? "" : " — FAILED"}`,
    "requests/s": "",
    "p50 ms": "",
    "p99 ms": "",
    errors: suite.ok ? 0 : 1,
  });
  ratios["integration suite seconds"] = round(suite.seconds, 1);
  return {
    name: "emulator",
    rows,
    ratios,
    notes: [
      "The emulator runs in its own process (node dist/cli/index.js emulator); the load comes from this process over keep-alive connections.",
    ],
  };
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
