import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { spawnEmulator } from "../test/emulator-process.js";
import { ensureBuild, importBrickml, ROOT } from "./build.js";
import { type BenchResult, isMain, median, report, round, saveResults } from "./lib.js";

const RUNS = 11;

const BRICKML = JSON.stringify(join(ROOT, "dist/index.js"));

/** Code run in a fresh Node.js process: import the candidates and report time and memory. */
const candidates: Record<string, string> = {
  brickml: `await import(${BRICKML});`,
  "axios + zod": `await import("axios"); await import("zod");`,
  "@databricks/sdk-experimental": `await import("@databricks/sdk-experimental");`,
};

/**
 * brickml loads axios with its first request, so import time alone would flatter it: these also
 * time a client's first answer (a `clusters.get` from an emulator in another process).
 */
const firstCall: Record<string, string> = {
  "brickml, up to the first answer": `const { Databricks } = await import(${BRICKML});
const db = new Databricks({ host: process.env.EMU_URL, token: process.env.EMU_TOKEN, env: {} });
await db.clusters.get({ cluster_id: process.env.CLUSTER_ID });`,
  "@databricks/sdk-experimental, up to the first answer": `const { WorkspaceClient } = await import("@databricks/sdk-experimental");
const w = new WorkspaceClient({ host: process.env.EMU_URL, token: process.env.EMU_TOKEN, authType: "pat" });
await w.clusters.get({ cluster_id: process.env.CLUSTER_ID });`,
};

function measure(
  code: string,
  env: Record<string, string> = {},
): { ms: number; rssMiB: number; heapMiB: number } {
  const script = `const t0 = performance.now(); const h0 = process.memoryUsage();
${code}
const t1 = performance.now(); const m = process.memoryUsage();
console.log(JSON.stringify({ ms: t1 - t0, rss: m.rss - h0.rss, heap: m.heapUsed - h0.heapUsed }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  const r = JSON.parse(out.trim().split("\n").pop()!);
  return { ms: r.ms, rssMiB: r.rss / 2 ** 20, heapMiB: r.heap / 2 ** 20 };
}

export async function run(): Promise<BenchResult> {
  ensureBuild();
  const emu = await spawnEmulator(["--time-scale", "100000"], { dist: true });
  const rows: BenchResult["rows"] = [];
  const medians: Record<string, { ms: number; rss: number }> = {};
  try {
    const { Databricks } = await importBrickml();
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const cluster = await db.clusters.createAndWait({
      cluster_name: "cold-start",
      spark_version: "15.4.x-scala2.12",
      node_type_id: "i3.xlarge",
      num_workers: 1,
    });
    const env = { EMU_URL: emu.url, EMU_TOKEN: emu.token, CLUSTER_ID: String(cluster.cluster_id) };
    for (const [name, code] of Object.entries({ ...candidates, ...firstCall })) {
      measure(code, env); // warm the file system cache; not counted
      const samples = Array.from({ length: RUNS }, () => measure(code, env));
      const ms = median(samples.map((s) => s.ms));
      const rss = median(samples.map((s) => s.rssMiB));
      const heap = median(samples.map((s) => s.heapMiB));
      medians[name] = { ms, rss };
      rows.push({
        import: name,
        "median ms": round(ms, 1),
        "RSS growth MiB": round(rss, 1),
        "heap growth MiB": round(heap, 1),
        runs: RUNS,
      });
    }
  } finally {
    await emu.stop();
  }
  const b = medians.brickml!;
  const sdk = medians["@databricks/sdk-experimental"]!;
  const base = medians["axios + zod"]!;
  const [bFirst, sdkFirst] = Object.keys(firstCall).map((k) => medians[k]!);
  return {
    name: "cold-start",
    rows,
    ratios: {
      "time brickml / official SDK": round(b.ms / sdk.ms),
      "memory brickml / official SDK": round(b.rss / sdk.rss),
      "time brickml / axios+zod": round(b.ms / base.ms),
      "first answer brickml / official SDK": round(bFirst!.ms / sdkFirst!.ms),
    },
    targets: { "time brickml / official SDK": "<= 0.3", "memory brickml / official SDK": "<= 0.5" },
    notes: [
      `median of ${RUNS} fresh processes each; time and memory from just before the import to just after it (or to the first answer)`,
      "brickml loads axios with its first request, which the first-answer rows include",
    ],
  };
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
