import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Databricks, isNotFound, isOperationFailed } from "../../src/index.js";
import { realPayloads } from "../fixtures.js";
import { rejection } from "../helpers.js";
import { CLUSTER, startWorkspace, type Workspace } from "./compute-helpers.js";

describe("clusters against the emulator", () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await startWorkspace();
  });
  afterAll(() => ws.emu.close());

  it("creates a cluster and waits with progress until it runs, minutes of virtual time later", async () => {
    const { db, emu } = ws;
    const started = emu.clock.now();
    const events: any[] = [];
    const cluster = await db.clusters.createAndWait(
      { ...CLUSTER, cluster_name: "analysis", num_workers: 2 },
      { onProgress: (e) => events.push(e) },
    );
    expect(cluster).toMatchObject({
      state: "RUNNING",
      cluster_name: "analysis",
      cluster_source: "API",
      num_workers: 2,
    });
    expect(cluster.executors).toHaveLength(2);
    expect(cluster.spark_context_id).toMatch(/^[1-9]\d*$/);
    expect(events.map((e) => e.state)).toEqual(["PENDING", "RUNNING"]);
    expect(events[0].message).toContain("Finding instances");
    expect(events[0].url).toBe(`${emu.url}/#setting/clusters/${cluster.cluster_id}/configuration`);
    expect(emu.clock.now() - started).toBeGreaterThanOrEqual(3 * 60_000);

    const types: string[] = [];
    for await (const e of db.clusters.events({ cluster_id: cluster.cluster_id!, order: "ASC" }))
      types.push(e.type!);
    expect(types).toEqual(["CREATING", "RUNNING"]);
  });

  it("resizes, restarts, edits and terminates through the real state machine", async () => {
    const { db } = ws;
    const { cluster_id } = await db.clusters.create({ ...CLUSTER, cluster_name: "moves" });
    const id = cluster_id;
    await db.clusters.waitUntilClusterRunning({ cluster_id: id });
    const seen: string[] = [];
    const onProgress = (e: { state: string }) => seen.push(e.state);
    expect(
      (await db.clusters.resizeAndWait({ cluster_id: id, num_workers: 3 }, { onProgress })).executors,
    ).toHaveLength(3);
    await db.clusters.restartAndWait({ cluster_id: id }, { onProgress });
    const edited = await db.clusters.editAndWait(
      { cluster_id: id, ...CLUSTER, cluster_name: "moved" },
      { onProgress },
    );
    expect(edited.cluster_name).toBe("moved");
    const stopped = await db.clusters.deleteAndWait({ cluster_id: id }, { onProgress });
    expect(stopped.termination_reason).toMatchObject({ code: "USER_REQUEST", type: "SUCCESS" });
    expect(seen).toEqual([
      "RESIZING",
      "RUNNING",
      "RESTARTING",
      "RUNNING",
      "RESTARTING",
      "RUNNING",
      "TERMINATING",
      "TERMINATED",
    ]);

    // Editing a terminated cluster leaves it terminated.
    expect((await db.clusters.editAndWait({ cluster_id: id, ...CLUSTER, num_workers: 5 })).state).toBe(
      "TERMINATED",
    );
    const wrongState = await rejection(db.clusters.resize({ cluster_id: id, num_workers: 1 }));
    expect(wrongState.errorCode).toBe("INVALID_STATE");
    expect(wrongState.message).toBe(`Cluster ${id} is in unexpected state Terminated.`);

    const types: string[] = [];
    for await (const e of db.clusters.events({ cluster_id: id, order: "ASC", limit: 2 })) types.push(e.type!);
    expect(types).toEqual([
      "CREATING",
      "RUNNING",
      "RESIZING",
      "UPSIZE_COMPLETED",
      "RESTARTING",
      "RUNNING",
      "EDITED",
      "RESTARTING",
      "RUNNING",
      "TERMINATING",
      "EDITED",
    ]);
  });

  it("ensureRunning starts a stopped cluster, waits for a stopping one, and refuses a started one twice", async () => {
    const { db } = ws;
    const { cluster_id } = await db.clusters.create({ ...CLUSTER, cluster_name: "ensure" });
    expect((await db.clusters.ensureRunning({ cluster_id })).state).toBe("RUNNING");
    await db.clusters.delete({ cluster_id });
    const states: string[] = [];
    const running = await db.clusters.ensureRunning(
      { cluster_id },
      { onProgress: (e) => states.push(e.state) },
    );
    expect(running.state).toBe("RUNNING");
    expect(states).toEqual(["TERMINATING", "TERMINATED", "PENDING", "RUNNING"]);
    const again = await rejection(db.clusters.start({ cluster_id }));
    expect(again.errorCode).toBe("INVALID_STATE");
    expect(again.message).toBe(`Cluster ${cluster_id} is in unexpected state Running.`);
  });

  it("fails a wait clearly when the cluster cannot start", async () => {
    ws.clusters.failNextStart({ message: "Instance bootstrap failed: disk quota" });
    const err = await rejection(ws.db.clusters.createAndWait({ ...CLUSTER, cluster_name: "doomed" }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.state).toBe("ERROR");
    expect(err.message).toContain("Instance bootstrap failed: disk quota");
    ws.clusters.failNextStart({
      state: "TERMINATED",
      message: "Could not launch instances",
      code: "CLOUD_PROVIDER_LAUNCH_FAILURE",
    });
    const terminated = await rejection(ws.db.clusters.createAndWait({ ...CLUSTER, cluster_name: "doomed2" }));
    expect(terminated.state).toBe("TERMINATED");
    expect(terminated.message).toContain("CLOUD_PROVIDER_LAUNCH_FAILURE");
    const errored = await rejection(ws.db.clusters.ensureRunning({ cluster_id: err.info.cluster_id }));
    expect(isOperationFailed(errored)).toBe(true);
  });

  it("terminates an idle cluster after its auto-termination minutes", async () => {
    const { db, emu } = ws;
    const cluster = await db.clusters.createAndWait({ ...CLUSTER, autotermination_minutes: 20 });
    emu.clock.advance(19 * 60_000);
    expect((await db.clusters.get({ cluster_id: cluster.cluster_id! })).state).toBe("RUNNING");
    emu.clock.advance(2 * 60_000);
    const stopped = await db.clusters.get({ cluster_id: cluster.cluster_id! });
    expect(stopped.state).toBe("TERMINATED");
    expect(stopped.termination_reason?.code).toBe("INACTIVITY");
  });

  it("lists with filters and pages, and pins", async () => {
    const { db } = ws;
    const { cluster_id } = await db.clusters.create({ ...CLUSTER, cluster_name: "pinned-one" });
    await db.clusters.pin({ cluster_id });
    const pinned = await db.clusters.list({ filter_by: { is_pinned: true } }).toArray({ limit: 10 });
    expect(pinned.map((c) => c.cluster_id)).toEqual([cluster_id]);
    await db.clusters.unpin({ cluster_id });
    expect(await db.clusters.list({ filter_by: { is_pinned: true } }).toArray({ limit: 10 })).toEqual([]);

    const all = await db.clusters.list().toArray({ limit: 100 });
    let pages = 0;
    const paged: string[] = [];
    for await (const page of db.clusters.list({ page_size: 2 }).pages()) {
      pages++;
      paged.push(...page.items.map((c) => c.cluster_id!));
    }
    expect(paged).toEqual(all.map((c) => c.cluster_id));
    expect(pages).toBe(Math.ceil(all.length / 2));
    const pending = await db.clusters
      .list({ filter_by: { cluster_states: ["PENDING"] } })
      .toArray({ limit: 100 });
    expect(pending.map((c) => c.cluster_id)).toContain(cluster_id);
    expect(pending.every((c) => c.state === "PENDING")).toBe(true);
    const byName = await db.clusters
      .list({ sort_by: { field: "CLUSTER_NAME", direction: "ASC" } })
      .toArray({ limit: 100 });
    const names = byName.map((c) => c.cluster_name ?? "");
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it("permanently deletes, and answers a missing cluster with the real 400", async () => {
    const { db } = ws;
    const { cluster_id } = await db.clusters.create({ ...CLUSTER });
    await db.clusters.permanentDelete({ cluster_id });
    const err = await rejection(db.clusters.get({ cluster_id }));
    expect(isNotFound(err)).toBe(true);
    expect(err.statusCode).toBe(400);
    expect(err.errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect(err.message).toBe(`Cluster ${cluster_id} does not exist`);
  });

  it("offers runtimes and node types", async () => {
    const versions = (await ws.db.clusters.sparkVersions()).versions ?? [];
    expect(versions.map((v) => v.key)).toContain("15.4.x-cpu-ml-scala2.12");
    const nodes = (await ws.db.clusters.listNodeTypes()).node_types ?? [];
    expect(nodes.find((n) => n.node_type_id === "i3.xlarge")).toMatchObject({ num_cores: 4 });
  });

  it("creates one cluster when a create is retried after a lost answer", async () => {
    const { emu } = ws;
    let retried = 0;
    const db = new Databricks({
      host: emu.url,
      token: emu.token,
      env: {},
      random: () => 0,
      onRequest: (e) => {
        if (e.retryInMs !== undefined && e.path.endsWith("/clusters/create")) {
          retried++;
          emu.faults.clear();
        }
      },
    });
    const before = (await db.clusters.list().toArray({ limit: 1000 })).length;
    emu.faults.set({ rate: 1, kinds: ["reset-after"], path: "/clusters/create" });
    const { cluster_id } = await db.clusters.create({ ...CLUSTER, cluster_name: "once" });
    const after = await db.clusters.list().toArray({ limit: 1000 });
    expect(retried).toBe(1);
    expect(after).toHaveLength(before + 1);
    expect(after.filter((c) => c.cluster_name === "once").map((c) => c.cluster_id)).toEqual([cluster_id]);
  });

  it("accepts every real request body", async () => {
    for (const p of realPayloads("clusters.").filter((p) => p.kind === "request")) {
      const [method, path] = p.api.split(" ");
      const res = await ws.db.request<{ cluster_id: string }>({
        method: method as "POST",
        path: path!,
        body: p.body,
      });
      expect((await ws.db.clusters.get({ cluster_id: res.cluster_id })).cluster_name).toBe(
        p.body.cluster_name,
      );
      // The request carries an idempotency token: sending it again names the same cluster.
      const again = await ws.db.request<{ cluster_id: string }>({
        method: method as "POST",
        path: path!,
        body: p.body,
      });
      expect(again.cluster_id).toBe(res.cluster_id);
    }
  });
});
