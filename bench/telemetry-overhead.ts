// What tracing costs a call when `@opentelemetry/api` is installed but the application registered
// no provider or exporter (the API's no-ops). Two client processes run the built package against
// one emulator process: one where the API resolves, one where it cannot be found (no telemetry
// at all). They take turns round by round, rotating who goes first; the figure is the median over
// rounds of each round's ratio. The hooks' own CPU time per call is measured in-process too,
// since end-to-end differences of 1–2 % sit near the noise of a shared machine.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { traceAttempt, traceStep, traceWait } from "../src/core/telemetry.js";
import { spawnEmulator } from "../test/emulator-process.js";
import { ensureBuild, ROOT } from "./build.js";
import { type BenchResult, isMain, median, report, round, saveResults } from "./lib.js";

const ROUNDS = Number(process.env.ROUNDS ?? 21);
const CALLS = 300;

// Makes every `@opentelemetry/*` module unresolvable, as in an application without them.
const ABSENT = `data:text/javascript,${encodeURIComponent(`
import Module from "node:module";
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request.startsWith("@opentelemetry/")) throw Object.assign(new Error("Cannot find module " + request), { code: "MODULE_NOT_FOUND" });
  return resolve.call(this, request, ...rest);
};
`)}`;

/** A client process: runs `n` sequential `clusters.get` calls on request and answers ms per call. */
const CLIENT = `
import { createRequire } from "node:module";
const { Databricks } = await import(${JSON.stringify(join(ROOT, "dist/index.js"))});
const [host, token, cluster_id] = process.argv.slice(-3);
const db = new Databricks({ host, token, env: {} });
for (let i = 0; i < 300; i++) await db.clusters.get({ cluster_id });
const loaded = Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes("@opentelemetry"));
process.send({ ready: true, otelLoaded: loaded });
process.on("message", async (n) => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await db.clusters.get({ cluster_id });
  process.send({ msPerCall: (performance.now() - t0) / n });
});
process.on("disconnect", () => process.exit(0));
`;

interface Client {
  child: ChildProcess;
  otelLoaded: boolean;
  run(n: number): Promise<number>;
}

async function client(args: string[], host: string, token: string, clusterId: string): Promise<Client> {
  const child = spawn(
    process.execPath,
    [...args, "--input-type=module", "-e", CLIENT, host, token, clusterId],
    {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const next = () => new Promise<any>((resolve) => child.once("message", resolve));
  const ready = await next();
  return {
    child,
    otelLoaded: ready.otelLoaded,
    run: async (n) => {
      const answer = next();
      child.send(n);
      return (await answer).msPerCall;
    },
  };
}

/** µs of CPU the hooks add to one call: an attempt, and the wait and step wrappers around a resolved promise. */
async function hookCost(): Promise<{ attempt: number; wrappers: number }> {
  const spec = { method: "GET", path: "/api/2.1/clusters/get" };
  const n = 200_000;
  traceAttempt(spec, "https://x.cloud.databricks.com", 1, 1, 200, undefined); // loads the API
  let t0 = performance.now();
  for (let i = 0; i < n; i++) traceAttempt(spec, "https://x.cloud.databricks.com", 1, 1, 200, undefined);
  const attempt = ((performance.now() - t0) * 1000) / n;
  const waiter = { what: "x", poll: async () => 1, state: () => "S", outcome: () => ({ done: 1 }) };
  const done = () => Promise.resolve(1);
  const m = 50_000;
  t0 = performance.now();
  for (let i = 0; i < m; i++) await done();
  const bare = performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < m; i++) await traceStep("deploy", {}, () => traceWait(waiter, done));
  const wrappers = ((performance.now() - t0 - bare) * 1000) / m;
  return { attempt, wrappers };
}

export async function run(): Promise<BenchResult> {
  ensureBuild();
  const emu = await spawnEmulator(["--time-scale", "100000"], { dist: true });
  const clients: Client[] = [];
  try {
    const { Databricks } = await import(join(ROOT, "dist/index.js"));
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const cluster = await db.clusters.createAndWait({
      cluster_name: "bench",
      spark_version: "15.4.x-scala2.12",
      node_type_id: "i3.xlarge",
      num_workers: 1,
    });
    const id = String(cluster.cluster_id);
    const present = await client([], emu.url, emu.token, id);
    const absent = await client(["--import", ABSENT], emu.url, emu.token, id);
    // A second process without the API: how far two identical clients differ (the noise floor).
    const control = await client(["--import", ABSENT], emu.url, emu.token, id);
    clients.push(present, absent, control);
    if (!present.otelLoaded || absent.otelLoaded)
      throw new Error("the API is not present/absent as intended");

    const byName = { present, absent, control };
    const names = Object.keys(byName) as Array<keyof typeof byName>;
    const times = { present: [] as number[], absent: [] as number[], control: [] as number[] };
    const ratios: number[] = [];
    const noise: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length]!);
      for (const name of order) times[name].push(await byName[name].run(CALLS));
      ratios.push(times.present[r]! / times.absent[r]!);
      noise.push(times.control[r]! / times.absent[r]!);
    }
    const hooks = await hookCost();
    const callUs = median(times.absent) * 1000;
    return {
      name: "telemetry-overhead",
      rows: [
        { client: "@opentelemetry/api absent", "sequential µs/call": round(callUs, 0) },
        {
          client: "@opentelemetry/api present, no provider",
          "sequential µs/call": round(median(times.present) * 1000, 0),
        },
        {
          client: "@opentelemetry/api absent (control)",
          "sequential µs/call": round(median(times.control) * 1000, 0),
        },
        { client: "hooks of one request (in-process)", "sequential µs/call": round(hooks.attempt, 2) },
        { client: "step + wait wrappers (in-process)", "sequential µs/call": round(hooks.wrappers, 2) },
      ],
      ratios: {
        "clusters.get sequential: API present / absent": round(median(ratios), 3),
        "control / absent (noise floor)": round(median(noise), 3),
        "request hooks / call time": round(hooks.attempt / callUs, 4),
      },
      targets: {
        "clusters.get sequential: API present / absent": "<= 1.02",
        "request hooks / call time": "<= 0.02",
      },
      notes: [
        `three client processes of the built package (API present; absent; absent again as a control), one emulator process; ${ROUNDS} rounds of ${CALLS} sequential calls each, order rotating; medians of the per-round ratios`,
        "hooks measured in this process with the API loaded and no provider: 200 000 request records; 50 000 step+wait wrappers (the cost once per wait or step, not per call)",
      ],
    };
  } finally {
    for (const c of clients) c.child.disconnect();
    await emu.stop();
  }
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
