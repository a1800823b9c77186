import { Databricks } from "../src/index.js";
import { startEmulatorWith } from "../test/integration/serving-helpers.js";
import { type BenchResult, isMain, median, percentile, report, round, saveResults } from "./lib.js";

/**
 * Query path overhead: `servingEndpoints.query` (validation, retry policy, error mapping,
 * response normalisation) against a raw axios POST of the same body, both on the client's own
 * keep-alive connection pool and against the same emulated endpoint, so only the SDK's own work
 * differs. Sequential and at 64 in flight; rounds alternate so drift hits both sides alike.
 */

const IN_FLIGHT = 64;
/** Requests per round and client: sequential, then with 64 in flight. */
const PAYLOADS: Record<string, { rows: number; sequential: number; parallel: number }> = {
  "10 rows": { rows: 10, sequential: 3000, parallel: 1000 },
  "1000 rows": { rows: 1000, sequential: 600, parallel: 256 },
};
const PARALLEL_ROUNDS = 9;

type Send = (body: Record<string, unknown>) => Promise<unknown>;

/**
 * Latency of each request, the two clients taking turns request by request, so that drift on a
 * busy machine (GC, CPU frequency, other processes) hits both alike.
 */
async function interleaved(clients: Record<"raw" | "sdk", Send>, body: Record<string, unknown>, n: number) {
  const out = { raw: [] as number[], sdk: [] as number[] };
  for (let i = 0; i < n; i++) {
    for (const name of i % 2 ? (["sdk", "raw"] as const) : (["raw", "sdk"] as const)) {
      const t = performance.now();
      await clients[name](body);
      out[name].push(performance.now() - t);
    }
  }
  return out;
}

/** Wall time of `n` requests kept `inFlight` at a time. */
async function parallel(
  send: Send,
  body: Record<string, unknown>,
  n: number,
  inFlight: number,
): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        next++;
        await send(body);
      }
    }),
  );
  return performance.now() - t;
}

export async function run(): Promise<BenchResult> {
  // Without a registry service the serving emulator serves any model version: no model to register.
  const emu = await startEmulatorWith({}, null);
  try {
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    await db.servingEndpoints.createAndWait({
      name: "bench",
      config: {
        served_entities: [{ entity_name: "main.bench.model", entity_version: "1", workload_size: "Small" }],
      },
    });
    const axios = db.ctx.transport.axios;
    const url = `${emu.url}/serving-endpoints/bench/invocations`;
    const headers = {
      Authorization: `Bearer ${emu.token}`,
      "Content-Type": "application/json",
      Accept: "application/json",
    };
    const raw: Send = async (body) => {
      const res = await axios.request({
        method: "POST",
        url,
        data: JSON.stringify(body),
        headers,
        responseType: "text",
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      return JSON.parse(res.data as string);
    };
    const sdk: Send = (body) => db.servingEndpoints.query({ name: "bench", ...body } as never);

    const rows: BenchResult["rows"] = [];
    const ratios: BenchResult["ratios"] = {};
    for (const [label, plan] of Object.entries(PAYLOADS)) {
      const body = {
        dataframe_records: Array.from({ length: plan.rows }, (_, i) => ({
          tenure: i % 72,
          charges: 20 + (i % 100),
          plan: "basic",
        })),
      };
      const clients = { raw, sdk };
      await interleaved(clients, body, 100); // warm connections and JIT; not counted
      const seq = await interleaved(clients, body, plan.sequential);
      const par = { raw: [] as number[], sdk: [] as number[] };
      for (let r = 0; r < PARALLEL_ROUNDS; r++) {
        for (const name of r % 2 ? (["sdk", "raw"] as const) : (["raw", "sdk"] as const)) {
          par[name].push(await parallel(clients[name], body, plan.parallel, IN_FLIGHT));
        }
      }
      for (const name of ["raw", "sdk"] as const) {
        rows.push({
          payload: label,
          client: name === "raw" ? "raw axios POST" : "brickml query",
          "sequential median ms": round(median(seq[name]), 3),
          "sequential p90 ms": round(percentile(seq[name], 90), 3),
          [`${IN_FLIGHT} in flight req/s`]: round((plan.parallel / median(par[name])) * 1000, 0),
        });
      }
      ratios[`sequential ${label}: brickml / raw`] = round(median(seq.sdk) / median(seq.raw));
      ratios[`${IN_FLIGHT} in flight ${label}: brickml / raw`] = round(median(par.sdk) / median(par.raw));
    }
    return {
      name: "serving-query",
      rows,
      ratios,
      // Small payloads show per-call work the most: they get the tighter target.
      targets: Object.fromEntries(
        Object.keys(ratios).map((k) => [k, k.includes(" 10 rows") ? "<= 1.05" : "<= 1.10"]),
      ),
      notes: [
        "sequential: both clients take turns request by request; ratio of median latencies",
        `in flight: ${PARALLEL_ROUNDS} alternating rounds per client; ratio of median round wall times`,
        "against the local emulator, in the same process; lower is better",
      ],
    };
  } finally {
    await emu.close();
  }
}

if (isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
