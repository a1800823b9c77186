import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ensureBuild, ROOT } from "./build.js";
import { type BenchResult, isMain, median, report, round, saveResults } from "./lib.js";

const RUNS = 11;

/** Code run in a fresh Node.js process: import the candidates and report time and memory. */
const candidates: Record<string, string> = {
  brickml: `await import(${JSON.stringify(join(ROOT, "dist/index.js"))});`,
  "axios + zod": `await import("axios"); await import("zod");`,
  "@databricks/sdk-experimental": `await import("@databricks/sdk-experimental");`,
};

function measure(code: string): { ms: number; rssMiB: number; heapMiB: number } {
  const script = `const t0 = performance.now(); const h0 = process.memoryUsage();
${code}
const t1 = performance.now(); const m = process.memoryUsage();
console.log(JSON.stringify({ ms: t1 - t0, rss: m.rss - h0.rss, heap: m.heapUsed - h0.heapUsed }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
  });
  const r = JSON.parse(out.trim().split("\n").pop()!);
  return { ms: r.ms, rssMiB: r.rss / 2 ** 20, heapMiB: r.heap / 2 ** 20 };
}

export async function run(): Promise<BenchResult> {
  ensureBuild();
  const rows: BenchResult["rows"] = [];
  const medians: Record<string, { ms: number; rss: number }> = {};
  for (const [name, code] of Object.entries(candidates)) {
    measure(code); // warm the file system cache; not counted
    const samples = Array.from({ length: RUNS }, () => measure(code));
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
  const b = medians.brickml!;
  const sdk = medians["@databricks/sdk-experimental"]!;
  const base = medians["axios + zod"]!;
  return {
    name: "cold-start",
    rows,
    ratios: {
      "time brickml / official SDK": round(b.ms / sdk.ms),
      "memory brickml / official SDK": round(b.rss / sdk.rss),
      "time brickml / axios+zod": round(b.ms / base.ms),
    },
    targets: { "time brickml / official SDK": "< 0.5", "memory brickml / official SDK": "< 0.5" },
  };
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
