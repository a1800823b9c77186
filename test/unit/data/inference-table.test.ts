import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import {
  inferenceTableOf,
  inferenceTableQuery,
  quoteName,
  scoredRows,
  unpackInferenceTable,
} from "../../../src/data/inference-table.js";
import { isValidationError } from "../../../src/index.js";

describe("inferenceTableOf", () => {
  it("reads the AI gateway config first, with the endpoint name as default prefix", () => {
    expect(
      inferenceTableOf({
        name: "churn",
        ai_gateway: { inference_table_config: { catalog_name: "main", schema_name: "ml", enabled: true } },
        config: { auto_capture_config: { catalog_name: "x", schema_name: "y", enabled: true } },
      }),
    ).toEqual({ table: "main.ml.churn_payload", schema: "gateway" });
  });

  it("falls back to the legacy config and its reported payload table", () => {
    expect(
      inferenceTableOf({
        name: "churn",
        ai_gateway: { inference_table_config: { catalog_name: "main", schema_name: "ml", enabled: false } },
        config: {
          auto_capture_config: {
            catalog_name: "c",
            schema_name: "s",
            table_name_prefix: "p",
            enabled: true,
            state: { payload_table: { name: "p_payload" } },
          },
        },
      }),
    ).toEqual({ table: "c.s.p_payload", schema: "legacy" });
    expect(inferenceTableOf({ name: "churn" })).toBeUndefined();
  });
});

describe("inferenceTableQuery", () => {
  const gateway = { table: "main.ml.churn_payload", schema: "gateway" as const };

  it("orders by request time, filters with a typed parameter and keeps the most recent requests", () => {
    expect(inferenceTableQuery(gateway)).toEqual({
      statement: "SELECT * FROM `main`.`ml`.`churn_payload` ORDER BY request_time",
      parameters: [],
    });
    const q = inferenceTableQuery(gateway, { since: "2024-05-01T00:00:00Z", limit: 10 });
    expect(q.statement).toBe(
      "SELECT * FROM (SELECT * FROM `main`.`ml`.`churn_payload` WHERE request_time >= :since ORDER BY request_time DESC LIMIT 10) AS recent ORDER BY request_time",
    );
    expect(q.parameters).toEqual([{ name: "since", value: "2024-05-01T00:00:00.000Z", type: "TIMESTAMP" }]);
  });

  it("uses timestamp_ms for the legacy table", () => {
    const q = inferenceTableQuery({ table: "a.b.c", schema: "legacy" }, { since: 1_700_000_000_000 });
    expect(q.statement).toBe("SELECT * FROM `a`.`b`.`c` WHERE timestamp_ms >= :since ORDER BY timestamp_ms");
    expect(q.parameters).toEqual([{ name: "since", value: "1700000000000", type: "BIGINT" }]);
  });

  it("refuses a bad limit, a bad time and a bad table name", () => {
    for (const bad of [{ limit: 1.5 }, { limit: -1 }, { since: "yesterday" }]) {
      expect(isValidationError(catchError(() => inferenceTableQuery(gateway, bad)))).toBe(true);
    }
    expect(isValidationError(catchError(() => quoteName("a.b")))).toBe(true);
    expect(quoteName("a.b`x.c")).toBe("`a`.`b``x`.`c`");
  });
});

describe("scoredRows", () => {
  it("pairs dataframe_split and dataframe_records rows with their predictions", () => {
    expect(
      scoredRows(
        JSON.stringify({ dataframe_split: { columns: ["a", "b"], data: [[1, "x"]] } }),
        JSON.stringify({ predictions: [0.5] }),
      ),
    ).toEqual({ inputs: [{ a: 1, b: "x" }], predictions: [0.5] });
    expect(scoredRows(JSON.stringify({ dataframe_records: [{ a: 1 }, { a: 2 }] }), "[1, 0]")).toEqual({
      inputs: [{ a: 1 }, { a: 2 }],
      predictions: [1, 0],
    });
  });

  it("gives up on other inputs, missing or mismatched predictions and bad JSON", () => {
    expect(scoredRows(JSON.stringify({ messages: [] }), JSON.stringify({ choices: [] }))).toBeUndefined();
    expect(scoredRows(JSON.stringify({ dataframe_records: [{ a: 1 }] }), "{}")).toBeUndefined();
    expect(scoredRows(JSON.stringify({ dataframe_records: [{ a: 1 }] }), "[1, 2]")).toBeUndefined();
    expect(scoredRows("{not json", "[1]")).toBeUndefined();
    expect(scoredRows(null, null)).toBeUndefined();
  });
});

describe("unpackInferenceTable", () => {
  const raw = (requests: Array<[number, unknown, unknown]>) =>
    new arrow.Table({
      databricks_request_id: arrow.vectorFromArray(
        requests.map((_, i) => `r${i}`),
        new arrow.Utf8(),
      ),
      request_time: arrow.vectorFromArray(
        requests.map((_, i) => 1_700_000_000_000 + i),
        new arrow.TimestampMillisecond("UTC"),
      ),
      status_code: arrow.vectorFromArray(
        requests.map(([s]) => s),
        new arrow.Int32(),
      ),
      request: arrow.vectorFromArray(
        requests.map(([, q]) => JSON.stringify(q)),
        new arrow.Utf8(),
      ),
      response: arrow.vectorFromArray(
        requests.map(([, , a]) => JSON.stringify(a)),
        new arrow.Utf8(),
      ),
      served_entity_id: arrow.vectorFromArray(
        requests.map(() => "e1"),
        new arrow.Utf8(),
      ),
    });

  it("gives one row per input row, a column per feature (null where a request lacks it) and skips failures", async () => {
    const t = await unpackInferenceTable(
      raw([
        [200, { dataframe_records: [{ a: 1 }, { a: 2, b: "x" }] }, { predictions: [0.1, 0.2] }],
        [400, { nope: 1 }, { error_code: "BAD_REQUEST" }],
        [200, { dataframe_split: { columns: ["b"], data: [["y"]] } }, { predictions: [0.3] }],
      ]),
      "gateway",
    );
    expect(t!.toArray().map((r) => r.toJSON())).toEqual([
      {
        databricks_request_id: "r0",
        request_time: 1_700_000_000_000,
        served_entity_id: "e1",
        a: 1,
        b: null,
        prediction: 0.1,
      },
      {
        databricks_request_id: "r0",
        request_time: 1_700_000_000_000,
        served_entity_id: "e1",
        a: 2,
        b: "x",
        prediction: 0.2,
      },
      {
        databricks_request_id: "r2",
        request_time: 1_700_000_000_002,
        served_entity_id: "e1",
        a: null,
        b: "y",
        prediction: 0.3,
      },
    ]);
  });

  it("leaves a table alone when a successful request is not tabular", async () => {
    const t = raw([[200, { messages: [{ role: "user", content: "hi" }] }, { choices: [] }]]);
    expect(await unpackInferenceTable(t, "gateway")).toBeUndefined();
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}
