// Waiting: a job run and a serving endpoint that finish after a known delay. For each, brickml's
// waiter, a fixed 1 s poller and the official SDK's waiter wait in parallel (each on its own
// run or endpoint, all started together); we count their polls and the lag between the state
// change and its detection. Delays of 10.5, 30.5 and 60.5 s (real time; not whole seconds, so a 1 s poller is not in step with the change): each runs on its own emulator
// whose clock runs fast enough that an endpoint's 6-minute build takes that long.
import officialSdk from "@databricks/sdk-experimental";
import type { Emulator, JobsEmulatorExports } from "../src/emulator/index.js";
import { Databricks } from "../src/index.js";
import { startEmulatorWith } from "../test/integration/serving-helpers.js";
import { type BenchResult, isMain, median, report, round, saveResults } from "./lib.js";

/** Virtual time an endpoint takes from create to READY in the emulator (build, deploy, propagate). */
const ENDPOINT_BUILD_MS = 6 * 60_000;
const DELAYS_S = (process.env.DELAYS ?? "10.5,30.5,60.5").split(",").map(Number);
/** Waits per poller, resource and delay: where a change falls between two polls is chance. */
const REPLICAS = Number(process.env.REPLICAS ?? 5);
const POLLERS = ["brickml waiter", "fixed 1 s poller", "official SDK waiter"] as const;
type Poller = (typeof POLLERS)[number];

interface Outcome {
  kind: "job run" | "endpoint";
  delayS: number;
  poller: Poller;
  polls: number;
  /** Real seconds from the state change to its detection. */
  lagS: number;
}

// Time is not a named ES module export of the official SDK (it is CommonJS).
const { Time, TimeUnits, WorkspaceClient } = officialSdk;

/** Replica k starts waiting this long after its run or endpoint started (the change then comes sooner). */
const STAGGER_MS = 2100;

/**
 * Every poller, REPLICAS times. Replica k starts waiting k × 2.1 s late, so the changes fall at
 * different points of each poller's schedule rather than all in the same place.
 */
