import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator, ServingEmulatorExports } from "../../src/emulator/index.js";
import { rejection } from "../helpers.js";
import { startEmulatorWith } from "../integration/serving-helpers.js";

/** The official JavaScript SDK drives the emulator: if it cannot, the emulator is wrong. */
let emu: Emulator;
let w: WorkspaceClient;

const entity = (version: string) => ({
  entity_name: "main.ml.churn",
  entity_version: version,
  workload_size: "Small",
  scale_to_zero_enabled: true,
});
/** At the emulator's defaults, with the official waiters polling in real time. */
beforeEach(async () => {
  emu = await startEmulatorWith({});
  w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
});
afterEach(() => emu.close());

describe("official SDK against the serving emulator", () => {
  it("create with its waiter, get, query, updateConfig with its waiter, delete", async () => {
    const waiter = await w.servingEndpoints.create({
      name: "churn",
      config: { name: "churn", served_entities: [entity("1")] },
    });
    expect(waiter.name).toBe("churn");
    expect(waiter.state?.config_update).toBe("IN_PROGRESS");
    const seen: string[] = [];
    const ready = await waiter.wait({
      onProgress: async (e) => {
        seen.push(`${e.state?.ready}/${e.state?.config_update}`);
      },
    });
    expect(ready.state).toEqual({ ready: "READY", config_update: "NOT_UPDATING" });
    expect(seen.at(-1)).toBe("READY/NOT_UPDATING");

    const got = await w.servingEndpoints.get({ name: "churn" });
    expect(got.config?.served_entities?.[0]?.state?.deployment).toBe("DEPLOYMENT_READY");
    expect(got.config?.config_version).toBe(1);

    const answer = await w.servingEndpoints.query({
      name: "churn",
      dataframe_records: [{ tenure: 3 }, { tenure: 4 }],
    });
    expect(answer.predictions).toHaveLength(2);
    expect(answer["served-model-name"]).toBe("churn-1");

    const updating = await w.servingEndpoints.updateConfig({
      name: "churn",
      served_entities: [entity("1"), { ...entity("2"), name: "churn-2" }],
      traffic_config: {
        routes: [
          { served_entity_name: "churn-1", traffic_percentage: 90 },
          { served_entity_name: "churn-2", traffic_percentage: 10 },
        ],
      },
    });
    expect(updating.state?.config_update).toBe("IN_PROGRESS");
    const updated = await updating.wait();
    expect(updated.config?.config_version).toBe(2);
    expect(updated.config?.traffic_config?.routes?.map((r) => r.traffic_percentage)).toEqual([90, 10]);

    const listed: string[] = [];
    for await (const e of w.servingEndpoints.list()) listed.push(String(e.name));
    expect(listed).toEqual(["churn"]);

    await w.servingEndpoints.delete({ name: "churn" });
    const err = await rejection(w.servingEndpoints.get({ name: "churn" }));
    expect(err.errorCode ?? err.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
  });

  it("the official waiter fails on UPDATE_FAILED", async () => {
    emu.context
      .service<ServingEmulatorExports>("serving")!
      .failBuild("main.ml.churn", "1", "broken environment");
    const waiter = await w.servingEndpoints.create({
      name: "churn",
      config: { name: "churn", served_entities: [entity("1")] },
    });
    const err = await rejection(waiter.wait());
    expect(String(err.message)).toContain("UPDATE_FAILED");
  });

  it("tags, AI gateway, logs, permissions and metrics speak the SDK's wire format", async () => {
    const created = await w.servingEndpoints.create({
      name: "churn",
      config: { name: "churn", served_entities: [entity("1")] },
    });
    await created.wait();
    // The official SDK 0.17 sends PATCH requests without their body, so no tag arrives; the call must still succeed.
    const tags = await w.servingEndpoints.patch({ name: "churn", add_tags: [{ key: "team", value: "ml" }] });
    expect(tags).toEqual({ tags: [] });
    const gateway = await w.servingEndpoints.putAiGateway({
      name: "churn",
      usage_tracking_config: { enabled: true },
      rate_limits: [{ calls: 10, key: "user", renewal_period: "minute" }],
    });
    expect(gateway.usage_tracking_config?.enabled).toBe(true);
    const build = await w.servingEndpoints.buildLogs({ name: "churn", served_model_name: "churn-1" });
    expect(build.logs).toContain("Container image creation finished successfully.");
    await w.servingEndpoints.query({ name: "churn", instances: [1] });
    const logs = await w.servingEndpoints.logs({ name: "churn", served_model_name: "churn-1" });
    expect(logs.logs).toContain("POST /invocations 200");
    const perms = await w.servingEndpoints.getPermissions({ serving_endpoint_id: String(created.id) });
    expect(perms.object_type).toBe("serving-endpoint");
    const metrics = await w.servingEndpoints.exportMetrics({ name: "churn" });
    expect(metrics.contents).toBeDefined();
  });
});

describe("serving scale-to-zero is an idle timer", () => {
  it("provisioned concurrency drops to zero after 30 idle minutes, not before", async () => {
    await emu.close();
    emu = await startEmulatorWith({ manualClock: true });
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    await w.servingEndpoints.create({
      name: "churn",
      config: { name: "churn", served_entities: [entity("1")] },
    });
    emu.clock.advance(10 * 60_000);
    await w.servingEndpoints.query({ name: "churn", dataframe_records: [{ tenure: 1 }] });
    const provisioned = async () => {
      const res = await fetch(`${emu.url}/api/2.0/serving-endpoints/churn/metrics`, {
        headers: { authorization: `Bearer ${emu.token}` },
      });
      const line = (await res.text())
        .split("\n")
        .find((l) => l.startsWith("provisioned_concurrent_requests_total{"));
      return Number(line?.split(" ")[1]);
    };
    expect(await provisioned()).toBe(4);
    emu.clock.advance(29 * 60_000);
    expect(await provisioned()).toBe(4);
    emu.clock.advance(2 * 60_000);
    expect(await provisioned()).toBe(0);
  });
});
