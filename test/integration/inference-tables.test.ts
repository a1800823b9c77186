import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator, ServingEmulatorExports } from "../../src/emulator/index.js";
import type { EmulatorService } from "../../src/emulator/types.js";
import { type Databricks, isValidationError } from "../../src/index.js";
import type { ServingEndpoint } from "../../src/workflows/serving-endpoint.js";
import { rejection } from "../helpers.js";
import { startServing } from "./serving-helpers.js";

/** Version 1 of main.ml.model is READY with `prediction = x + 10·y`, so a prediction names its row. */
const registry: EmulatorService<Record<string, never>, unknown> = {
  name: "registry",
  init: () => ({}),
  routes: () => {},
  exports: () => ({
    getModelVersion: () => ({ status: "READY" }),
    resolveAlias: () => undefined,
    readModelFile: (_name: string, _version: number, rel: string) =>
      rel === "coefficients.json"
        ? Buffer.from(JSON.stringify({ intercept: 0, weights: { x: 1, y: 10 } }))
        : undefined,
  }),
};

const entity = { entity_name: "main.ml.model", entity_version: "1", workload_size: "Small" };
const gateway = { catalog_name: "main", schema_name: "ml", table_name_prefix: "scored", enabled: true };

describe("inference tables and Arrow predictions", () => {
  let emu: Emulator;
  let db: Databricks;
  let serving: ServingEmulatorExports;
  let endpoint: ServingEndpoint;

  beforeAll(async () => {
    ({ emu, db, serving } = await startServing({}, registry));
    await db.servingEndpoints.createAndWait({
      name: "scored",
      config: { served_entities: [entity] },
      ai_gateway: { inference_table_config: gateway },
    });
    endpoint = db.endpoint("scored");
  });
  afterAll(() => emu.close());

  it("writes each captured request as a row of the AI gateway inference table, readable with SQL", async () => {
    const first = emu.clock.now();
    await db.servingEndpoints.query({
      name: "scored",
      dataframe_records: [{ x: 1, y: 2 }],
      client_request_id: "req-1",
    });
    await db.servingEndpoints.query({
      name: "scored",
      dataframe_split: { columns: ["x", "y"], data: [[3, 4]] },
    });
    // A body the model server refuses (the client would not send it): captured with its status.
    await rejection(
      db.request({
        method: "POST",
        path: "/serving-endpoints/scored/invocations",
        body: { nothing: 1 },
        kind: "query",
      }),
    );

    const warehouse_id = (await db.warehouses.list().firstPage()).items[0]!.id!;
    const res = await db.statements.executeAndWait({
      statement: "SELECT * FROM main.ml.scored_payload ORDER BY request_time",
      warehouse_id,
    });
    expect(res.manifest?.schema?.columns?.map((c) => `${c.name} ${c.type_text}`)).toEqual([
      "databricks_request_id STRING",
      "request_date DATE",
      "client_request_id STRING",
      "request_time TIMESTAMP",
      "status_code INT",
      "sampling_fraction DOUBLE",
      "execution_duration_ms BIGINT",
      "request STRING",
      "response STRING",
      "logging_error_codes ARRAY<STRING>",
      "served_entity_id STRING",
      "requester STRING",
    ]);
    const rows = await db.statements.fetchRows(res);
    const records = serving.inferenceRecords("scored");
    expect(rows.map((r) => r.databricks_request_id)).toEqual(records.map((r) => r.databricks_request_id));
    expect(rows[0]).toMatchObject({
      client_request_id: "req-1",
      status_code: 200,
      sampling_fraction: 1,
      request_date: new Date(first).toISOString().slice(0, 10),
      request_time: new Date(records[0]!.request_time).toISOString(),
      execution_duration_ms: records[0]!.execution_time_ms,
      logging_error_codes: [],
      served_entity_id: records[0]!.served_entity_id,
      requester: "emulator-user@example.com",
    });
    expect(JSON.parse(String(rows[0]!.response))).toEqual({ predictions: [21] });
    expect(JSON.parse(String(rows[1]!.request))).toEqual({
      dataframe_split: { columns: ["x", "y"], data: [[3, 4]] },
    });
    expect(rows[1]!.client_request_id).toBeNull();
    expect(rows[2]).toMatchObject({ status_code: 400 });
  });

  it("reads the inference table back as Arrow, one row per scored input row", async () => {
    const table = await endpoint.inferenceTable();
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      "databricks_request_id",
      "request_time",
      "served_entity_id",
      "x",
      "y",
      "prediction",
    ]);
    // The failed request is left out; the two scored rows keep their order.
    expect(table.toArray().map((r) => [r.x, r.y, r.prediction])).toEqual([
      [1, 2, 21],
      [3, 4, 43],
    ]);
    expect(String(table.schema.fields[1]!.type)).toBe("Timestamp<MILLISECOND, UTC>");

    const raw = await endpoint.inferenceTable({ unpack: false });
    expect(raw.numRows).toBe(3);
    expect(raw.getChild("status_code")?.toArray()).toEqual(Int32Array.from([200, 200, 400]));
  });

  it("reads only recent requests with since and limit", async () => {
    emu.clock.advance(60 * 60_000);
    const cut = emu.clock.now();
    for (const x of [5, 6, 7]) {
      await endpoint.predict([{ x, y: 0 }]);
      emu.clock.advance(1000);
    }
    const since = await endpoint.inferenceTable({ since: new Date(cut) });
    expect(Array.from(since.getChild("x")!.toArray())).toEqual([5, 6, 7]);
    const latest = await endpoint.inferenceTable({ limit: 2 });
    expect(Array.from(latest.getChild("x")!.toArray())).toEqual([6, 7]);
    const err = await rejection(endpoint.inferenceTable({ limit: 0 }));
    expect(isValidationError(err)).toBe(true);
  });

  it("predicts an Arrow table in dataframe_split batches and joins the predictions in input order", async () => {
    const n = 2_345;
    const input = new arrow.Table({
      x: arrow.makeVector(Float64Array.from({ length: n }, (_, i) => i)),
      y: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => i % 7)),
      id: arrow.vectorFromArray(
        Array.from({ length: n }, (_, i) => `row-${i}`),
        new arrow.Utf8(),
      ),
    });
    const before = serving.inferenceRecords("scored").length;
    const predictions = await endpoint.predict<number>(input, { batchSize: 1000, concurrency: 3 });
    expect(predictions).toEqual(Array.from({ length: n }, (_, i) => i + 10 * (i % 7)));
    const sent = serving.inferenceRecords("scored").slice(before);
    expect(sent.map((r) => JSON.parse(r.request).dataframe_split.data.length)).toEqual([1000, 1000, 345]);
    expect(JSON.parse(sent[0]!.request).dataframe_split.columns).toEqual(["x", "y", "id"]);

    const scored = await endpoint.predict(input, { as: "arrow", batchSize: 500 });
    expect(scored.schema.fields.map((f) => f.name)).toEqual(["x", "y", "id", "prediction"]);
    expect(scored.get(1234)?.toJSON()).toEqual({ x: 1234, y: 2, id: "row-1234", prediction: 1254 });

    const named = await endpoint.predict({ x: [1, 2], y: [0, 1] }, { as: "arrow", column: "score" });
    expect(named.toArray().map((r) => r.toJSON())).toEqual([
      { x: 1, y: 0, score: 1 },
      { x: 2, y: 1, score: 12 },
    ]);
  });

  it("keeps records working as before, and joins them to predictions on request", async () => {
    const records = [
      { x: 1, y: 1 },
      { x: 2, y: 2 },
    ];
    expect(await endpoint.predict<number>(records)).toEqual([11, 22]);
    const before = serving.inferenceRecords("scored").length;
    const joined = await endpoint.predict(records, { as: "arrow", format: "split" });
    expect(joined.getChild("prediction")?.toArray()).toEqual(Float64Array.from([11, 22]));
    expect(Object.keys(JSON.parse(serving.inferenceRecords("scored")[before]!.request))).toEqual([
      "dataframe_split",
    ]);
    const arrays = await rejection(endpoint.predict([[1, 2]] as never, { as: "arrow" }));
    expect(isValidationError(arrays)).toBe(true);
    const empty = await endpoint.predict({ x: [] });
    expect(empty).toEqual([]);
  });

  it("writes the legacy auto_capture_config table with its own columns", async () => {
    await db.servingEndpoints.createAndWait({
      name: "legacy",
      config: {
        served_entities: [entity],
        auto_capture_config: { catalog_name: "main", schema_name: "ml", enabled: true },
      },
    });
    const view = await db.servingEndpoints.get({ name: "legacy" });
    expect((view.config?.auto_capture_config as any)?.state?.payload_table?.name).toBe("legacy_payload");
    await db.servingEndpoints.query({ name: "legacy", dataframe_records: [{ x: 2, y: 0 }] });
    const rows = await db.statements.query("SELECT * FROM main.ml.legacy_payload", {
      warehouse_id: (await db.warehouses.list().firstPage()).items[0]!.id!,
    });
    expect(Object.keys(rows[0]!)).toEqual([
      "databricks_request_id",
      "client_request_id",
      "date",
      "timestamp_ms",
      "status_code",
      "sampling_fraction",
      "execution_time_ms",
      "request",
      "response",
      "request_metadata",
    ]);
    expect(rows[0]!.request_metadata).toEqual({
      model_name: "main.ml.model",
      model_version: "1",
      endpoint_name: "legacy",
    });
    expect(rows[0]!.timestamp_ms).toBe(serving.inferenceRecords("legacy")[0]!.request_time);
    const table = await db.endpoint("legacy").inferenceTable();
    expect(table.toArray().map((r) => r.toJSON())).toMatchObject([
      { model_version: "1", x: 2, y: 0, prediction: 2 },
    ]);
  });

  it("says why when the endpoint captures nothing or its table does not exist yet", async () => {
    await db.servingEndpoints.createAndWait({ name: "quiet", config: { served_entities: [entity] } });
    const none = await rejection(db.endpoint("quiet").inferenceTable());
    expect(none.message).toContain("does not capture requests");
    await db.servingEndpoints.putAiGateway({
      name: "quiet",
      inference_table_config: { catalog_name: "main", schema_name: "ml", enabled: true },
    });
    const missing = await rejection(db.endpoint("quiet").inferenceTable());
    expect(missing.message).toContain("main.ml.quiet_payload");
    expect(missing.message).toContain("does not exist yet");
  });
});
