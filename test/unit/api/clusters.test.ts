import { describe, expect, it } from "vitest";
import {
  ClusterDetailsSchema,
  ClusterEventsResponseSchema,
  CreateClusterRequestSchema,
  isNotFound,
  isOperationFailed,
  isValidationError,
  isWaitTimeout,
  ListClustersResponseSchema,
  SparkVersionsResponseSchema,
} from "../../../src/index.js";
import { realPayload, realPayloads } from "../../fixtures.js";
import { rejection } from "../../helpers.js";
import { api, client, fakeClock, HOST, unmatchedRequests, useNock } from "./compute-helpers.js";

useNock();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const spec = {
  cluster_name: "c",
  spark_version: "15.4.x-scala2.12",
  node_type_id: "i3.xlarge",
  num_workers: 1,
};

describe("clusters requests", () => {
  it("creates with a generated idempotency token that a retry repeats", async () => {
    const bodies: any[] = [];
    api()
      .post("/api/2.1/clusters/create", (b) => bodies.push(b) > 0)
      .reply(503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" })
      .post("/api/2.1/clusters/create", (b) => bodies.push(b) > 0)
      .reply(200, { cluster_id: "0101-000000-abc" });
    const res = await client().clusters.create(spec);
    expect(res.cluster_id).toBe("0101-000000-abc");
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toMatchObject(spec);
    expect(bodies[0].idempotency_token).toMatch(UUID);
    expect(bodies[1].idempotency_token).toBe(bodies[0].idempotency_token);
  });

  it("keeps the caller's idempotency token", async () => {
    api()
      .post("/api/2.1/clusters/create", (b) => b.idempotency_token === "mine")
      .reply(200, { cluster_id: "x" });
    await client().clusters.create({ ...spec, idempotency_token: "mine" });
  });

  it("rejects bad definitions before sending anything", async () => {
    const db = client();
    const noVersion = await rejection(db.clusters.create({ cluster_name: "x" } as any));
    expect(isValidationError(noVersion)).toBe(true);
    expect(noVersion.issues.map((i: any) => i.path)).toContain("spark_version");
    const badScale = await rejection(
      db.clusters.create({ spark_version: "v", autoscale: { min_workers: 4, max_workers: 2 } }),
    );
    expect(badScale.message).toContain("autoscale.max_workers");
    const badMinutes = await rejection(
      db.clusters.create({ spark_version: "v", autotermination_minutes: 5 }),
    );
    expect(badMinutes.message).toContain("autotermination_minutes");
    const longToken = await rejection(
      db.clusters.create({ spark_version: "v", idempotency_token: "x".repeat(65) }),
    );
    expect(longToken.message).toContain("idempotency_token");
    const noSize = await rejection(db.clusters.resize({ cluster_id: "c" }));
    expect(noSize.message).toContain("num_workers");
    const noId = await rejection(db.clusters.get({ cluster_id: "" }));
    expect(isValidationError(noId)).toBe(true);
    expect(unmatchedRequests()).toBe(0);
  });

  it("sends each lifecycle call to its path", async () => {
    const db = client();
    const calls: Array<[string, Record<string, string | number>]> = [
      ["start", { cluster_id: "c1" }],
      ["restart", { cluster_id: "c1", restart_user: "me" }],
      ["resize", { cluster_id: "c1", num_workers: 3 }],
      ["delete", { cluster_id: "c1" }],
      ["permanent-delete", { cluster_id: "c1" }],
      ["pin", { cluster_id: "c1" }],
      ["unpin", { cluster_id: "c1" }],
      ["edit", { cluster_id: "c1", ...spec }],
    ];
    for (const [path, body] of calls) api().post(`/api/2.1/clusters/${path}`, body).reply(200, {});
    await db.clusters.start({ cluster_id: "c1" });
    await db.clusters.restart({ cluster_id: "c1", restart_user: "me" });
    await db.clusters.resize({ cluster_id: "c1", num_workers: 3 });
    await db.clusters.delete({ cluster_id: "c1" });
    await db.clusters.permanentDelete({ cluster_id: "c1" });
    await db.clusters.pin({ cluster_id: "c1" });
    await db.clusters.unpin({ cluster_id: "c1" });
    await db.clusters.edit({ cluster_id: "c1", ...spec });
  });

  it("gets a cluster by query parameter and maps the missing-cluster quirk to NotFound", async () => {
    const fixture = realPayload("clusters.get.response.1.json");
    const missing = realPayload("errors.invalid-parameter-value.1.json");
    api().get("/api/2.1/clusters/get").query({ cluster_id: "awscluster" }).reply(200, fixture.body);
    api().get("/api/2.1/clusters/get").query({ cluster_id: "abc" }).reply(400, missing.body);
    const db = client();
    expect(await db.clusters.get({ cluster_id: "awscluster" })).toEqual(int64Strings(fixture.body));
    const err = await rejection(db.clusters.get({ cluster_id: "abc" }));
    expect(isNotFound(err)).toBe(true);
    expect(err.errorCode).toBe("INVALID_PARAMETER_VALUE");
  });

  it("lists page by page with dotted filter parameters", async () => {
    api()
      .get("/api/2.1/clusters/list")
      .query({
        "filter_by.cluster_states": ["RUNNING", "PENDING"],
        "filter_by.is_pinned": "true",
        page_size: "1",
      })
      .reply(200, { clusters: [{ cluster_id: "a" }], next_page_token: "p2" })
      .get("/api/2.1/clusters/list")
      .query({
        "filter_by.cluster_states": ["RUNNING", "PENDING"],
        "filter_by.is_pinned": "true",
        page_size: "1",
        page_token: "p2",
      })
      .reply(200, { clusters: [{ cluster_id: "b" }], next_page_token: "", prev_page_token: "p1" });
    const list = client().clusters.list({
      filter_by: { cluster_states: ["RUNNING", "PENDING"], is_pinned: true },
      page_size: 1,
    });
    const ids: string[] = [];
    for await (const c of list) ids.push(c.cluster_id!);
    expect(ids).toEqual(["a", "b"]);
  });

  it("pages events by token, or by the next_page body of older servers", async () => {
    api()
      .post("/api/2.1/clusters/events", { cluster_id: "c", order: "ASC" })
      .reply(200, { events: [{ type: "CREATING" }], next_page_token: "t2" })
      .post("/api/2.1/clusters/events", { cluster_id: "c", order: "ASC", page_token: "t2" })
      .reply(200, { events: [{ type: "RUNNING" }] });
    const typed = await client().clusters.events({ cluster_id: "c", order: "ASC" }).toArray({ limit: 10 });
    expect(typed.map((e) => e.type)).toEqual(["CREATING", "RUNNING"]);

    const fixture = realPayload("clusters.events.response.1.json");
    api()
      .post("/api/2.1/clusters/events", { cluster_id: "1234-567890-reef123" })
      .reply(200, fixture.body)
      .post("/api/2.1/clusters/events", fixture.body.next_page)
      .reply(200, { events: [{ type: "TERMINATING" }], total_count: 25 });
    const legacy = await client()
      .clusters.events({ cluster_id: "1234-567890-reef123" })
      .toArray({ limit: 10 });
    expect(legacy.map((e) => e.type)).toEqual(["RUNNING", "TERMINATING"]);
  });

  it("reads spark versions and node types", async () => {
    const versions = realPayload("clusters.spark-versions.response.1.json");
    api().get("/api/2.1/clusters/spark-versions").reply(200, versions.body);
    api()
      .get("/api/2.1/clusters/list-node-types")
      .reply(200, { node_types: [{ node_type_id: "i3.xlarge", memory_mb: 31232, num_cores: 4 }] });
    const db = client();
    expect((await db.clusters.sparkVersions()).versions?.[1]?.key).toBe("10.4.x-scala2.12");
    expect((await db.clusters.listNodeTypes()).node_types?.[0]?.num_cores).toBe(4);
  });
});

describe("cluster waits", () => {
  const state = (s: string, extra: object = {}) => ({
    cluster_id: "c1",
    state: s,
    state_message: `${s} msg`,
    ...extra,
  });

  it("createAndWait reports each state with the UI link and resolves when RUNNING", async () => {
    api().post("/api/2.1/clusters/create").reply(200, { cluster_id: "c1" });
    api()
      .get("/api/2.1/clusters/get")
      .query({ cluster_id: "c1" })
      .times(2)
      .reply(200, state("PENDING"))
      .get("/api/2.1/clusters/get")
      .query({ cluster_id: "c1" })
      .reply(200, state("RUNNING"));
    const events: any[] = [];
    const cluster = await client().clusters.createAndWait(spec, { onProgress: (e) => events.push(e) });
    expect(cluster.state).toBe("RUNNING");
    expect(events.map((e) => e.state)).toEqual(["PENDING", "RUNNING"]);
    expect(events[0].message).toBe("PENDING msg");
    expect(events[0].url).toBe(`${HOST}/#setting/clusters/c1/configuration`);
  });

  it("rejects with the server's message when the cluster terminates instead of starting", async () => {
    api().post("/api/2.1/clusters/start").reply(200, {});
    api()
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("TERMINATED", { termination_reason: { code: "CLOUD_PROVIDER_LAUNCH_FAILURE" } }));
    const err = await rejection(client().clusters.startAndWait({ cluster_id: "c1" }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.state).toBe("TERMINATED");
    expect(err.message).toContain("TERMINATED msg");
    expect(err.message).toContain("CLOUD_PROVIDER_LAUNCH_FAILURE");
    expect(err.info.url).toBe(`${HOST}/#setting/clusters/c1/configuration`);
  });

  it("deleteAndWait resolves on TERMINATED and fails on ERROR", async () => {
    api().post("/api/2.1/clusters/delete").times(2).reply(200, {});
    api()
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("TERMINATING"))
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("TERMINATED"))
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("ERROR"));
    const db = client();
    expect((await db.clusters.deleteAndWait({ cluster_id: "c1" })).state).toBe("TERMINATED");
    expect(isOperationFailed(await rejection(db.clusters.deleteAndWait({ cluster_id: "c1" })))).toBe(true);
  });

  it("editAndWait returns a terminated cluster at once and waits for a running one to restart", async () => {
    api().post("/api/2.1/clusters/edit").times(2).reply(200, {});
    api()
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("TERMINATED"))
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("RESTARTING"))
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("RESTARTING"))
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("RUNNING"));
    const db = client();
    expect((await db.clusters.editAndWait({ cluster_id: "c1", ...spec })).state).toBe("TERMINATED");
    expect((await db.clusters.editAndWait({ cluster_id: "c1", ...spec })).state).toBe("RUNNING");
  });

  it("ensureRunning starts a terminated cluster", async () => {
    api()
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("TERMINATED"))
      .post("/api/2.1/clusters/start", { cluster_id: "c1" })
      .reply(200, {})
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("PENDING"))
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("RUNNING"));
    expect((await client().clusters.ensureRunning({ cluster_id: "c1" })).state).toBe("RUNNING");
  });

  it("ensureRunning waits for a terminating cluster to stop before starting it", async () => {
    api()
      .get("/api/2.1/clusters/get")
      .query(true)
      .times(2)
      .reply(200, state("TERMINATING"))
      .get("/api/2.1/clusters/get")
      .query(true)
      .times(2)
      .reply(200, state("TERMINATED"))
      .post("/api/2.1/clusters/start")
      .reply(200, {})
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("RUNNING"));
    expect((await client().clusters.ensureRunning({ cluster_id: "c1" })).state).toBe("RUNNING");
  });

  it("ensureRunning retries when the cluster changed state under it", async () => {
    api()
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("TERMINATED"))
      .post("/api/2.1/clusters/start")
      .reply(400, { error_code: "INVALID_STATE", message: "Cluster c1 is in unexpected state Pending." })
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("PENDING"))
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, state("RUNNING"));
    expect((await client().clusters.ensureRunning({ cluster_id: "c1" })).state).toBe("RUNNING");
  });

  it("ensureRunning fails clearly on ERROR and times out with one budget", async () => {
    api().get("/api/2.1/clusters/get").query(true).reply(200, state("ERROR"));
    const db = client();
    const err = await rejection(db.clusters.ensureRunning({ cluster_id: "c1" }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.message).toContain("ERROR msg");

    api().get("/api/2.1/clusters/get").query(true).reply(200, state("PENDING")).persist();
    const clock = fakeClock();
    const timeout = await rejection(
      client(clock).clusters.ensureRunning({ cluster_id: "c1" }, { timeout: 60_000 }),
    );
    expect(isWaitTimeout(timeout)).toBe(true);
    expect(timeout.lastState).toMatchObject({ state: "PENDING" });
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(60_000);
  });

  it("polls a starting cluster on its schedule (5 s, growing to 15 s), which wait options override", async () => {
    api().get("/api/2.1/clusters/get").query(true).times(8).reply(200, state("PENDING"));
    api().get("/api/2.1/clusters/get").query(true).reply(200, state("RUNNING"));
    const clock = fakeClock();
    await client(clock).clusters.waitUntilClusterRunning({ cluster_id: "c1" });
    // random() is 0.5, so each delay loses half of its 10 % jitter.
    expect(clock.slept.map((ms) => Math.round(ms / 0.95))).toEqual([
      5000, 6250, 7813, 9766, 12207, 15000, 15000, 15000,
    ]);

    api().get("/api/2.1/clusters/get").query(true).reply(200, state("PENDING"));
    api().get("/api/2.1/clusters/get").query(true).reply(200, state("RUNNING"));
    const quick = fakeClock();
    await client(quick).clusters.waitUntilClusterRunning(
      { cluster_id: "c1" },
      { minDelayMs: 100, jitter: 0 },
    );
    expect(quick.slept).toEqual([100]);
  });

  it("stops waiting when the signal fires", async () => {
    api().get("/api/2.1/clusters/get").query(true).reply(200, state("PENDING"));
    const controller = new AbortController();
    const err = await rejection(
      client().clusters.waitUntilClusterRunning(
        { cluster_id: "c1" },
        { signal: controller.signal, onProgress: () => controller.abort() },
      ),
    );
    expect(err.code).toBe("ABORTED");
  });
});

