import { Time, TimeUnits, WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";

/**
 * The official Databricks JavaScript SDK against the emulator: its waiters, pagination and error
 * handling must work unchanged. The emulator clock is manual and each waiter's progress callback
 * moves it on by ten minutes, so every wait sees the same states whatever the machine's speed.
 */
describe("official SDK against the clusters service", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  const cluster = { spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
  const timeout = new Time(2, TimeUnits.minutes);
  const tenMinutes = () => emu.clock.advance(10 * 60_000);

  beforeAll(async () => {
    emu = await startEmulator({ manualClock: true });
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
  });
  afterAll(() => emu.close());

  it("creates a cluster and waits with its waiter, then gets, lists and deletes it", async () => {
    const waiter = await w.clusters.create({ cluster_name: "sdk", ...cluster });
    const seen: string[] = [];
    const running = await waiter.wait({
      timeout,
      onProgress: async (c) => {
        seen.push(String(c.state));
        tenMinutes();
      },
    });
    expect(running.state).toBe("RUNNING");
    expect(seen).toEqual(["PENDING", "RUNNING"]);
    const clusterId = waiter.cluster_id!;
    const got = await w.clusters.get({ cluster_id: clusterId });
    expect(got.cluster_name).toBe("sdk");
    const listed: string[] = [];
    for await (const c of w.clusters.list({})) listed.push(c.cluster_id!);
    expect(listed).toContain(clusterId);
    const deleting = await w.clusters.delete({ cluster_id: clusterId });
    const stopped = await deleting.wait({ timeout, onProgress: async () => tenMinutes() });
    expect(stopped.state).toBe("TERMINATED");
  });

  it("sees the real error for a missing cluster", async () => {
    await expect(w.clusters.get({ cluster_id: "missing" })).rejects.toMatchObject({
      errorCode: "INVALID_PARAMETER_VALUE",
      message: "Cluster missing does not exist",
    });
  });
});
