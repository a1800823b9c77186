// `npm run soak`: many full life cycles, 8 at a time, against an emulator injecting 20 % faults
// of every kind, next to a fault-free run of the same size; then the emulator durability run
// (SIGKILL under write load, restart, every acknowledged write present). Prints a report and
// writes bench/results/soak.json. Exits 1 when a life cycle failed or anything was duplicated or
// lost.
//
//   npm run soak                                  (64 life cycles, wall-clock retries)
//   LIFECYCLES=200 FAULT_RATE=0.3 npm run soak
//   CLOCK=driving npm run soak                    (client sleeps move the emulator clock: fast)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAndRestart } from "../test/reliability/durability.js";
import { type SoakReport, soak } from "../test/reliability/soak.js";
import { machine, percentile, printTable, round } from "./lib.js";

const LIFECYCLES = Number(process.env.LIFECYCLES ?? 64);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const FAULT_RATE = Number(process.env.FAULT_RATE ?? 0.2);
const CLOCK = process.env.CLOCK === "driving" ? "driving" : "real";
const SEED = Number(process.env.SEED ?? 7);
const KILL_CYCLES = Number(process.env.KILL_CYCLES ?? 20);

const summary = (r: SoakReport) => ({
  "life cycles": `${r.completed}/${r.lifecycles}`,
  requests: r.requests,
  retries: r.retries,
  "p50 s": round(percentile(r.durationsMs, 50) / 1000),
  "p99 s": round(percentile(r.durationsMs, 99) / 1000),
  "duplicated or lost": r.problems.length,
});

console.log(`# brickml soak on ${JSON.stringify(machine())}`);
console.log(
  `${LIFECYCLES} life cycles, ${CONCURRENCY} at a time, ${CLOCK === "real" ? "wall-clock sleeps (emulator 3000× faster)" : "driving clock"}, fault seed ${SEED}`,
);
const progress = (label: string) => (i: number, ms: number, error?: unknown) =>
  process.stdout.write(error ? `\n${label} life cycle ${i} FAILED after ${round(ms / 1000)} s\n` : ".");

const clean = await soak({
  lifecycles: LIFECYCLES,
  concurrency: CONCURRENCY,
  faultRate: 0,
  clock: CLOCK,
  onLifecycle: progress("fault-free"),
});
const faulty = await soak({
  lifecycles: LIFECYCLES,
  concurrency: CONCURRENCY,
  faultRate: FAULT_RATE,
  seed: SEED,
  clock: CLOCK,
  onLifecycle: progress("faulty"),
});
console.log();
printTable("Life cycles (notebook → run → model version → alias → endpoint → query)", [
  { run: "fault-free", ...summary(clean) },
  { run: `${FAULT_RATE * 100} % faults`, ...summary(faulty) },
]);
printTable("Faults injected, per kind", [faulty.faults]);
printTable("Retries, by reason", [faulty.retriesByReason]);
for (const [label, r] of [
  ["fault-free", clean],
  ["faulty", faulty],
] as const) {
  for (const f of r.failed) console.log(`${label} life cycle ${f.index} failed: ${f.error}`);
  for (const p of r.problems) console.log(`${label}: ${p}`);
}

const dir = mkdtempSync(join(tmpdir(), "brickml-soak-"));
let durability: Awaited<ReturnType<typeof killAndRestart>>;
try {
  durability = await killAndRestart({
    dataFile: join(dir, "workspace.json"),
    cycles: KILL_CYCLES,
    writers: 8,
    killAfterMs: [100, 800],
    dist: false,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
printTable("Emulator durability (SIGKILL under write load, restart on the same file)", [
  {
    kills: durability.cycles,
    "kills during a save": durability.killsDuringSave,
    "acknowledged writes": durability.acknowledged,
    "unanswered at the kill": durability.unanswered,
    lost: durability.lost.length,
    problems: durability.problems.length,
    "temporary files left": durability.leftoverTempFiles,
  },
]);
for (const p of [...durability.lost.map((l) => `lost: ${l}`), ...durability.problems]) console.log(p);

const ok =
  clean.failed.length + faulty.failed.length + clean.problems.length + faulty.problems.length === 0 &&
  durability.lost.length + durability.problems.length + durability.leftoverTempFiles === 0;
const results = join(import.meta.dirname, "results");
mkdirSync(results, { recursive: true });
writeFileSync(
  join(results, "soak.json"),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: machine(),
      settings: { LIFECYCLES, CONCURRENCY, FAULT_RATE, CLOCK, SEED, KILL_CYCLES },
      faultFree: { ...summary(clean), failed: clean.failed, problems: clean.problems },
      faulty: {
        ...summary(faulty),
        faults: faulty.faults,
        retriesByReason: faulty.retriesByReason,
        failed: faulty.failed,
        problems: faulty.problems,
      },
      durability,
      ok,
    },
    null,
    2,
  )}\n`,
);
console.log(`\n${ok ? "OK" : "FAILED"}: results in bench/results/soak.json`);
process.exitCode = ok ? 0 : 1;
