import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isOperationFailed, isValidationError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";
import { HOST, testClient } from "../helpers.js";

const MON = "/api/2.1/unity-catalog/tables/main.ml.churn_payload/monitor";
const DQ = "/api/data-quality/v1/monitors";
const inference_log = {
  problem_type: "PROBLEM_TYPE_CLASSIFICATION" as const,
  prediction_col: "prediction",
  timestamp_col: "request_time",
  granularities: ["1 day"],
  model_id_col: "model_version",
  label_col: "label",
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

describe("quality monitors (table monitor API)", () => {
  it("creates an inference-log monitor with the table name in the path, not the body", async () => {
    const db = testClient();
    const scope = nock(HOST)
      .post(MON, { output_schema_name: "main.ml", assets_dir: "/Shared/monitors/churn", inference_log })
      .reply(200, {
        table_name: "main.ml.churn_payload",
        status: "MONITOR_STATUS_PENDING",
        monitor_version: 0,
        profile_metrics_table_name: "main.ml.churn_payload_profile_metrics",
        drift_metrics_table_name: "main.ml.churn_payload_drift_metrics",
        brand_new: true,
      });
    const info = await db.qualityMonitors.create({
      table_name: "main.ml.churn_payload",
      output_schema_name: "main.ml",
      assets_dir: "/Shared/monitors/churn",
      inference_log,
    });
    expect(info.status).toBe("MONITOR_STATUS_PENDING");
    expect(info).toHaveProperty("brand_new", true);
    expect(scope.isDone()).toBe(true);
  });

  it("gets, updates, deletes, refreshes and lists refreshes on the real paths", async () => {
    const db = testClient();
    const scope = nock(HOST)
      .get(MON)
      .reply(200, { table_name: "main.ml.churn_payload", status: "MONITOR_STATUS_ACTIVE" })
      .put(MON, { output_schema_name: "main.ml", inference_log, baseline_table_name: "main.ml.train" })
      .reply(200, { monitor_version: 1 })
      .post(`${MON}/refreshes`)
      .reply(200, { refresh_id: 7, state: "PENDING", start_time_ms: 1 })
      .get(`${MON}/refreshes/7`)
      .reply(200, { refresh_id: 7, state: "RUNNING" })
      .get(`${MON}/refreshes`)
      .reply(200, { refreshes: [{ refresh_id: 7, state: "RUNNING" }] })
      .post(`${MON}/refreshes/7/cancel`)
      .reply(200, {})
      .delete(MON)
      .reply(200, {});
    const t = { table_name: "main.ml.churn_payload" };
    expect((await db.qualityMonitors.get(t)).status).toBe("MONITOR_STATUS_ACTIVE");
    await db.qualityMonitors.update({
      ...t,
      output_schema_name: "main.ml",
      inference_log,
      baseline_table_name: "main.ml.train",
    });
    expect((await db.qualityMonitors.runRefresh(t)).refresh_id).toBe(7);
    expect((await db.qualityMonitors.getRefresh({ ...t, refresh_id: 7 })).state).toBe("RUNNING");
    expect(await db.qualityMonitors.listRefreshes(t)).toEqual([{ refresh_id: 7, state: "RUNNING" }]);
    await db.qualityMonitors.cancelRefresh({ ...t, refresh_id: 7 });
    await db.qualityMonitors.delete(t);
    expect(scope.isDone()).toBe(true);
  });

  it("runRefreshAndWait ends on SUCCESS, and FAILED rejects with the refresh message", async () => {
    const db = testClient();
    nock(HOST)
      .post(`${MON}/refreshes`)
      .reply(200, { refresh_id: 8, state: "PENDING" })
      .get(`${MON}/refreshes/8`)
      .reply(200, { refresh_id: 8, state: "RUNNING" })
      .get(`${MON}/refreshes/8`)
      .reply(200, { refresh_id: 8, state: "SUCCESS", end_time_ms: 5 });
    expect((await db.qualityMonitors.runRefreshAndWait({ table_name: "main.ml.churn_payload" })).state).toBe(
      "SUCCESS",
    );
    nock(HOST)
      .post(`${MON}/refreshes`)
      .reply(200, { refresh_id: 9, state: "PENDING" })
      .get(`${MON}/refreshes/9`)
      .reply(200, { refresh_id: 9, state: "FAILED", message: "Column prediction not found" });
    const err = await rejection(
      db.qualityMonitors.runRefreshAndWait({ table_name: "main.ml.churn_payload" }),
    );
    expect(isOperationFailed(err)).toBe(true);
    expect(err.message).toContain("Column prediction not found");
  });

  it("validates before sending: required fields, one profile type, problem type, table name", async () => {
    const db = testClient();
    const base = { table_name: "main.ml.t", output_schema_name: "main.ml", assets_dir: "/Shared/m" };
    const bad: unknown[] = [
      base,
      { ...base, inference_log, snapshot: {} },
      { ...base, inference_log: { ...inference_log, problem_type: "CLASSIFICATION" } },
      { ...base, inference_log: { ...inference_log, granularities: [] } },
      { ...base, inference_log, output_schema_name: "" },
      { ...base, inference_log, table_name: "main/ml/t" },
    ];
    for (const req of bad) {
      expect(
        isValidationError(await rejection(db.qualityMonitors.create(req as any))),
        JSON.stringify(req),
      ).toBe(true);
    }
    expect(isValidationError(await rejection(db.qualityMonitors.update({ table_name: "t" } as any)))).toBe(
      true,
    );
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe("data quality monitors", () => {
  const monitor = {
    object_type: "table" as const,
    object_id: "3f9c0d2e-8a4b-4c1d-9e2f-1a2b3c4d5e6f",
    data_profiling_config: {
      output_schema_id: "7d1e2f3a-0000-4000-8000-000000000001",
      inference_log: {
        problem_type: "INFERENCE_PROBLEM_TYPE_REGRESSION" as const,
        timestamp_column: "ts",
        granularities: ["AGGREGATION_GRANULARITY_1_DAY"],
        prediction_column: "prediction",
        model_id_column: "model_version",
      },
    },
  };
  const path = `${DQ}/table/${monitor.object_id}`;

  it("creates, gets, updates, lists and deletes monitors and refreshes", async () => {
    const db = testClient();
    const scope = nock(HOST)
      .post(DQ, monitor)
      .reply(200, monitor)
      .get(path)
      .reply(200, {
        ...monitor,
        data_profiling_config: { ...monitor.data_profiling_config, status: "DATA_PROFILING_STATUS_ACTIVE" },
      })
      .patch(path, { data_profiling_config: { baseline_table_name: "main.ml.train" } })
      .query({ update_mask: "data_profiling_config.baseline_table_name" })
      .reply(200, monitor)
      .get(DQ)
      .reply(200, { monitors: [monitor], next_page_token: "n" })
      .get(DQ)
      .query({ page_token: "n" })
      .reply(200, { monitors: [] })
      .post(`${path}/refreshes`, { object_type: "table", object_id: monitor.object_id })
      .reply(200, { refresh_id: 3, state: "MONITOR_REFRESH_STATE_PENDING" })
      .get(`${path}/refreshes/3`)
      .reply(200, { refresh_id: 3, state: "MONITOR_REFRESH_STATE_SUCCESS" })
      .get(`${path}/refreshes`)
      .reply(200, { refreshes: [{ refresh_id: 3 }] })
      .post(`${path}/refreshes/3/cancel`)
      .reply(200, {})
      .delete(path)
      .reply(200, {});
    expect(await db.dataQuality.createMonitor({ monitor })).toEqual(monitor);
    expect((await db.dataQuality.getMonitor(monitor)).data_profiling_config).toHaveProperty("status");
    await db.dataQuality.updateMonitor({
      object_type: "table",
      object_id: monitor.object_id,
      update_mask: "data_profiling_config.baseline_table_name",
      monitor: { data_profiling_config: { baseline_table_name: "main.ml.train" } },
    });
    expect(await db.dataQuality.listMonitor().toArray({ limit: 5 })).toHaveLength(1);
    const ref = { object_type: "table" as const, object_id: monitor.object_id };
    expect((await db.dataQuality.createRefresh(ref)).refresh_id).toBe(3);
    expect((await db.dataQuality.getRefresh({ ...ref, refresh_id: 3 })).state).toBe(
      "MONITOR_REFRESH_STATE_SUCCESS",
    );
    expect(await db.dataQuality.listRefresh(ref).toArray({ limit: 5 })).toEqual([{ refresh_id: 3 }]);
    await db.dataQuality.cancelRefresh({ ...ref, refresh_id: 3 });
    await db.dataQuality.deleteMonitor(ref);
    expect(scope.isDone()).toBe(true);
  });

  it("validates monitors before sending", async () => {
    const db = testClient();
    const bad = [
      { ...monitor, object_type: "view" },
      { ...monitor, data_profiling_config: undefined },
      {
        ...monitor,
        data_profiling_config: {
          ...monitor.data_profiling_config,
          inference_log: { ...monitor.data_profiling_config.inference_log, granularities: ["1 day"] },
        },
      },
    ];
    for (const m of bad) {
      expect(isValidationError(await rejection(db.dataQuality.createMonitor({ monitor: m as any })))).toBe(
        true,
      );
    }
    expect(
      isValidationError(
        await rejection(db.dataQuality.getMonitor({ object_type: "table", object_id: "a/b" })),
      ),
    ).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
