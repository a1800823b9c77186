import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator, ServingEmulatorExports } from "../../src/emulator/index.js";
import {
  type Databricks,
  isAlreadyExists,
  isConnectionError,
  isNotFound,
  isOperationFailed,
  PREVIOUS_CONFIG_TAG,
  type RequestEvent,
  type ServingEndpointsAPI,
} from "../../src/index.js";
import { rejection } from "../helpers.js";
import { servingClient, startServing, v } from "./serving-helpers.js";

let emu: Emulator;
let db: Databricks;
let se: ServingEndpointsAPI;
let serving: ServingEmulatorExports;
let requests: RequestEvent[];

beforeEach(async () => {
  ({ emu, db, se, serving, requests } = await startServing());
});
afterEach(() => emu.close());

const deploy = (name = "churn", version = 1) =>
  se.createAndWait({ name, config: { served_entities: [v(version)] } });
const served = async (name: string, n: number) => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await se.query({ name, dataframe_records: [{ x: i }] });
    counts[r.served_model_name!] = (counts[r.served_model_name!] ?? 0) + 1;
  }
  return counts;
};

describe("serving endpoints against the emulator", () => {
  it("deploys through NOT_READY/IN_PROGRESS to READY/NOT_UPDATING with build logs", async () => {
    const created = await se.create({ name: "churn", config: { served_entities: [v(1)] } });
    expect(created.state).toEqual({ ready: "NOT_READY", config_update: "IN_PROGRESS" });
    expect(created.pending_config?.config_version).toBe(1);
    expect(created.pending_config?.served_entities?.[0]?.state?.deployment).toBe("DEPLOYMENT_CREATING");
    const states: string[] = [];
    const messages: Array<string | undefined> = [];
    const ep = await se.waitUntilEndpointReady(
      { name: "churn" },
      {
        onProgress: (e) => {
          states.push(e.state);
          messages.push(e.message);
        },
      },
    );
    expect(states[0]).toBe("NOT_READY/IN_PROGRESS");
    expect(states.at(-1)).toBe("READY/NOT_UPDATING");
    expect(messages.join("\n")).toContain("churn-1: DEPLOYMENT_CREATING (Creating the container image");
    expect(ep.config?.served_entities?.[0]).toMatchObject({
      name: "churn-1",
      entity_version: "1",
      workload_type: "CPU",
      state: { deployment: "DEPLOYMENT_READY" },
    });
    expect(ep.pending_config).toBeUndefined();
    // Minutes of virtual time passed, none of it for real.
    expect(emu.clock.now() - (ep.creation_timestamp ?? 0)).toBeGreaterThanOrEqual(6 * 60_000);
    const logs = await se.buildLogs({ name: "churn", served_model_name: "churn-1" });
    expect(logs.logs).toContain("Container image creation finished successfully.");
  });

  it("gets, lists, tags and deletes endpoints", async () => {
    await deploy();
    await se.create({ name: "other" });
    expect((await se.list().toArray({ limit: 10 })).map((e) => e.name).sort()).toEqual(["churn", "other"]);
    const other = await se.get({ name: "other" });
    expect(other.state).toEqual({ ready: "NOT_READY", config_update: "NOT_UPDATING" });
    await se.patch({
      name: "churn",
      add_tags: [
        { key: "team", value: "ml" },
        { key: "tmp", value: "x" },
      ],
    });
    const tags = await se.patch({
      name: "churn",
      add_tags: [{ key: "team", value: "risk" }],
      delete_tags: ["tmp"],
    });
    expect(tags.tags).toEqual([{ key: "team", value: "risk" }]);
    await se.delete({ name: "other" });
    expect(isNotFound(await rejection(se.get({ name: "other" })))).toBe(true);
    const err = await rejection(se.create({ name: "churn" }));
    expect(isAlreadyExists(err)).toBe(true);
    expect(err.message).toBe("Endpoint with name 'churn' already exists.");
  });

  it("rejects an update while another one rolls out, and invalid configs", async () => {
    await deploy();
    await se.updateConfig({ name: "churn", served_entities: [v(2)] });
    const busy = await rejection(se.updateConfig({ name: "churn", served_entities: [v(3)] }));
    expect(busy.errorCode).toBe("RESOURCE_CONFLICT");
    await se.waitUntilEndpointReady({ name: "churn" });
    const bad = await rejection(
      db.request({
        method: "PUT",
        path: "/api/2.0/serving-endpoints/churn/config",
        body: {
          served_entities: [v(1)],
          traffic_config: { routes: [{ served_entity_name: "nope", traffic_percentage: 100 }] },
        },
      }),
    );
    expect(bad.errorCode).toBe("INVALID_PARAMETER_VALUE");
  });

  it("canary 10 %, shift in steps, promote, roll back", async () => {
    await deploy();
    const canary = await se.canary("churn", { entity_name: "main.ml.churn", entity_version: "2" }, 10);
    expect(canary.config?.traffic_config?.routes).toEqual([
      { served_entity_name: "churn-1", traffic_percentage: 90 },
      { served_entity_name: "churn-2", traffic_percentage: 10 },
    ]);
    expect(canary.config?.served_entities?.[1]).toMatchObject({
      workload_size: "Small",
      scale_to_zero_enabled: true,
    });
    // The split is exact and deterministic: 10 of every 100 requests.
    expect(await served("churn", 100)).toEqual({ "churn-1": 90, "churn-2": 10 });

    const steps: number[] = [];
    const shifted = await se.shiftTraffic("churn", {
      to: "churn-2",
      steps: [50, 100],
      pauseMs: 1000,
      onStep: (_, p) => {
        steps.push(p);
      },
    });
    expect(steps).toEqual([50, 100]);
    expect(shifted.config?.traffic_config?.routes).toContainEqual({
      served_entity_name: "churn-2",
      traffic_percentage: 100,
    });
    expect(await served("churn", 10)).toEqual({ "churn-2": 10 });

    const promoted = await se.promote("churn");
    expect(promoted.config?.served_entities?.map((e) => e.name)).toEqual(["churn-2"]);

    const back = await se.rollback("churn");
    expect(back.config?.served_entities?.map((e) => e.name).sort()).toEqual(["churn-1", "churn-2"]);
    expect(back.config?.traffic_config?.routes).toContainEqual({
      served_entity_name: "churn-2",
      traffic_percentage: 100,
    });
    // The config rolled back from is recorded, so rolling back again returns to it.
    const again = await se.rollback("churn");
    expect(again.config?.served_entities?.map((e) => e.name)).toEqual(["churn-2"]);
    expect(again.tags?.find((t) => t.key === PREVIOUS_CONFIG_TAG)).toBeDefined();
  });

  it("rollback of a running canary returns all traffic to the stable version", async () => {
    await deploy();
    await se.canary("churn", { entity_name: "main.ml.churn", entity_version: "2" }, 10);
    const back = await se.rollback("churn");
    expect(back.config?.served_entities?.map((e) => e.name)).toEqual(["churn-1"]);
    expect(await served("churn", 5)).toEqual({ "churn-1": 5 });
  });

  it("a failed update rejects with the state message and build log tail; the old config keeps serving", async () => {
    await deploy();
    serving.failBuild(
      "main.ml.churn",
      3,
      "Could not find a version that satisfies the requirement scikit-learn==0.0.1",
    );
    const err = await rejection(se.updateConfigAndWait({ name: "churn", served_entities: [v(3)] }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.state).toBe("UPDATE_FAILED");
    expect(err.message).toContain(
      "churn-3: DEPLOYMENT_FAILED - Served entity creation failed: Could not find a version",
    );
    expect(err.message).toContain("ERROR: Could not find a version");
    expect(err.message).toContain("Container image creation failed.");
    expect(err.info.servedEntities[0].buildLogTail).toContain("ERROR:");

    const ep = await se.get({ name: "churn" });
    expect(ep.state).toEqual({ ready: "READY", config_update: "UPDATE_FAILED" });
    expect(ep.config?.served_entities?.map((e) => e.name)).toEqual(["churn-1"]);
    expect(ep.pending_config?.served_entities?.[0]?.state?.deployment).toBe("DEPLOYMENT_FAILED");
    expect((await se.query({ name: "churn", instances: [1] })).served_model_name).toBe("churn-1");

    // Another version deploys fine afterwards.
    const fixed = await se.updateConfigAndWait({ name: "churn", served_entities: [v(4)] });
    expect(fixed.state?.config_update).toBe("NOT_UPDATING");
    expect(fixed.config?.config_version).toBe(3);
  });

  it("a failed first deployment leaves the endpoint NOT_READY, and queries say so", async () => {
    serving.failBuild("main.ml.churn", undefined, "model signature is missing");
    const err = await rejection(deploy());
    expect(isOperationFailed(err)).toBe(true);
    const ep = await se.get({ name: "churn" });
    expect(ep.state).toEqual({ ready: "NOT_READY", config_update: "UPDATE_FAILED" });
    const q = await rejection(se.query({ name: "churn", instances: [1] }));
    expect([q.statusCode, q.errorCode]).toEqual([400, "BAD_REQUEST"]);
    serving.clearBuildFailures();
    const r = await se.createOrUpdate("churn", { served_entities: [v(1)] });
    expect(r.action).toBe("updated");
    expect(r.endpoint.state?.ready).toBe("READY");
  });

  it("queries to an endpoint still deploying get 503, which is retried", async () => {
    await se.create({ name: "churn", config: { served_entities: [v(1)] } });
    const noRetry = await rejection(se.query({ name: "churn", instances: [1] }, { maxRetries: 0 }));
    expect([noRetry.statusCode, noRetry.errorCode]).toEqual([503, "TEMPORARILY_UNAVAILABLE"]);
    // Retries sleep on the client clock, which moves the emulator on until the endpoint serves.
    expect((await se.query({ name: "churn", instances: [1] })).predictions).toHaveLength(1);
  });

  it("createOrUpdate: creates, then sends no PUT when nothing changed, then updates", async () => {
    const first = await se.createOrUpdate(
      "churn",
      { served_entities: [v(1)] },
      { tags: [{ key: "team", value: "ml" }] },
    );
    expect(first.action).toBe("created");
    expect(first.endpoint.state?.ready).toBe("READY");
    requests.length = 0;
    const second = await se.createOrUpdate(
      "churn",
      { served_entities: [v(1)] },
      { tags: [{ key: "team", value: "ml" }] },
    );
    expect(second.action).toBe("unchanged");
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/2.0/serving-endpoints/churn"]);
    const third = await se.createOrUpdate("churn", { served_entities: [v(1, { workload_size: "Medium" })] });
    expect(third.action).toBe("updated");
    expect(third.differences).toEqual([
      'served entity main.ml.churn.workload_size: "Small" served, "Medium" wanted',
    ]);
    expect(third.endpoint.config?.served_entities?.[0]?.workload_size).toBe("Medium");
  });

  it("createOrUpdate joins an update already rolling out to the same config", async () => {
    await deploy();
    await se.updateConfig({ name: "churn", served_entities: [v(2)] });
    requests.length = 0;
    const r = await se.createOrUpdate("churn", { served_entities: [v(2)] });
    expect(r.action).toBe("unchanged");
    expect(r.endpoint.config?.served_entities?.[0]?.entity_version).toBe("2");
    expect(requests.some((e) => e.method === "PUT")).toBe(false);
  });

  it("createOrUpdate survives a create whose answer was lost (retried create meets RESOURCE_ALREADY_EXISTS)", async () => {
    const path = /^\/api\/2\.0\/serving-endpoints$/;
    emu.faults.set({ rate: 1, kinds: ["reset-after"], methods: ["POST"], path });
    // The first POST creates the endpoint but its answer is lost; the retry meets RESOURCE_ALREADY_EXISTS.
    const stopAfterFirst = (e: RequestEvent) => {
      if (e.method === "POST" && e.error) emu.faults.clear();
    };
    const events: RequestEvent[] = [];
    const client = servingClient(emu, (e) => {
      events.push(e);
      stopAfterFirst(e);
    });
    const r = await client.servingEndpoints.createOrUpdate("churn", { served_entities: [v(1)] });
    expect(r.action).toBe("unchanged");
    expect(r.endpoint.state?.ready).toBe("READY");
    const posts = events.filter((e) => e.method === "POST" && e.retryInMs === undefined);
    expect(posts.map((p) => p.status ?? "reset")).toEqual(["reset", 409]);
    expect(emu.faults.counts()["reset-after"]).toBe(1);

    // A plain create is not repeated after a lost answer: it is not idempotent.
    emu.faults.set({ rate: 1, kinds: ["reset-after"], methods: ["POST"], path });
    const err = await rejection(se.create({ name: "plain" }));
    expect(isConnectionError(err)).toBe(true);
    expect(emu.faults.counts()["reset-after"]).toBe(2);
    emu.faults.clear();
  });

  it("control-plane reads are retried through injected 500s and 429s", async () => {
    await deploy();
    emu.faults.set({ rate: 0.5, kinds: ["500", "429", "503"], methods: ["GET"], seed: 7 });
    for (let i = 0; i < 10; i++) expect((await se.get({ name: "churn" })).name).toBe("churn");
    const injected = emu.faults.counts();
    expect(injected["500"] + injected["429"] + injected["503"]).toBeGreaterThan(0);
    emu.faults.clear();
  });

  it("AI gateway, rate limits and permissions (by endpoint id)", async () => {
    const ep = await deploy();
    const gateway = await se.putAiGateway({
      name: "churn",
      inference_table_config: {
        catalog_name: "main",
        schema_name: "ml",
        table_name_prefix: "churn",
        enabled: true,
      },
      usage_tracking_config: { enabled: true },
      rate_limits: [{ calls: 100, key: "user", renewal_period: "minute" }],
      guardrails: { input: { safety: true } },
    });
    expect(gateway.usage_tracking_config).toEqual({ enabled: true });
    expect((await se.get({ name: "churn" })).ai_gateway?.guardrails).toEqual({ input: { safety: true } });
    const move = await rejection(
      se.putAiGateway({
        name: "churn",
        inference_table_config: { catalog_name: "other", schema_name: "ml", enabled: true },
      }),
    );
    expect(move.errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect(
      (await se.put({ name: "churn", rate_limits: [{ calls: 5, renewal_period: "minute" }] })).rate_limits,
    ).toHaveLength(1);

    const id = ep.id!;
    const perms = await se.getPermissions({ serving_endpoint_id: id });
    expect(perms.object_id).toBe(`/serving-endpoints/${id}`);
    expect(perms.access_control_list?.[0]?.all_permissions?.[0]?.permission_level).toBe("CAN_MANAGE");
    await se.setPermissions({
      serving_endpoint_id: id,
      access_control_list: [{ user_name: "a@example.com", permission_level: "CAN_QUERY" }],
    });
    const updated = await se.updatePermissions({
      serving_endpoint_id: id,
      access_control_list: [{ group_name: "analysts", permission_level: "CAN_VIEW" }],
    });
    expect(updated.access_control_list?.map((a) => a.user_name ?? a.group_name)).toEqual([
      "emulator-user@example.com",
      "a@example.com",
      "analysts",
      "admins",
    ]);
    expect((await se.getPermissionLevels({ serving_endpoint_id: id })).permission_levels).toHaveLength(3);
    expect(isNotFound(await rejection(se.getPermissions({ serving_endpoint_id: "churn" })))).toBe(true);
  });
});
