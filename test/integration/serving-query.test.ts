import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createRequest,
  listResponse,
  servingEndpointDetailed,
  updateConfigRequest,
} from "../../src/api/serving-endpoints-schemas.js";
import { queryRequest, toQueryResponse } from "../../src/api/serving-query.js";
import { parseLenient, validate } from "../../src/core/validation.js";
import type { Emulator, ServingEmulatorExports } from "../../src/emulator/index.js";
import type { Databricks, QueryResponse, ServingEndpointsAPI } from "../../src/index.js";
import { realPayloads } from "../fixtures.js";
import { rejection } from "../helpers.js";
import { startServing, v } from "./serving-helpers.js";

let emu: Emulator;
let db: Databricks;
let se: ServingEndpointsAPI;
let serving: ServingEmulatorExports;

beforeEach(async () => {
  ({ emu, db, se, serving } = await startServing());
  await se.createAndWait({ name: "churn", config: { served_entities: [v(1)] } });
});
afterEach(() => emu.close());

const rows = [
  { zip: "95120", cost: 10.45, count: -8 },
  { zip: "95128", cost: 23.0, count: -1 },
  { zip: "95128", cost: 12.1, count: 1000 },
];

/** Sends a body as is (the client would refuse some of these). */
const raw = (body: unknown, name = "churn") =>
  db.request({ method: "POST", path: `/serving-endpoints/${name}/invocations`, body, kind: "query" });