describe("cluster fixtures", () => {
  it("accepts every real request body", () => {
    for (const p of realPayloads("clusters.").filter((p) => p.kind === "request")) {
      expect(CreateClusterRequestSchema.safeParse(p.body).success, p.file).toBe(true);
    }
  });

  it("parses every real response body without losing a field", () => {
    const schemas: Record<string, any> = {
      "clusters.get": ClusterDetailsSchema,
      "clusters.list": ListClustersResponseSchema,
      "clusters.events": ClusterEventsResponseSchema,
      "clusters.spark-versions": SparkVersionsResponseSchema,
    };
    const responses = realPayloads("clusters.").filter((p) => p.kind === "response");
    expect(responses.length).toBeGreaterThan(0);
    for (const p of responses) {
      const schema = schemas[p.file.split(".").slice(0, 2).join(".")];
      const parsed = schema.safeParse(p.body);
      expect(parsed.success, p.file).toBe(true);
      expect(parsed.data, p.file).toEqual(int64Strings(p.body));
    }
  });
});

/** A body as brickml types it: `spark_context_id` (int64) as its decimal string. */
function int64Strings(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(int64Strings);
  if (!body || typeof body !== "object") return body;
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, k === "spark_context_id" ? String(v) : int64Strings(v)]),
  );
}