const replicate = () =>
  POLLERS.flatMap((poller) =>
    Array.from({ length: REPLICAS }, (_, k) => ({ poller, lateMs: k * STAGGER_MS })),
  ).map((r, i) => ({ ...r, i }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fixedPoller<T>(
  get: () => Promise<T>,
  done: (v: T) => boolean,
): Promise<{ last: T; polls: number }> {
  for (let polls = 1; ; polls++) {
    const last = await get();
    if (done(last)) return { last, polls };
    await sleep(1000);
  }
}

async function scenario(delayS: number): Promise<Outcome[]> {
  const scale = ENDPOINT_BUILD_MS / (delayS * 1000);
  // Without a registry service the serving emulator takes any model version as READY to serve.
  const emu: Emulator = await startEmulatorWith({ timeScale: scale }, null);
  try {
    /** A brickml client that counts its status reads (attempts on `path`, retries excluded). */
    const counted = (path: RegExp) => {
      const seen = { polls: 0 };
      const client = new Databricks({
        host: emu.url,
        token: emu.token,
        env: {},
        onRequest: (e) => {
          if (e.method === "GET" && path.test(e.path) && e.retryInMs === undefined) seen.polls++;
        },
      });
      return { client, seen };
    };
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    const timeout = new Time(30, TimeUnits.minutes);
    /** Real seconds between two virtual instants of this emulator. */
    const real = (virtualMs: number) => virtualMs / scale / 1000;

    // A job run: serverless compute starts (30 s), the notebook runs, compute cleans up (30 s).
    const path = `/Shared/wait/${delayS}`;
    await db.workspace.mkdirs({ path: "/Shared/wait" });
    await db.workspace.import({
      path,
      content: Buffer.from("print(1)").toString("base64"),
      format: "SOURCE",
      language: "PYTHON",
      overwrite: true,
    });
    emu.context.service<JobsEmulatorExports>("jobs")!.scriptNotebook(path, {
      durationMs: Math.max(1000, delayS * 1000 * scale - 60_000),
    });
    const submit = { tasks: [{ task_key: "t", notebook_task: { notebook_path: path } }] };
    const runDone = (r: { state?: { life_cycle_state?: string | null } | null }) =>
      ["TERMINATED", "SKIPPED", "INTERNAL_ERROR"].includes(String(r.state?.life_cycle_state));
    const runLag = (run: { end_time?: number | null }) => real(emu.clock.now() - Number(run.end_time));

    const jobs = replicate().map(async ({ poller, lateMs }): Promise<Outcome> => {
      if (poller === "brickml waiter") {
        const { client, seen } = counted(/\/jobs\/runs\/get$/);
        const { run_id } = await client.jobs.submit(submit);
        await sleep(lateMs);
        const run = await client.jobs.waitUntilRunTerminated({ run_id }, { timeout: 30 * 60_000 });
        return { kind: "job run", delayS, poller, polls: seen.polls, lagS: runLag(run) };
      }
      if (poller === "fixed 1 s poller") {
        const { run_id } = await db.jobs.submit(submit);
        await sleep(lateMs);
        const { last, polls } = await fixedPoller(() => db.jobs.getRun({ run_id }), runDone);
        return { kind: "job run", delayS, poller, polls, lagS: runLag(last) };
      }
      let polls = 0;
      const waiter = await w.jobs.submit(submit as never);
      await sleep(lateMs);
      const run = await waiter.wait({ timeout, onProgress: async () => void polls++ });
      return { kind: "job run", delayS, poller, polls, lagS: runLag(run) };
    });

    // An endpoint: READY when its config applies (`apply_at` in the emulator's state).
    const entity = { entity_name: "main.wait.model", entity_version: "1", workload_size: "Small" };
    const serving = emu.context.state<{ endpoints: Record<string, { pending?: { apply_at: number } }> }>(
      "serving",
    );
    const readyAt = (name: string) => Number(serving.endpoints[name]?.pending?.apply_at);
    const endpoints = replicate().map(async ({ poller, lateMs, i }): Promise<Outcome> => {
      const name = `wait-${String(delayS).replace(".", "_")}-${i}`;
      const create = { name, config: { served_entities: [entity] } };
      if (poller === "brickml waiter") {
        const { client, seen } = counted(new RegExp(`/serving-endpoints/${name}$`));
        await client.servingEndpoints.create(create);
        const at = readyAt(name);
        await sleep(lateMs);
        await client.servingEndpoints.waitUntilEndpointReady({ name }, { timeout: 30 * 60_000 });
        return { kind: "endpoint", delayS, poller, polls: seen.polls, lagS: real(emu.clock.now() - at) };
      }
      if (poller === "fixed 1 s poller") {
        await db.servingEndpoints.create(create);
        const at = readyAt(name);
        await sleep(lateMs);
        const { polls } = await fixedPoller(
          () => db.servingEndpoints.get({ name }),
          (e) => e.state?.ready === "READY" && e.state?.config_update === "NOT_UPDATING",
        );
        return { kind: "endpoint", delayS, poller, polls, lagS: real(emu.clock.now() - at) };
      }
      let polls = 0;
      const waiter = await w.servingEndpoints.create(create as never);
      const at = readyAt(name);
      await sleep(lateMs);
      await waiter.wait({ timeout, onProgress: async () => void polls++ });
      return { kind: "endpoint", delayS, poller, polls, lagS: real(emu.clock.now() - at) };
    });
    // Runs and endpoints wait side by side (awaited here, so the emulator outlives every wait).
    return await Promise.all([...jobs, ...endpoints]);
  } finally {
    await emu.close();
  }
}

export async function run(): Promise<BenchResult> {
  // The delays run side by side: the whole benchmark takes about as long as the longest one.
  const outcomes = (await Promise.all(DELAYS_S.map(scenario))).flat();
  const rows: BenchResult["rows"] = [];
  for (const kind of ["job run", "endpoint"] as const) {
    for (const delayS of DELAYS_S) {
      for (const poller of POLLERS) {
        const mine = outcomes.filter((o) => o.kind === kind && o.delayS === delayS && o.poller === poller);
        rows.push({
          resource: kind,
          "changes after s": `${round(delayS - ((REPLICAS - 1) * STAGGER_MS) / 1000, 1)}–${delayS}`,
          poller,
          "polls (mean)": round(mine.reduce((s, o) => s + o.polls, 0) / mine.length, 1),
          "detection lag s (median)": round(median(mine.map((o) => o.lagS)), 2),
          waits: mine.length,
        });
      }
    }
  }
  const ratios: Record<string, number> = {};
  const polls = (p: Poller) => outcomes.filter((o) => o.poller === p).reduce((s, o) => s + o.polls, 0);
  const lag = (p: Poller) => median(outcomes.filter((o) => o.poller === p).map((o) => o.lagS));
  for (const poller of POLLERS) {
    ratios[`${poller}: polls per wait`] = round(
      polls(poller) / outcomes.filter((o) => o.poller === poller).length,
      1,
    );
    ratios[`${poller}: median lag s`] = round(lag(poller), 2);
  }
  ratios["polls brickml / official SDK"] = round(polls("brickml waiter") / polls("official SDK waiter"));
  ratios["lag brickml / official SDK"] = round(lag("brickml waiter") / lag("official SDK waiter"));
  return {
    name: "waiting",
    rows,
    ratios,
    targets: { "polls brickml / official SDK": "<= 1", "lag brickml / official SDK": "<= 1" },
    notes: [
      `each poller waits on its own runs or endpoints, ${REPLICAS} per delay, starting 0, 2.1, 4.2 … s after them (so the change comes that much sooner in the wait); all against the same emulator`,
      "polls: status reads until the wait ended (brickml: GETs seen by onRequest; official SDK: its onProgress calls, one per poll)",
      "lag: real time between the state change (run end_time; endpoint config apply time) and the poll that saw it",
      "job runs take a bit longer than the endpoint's delay (serverless start and clean-up are added)",
    ],
  };
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