describe("queries against the emulator", () => {
  it("answers every input form deterministically, one prediction per row", async () => {
    const columns = Object.keys(rows[0]!);
    const split = await se.query<number>({
      name: "churn",
      dataframe_split: { columns, data: rows.map((r) => Object.values(r)), index: [0, 1, 2] },
    });
    const records = await se.query<number>({
      name: "churn",
      dataframe_records: rows,
      params: { threshold: 0.5 },
    });
    const inputs = await se.query<number>({
      name: "churn",
      inputs: Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c as keyof (typeof rows)[0]])])),
    });
    const instances = await se.query<number>({ name: "churn", instances: rows });
    expect(split.predictions).toHaveLength(3);
    expect(split.served_model_name).toBe("churn-1");
    for (const r of [records, inputs, instances]) expect(r.predictions).toEqual(split.predictions);
    expect(new Set(split.predictions).size).toBe(3);
    for (const p of split.predictions!) expect(p).toBeGreaterThanOrEqual(0);
    const tensor = await se.query<number>({
      name: "churn",
      inputs: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(tensor.predictions).toHaveLength(2);
  });

  it("queries one served entity directly", async () => {
    await se.canary("churn", { entity_name: "main.ml.churn", entity_version: "2" }, 10);
    for (let i = 0; i < 3; i++) {
      const r = await se.query({ name: "churn", served_model_name: "churn-2", instances: [i] });
      expect(r.served_model_name).toBe("churn-2");
    }
    const one = await se.query<number>({
      name: "churn",
      served_model_name: "churn-1",
      dataframe_records: [rows[0]!],
    });
    const two = await se.query<number>({
      name: "churn",
      served_model_name: "churn-2",
      dataframe_records: [rows[0]!],
    });
    expect(one.predictions).not.toEqual(two.predictions);
    const err = await rejection(se.query({ name: "churn", served_model_name: "nope", instances: [1] }));
    expect(err.errorCode).toBe("RESOURCE_DOES_NOT_EXIST");
  });

  it("rejects a bad or ambiguous input format with the scoring server's message", async () => {
    const ambiguous = await rejection(raw({ instances: [1], inputs: [1] }));
    expect([ambiguous.statusCode, ambiguous.errorCode]).toEqual([400, "BAD_REQUEST"]);
    expect(ambiguous.message).toContain(
      "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_records', 'dataframe_split', 'instances', 'inputs'}. Received dictionary with input fields: ['instances', 'inputs'].",
    );
    expect(ambiguous.message).toContain(
      "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0.",
    );
    const list = await rejection(raw([1, 2]));
    expect(list.message).toContain("Received a list.");
    const split = await rejection(raw({ dataframe_split: { columns: ["a"], data: [[1, 2]] } }));
    expect(split.message).toContain("row 0 has 2 values for 1 columns");
    const missing = await rejection(raw({ instances: [1] }, "nope"));
    expect([missing.statusCode, missing.errorCode, missing.message]).toEqual([
      404,
      "RESOURCE_DOES_NOT_EXIST",
      "Endpoint with name 'nope' does not exist.",
    ]);
  });

  it("batches keep row order and match one big query", async () => {
    await se.canary("churn", { entity_name: "main.ml.churn", entity_version: "2" }, 10);
    const many = Array.from({ length: 500 }, (_, i) => ({ x: i, y: i % 7 }));
    const batched = await se.predictBatched<number>("churn", many, {
      batchSize: 32,
      concurrency: 8,
      served_model_name: "churn-1",
    });
    const whole = await se.query<number>({
      name: "churn",
      served_model_name: "churn-1",
      dataframe_records: many,
    });
    expect(batched.predictions).toEqual(whole.predictions);
    expect(batched.batches).toHaveLength(16);
    expect(batched.batches.at(-1)).toEqual({ offset: 480, size: 20, served_model_name: "churn-1" });
    const split = await se.predictBatched<number>("churn", many.slice(0, 50), {
      batchSize: 7,
      format: "split",
    });
    expect(split.predictions).toHaveLength(50);
    // Through the traffic split, the canary answers its share of the batches.
    expect(new Set(split.batches.map((b) => b.served_model_name))).toEqual(new Set(["churn-1", "churn-2"]));
  });

  it("streams chat answers chunk by chunk until [DONE]", async () => {
    const [external] = realPayloads("serving-endpoints.create.request.1");
    await se.createAndWait(external!.body);
    let text = "";
    let last: any;
    for await (const chunk of se.queryStream<any>({
      name: "test-endpoint",
      messages: [{ role: "user", content: "Tell a joke!" }],
    })) {
      text += chunk.choices[0].delta.content ?? "";
      last = chunk;
    }
    expect(text).toBe("You said: Tell a joke!");
    expect(last.choices[0].finish_reason).toBe("stop");
    expect(last.model).toBe("gpt-4o-mini");
    const whole = await se.query({
      name: "test-endpoint",
      messages: [{ role: "user", content: "Tell a joke!" }],
    });
    expect(whole.choices?.[0]?.message?.content).toBe("You said: Tell a joke!");
    expect(whole.object).toBe("chat.completion");
    const err = await rejection(
      (async () => {
        for await (const _ of se.queryStream({ name: "churn", instances: [1] })) {
          // never reached
        }
      })(),
    );
    expect(err.errorCode).toBe("BAD_REQUEST");
  });

  it("metrics move with traffic, per served entity, over the last minute", async () => {
    await se.canary("churn", { entity_name: "main.ml.churn", entity_version: "2" }, 10);
    for (let i = 0; i < 20; i++) await se.query({ name: "churn", instances: [i] });
    await rejection(raw({ nothing: 1 }));
    const m = await se.exportMetrics({ name: "churn" });
    const value = (name: string, entity: string) =>
      m.samples.find((s) => s.name === name && s.labels.served_entity === entity)?.value;
    expect(value("request_count_total", "churn-1")! + value("request_count_total", "churn-2")!).toBe(21);
    expect(value("request_count_total", "churn-2")).toBeGreaterThanOrEqual(2);
    expect(value("request_4xx_count_total", "churn-1")! + value("request_4xx_count_total", "churn-2")!).toBe(
      1,
    );
    expect(m.metadata.request_latency_ms?.type).toBe("histogram");
    expect(m.metadata.request_count_total?.type).toBe("gauge");
    const count = m.samples
      .filter((s) => s.name === "request_latency_ms_count")
      .reduce((a, s) => a + s.value, 0);
    expect(count).toBe(21);
    expect(m.samples[0]?.timestamp).toBe(emu.clock.now());
    emu.clock.advance(61_000);
    const later = await se.exportMetrics({ name: "churn" });
    expect(later.samples.filter((s) => s.name === "request_count_total").map((s) => s.value)).toEqual([0, 0]);
  });

  it("captures requests and responses once the AI gateway inference table is enabled", async () => {
    await se.query({ name: "churn", instances: [0] });
    expect(serving.inferenceRecords("churn")).toEqual([]);
    await se.putAiGateway({
      name: "churn",
      inference_table_config: {
        catalog_name: "main",
        schema_name: "ml",
        table_name_prefix: "churn",
        enabled: true,
      },
    });
    const before = emu.clock.now();
    await se.query({ name: "churn", dataframe_records: [{ a: 1 }], client_request_id: "req-1" });
    await rejection(raw({ nothing: 1 }));
    const records = serving.inferenceRecords("churn");
    expect(records).toHaveLength(2);
    const ok = records[0]!;
    expect(ok).toMatchObject({
      client_request_id: "req-1",
      status_code: 200,
      endpoint_name: "churn",
      table_full_name: "main.ml.churn_payload",
    });
    expect(ok.request_time).toBeGreaterThanOrEqual(before);
    expect(ok.execution_time_ms).toBeGreaterThan(0);
    expect(JSON.parse(ok.request)).toEqual({ dataframe_records: [{ a: 1 }], client_request_id: "req-1" });
    expect(JSON.parse(ok.response).predictions).toHaveLength(1);
    expect(ok.served_entity_id).toMatch(/^[0-9a-f]{32}$/);
    expect(records[1]).toMatchObject({ status_code: 400 });
    expect(JSON.parse(records[1]!.response).error_code).toBe("BAD_REQUEST");
    expect(serving.inferenceRecords("other")).toEqual([]);
  });

  it("server logs show served requests", async () => {
    await se.query({ name: "churn", instances: [1, 2] });
    await rejection(raw({ nothing: 1 }));
    const logs = (await se.logs({ name: "churn", served_model_name: "churn-1" })).logs.trim().split("\n");
    expect(logs).toHaveLength(2);
    expect(logs[0]).toContain("INFO POST /invocations 200 (2 rows");
    expect(logs[1]).toContain("ERROR POST /invocations 400");
    const missing = await rejection(se.logs({ name: "churn", served_model_name: "nope" }));
    expect(missing.errorCode).toBe("RESOURCE_DOES_NOT_EXIST");
  });

  it("the OpenAPI document describes the invocation", async () => {
    const doc = (await se.getOpenApi({ name: "churn" })) as any;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(["/invocations"]);
  });

  it("an injected 500 on a query is not retried; 503 and 429 are", async () => {
    emu.faults.set({ rate: 1, kinds: ["500"], path: "/invocations" });
    const err = await rejection(se.query({ name: "churn", instances: [1] }));
    expect(err.statusCode).toBe(500);
    expect(emu.faults.counts()["500"]).toBe(1);
    emu.faults.set({ rate: 0.3, kinds: ["503", "429"], path: "/invocations", seed: 3 });
    for (let i = 0; i < 10; i++)
      expect((await se.query({ name: "churn", instances: [i] })).predictions).toHaveLength(1);
    expect(emu.faults.counts()["503"] + emu.faults.counts()["429"]).toBeGreaterThan(0);
    emu.faults.clear();
  });
});

