import { Time, TimeUnits, WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";

/**
 * The official Databricks JavaScript SDK against the emulator at its default options: the SDK's
 * own waiters poll in real time (first poll after 1–1.75 s, then slower), so the emulator's time
 * model must let them see every state they wait for — including a cluster with the shortest
 * auto-termination the API allows, which must still be RUNNING when the waiter looks.
 */
describe("official SDK against the clusters service", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  const cluster = { spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
  const timeout = new Time(1, TimeUnits.minutes);

  beforeAll(async () => {
    emu = await startEmulator();
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
  });
  afterAll(() => emu.close());

  it("create, edit, resize, delete and start with their waiters; auto-termination waits for people", {
    timeout: 120_000,
  }, async () => {
    const waiter = await w.clusters.create({
      cluster_name: "sdk",
      autotermination_minutes: 10,
      ...cluster,
    });
    const seen: string[] = [];
    const running = await waiter.wait({ timeout, onProgress: async (c) => void seen.push(String(c.state)) });
    expect(running.state).toBe("RUNNING");
    expect(seen.at(-1)).toBe("RUNNING");
    const clusterId = waiter.cluster_id!;

    // Still up a moment later, as a person using it would find it.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await w.clusters.get({ cluster_id: clusterId })).state).toBe("RUNNING");

    const edited = await (
      await w.clusters.edit({
        cluster_id: clusterId,
        cluster_name: "sdk-2",
        autotermination_minutes: 10,
        ...cluster,
      })
    ).wait({ timeout });
    expect(edited.state).toBe("RUNNING");
    expect(edited.cluster_name).toBe("sdk-2");

    const resized = await (await w.clusters.resize({ cluster_id: clusterId, num_workers: 3 })).wait({
      timeout,
    });
    expect(resized.state).toBe("RUNNING");
    expect(resized.num_workers).toBe(3);

    const listed: string[] = [];
    for await (const c of w.clusters.list({})) listed.push(c.cluster_id!);
    expect(listed).toContain(clusterId);

    const stopped = await (await w.clusters.delete({ cluster_id: clusterId })).wait({ timeout });
    expect(stopped.state).toBe("TERMINATED");
    expect(stopped.termination_reason?.code).toBe("USER_REQUEST");

    const restarted = await (await w.clusters.start({ cluster_id: clusterId })).wait({ timeout });
    expect(restarted.state).toBe("RUNNING");
  });

  it("sees the real error for a missing cluster", async () => {
    await expect(w.clusters.get({ cluster_id: "missing" })).rejects.toMatchObject({
      errorCode: "INVALID_PARAMETER_VALUE",
      message: "Cluster missing does not exist",
    });
  });
});

/** The idle timer itself: it does fire, on the idle scale, and says why. */
describe("auto-termination on a running clock", () => {
  it("terminates an idle cluster after its idle time at idleTimeScale, not before", {
    timeout: 30_000,
  }, async () => {
    const emu = await startEmulator({ idleTimeScale: 600, idleFloorSeconds: 4 });
    try {
      const w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
      const created = await w.clusters.create({
        cluster_name: "idle",
        autotermination_minutes: 10,
        spark_version: "15.4.x-scala2.12",
        node_type_id: "i3.xlarge",
        num_workers: 0,
      });
      const running = await created.wait({ timeout: new Time(30, TimeUnits.seconds) });
      expect(running.state).toBe("RUNNING");
      // Ten idle minutes at 600 times wall time is one second, but the floor holds it four.
      await new Promise((r) => setTimeout(r, 500));
      expect((await w.clusters.get({ cluster_id: created.cluster_id! })).state).toBe("RUNNING");
      await new Promise((r) => setTimeout(r, 4500));
      const stopped = await w.clusters.get({ cluster_id: created.cluster_id! });
      expect(stopped.state).toBe("TERMINATED");
      expect(stopped.termination_reason?.code).toBe("INACTIVITY");
    } finally {
      await emu.close();
    }
  });
});
