/**
 * A ROWS-row (default 1,000,000) × 10-column statement result through the emulator, read as
 * ARROW_STREAM (an Arrow Table) against JSON_ARRAY (typed rows, and the same converted to Arrow),
 * both with EXTERNAL_LINKS (INLINE results stop at 25 MiB, far below this result). The emulator
 * runs in this process; each client variant runs in its own, so its time and memory are its own.
 * Times include the emulator's work for that statement (running the SQL, writing result files).
 *
 *   npx tsx bench/statements.ts            (ROWS=200000 for a quicker run)
 */
import { fileURLToPath } from "node:url";
import { startEmulator } from "../src/emulator/index.js";
import type { SqlEmulatorExports } from "../src/emulator/services/sql.js";
import { Databricks } from "../src/index.js";
import { type BenchResult, isMain, report, round, saveResults } from "./lib.js";
import { bestOf, measure } from "./measure.js";

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const QUERY = "SELECT * FROM main.bench.wide ORDER BY id";

if (process.argv.includes("--variant")) {
  const variant = process.argv[process.argv.indexOf("--variant") + 1]!;
  const db = new Databricks({ host: process.env.EMU_URL!, token: process.env.EMU_TOKEN!, env: {} });
  const warehouse_id = process.env.WAREHOUSE_ID!;
  const options = { warehouse_id, waitTimeout: 600_000 };
  await measure(
    variant,
    // apache-arrow is loaded before measuring, so its code is not counted as result memory.
    async () => {
      await import("apache-arrow");
      return db;
    },
    async (client) => {
      if (variant === "arrow-stream") {
        const t = await client.statements.query(QUERY, { ...options, format: "arrow" });
        return { rows: t.numRows, keep: t };
      }
      const response = await client.statements.executeAndWait(
        {
          statement: QUERY,
          warehouse_id,
          disposition: "EXTERNAL_LINKS",
          format: "JSON_ARRAY",
        },
        { timeout: 600_000 },
      );
      if (variant === "json-array-rows") {
        const rows = await client.statements.fetchRows(response);
        return { rows: rows.length, keep: rows };
      }
      const t = await client.statements.fetchArrow(response);
      return { rows: t.numRows, keep: t };
    },
  );
}

export async function run(): Promise<BenchResult> {
  // A slow clock keeps the 15-minute result links valid for 90 real seconds (and results for 6
  // minutes), enough for a loaded machine.
  const emu = await startEmulator({ timeScale: 10 });
  try {
    const sql = emu.context.service<SqlEmulatorExports>("sql")!;
    const started = performance.now();
    sql.query(
      `CREATE TABLE main.bench.wide (id BIGINT, f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, i1 INT, i2 INT,
                                     category STRING, flag BOOLEAN, ts TIMESTAMP, label STRING)`,
    );
    sql.query(
      `INSERT INTO main.bench.wide
       SELECT id, id * 0.5, sin(id), cos(id), id % 1000, (id * 7) % 65536, 'cat_' || (id % 50), id % 3 = 0,
              TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (id) SECOND, 'row ' || id FROM range(${ROWS}) AS n(id)`,
    );
    const prepared = Math.round(performance.now() - started);
    // A warehouse that never stops on its own, started (and the emulator's Arrow writer loaded) up front.
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const { id } = await db.request<{ id: string }>({
      method: "POST",
      path: "/api/2.0/sql/warehouses",
      body: { name: "bench", auto_stop_mins: 0, enable_serverless_compute: true },
    });
    await db.warehouses.startAndWait({ id });
    await db.statements.query("SELECT 1 AS warm", { warehouse_id: id, format: "arrow" });
    const script = fileURLToPath(import.meta.url);
    const env = { EMU_URL: emu.url, EMU_TOKEN: emu.token, WAREHOUSE_ID: id };
    const RUNS = Number(process.env.RUNS ?? 1);
    const arrow = await bestOf(RUNS, script, "arrow-stream", env);
    const rows = await bestOf(RUNS, script, "json-array-rows", env);
    const jsonArrow = await bestOf(RUNS, script, "json-array-arrow", env);
    const mem = (m: typeof arrow) => Math.max(1, m.stepMiB);
    return {
      name: "statements",
      rows: [arrow, rows, jsonArrow].map((m) => ({
        variant: m.variant,
        "time ms": m.ms,
        "rows/s": Math.round(m.rows / (m.ms / 1000)),
        "client memory MiB": m.stepMiB,
        "client peak RSS MiB": m.peakRssMiB,
      })),
      ratios: {
        "time ARROW_STREAM / JSON_ARRAY rows": round(arrow.ms / rows.ms),
        "memory ARROW_STREAM / JSON_ARRAY rows": round(mem(arrow) / mem(rows)),
        "time ARROW_STREAM / JSON_ARRAY → Arrow": round(arrow.ms / jsonArrow.ms),
        "memory ARROW_STREAM / JSON_ARRAY → Arrow": round(mem(arrow) / mem(jsonArrow)),
      },
      notes: [
        `statement results, ${ROWS.toLocaleString("en")} rows × 10 columns, EXTERNAL_LINKS, emulator (table built in ${prepared} ms); each client variant in its own process`,
        "client memory: peak heap + external of the client process while it fetched, result held",
      ],
    };
  } finally {
    await emu.close();
  }
}

if (!process.argv.includes("--variant") && isMain(import.meta.url)) {
  const r = await run();
  report(r);
  saveResults([r]);
}