describe("real payloads", () => {
  it("every request body passes validation and the emulator accepts it", async () => {
    const creates = realPayloads("serving-endpoints.create.request.");
    for (const p of creates) {
      validate(createRequest, p.body, p.file);
      const created = await se.createAndWait(p.body);
      expect(created.state?.ready, p.file).toBe("READY");
      // Write-only fields are accepted on create and never returned.
      expect(JSON.stringify(created)).not.toContain("plaintext");
      expect(JSON.stringify(created)).not.toContain("burst_scaling_enabled");
      await se.delete({ name: p.body.name });
    }
    for (const p of realPayloads("serving-endpoints.update-config.request.")) {
      validate(updateConfigRequest, { name: "churn", ...p.body }, p.file);
      const ep = await se.updateConfigAndWait({ name: "churn", ...p.body });
      expect(ep.config?.served_entities?.[0]?.workload_size, p.file).toBe("Medium");
    }
    const queries = realPayloads("serving-endpoints.query.request.");
    expect(queries.length).toBeGreaterThanOrEqual(6);
    for (const p of queries) {
      validate(queryRequest, { name: "churn", ...p.body }, p.file);
      if (p.body.stream) {
        const chunks: unknown[] = [];
        for await (const c of se.queryStream({ name: "churn", ...p.body })) chunks.push(c);
        expect(chunks.length, p.file).toBeGreaterThan(1);
      } else {
        const r = (await se.query({ name: "churn", ...p.body })) as QueryResponse;
        expect(r.predictions ?? r.choices, p.file).toBeDefined();
      }
    }
  });

  it("every response body parses without losing a field", () => {
    for (const p of realPayloads("serving-endpoints.get.response.")) {
      expect(parseLenient(servingEndpointDetailed, p.body), p.file).toEqual(p.body);
    }
    for (const p of realPayloads("serving-endpoints.list.response.")) {
      expect(parseLenient(listResponse, p.body), p.file).toEqual(p.body);
    }
    for (const p of realPayloads("serving-endpoints.query.response.")) {
      expect(toQueryResponse(p.body, undefined), p.file).toEqual(p.body);
    }
  });
});
