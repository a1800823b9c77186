/**
 * Batched predict of an Arrow table against the emulator: memory is bounded by the batch size,
 * not by the table. Tables of ROWS / 10 and ROWS rows (default 1,000,000) × 10 columns are scored
 * with `endpoint.predict(table)` in `dataframe_split` batches of BATCH rows, CONCURRENCY requests
 * in flight. Each size runs in its own process (the emulator runs in this one), which reports how
 * far its RSS rose above the level it had with the table loaded. The predictions themselves
 * (one number per row) are the only output that grows with the table.
 *
 *   npx tsx bench/predict-arrow.ts            (ROWS=200000 for a quicker run)
 */
import { fileURLToPath } from "node:url";
import * as arrow from "apache-arrow";
import { startEmulator } from "../src/emulator/index.js";
import { Databricks } from "../src/index.js";
import { type BenchResult, isMain, report, round, saveResults } from "./lib.js";
import { runVariant } from "./measure.js";

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const BATCH = Number(process.env.BATCH ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const WARM_UP_ROWS = 50_000;
const MiB = 2 ** 20;

/** What one size reports from its own process. */
interface Sample {
  rows: number;
  ms: number;
  tableMiB: number;
  /** Peak RSS while predicting, minus RSS with the table loaded and the client warmed up. */
  rssGrowthMiB: number;
  /** With `live`: peak of heap + external memory right after full collections every 100 ms. */
  liveGrowthMiB?: number;
  /** With `live`: heap + external memory after the call, with only the predictions held. */
  retainedMiB?: number;
}

/**
 * `usual`: the garbage collector runs when V8 decides, so RSS also holds garbage that is not
 * collected yet. `live`: a full collection every 100 ms shows what is really held: the batches in
 * flight and the predictions so far.
 */
type Mode = "usual" | "live";

/**
 * ROWS × 10 columns of deterministic values: floats, ints, a 64-bit id, a flag, a category, a time.
 * Built from typed arrays only, so making the table leaves no garbage heap behind to blur the
 * measurement.
 */
function table(rows: number): arrow.Table {
  const f = (k: number) => Float64Array.from({ length: rows }, (_, i) => Math.sin(i * (k + 1)) * 100);
  const flags = new Uint8Array(Math.ceil(rows / 8));
  for (let i = 0; i < rows; i += 3) flags[i >> 3]! |= 1 << (i & 7);
  const names = Array.from({ length: 50 }, (_, k) => Buffer.from(`cat_${k}`));
  const offsets = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) offsets[i + 1] = offsets[i]! + names[i % 50]!.length;
  const text = new Uint8Array(offsets[rows]!);
  for (let i = 0; i < rows; i++) text.set(names[i % 50]!, offsets[i]!);
  return new arrow.Table({
    f1: arrow.makeVector(f(0)),
    f2: arrow.makeVector(f(1)),
    f3: arrow.makeVector(f(2)),
    f4: arrow.makeVector(f(3)),
    i1: arrow.makeVector(Int32Array.from({ length: rows }, (_, i) => i % 1000)),
    i2: arrow.makeVector(Int32Array.from({ length: rows }, (_, i) => (i * 7) % 65536)),
    id: arrow.makeVector(BigInt64Array.from({ length: rows }, (_, i) => BigInt(1_000_000_000 + i))),
    flag: arrow.makeVector(arrow.makeData({ type: new arrow.Bool(), length: rows, data: flags })),
    category: arrow.makeVector(
      arrow.makeData({ type: new arrow.Utf8(), length: rows, valueOffsets: offsets, data: text }),
    ),
    ts: arrow.makeVector({
      type: new arrow.TimestampMillisecond("UTC"),
      data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(Date.UTC(2024, 0, 1) + i * 1000)),
      length: rows,
    }),
  });
}

