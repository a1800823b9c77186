import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../../../src/core/clock.js";
import {
  Databricks,
  isOperationFailed,
  isValidationError,
  PREVIOUS_CONFIG_TAG,
  type ServingEndpointDetailed,
} from "../../../src/index.js";
import { rejection } from "../../helpers.js";

const HOST = "https://serving.test.databricks.com";
const BASE = "/api/2.0/serving-endpoints";

/** Time that moves only when the client sleeps, so waits and retries take no wall time. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 1_700_000_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

function client(options: { timeout?: number; queryTimeout?: number; maxRetries?: number } = {}) {
  return new Databricks({
    host: HOST,
    token: "dapi-unit",
    env: {},
    clock: fakeClock(),
    random: () => 0.5,
    ...options,
  });
}

function endpoint(overrides: Partial<ServingEndpointDetailed> = {}): ServingEndpointDetailed {
  return {
    name: "churn",
    id: "abc123",
    state: { ready: "READY", config_update: "NOT_UPDATING" },
    config: {
      config_version: 1,
      served_entities: [
        {
          name: "churn-1",
          entity_name: "main.ml.churn",
          entity_version: "1",
          workload_size: "Small",
          workload_type: "CPU",
          scale_to_zero_enabled: true,
          creation_timestamp: 1,
          state: { deployment: "DEPLOYMENT_READY", deployment_state_message: "" },
        },
      ],
      traffic_config: { routes: [{ served_entity_name: "churn-1", traffic_percentage: 100 }] },
    },
    ...overrides,
  };
}

const v1 = {
  entity_name: "main.ml.churn",
  entity_version: "1",
  workload_size: "Small",
  scale_to_zero_enabled: true,
};

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  expect(pending).toEqual([]);
});

describe("servingEndpoints control plane", () => {
  it("create posts the body and returns the endpoint", async () => {
    const body = { name: "churn", config: { served_entities: [v1] }, tags: [{ key: "team", value: "ml" }] };
    nock(HOST)
      .post(BASE, body)
      .reply(200, { name: "churn", state: { ready: "NOT_READY", config_update: "IN_PROGRESS" } });
    const ep = await client().servingEndpoints.create(body);
    expect(ep.state?.config_update).toBe("IN_PROGRESS");
  });

  it("create sends a numeric entity_version as a string", async () => {
    nock(HOST)
      .post(BASE, (b) => b.config.served_entities[0].entity_version === "3")
      .reply(200, { name: "churn" });
    await client().servingEndpoints.create({
      name: "churn",
      config: { served_entities: [{ entity_name: "main.ml.churn", entity_version: 3 }] },
    });
  });

  it("create is not retried on 500 (not idempotent) but is on 503", async () => {
    nock(HOST).post(BASE).reply(500, { error_code: "INTERNAL_ERROR", message: "boom" });
    const err = await rejection(client().servingEndpoints.create({ name: "churn" }));
    expect(err.statusCode).toBe(500);
    nock(HOST)
      .post(BASE)
      .reply(503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "later" })
      .post(BASE)
      .reply(200, { name: "churn" });
    expect((await client().servingEndpoints.create({ name: "churn" })).name).toBe("churn");
  });

  it("rejects bad requests before sending anything", async () => {
    const se = client().servingEndpoints;
    const bad = [
      se.create({ name: "a/b" }),
      se.create({ name: "x", config: { served_entities: [{ workload_size: "Small" }] } }),
      se.create({
        name: "x",
        config: {
          served_entities: [v1],
          traffic_config: { routes: [{ served_entity_name: "churn-1", traffic_percentage: 90 }] },
        },
      }),
      se.create({
        name: "x",
        config: { served_entities: [{ ...v1, min_provisioned_concurrency: 4 }] },
      }),
      se.get({ name: "" }),
      se.updateConfig({ name: "..", served_entities: [v1] }),
      se.getPermissions({ serving_endpoint_id: ".." }),
      se.buildLogs({ name: "churn", served_model_name: "a b" }),
      se.setPermissions({
        serving_endpoint_id: "abc",
        access_control_list: [{ permission_level: "CAN_QUERY" }],
      }),
    ];
    for (const p of bad) {
      const err = await rejection(p);
      expect(isValidationError(err), String(err)).toBe(true);
    }
    const err = await rejection(
      se.create({ name: "x", config: { served_entities: [{ workload_size: "Small" }] } }),
    );
    expect(err.message).toContain("served_entities.0.entity_name");
  });

  it("get, list and delete use the endpoint name in the path", async () => {
    nock(HOST).get(`${BASE}/churn`).reply(200, endpoint());
    nock(HOST)
      .get(BASE)
      .reply(200, { endpoints: [{ name: "a" }, { name: "b", new_field: 1 }] });
    nock(HOST).delete(`${BASE}/churn`).reply(200, {});
    const se = client().servingEndpoints;
    expect((await se.get({ name: "churn" })).config?.config_version).toBe(1);
    const all = await se.list().toArray({ limit: 10 });
    expect(all.map((e) => e.name)).toEqual(["a", "b"]);
    expect(all[1]).toMatchObject({ new_field: 1 });
    await se.delete({ name: "churn" });
  });

  it("updateConfig puts served entities and traffic to /config", async () => {
    const cfg = {
      served_entities: [v1, { ...v1, entity_version: "2", name: "churn-2" }],
      traffic_config: {
        routes: [
          { served_entity_name: "churn-1", traffic_percentage: 90 },
          { served_entity_name: "churn-2", traffic_percentage: 10 },
        ],
      },
    };
    nock(HOST).put(`${BASE}/churn/config`, cfg).reply(200, endpoint());
    await client().servingEndpoints.updateConfig({ name: "churn", ...cfg });
  });

  it("patch, putAiGateway and put send their bodies", async () => {
    nock(HOST)
      .patch(`${BASE}/churn/tags`, { add_tags: [{ key: "a", value: "1" }], delete_tags: ["b"] })
      .reply(200, { tags: [{ key: "a", value: "1" }] });
    const gateway = {
      inference_table_config: { catalog_name: "main", schema_name: "ml", enabled: true },
      usage_tracking_config: { enabled: true },
      rate_limits: [{ calls: 100, key: "user", renewal_period: "minute" }],
      guardrails: { input: { safety: true, pii: { behavior: "BLOCK" } } },
    };
    nock(HOST).put(`${BASE}/churn/ai-gateway`, gateway).reply(200, gateway);
    nock(HOST)
      .put(`${BASE}/churn/rate-limits`, {
        rate_limits: [{ calls: 10, key: "endpoint", renewal_period: "minute" }],
      })
      .reply(200, { rate_limits: [{ calls: 10, key: "endpoint", renewal_period: "minute" }] });
    const se = client().servingEndpoints;
    expect(
      (await se.patch({ name: "churn", add_tags: [{ key: "a", value: "1" }], delete_tags: ["b"] })).tags,
    ).toHaveLength(1);
    expect(await se.putAiGateway({ name: "churn", ...gateway })).toEqual(gateway);
    await se.put({ name: "churn", rate_limits: [{ calls: 10, key: "endpoint", renewal_period: "minute" }] });
  });

  it("permissions address the endpoint by id", async () => {
    const acl = { access_control_list: [{ user_name: "a@b.c", permission_level: "CAN_QUERY" }] };
    const reply = {
      object_id: "/serving-endpoints/abc123",
      object_type: "serving-endpoint",
      access_control_list: [],
    };
    nock(HOST).get("/api/2.0/permissions/serving-endpoints/abc123").reply(200, reply);
    nock(HOST).put("/api/2.0/permissions/serving-endpoints/abc123", acl).reply(200, reply);
    nock(HOST).patch("/api/2.0/permissions/serving-endpoints/abc123", acl).reply(200, reply);
    nock(HOST)
      .get("/api/2.0/permissions/serving-endpoints/abc123/permissionLevels")
      .reply(200, { permission_levels: [{ permission_level: "CAN_QUERY" }] });
    const se = client().servingEndpoints;
    expect((await se.getPermissions({ serving_endpoint_id: "abc123" })).object_type).toBe("serving-endpoint");
    await se.setPermissions({ serving_endpoint_id: "abc123", ...acl });
    await se.updatePermissions({ serving_endpoint_id: "abc123", ...acl });
    expect((await se.getPermissionLevels({ serving_endpoint_id: "abc123" })).permission_levels).toHaveLength(
      1,
    );
  });

  it("buildLogs, logs, exportMetrics and getOpenApi", async () => {
    nock(HOST).get(`${BASE}/churn/served-models/churn-1/build-logs`).reply(200, { logs: "built\n" });
    nock(HOST).get(`${BASE}/churn/served-models/churn-1/logs`).reply(200, { logs: "served\n" });
    nock(HOST, { reqheaders: { accept: "text/plain" } })
      .get(`${BASE}/churn/metrics`)
      .reply(
        200,
        '# HELP request_count_total Requests\n# TYPE request_count_total gauge\nrequest_count_total{served_entity="churn-1"} 3.0 1700000000000\n',
        { "content-type": "text/plain" },
      );
    nock(HOST).get(`${BASE}/churn/openapi`).reply(200, { openapi: "3.1.0" });
    const se = client().servingEndpoints;
    expect((await se.buildLogs({ name: "churn", served_model_name: "churn-1" })).logs).toBe("built\n");
    expect((await se.logs({ name: "churn", served_model_name: "churn-1" })).logs).toBe("served\n");
    const m = await se.exportMetrics({ name: "churn" });
    expect(m.samples).toEqual([
      {
        name: "request_count_total",
        labels: { served_entity: "churn-1" },
        value: 3,
        timestamp: 1700000000000,
      },
    ]);
    expect(m.metadata.request_count_total).toEqual({ help: "Requests", type: "gauge" });
    expect((await se.getOpenApi({ name: "churn" })).openapi).toBe("3.1.0");
  });
});

describe("servingEndpoints waiting", () => {
  it("updateConfigAndWait waits for NOT_UPDATING and READY and reports progress", async () => {
    const updating = endpoint({
      state: { ready: "READY", config_update: "IN_PROGRESS" },
      pending_config: {
        config_version: 2,
        served_entities: [
          {
            name: "churn-2",
            state: { deployment: "DEPLOYMENT_CREATING", deployment_state_message: "building" },
          },
        ],
      },
    });
    const done = endpoint({ config: { ...endpoint().config, config_version: 2 } });
    nock(HOST).put(`${BASE}/churn/config`).reply(200, updating);
    nock(HOST)
      .get(`${BASE}/churn`)
      .reply(200, updating)
      // Stale read right after the update: still the old version, not done yet.
      .get(`${BASE}/churn`)
      .reply(200, endpoint())
      .get(`${BASE}/churn`)
      .reply(200, done);
    const states: Array<[string, string | undefined, string | undefined]> = [];
    const ep = await client().servingEndpoints.updateConfigAndWait(
      { name: "churn", served_entities: [v1] },
      { onProgress: (e) => states.push([e.state, e.message, e.url]) },
    );
    expect(ep.config?.config_version).toBe(2);
    expect(states[0]).toEqual([
      "READY/IN_PROGRESS",
      "churn-2: DEPLOYMENT_CREATING (building)",
      `${HOST}/ml/endpoints/churn`,
    ]);
    expect(states.at(-1)?.[0]).toBe("READY/NOT_UPDATING");
  });

  it("a failed update rejects with the entity's state message and build log tail", async () => {
    const failed = endpoint({
      state: { ready: "READY", config_update: "UPDATE_FAILED" },
      pending_config: {
        config_version: 2,
        served_entities: [
          {
            name: "churn-2",
            state: { deployment: "DEPLOYMENT_FAILED", deployment_state_message: "bad requirements" },
          },
        ],
      },
    });
    const logs = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    nock(HOST).put(`${BASE}/churn/config`).reply(200, failed);
    nock(HOST).get(`${BASE}/churn`).reply(200, failed);
    nock(HOST).get(`${BASE}/churn/served-models/churn-2/build-logs`).reply(200, { logs });
    const err = await rejection(
      client().servingEndpoints.updateConfigAndWait({
        name: "churn",
        served_entities: [{ ...v1, entity_version: "2" }],
      }),
    );
    expect(isOperationFailed(err)).toBe(true);
    expect(err.state).toBe("UPDATE_FAILED");
    expect(err.message).toContain("churn-2: DEPLOYMENT_FAILED - bad requirements");
    expect(err.message).toContain("line 29");
    expect(err.message).not.toContain("line 9\n");
    expect(err.info.servedEntities[0]).toMatchObject({ name: "churn-2", message: "bad requirements" });
  });

  it("an earlier update's failure read before the new update shows is not this update's failure", async () => {
    const stale = endpoint({
      state: { ready: "READY", config_update: "UPDATE_FAILED" },
      pending_config: {
        config_version: 2,
        served_entities: [{ name: "churn-2", state: { deployment: "DEPLOYMENT_FAILED" } }],
      },
    });
    const updating = endpoint({
      state: { ready: "READY", config_update: "IN_PROGRESS" },
      pending_config: { config_version: 3, served_entities: [] },
    });
    nock(HOST).put(`${BASE}/churn/config`).reply(200, updating);
    nock(HOST)
      .get(`${BASE}/churn`)
      .reply(200, stale)
      .get(`${BASE}/churn`)
      .reply(200, endpoint({ config: { ...endpoint().config, config_version: 3 } }));
    const ep = await client().servingEndpoints.updateConfigAndWait({ name: "churn", served_entities: [v1] });
    expect(ep.config?.config_version).toBe(3);
  });

  it("createAndWait fails fast when the endpoint has no config", async () => {
    const empty = { name: "churn", state: { ready: "NOT_READY", config_update: "NOT_UPDATING" } };
    nock(HOST).post(BASE).reply(200, empty);
    nock(HOST).get(`${BASE}/churn`).reply(200, empty);
    const err = await rejection(client().servingEndpoints.createAndWait({ name: "churn" }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.message).toContain("no config");
  });
});

describe("servingEndpoints.createOrUpdate", () => {
  it("does nothing when the served config matches (defaults and write-only fields ignored)", async () => {
    nock(HOST).get(`${BASE}/churn`).reply(200, endpoint());
    const r = await client().servingEndpoints.createOrUpdate("churn", {
      served_entities: [{ ...v1, workload_type: "CPU", burst_scaling_enabled: true }],
    });
    expect(r.action).toBe("unchanged");
  });

  it("updates when a given field differs and records the previous config", async () => {
    nock(HOST).get(`${BASE}/churn`).reply(200, endpoint());
    nock(HOST)
      .patch(`${BASE}/churn/tags`, (b) => b.add_tags[0].key === PREVIOUS_CONFIG_TAG)
      .reply(200, {});
    nock(HOST)
      .put(`${BASE}/churn/config`, { served_entities: [{ ...v1, entity_version: "2" }] })
      .reply(200, endpoint({ state: { ready: "READY", config_update: "IN_PROGRESS" } }));
    const r = await client().servingEndpoints.createOrUpdate(
      "churn",
      { served_entities: [{ ...v1, entity_version: "2" }] },
      { wait: false },
    );
    expect(r.action).toBe("updated");
    expect(r.differences).toEqual(["served entity main.ml.churn: not served"]);
  });

  it("creates when absent", async () => {
    nock(HOST).get(`${BASE}/churn`).reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" });
    nock(HOST)
      .post(BASE, { name: "churn", config: { served_entities: [v1] } })
      .reply(200, { name: "churn" });
    const r = await client().servingEndpoints.createOrUpdate(
      "churn",
      { served_entities: [v1] },
      { wait: false },
    );
    expect(r.action).toBe("created");
  });

  it("treats RESOURCE_ALREADY_EXISTS from its create as an existing endpoint", async () => {
    nock(HOST)
      .get(`${BASE}/churn`)
      .reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" })
      .get(`${BASE}/churn`)
      .reply(200, endpoint());
    nock(HOST).post(BASE).reply(409, { error_code: "RESOURCE_ALREADY_EXISTS", message: "exists" });
    const r = await client().servingEndpoints.createOrUpdate("churn", { served_entities: [v1] });
    expect(r.action).toBe("unchanged");
  });

  it("validates before anything is sent", async () => {
    const err = await rejection(
      client().servingEndpoints.createOrUpdate("churn", { served_entities: [{ entity_version: "1" }] }),
    );
    expect(isValidationError(err)).toBe(true);
  });
});

describe("servingEndpoints rollouts", () => {
  it("canary keeps the stable entity and gives the candidate its share, on the same compute", async () => {
    nock(HOST).get(`${BASE}/churn`).reply(200, endpoint());
    nock(HOST)
      .patch(`${BASE}/churn/tags`, (b) => {
        const value = JSON.parse(b.add_tags[0].value);
        return value.r[0][0] === "churn-1" && value.r[0][1] === 100;
      })
      .reply(200, {});
    nock(HOST)
      .put(`${BASE}/churn/config`, {
        served_entities: [
          { name: "churn-1", ...v1, workload_type: "CPU" },
          {
            entity_name: "main.ml.churn",
            entity_version: "2",
            name: "churn-2",
            workload_size: "Small",
            workload_type: "CPU",
            scale_to_zero_enabled: true,
          },
        ],
        traffic_config: {
          routes: [
            { served_entity_name: "churn-1", traffic_percentage: 90 },
            { served_entity_name: "churn-2", traffic_percentage: 10 },
          ],
        },
      })
      .reply(200, endpoint());
    await client().servingEndpoints.canary(
      "churn",
      { entity_name: "main.ml.churn", entity_version: "2" },
      10,
      {
        wait: false,
      },
    );
  });

  it("canary rejects a percentage outside 1..99", async () => {
    const err = await rejection(client().servingEndpoints.canary("churn", v1, 100));
    expect(isValidationError(err)).toBe(true);
  });

  it("rollback restores the recorded previous config", async () => {
    const current = endpoint({
      config: {
        config_version: 3,
        served_entities: [
          { name: "churn-2", entity_name: "main.ml.churn", entity_version: "2", workload_size: "Small" },
        ],
        traffic_config: { routes: [{ served_entity_name: "churn-2", traffic_percentage: 100 }] },
      },
      tags: [
        {
          key: PREVIOUS_CONFIG_TAG,
          value: JSON.stringify({
            e: [["churn-1", "main.ml.churn", "1", "Small", "CPU", true]],
            r: [["churn-1", 100]],
          }),
        },
      ],
    });
    nock(HOST).get(`${BASE}/churn`).reply(200, current);
    nock(HOST).patch(`${BASE}/churn/tags`).reply(200, {});
    nock(HOST)
      .put(`${BASE}/churn/config`, {
        served_entities: [
          {
            name: "churn-1",
            entity_name: "main.ml.churn",
            entity_version: "1",
            workload_size: "Small",
            workload_type: "CPU",
            scale_to_zero_enabled: true,
          },
        ],
        traffic_config: { routes: [{ served_entity_name: "churn-1", traffic_percentage: 100 }] },
      })
      .reply(200, endpoint());
    await client().servingEndpoints.rollback("churn", { wait: false });
  });
});

describe("servingEndpoints.query", () => {
  it("posts to /serving-endpoints/{name}/invocations without /api/2.0 and returns the served model", async () => {
    nock(HOST)
      .post("/serving-endpoints/churn/invocations", {
        dataframe_split: { columns: ["a"], data: [[1], [2]] },
        params: { k: 1 },
      })
      .reply(200, { predictions: [0.1, 0.2] }, { "served-model-name": "churn-1" });
    const r = await client().servingEndpoints.query<number>({
      name: "churn",
      dataframe_split: { columns: ["a"], data: [[1], [2]] },
      params: { k: 1 },
    });
    expect(r).toEqual({ predictions: [0.1, 0.2], served_model_name: "churn-1" });
  });

  it("accepts every input form and targets one served entity when asked", async () => {
    const forms = [
      { dataframe_records: [{ a: 1 }] },
      { instances: [[1, 2]] },
      { inputs: { a: [1] } },
      { messages: [{ role: "user", content: "hi" }] },
      { prompt: "hi" },
      { input: "hi" },
    ];
    for (const f of forms)
      nock(HOST).post("/serving-endpoints/churn/served-models/churn-2/invocations", f).reply(200, []);
    for (const f of forms) {
      const r = await client().servingEndpoints.query({
        name: "churn",
        served_model_name: "churn-2",
        ...f,
      } as never);
      expect(r.predictions).toEqual([]);
    }
  });

  it("requires exactly one input form", async () => {
    const se = client().servingEndpoints;
    const none = await rejection(se.query({ name: "churn", params: {} } as never));
    expect(none.message).toContain("exactly one input");
    const two = await rejection(se.query({ name: "churn", instances: [], inputs: [] } as never));
    expect(two.message).toContain("got instances and inputs");
    const stream = await rejection(se.query({ name: "churn", messages: [], stream: true }));
    expect(stream.message).toContain("queryStream");
  });

  it("is not retried on 500 but is on 429 and 503", async () => {
    nock(HOST)
      .post("/serving-endpoints/churn/invocations")
      .reply(500, { error_code: "INTERNAL_ERROR", message: "x" });
    const err = await rejection(client().servingEndpoints.query({ name: "churn", instances: [1] }));
    expect(err.statusCode).toBe(500);
    nock(HOST)
      .post("/serving-endpoints/churn/invocations")
      .reply(429, { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow down" }, { "Retry-After": "1" })
      .post("/serving-endpoints/churn/invocations")
      .reply(503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "later" })
      .post("/serving-endpoints/churn/invocations")
      .reply(200, { predictions: [1] });
    expect((await client().servingEndpoints.query({ name: "churn", instances: [1] })).predictions).toEqual([
      1,
    ]);
  });

  it("uses the longer query timeout; options.timeout overrides it", async () => {
    const db = client({ timeout: 30, queryTimeout: 5_000, maxRetries: 0 });
    nock(HOST)
      .post("/serving-endpoints/churn/invocations")
      .delay(150)
      .reply(200, { predictions: [1] });
    expect((await db.servingEndpoints.query({ name: "churn", instances: [1] })).predictions).toEqual([1]);
    nock(HOST).get(`${BASE}/churn`).delay(150).reply(200, endpoint());
    expect((await rejection(db.servingEndpoints.get({ name: "churn" }))).code).toBe("TIMEOUT");
    nock(HOST)
      .post("/serving-endpoints/churn/invocations")
      .delay(150)
      .reply(200, { predictions: [1] });
    const err = await rejection(
      db.servingEndpoints.query({ name: "churn", instances: [1] }, { timeout: 30 }),
    );
    expect(err.code).toBe("TIMEOUT");
  });

  it("queryStream yields each data chunk until [DONE]", async () => {
    const sse =
      'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n: keep-alive\n\ndata: {"choices":[{"delta":{"content":"lo"}}]}\r\n\r\ndata: [DONE]\n\ndata: {"after":"done"}\n\n';
    nock(HOST, { reqheaders: { accept: "text/event-stream" } })
      .post("/serving-endpoints/chat/invocations", (b) => b.stream === true && b.messages.length === 1)
      .reply(200, sse, { "content-type": "text/event-stream" });
    const chunks: unknown[] = [];
    for await (const c of client().servingEndpoints.queryStream({
      name: "chat",
      messages: [{ role: "user", content: "hi" }],
    })) {
      chunks.push(c);
    }
    expect(chunks).toEqual([
      { choices: [{ delta: { content: "Hel" } }] },
      { choices: [{ delta: { content: "lo" } }] },
    ]);
  });

  it("queryStream validates before sending anything", () => {
    expect(() => client().servingEndpoints.queryStream({ name: "chat" } as never)).toThrow(
      /exactly one input/,
    );
  });

  it("predictBatched keeps row order whatever order the batches finish in", async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ x: i }));
    // Earlier batches answer later.
    for (let b = 0; b < 4; b++) {
      nock(HOST)
        .post("/serving-endpoints/churn/invocations", (body) => body.dataframe_records?.[0]?.x === b * 3)
        .delay((4 - b) * 20)
        .reply(
          200,
          (_uri, body: any) => ({ predictions: body.dataframe_records.map((r: any) => r.x * 10) }),
          {
            "served-model-name": `e${b}`,
          },
        );
    }
    const r = await client().servingEndpoints.predictBatched<number>("churn", rows, {
      batchSize: 3,
      concurrency: 4,
    });
    expect(r.predictions).toEqual(rows.map((x) => x.x * 10));
    expect(r.batches.map((b) => [b.offset, b.size, b.served_model_name])).toEqual([
      [0, 3, "e0"],
      [3, 3, "e1"],
      [6, 3, "e2"],
      [9, 1, "e3"],
    ]);
  });

  it("predictBatches makes each batch only when a request slot frees up, in batch order", async () => {
    const made: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    for (let b = 0; b < 5; b++) {
      nock(HOST)
        .post(
          "/serving-endpoints/churn/invocations",
          (body) => body.dataframe_split?.data?.[0]?.[0] === b * 2,
        )
        .delay(10)
        .reply(200, (_uri, body: any) => {
          inFlight--;
          return { predictions: body.dataframe_split.data.map((r: number[]) => r[0]! + 0.5) };
        });
    }
    const r = await client().servingEndpoints.predictBatches<number>(
      "churn",
      5,
      (i) => {
        made.push(i);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const data = i === 4 ? [[8]] : [[i * 2], [i * 2 + 1]];
        return { input: { dataframe_split: { columns: ["x"], data } }, size: data.length };
      },
      { concurrency: 2, params: { threshold: 1 } },
    );
    expect(made).toEqual([0, 1, 2, 3, 4]);
    expect(maxInFlight).toBe(2);
    expect(r.predictions).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5]);
    expect(r.batches.map((b) => [b.offset, b.size])).toEqual([
      [0, 2],
      [2, 2],
      [4, 2],
      [6, 2],
      [8, 1],
    ]);
  });

  it("predictBatches checks its arguments before making or sending anything", async () => {
    const se = client().servingEndpoints;
    let made = 0;
    const batchAt = () => {
      made++;
      return { input: { dataframe_records: [{}] }, size: 1 };
    };
    for (const call of [
      se.predictBatches("churn", 1, batchAt, { concurrency: 0 }),
      se.predictBatches("churn", -1, batchAt),
      se.predictBatches("bad name", 1, batchAt),
    ]) {
      expect(isValidationError(await rejection(call))).toBe(true);
    }
    expect(made).toBe(0);
    expect((await se.predictBatches("churn", 0, batchAt)).predictions).toEqual([]);
  });

  it("predictBatched sends split frames and arrays as instances, and fails on a short answer", async () => {
    nock(HOST)
      .post("/serving-endpoints/churn/invocations", {
        dataframe_split: {
          columns: ["a", "b"],
          data: [
            [1, null],
            [null, 2],
          ],
        },
      })
      .reply(200, { predictions: [1, 2] });
    nock(HOST)
      .post("/serving-endpoints/churn/invocations", { instances: [[1], [2]] })
      .reply(200, { predictions: [1] });
    const se = client().servingEndpoints;
    const r = await se.predictBatched("churn", [{ a: 1 }, { b: 2 }], { format: "split" });
    expect(r.predictions).toEqual([1, 2]);
    const err = await rejection(se.predictBatched("churn", [[1], [2]]));
    expect(err.message).toContain("expected 2 predictions, got 1");
    const bad = await rejection(se.predictBatched("churn", [], { batchSize: 0 }));
    expect(isValidationError(bad)).toBe(true);
  });
});
