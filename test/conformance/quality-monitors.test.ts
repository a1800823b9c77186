import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { SqlEmulatorExports } from "../../src/emulator/services/sql.js";

describe("official SDK against the emulated table monitors", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  beforeAll(async () => {
    emu = await startEmulator({ manualClock: true });
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    emu.context.service<SqlEmulatorExports>("sql")!.registerTable(
      "main.ml.scores",
      [
        { name: "ts", type: "TIMESTAMP" },
        { name: "model", type: "STRING" },
        { name: "prediction", type: "DOUBLE" },
      ],
      [["2024-01-01T00:00:00Z", "1", 0.5]],
    );
  });
  afterAll(() => emu.close());

  it("creates, reads, refreshes and deletes a monitor", async () => {
    const created = await w.qualityMonitors.create({
      table_name: "main.ml.scores",
      output_schema_name: "main.monitoring",
      assets_dir: "/Shared/monitors/scores",
      inference_log: {
        problem_type: "PROBLEM_TYPE_REGRESSION",
        prediction_col: "prediction",
        timestamp_col: "ts",
        granularities: ["1 hour"],
        model_id_col: "model",
      },
    });
    expect(created.status).toBe("MONITOR_STATUS_PENDING");
    expect((await w.qualityMonitors.get({ table_name: "main.ml.scores" })).drift_metrics_table_name).toBe(
      "main.monitoring.scores_drift_metrics",
    );
    const refresh = await w.qualityMonitors.runRefresh({ table_name: "main.ml.scores" });
    emu.clock.advance(5 * 60_000);
    const got = await w.qualityMonitors.getRefresh({
      table_name: "main.ml.scores",
      refresh_id: refresh.refresh_id,
    });
    expect(got.state).toBe("SUCCESS");
    const list = await w.qualityMonitors.listRefreshes({ table_name: "main.ml.scores" });
    expect(list.refreshes?.map((r) => r.refresh_id)).toEqual([refresh.refresh_id]);
    await w.qualityMonitors.delete({ table_name: "main.ml.scores" });
    await expect(w.qualityMonitors.get({ table_name: "main.ml.scores" })).rejects.toThrow(/does not exist/);
  });
});