/** Inside a size's own process: load the table, warm up, then predict it while sampling memory. */
async function measureSize(rows: number, mode: Mode): Promise<Sample> {
  const db = new Databricks({ host: process.env.EMU_URL!, token: process.env.EMU_TOKEN!, env: {} });
  const endpoint = db.endpoint("bench");
  const input = table(rows);
  const options = { batchSize: BATCH, concurrency: CONCURRENCY };
  // The same warm-up for every size: code, JIT, connections, and V8 growing its young generation
  // to the allocation rate, so that what follows measures holding, not warming up.
  await endpoint.predict(input.slice(0, WARM_UP_ROWS), options);
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const heap = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const rss0 = process.memoryUsage.rss();
  const heap0 = heap();
  let rssPeak = rss0;
  let livePeak = heap0;
  const timer = setInterval(
    () => {
      if (mode === "live") {
        gc();
        livePeak = Math.max(livePeak, heap());
      }
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    },
    mode === "live" ? 100 : 5,
  );
  const start = performance.now();
  const predictions = await endpoint.predict<number>(input, options);
  const ms = performance.now() - start;
  clearInterval(timer);
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  if (predictions.length !== rows) throw new Error(`expected ${rows} predictions, got ${predictions.length}`);
  const mib = (bytes: number) => round(bytes / MiB, 1);
  const sample: Sample = {
    rows,
    ms: Math.round(ms),
    tableMiB: mib(input.batches.reduce((n, b) => n + b.data.byteLength, 0)),
    rssGrowthMiB: mib(rssPeak - rss0),
  };
  if (mode === "live") {
    gc();
    sample.retainedMiB = mib(Math.max(0, heap() - heap0));
    sample.liveGrowthMiB = mib(Math.max(livePeak, heap()) - heap0);
  }
  void predictions;
  return sample;
}

export async function run(): Promise<BenchResult> {
  const emu = await startEmulator();
  try {
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    // A workspace-registry model name: the emulator serves it without a Unity Catalog version.
    await db.servingEndpoints.createAndWait({
      name: "bench",
      config: {
        served_entities: [{ entity_name: "bench-model", entity_version: "1", workload_size: "Small" }],
      },
    });
    const script = fileURLToPath(import.meta.url);
    const env = { EMU_URL: emu.url, EMU_TOKEN: emu.token };
    const sizes = [Math.round(ROWS / 10), ROWS];
    const measured: Array<{ usual: Sample; live: Sample }> = [];
    for (const rows of sizes) {
      const usual = (await runVariant(script, `${rows}:usual`, env)) as unknown as Sample;
      const live = (await runVariant(script, `${rows}:live`, env)) as unknown as Sample;
      measured.push({ usual, live });
    }
    const [small, large] = measured as [(typeof measured)[0], (typeof measured)[0]];
    // Beyond the predictions: the batches in flight and their garbage, i.e. what batching bounds.
    const inFlight = (s: Sample) => Math.max(0, s.liveGrowthMiB! - s.retainedMiB!);
    return {
      name: "predict-arrow",
      rows: measured.map(({ usual, live }) => ({
        rows: usual.rows.toLocaleString("en"),
        "table MiB": usual.tableMiB,
        "time ms": usual.ms,
        "rows/s": Math.round(usual.rows / (usual.ms / 1000)).toLocaleString("en"),
        "RSS growth MiB": usual.rssGrowthMiB,
        "RSS growth, prompt GC MiB": live.rssGrowthMiB,
        "live peak MiB": live.liveGrowthMiB!,
        "predictions held MiB": live.retainedMiB!,
        "live beyond predictions MiB": round(inFlight(live), 1),
      })),
      ratios: {
        "table size large / small": round(large.usual.tableMiB / small.usual.tableMiB),
        "live beyond predictions large / small": round(
          Math.max(1, inFlight(large.live)) / Math.max(1, inFlight(small.live)),
        ),
        "RSS growth, prompt GC / table size (large)": round(large.live.rssGrowthMiB / large.usual.tableMiB),
        "RSS growth, GC as usual / table size (large)": round(
          large.usual.rssGrowthMiB / large.usual.tableMiB,
        ),
      },
      targets: {
        "live beyond predictions large / small": "< 2",
        "RSS growth, prompt GC / table size (large)": "< 0.5",
      },
      notes: [
        `endpoint.predict(table) in dataframe_split batches of ${BATCH} rows, ${CONCURRENCY} in flight, against the emulator (in another process); each size in a fresh process after the same ${WARM_UP_ROWS.toLocaleString("en")}-row warm-up`,
        "RSS growth: peak resident set while predicting, above the level with the table loaded and the client warmed up",
        "GC as usual, V8 lets the garbage of sent batches pile up to its own heap limits (set by V8, not by the table); with prompt GC (a full collection every 100 ms) RSS follows what is really held",
        "live peak: heap + external right after those collections; predictions held: after the call, the returned array alone (one number per row: the output, which grows with the table); live beyond predictions: what the batching bounds (±1 MiB resolution)",
      ],
    };
  } finally {
    await emu.close();
  }
}

if (process.argv.includes("--variant")) {
  const [rows, mode] = process.argv[process.argv.indexOf("--variant") + 1]!.split(":");
  process.stdout.write(`${JSON.stringify(await measureSize(Number(rows), mode as Mode))}\n`);
} else if (isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
