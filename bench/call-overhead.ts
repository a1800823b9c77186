// Per-call overhead: `clusters.get` and `servingEndpoints.get` through brickml, a raw axios GET
// (same keep-alive agent settings) and the official SDK, against an emulator in its own process
// so its CPU does not mix with the clients'. Sequential and 64 in flight; the clients take turns
// round by round (rotating who goes first), and the figures are medians over rounds.
import http from "node:http";
import https from "node:https";
import { WorkspaceClient } from "@databricks/sdk-experimental";
import axios, { type AxiosInstance } from "axios";
import { spawnEmulator } from "../test/emulator-process.js";
import { importBrickml } from "./build.js";
import { type BenchResult, isMain, median, report, round, saveResults } from "./lib.js";

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const SEQUENTIAL = 300;
const IN_FLIGHT = 64;
const PARALLEL = 1280;

type Get = () => Promise<unknown>;
const CLIENTS = ["raw axios", "brickml", "official SDK"] as const;
type Client = (typeof CLIENTS)[number];

/** ms per call, calls one after the other. */
async function sequential(get: Get, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await get();
  return (performance.now() - t0) / n;
}

/** ms per call (wall time / calls), `inFlight` at a time. */
async function parallel(get: Get, n: number, inFlight: number): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started < n) {
        started++;
        await get();
      }
    }),
  );
  return (performance.now() - t0) / n;
}

/** The raw baseline: what brickml's transport does minus the SDK (validation, retries, errors, parsing). */
function rawAxios(): AxiosInstance {
  return axios.create({
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    proxy: false,
  });
}

export async function run(): Promise<BenchResult> {
  const { Databricks } = await importBrickml();
  // Fast virtual time so the cluster and the endpoint are up in a moment.
  const emu = await spawnEmulator(["--time-scale", "100000"], { dist: true });
  try {
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const cluster = await db.clusters.createAndWait({
      cluster_name: "bench",
      spark_version: "15.4.x-scala2.12",
      node_type_id: "i3.xlarge",
      num_workers: 2,
    });
    const cluster_id = String(cluster.cluster_id);
    await db.servingEndpoints.create({
      name: "bench",
      config: {
        served_entities: [{ entity_name: "main.bench.model", entity_version: "1", workload_size: "Small" }],
      },
    });
    const raw = rawAxios();
    const headers = { Authorization: `Bearer ${emu.token}`, Accept: "application/json" };
    const w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    const ops: Record<string, Record<Client, Get>> = {
      "clusters.get": {
        "raw axios": () => raw.get(`${emu.url}/api/2.1/clusters/get`, { headers, params: { cluster_id } }),
        brickml: () => db.clusters.get({ cluster_id }),
        "official SDK": () => w.clusters.get({ cluster_id }),
      },
      "servingEndpoints.get": {
        "raw axios": () => raw.get(`${emu.url}/api/2.0/serving-endpoints/bench`, { headers }),
        brickml: () => db.servingEndpoints.get({ name: "bench" }),
        "official SDK": () => w.servingEndpoints.get({ name: "bench" }),
      },
    };
    // Every client must see the same answer before anything is timed.
    for (const [op, clients] of Object.entries(ops)) {
      for (const [name, get] of Object.entries(clients)) {
        const out = (await get()) as { data?: unknown };
        const body = (name === "raw axios" ? out.data : out) as Record<string, unknown>;
        if (!body?.cluster_id && !body?.name) throw new Error(`${name} ${op}: unexpected answer`);
      }
    }

    const rows: BenchResult["rows"] = [];
    const ratios: Record<string, number> = {};
    const targets: Record<string, string> = {};
    for (const [op, clients] of Object.entries(ops)) {
      const seq: Record<Client, number[]> = { "raw axios": [], brickml: [], "official SDK": [] };
      const par: Record<Client, number[]> = { "raw axios": [], brickml: [], "official SDK": [] };
      for (const c of CLIENTS) await sequential(clients[c], 200); // warm connections and JIT
      for (let r = 0; r < ROUNDS; r++) {
        const order = CLIENTS.map((_, i) => CLIENTS[(i + r) % CLIENTS.length]!);
        for (const c of order) seq[c].push(await sequential(clients[c], SEQUENTIAL));
        for (const c of order) par[c].push(await parallel(clients[c], PARALLEL, IN_FLIGHT));
      }
      for (const c of CLIENTS) {
        rows.push({
          call: op,
          client: c,
          "sequential µs/call": round(median(seq[c]) * 1000, 0),
          [`${IN_FLIGHT} in flight µs/call`]: round(median(par[c]) * 1000, 0),
          [`${IN_FLIGHT} in flight calls/s`]: Math.round(1000 / median(par[c])),
        });
      }
      for (const [mode, m] of [
        ["sequential", seq],
        [`${IN_FLIGHT} in flight`, par],
      ] as const) {
        const vsRaw = `${op} ${mode}: brickml / raw axios`;
        const vsSdk = `${op} ${mode}: brickml / official SDK`;
        ratios[vsRaw] = round(median(m.brickml) / median(m["raw axios"]));
        ratios[vsSdk] = round(median(m.brickml) / median(m["official SDK"]));
        targets[vsRaw] = mode === "sequential" ? "<= 1.05" : "<= 1.10";
        targets[vsSdk] = "< 1";
      }
    }
    return {
      name: "call-overhead",
      rows,
      ratios,
      targets,
      notes: [
        `emulator in its own process; ${ROUNDS} rounds of ${SEQUENTIAL} sequential calls and ${PARALLEL} calls ${IN_FLIGHT} in flight per client, order rotating each round; medians over rounds`,
        "times are end to end, the emulator's own work included (the same for every client)",
      ],
    };
  } finally {
    await emu.stop();
  }
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
