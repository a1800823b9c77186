import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { SqlEmulatorExports } from "../../src/emulator/services/sql.js";
import { STARTER_WAREHOUSE_ID } from "../../src/emulator/services/warehouses.js";
import { Databricks, isAlreadyExists, isNotFound, isOperationFailed } from "../../src/index.js";
import { rejection } from "../helpers.js";

const TABLE = "main.ml.churn_payload";
const inference_log = {
  problem_type: "PROBLEM_TYPE_CLASSIFICATION" as const,
  prediction_col: "prediction",
  timestamp_col: "request_time",
  granularities: ["1 day"],
  model_id_col: "model_version",
};

describe("quality monitors against the emulator", () => {
  let emu: Emulator;
  let db: Databricks;
  beforeAll(async () => {
    emu = await startEmulator({ manualClock: true });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const sql = emu.context.service<SqlEmulatorExports>("sql")!;
    const columns = [
      { name: "request_time", type: "TIMESTAMP" },
      { name: "model_version", type: "STRING" },
      { name: "tenure", type: "DOUBLE" },
      { name: "plan", type: "STRING" },
      { name: "prediction", type: "DOUBLE" },
    ];
    const rows = (shift: number, plan: (i: number) => string) =>
      Array.from({ length: 200 }, (_, i) => [
        new Date(Date.UTC(2024, 4, 1) + i * 60_000).toISOString(),
        "1",
        (i % 50) + shift,
        plan(i),
        i % 2,
      ]);
    sql.registerTable(
      "main.ml.churn_train",
      columns,
      rows(0, (i) => (i % 4 === 0 ? "pro" : "free")),
    );
    sql.registerTable(
      TABLE,
      columns,
      rows(40, (i) => (i % 4 === 0 ? "free" : "pro")),
    );
  });
  afterAll(() => emu.close());

  it("creates an inference-log monitor that becomes ACTIVE, and refuses duplicates and bad configs", async () => {
    const created = await db.qualityMonitors.create({
      table_name: TABLE,
      output_schema_name: "main.monitoring",
      assets_dir: "/Shared/monitors/churn",
      inference_log,
      baseline_table_name: "main.ml.churn_train",
    });
    expect(created).toMatchObject({
      table_name: TABLE,
      status: "MONITOR_STATUS_PENDING",
      profile_metrics_table_name: "main.monitoring.churn_payload_profile_metrics",
      drift_metrics_table_name: "main.monitoring.churn_payload_drift_metrics",
      inference_log,
    });
    emu.clock.advance(60_000);
    expect((await db.qualityMonitors.get({ table_name: TABLE })).status).toBe("MONITOR_STATUS_ACTIVE");
    const again = await rejection(
      db.qualityMonitors.create({
        table_name: TABLE,
        output_schema_name: "main.m",
        assets_dir: "/x",
        inference_log,
      }),
    );
    expect(isAlreadyExists(again)).toBe(true);
    const badColumn = await rejection(
      db.qualityMonitors.create({
        table_name: "main.ml.churn_train",
        output_schema_name: "main.m",
        assets_dir: "/x",
        inference_log: { ...inference_log, prediction_col: "nope" },
      }),
    );
    expect(badColumn.errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect(badColumn.message).toContain("nope");
    const noTable = await rejection(
      db.qualityMonitors.create({
        table_name: "main.ml.none",
        output_schema_name: "main.m",
        assets_dir: "/x",
        snapshot: {},
      }),
    );
    expect(noTable.errorCode).toBe("TABLE_DOES_NOT_EXIST");
  });

  it("refreshes PENDING → RUNNING → SUCCESS on the clock and writes metric tables readable with SQL", async () => {
    const refresh = await db.qualityMonitors.runRefresh({ table_name: TABLE });
    expect(refresh).toMatchObject({ state: "PENDING", trigger: "MANUAL" });
    const id = refresh.refresh_id!;
    emu.clock.advance(30_000);
    expect((await db.qualityMonitors.getRefresh({ table_name: TABLE, refresh_id: id })).state).toBe(
      "RUNNING",
    );
    emu.clock.advance(3 * 60_000);
    const done = await db.qualityMonitors.getRefresh({ table_name: TABLE, refresh_id: id });
    expect(done.state).toBe("SUCCESS");
    expect(done.end_time_ms).toBeGreaterThan(done.start_time_ms!);
    expect((await db.qualityMonitors.listRefreshes({ table_name: TABLE }))[0]!.refresh_id).toBe(id);

    await db.warehouses.start({ id: STARTER_WAREHOUSE_ID });
    emu.clock.advance(10_000);
    const read = async (statement: string) => {
      const s = await db.statements.executeStatement({
        statement,
        warehouse_id: STARTER_WAREHOUSE_ID,
        wait_timeout: "0s",
      });
      emu.clock.advance(1_000);
      return db.statements.fetchRows(await db.statements.getStatement({ statement_id: s.statement_id! }));
    };
    const profile = await read(
      "SELECT column_name, count, avg FROM main.monitoring.churn_payload_profile_metrics WHERE column_name = 'tenure'",
    );
    expect(profile).toEqual([{ column_name: "tenure", count: 200, avg: 64.5 }]);
    const drift = await read(
      "SELECT column_name, population_stability_index AS psi, chi_squared_pvalue AS p FROM main.monitoring.churn_payload_drift_metrics ORDER BY column_name",
    );
    const byName = Object.fromEntries(drift.map((r) => [r.column_name, r]));
    expect(byName.tenure!.psi as number).toBeGreaterThan(0.2);
    expect(byName.plan!.p as number).toBeLessThan(0.05);
  });

  it("waits for a refresh, cancels one, and reports a failed one", async () => {
    // A client whose waits move the emulator's clock: each poll sees a minute later.
    const stepping = new Databricks({
      host: emu.url,
      token: emu.token,
      env: {},
      clock: { now: () => Date.now(), sleep: async () => emu.clock.advance(60_000) },
    });
    expect((await stepping.qualityMonitors.runRefreshAndWait({ table_name: TABLE })).state).toBe("SUCCESS");

    const r = await db.qualityMonitors.runRefresh({ table_name: TABLE });
    await db.qualityMonitors.cancelRefresh({ table_name: TABLE, refresh_id: r.refresh_id! });
    expect(
      (await db.qualityMonitors.getRefresh({ table_name: TABLE, refresh_id: r.refresh_id! })).state,
    ).toBe("CANCELED");

    await db.qualityMonitors.update({
      table_name: TABLE,
      output_schema_name: "main.monitoring",
      inference_log,
      baseline_table_name: "main.ml.gone",
    });
    const err = await rejection(stepping.qualityMonitors.runRefreshAndWait({ table_name: TABLE }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.message).toContain("main.ml.gone");
    expect((await db.qualityMonitors.get({ table_name: TABLE })).monitor_version).toBe(1);
  });

  it("deletes the monitor but keeps its metric tables", async () => {
    await db.qualityMonitors.delete({ table_name: TABLE });
    expect(isNotFound(await rejection(db.qualityMonitors.get({ table_name: TABLE })))).toBe(true);
    const sql = emu.context.service<SqlEmulatorExports>("sql")!;
    expect(sql.tableColumns("main.monitoring.churn_payload_profile_metrics")).toBeDefined();
  });
});
