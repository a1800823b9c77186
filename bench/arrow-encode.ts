/**
 * Arrow → dataframe_split encoding of ROWS (default 1,000,000) rows × 10 columns, against
 * JSON.stringify of the same data held as plain JavaScript arrays. Each variant runs in its own
 * process; throughput and peak memory ratios come from the same run.
 *
 *   npx tsx bench/arrow-encode.ts            (ROWS=200000 for a quicker run)
 */
import { fileURLToPath } from "node:url";
import * as arrow from "apache-arrow";
import { dataframeSplitBatches } from "../src/data/dataframe.js";
import { type BenchResult, isMain, report, round, saveResults } from "./lib.js";
import { bestOf, measure } from "./measure.js";

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const BATCH = Number(process.env.BATCH ?? 1000);
const COLUMNS = ["f1", "f2", "f3", "f4", "i1", "i2", "id", "flag", "category", "ts"];
const T0 = Date.UTC(2024, 0, 1);

/** Deterministic values of row i, column by column. */
const value = {
  f: (i: number, k: number) => Math.sin(i * (k + 1)) * 100,
  i1: (i: number) => i % 1000,
  i2: (i: number) => (i * 7) % 65536,
  id: (i: number) => 1_000_000_000 + i,
  flag: (i: number) => i % 3 === 0,
  category: (i: number) => `cat_${i % 50}`,
  ts: (i: number) => T0 + i * 1000,
};

function arrowTable(): arrow.Table {
  const f = (k: number) => Float64Array.from({ length: ROWS }, (_, i) => value.f(i, k));
  return new arrow.Table({
    f1: arrow.makeVector(f(0)),
    f2: arrow.makeVector(f(1)),
    f3: arrow.makeVector(f(2)),
    f4: arrow.makeVector(f(3)),
    i1: arrow.makeVector(Int32Array.from({ length: ROWS }, (_, i) => value.i1(i))),
    i2: arrow.makeVector(Int32Array.from({ length: ROWS }, (_, i) => value.i2(i))),
    id: arrow.makeVector(BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(value.id(i)))),
    flag: arrow.vectorFromArray(
      Array.from({ length: ROWS }, (_, i) => value.flag(i)),
      new arrow.Bool(),
    ),
    category: arrow.vectorFromArray(
      Array.from({ length: ROWS }, (_, i) => value.category(i)),
      new arrow.Utf8(),
    ),
    ts: arrow.makeVector({
      type: new arrow.TimestampMillisecond("UTC"),
      data: BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(value.ts(i))),
      length: ROWS,
    }),
  });
}

function plainRows(): unknown[][] {
  return Array.from({ length: ROWS }, (_, i) => [
    value.f(i, 0),
    value.f(i, 1),
    value.f(i, 2),
    value.f(i, 3),
    value.i1(i),
    value.i2(i),
    value.id(i),
    value.flag(i),
    value.category(i),
    new Date(value.ts(i)),
  ]);
}

const variant = process.argv[process.argv.indexOf("--variant") + 1];
if (process.argv.includes("--variant")) {
  if (variant === "arrow-batches") {
    await measure(variant, arrowTable, (t, sample) => {
      let rows = 0;
      let bytes = 0;
      for (const payload of dataframeSplitBatches(t, { batchSize: BATCH })) {
        const body = JSON.stringify(payload); // what goes on the wire, one batch at a time
        bytes += body.length;
        rows += payload.dataframe_split.data.length;
        sample();
      }
      return { rows, bytes };
    });
  } else if (variant === "plain-json") {
    await measure(variant, plainRows, (data) => {
      const body = JSON.stringify({ dataframe_split: { columns: COLUMNS, data } });
      return { rows: data.length, bytes: body.length, keep: body };
    });
  } else throw new Error(`unknown variant ${variant}`);
}

export async function run(): Promise<BenchResult> {
  const script = fileURLToPath(import.meta.url);
  const RUNS = Number(process.env.RUNS ?? 2);
  const ours = await bestOf(RUNS, script, "arrow-batches");
  const base = await bestOf(RUNS, script, "plain-json");
  const rate = (m: typeof ours) => Math.round(m.rows / (m.ms / 1000));
  return {
    name: "arrow-encode",
    rows: [ours, base].map((m) => ({
      variant: m.variant,
      "time ms": m.ms,
      "rows/s": rate(m),
      "JSON MiB": Math.round((m.bytes ?? 0) / 2 ** 20),
      "encode memory MiB": m.stepMiB,
      "process peak RSS MiB": m.peakRssMiB,
    })),
    ratios: {
      "throughput arrow-batches / plain-json": round(rate(ours) / rate(base)),
      "encode memory arrow-batches / plain-json": round(
        Math.max(1, ours.stepMiB) / Math.max(1, base.stepMiB),
      ),
    },
    notes: [
      `Arrow → dataframe_split, ${ROWS.toLocaleString("en")} rows × 10 columns, batches of ${BATCH} rows; each variant in its own process, best of ${RUNS}`,
      "encode memory: peak heap + external while encoding, above the level with the input loaded; process peak RSS includes building the input",
    ],
  };
}

if (!process.argv.includes("--variant") && isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
