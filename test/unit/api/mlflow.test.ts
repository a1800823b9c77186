import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../../../src/core/clock.js";
import { Databricks, isBrickmlError, isValidationError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";

const HOST = "https://mlflow.example.databricks.com";
const NOW = 1_735_689_600_000;
const clock: Clock = { now: () => NOW, sleep: async () => undefined };
const db = () => new Databricks({ host: HOST, token: "dapi-test", env: {}, random: () => 0, clock });
const EXP = { experiment_id: "42", name: "/Users/me@example.com/churn", lifecycle_stage: "active" };

describe("ExperimentsAPI and RunsAPI (unit)", () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => nock.cleanAll());
  afterEach(() => expect(nock.pendingMocks()).toEqual([]));

  it("creates, gets and finds experiments by name", async () => {
    nock(HOST)
      .post("/api/2.0/mlflow/experiments/create", { name: EXP.name, tags: [{ key: "team", value: "ml" }] })
      .reply(200, { experiment_id: "42" })
      .get("/api/2.0/mlflow/experiments/get")
      .query({ experiment_id: "42" })
      .reply(200, { experiment: EXP })
      .get("/api/2.0/mlflow/experiments/get-by-name")
      .query({ experiment_name: EXP.name })
      .reply(200, { experiment: EXP });
    const e = db().experiments;
    expect(await e.create({ name: EXP.name, tags: [{ key: "team", value: "ml" }] })).toEqual({
      experiment_id: "42",
    });
    expect((await e.get({ experiment_id: "42" })).experiment).toEqual(EXP);
    expect((await e.getByName({ experiment_name: EXP.name })).experiment.experiment_id).toBe("42");
  });

  it("getOrCreate returns an existing experiment without creating one", async () => {
    nock(HOST).get("/api/2.0/mlflow/experiments/get-by-name").query(true).reply(200, { experiment: EXP });
    expect(await db().experiments.getOrCreate({ name: EXP.name })).toEqual({
      experiment: EXP,
      created: false,
    });
  });

  it("getOrCreate creates a missing experiment", async () => {
    nock(HOST)
      .get("/api/2.0/mlflow/experiments/get-by-name")
      .query(true)
      .reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "Could not find experiment" })
      .post("/api/2.0/mlflow/experiments/create")
      .reply(200, { experiment_id: "42" })
      .get("/api/2.0/mlflow/experiments/get")
      .query({ experiment_id: "42" })
      .reply(200, { experiment: EXP });
    expect(await db().experiments.getOrCreate({ name: EXP.name })).toEqual({
      experiment: EXP,
      created: true,
    });
  });

  it("getOrCreate re-reads by name when a concurrent create took the name", async () => {
    nock(HOST)
      .get("/api/2.0/mlflow/experiments/get-by-name")
      .query(true)
      .reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" })
      .post("/api/2.0/mlflow/experiments/create")
      .reply(400, { error_code: "RESOURCE_ALREADY_EXISTS", message: "Node named x already exists" })
      .get("/api/2.0/mlflow/experiments/get-by-name")
      .query(true)
      .reply(200, { experiment: EXP });
    expect(await db().experiments.getOrCreate({ name: EXP.name })).toEqual({
      experiment: EXP,
      created: false,
    });
  });

  it("getOrCreate refuses a deleted experiment with a clear message", async () => {
    nock(HOST)
      .get("/api/2.0/mlflow/experiments/get-by-name")
      .query(true)
      .reply(200, { experiment: { ...EXP, lifecycle_stage: "deleted" } });
    const err = await rejection(db().experiments.getOrCreate({ name: EXP.name }));
    expect(isBrickmlError(err)).toBe(true);
    expect(err.message).toContain("is deleted; restore it");
  });

  it("searches experiments page by page with the token in the body", async () => {
    nock(HOST)
      .post("/api/2.0/mlflow/experiments/search", { filter: "name LIKE '/Users/%'", max_results: 1 })
      .reply(200, { experiments: [EXP], next_page_token: "p2" })
      .post("/api/2.0/mlflow/experiments/search", {
        filter: "name LIKE '/Users/%'",
        max_results: 1,
        page_token: "p2",
      })
      .reply(200, { experiments: [{ ...EXP, experiment_id: "43" }] });
    const all = await db()
      .experiments.search({ filter: "name LIKE '/Users/%'", max_results: 1 })
      .toArray({ limit: 10 });
    expect(all.map((x) => x.experiment_id)).toEqual(["42", "43"]);
  });

  it("sets tags and deletes experiments", async () => {
    nock(HOST)
      .post("/api/2.0/mlflow/experiments/set-experiment-tag", { experiment_id: "42", key: "k", value: "v" })
      .reply(200, {})
      .post("/api/2.0/mlflow/experiments/delete", { experiment_id: "42" })
      .reply(200, {});
    await db().experiments.setTag({ experiment_id: "42", key: "k", value: "v" });
    await db().experiments.delete({ experiment_id: "42" });
  });

  it("creates, reads, updates, tags and deletes runs", async () => {
    const run = { info: { run_id: "r1", experiment_id: "42", status: "RUNNING" }, data: {} };
    nock(HOST)
      .post("/api/2.0/mlflow/runs/create", { experiment_id: "42", run_name: "train" })
      .reply(200, { run })
      .get("/api/2.0/mlflow/runs/get")
      .query({ run_id: "r1" })
      .reply(200, { run })
      .post("/api/2.0/mlflow/runs/update", { run_id: "r1", status: "FINISHED", end_time: NOW })
      .reply(200, { run_info: { ...run.info, status: "FINISHED" } })
      .post("/api/2.0/mlflow/runs/set-tag", { run_id: "r1", key: "k", value: "v" })
      .reply(200, {})
      .post("/api/2.0/mlflow/runs/delete", { run_id: "r1" })
      .reply(200, {});
    const r = db().runs;
    expect((await r.create({ experiment_id: "42", run_name: "train" })).run.info.run_id).toBe("r1");
    expect((await r.get({ run_id: "r1" })).run).toEqual(run);
    expect((await r.update({ run_id: "r1", status: "FINISHED", end_time: NOW })).run_info.status).toBe(
      "FINISHED",
    );
    await r.setTag({ run_id: "r1", key: "k", value: "v" });
    await r.delete({ run_id: "r1" });
  });

  it("logs a metric with the current time by default and a param through log-parameter", async () => {
    nock(HOST)
      .post("/api/2.0/mlflow/runs/log-metric", {
        run_id: "r1",
        key: "auc",
        value: 0.9,
        timestamp: NOW,
        step: 3,
      })
      .reply(200, {})
      .post("/api/2.0/mlflow/runs/log-parameter", { run_id: "r1", key: "depth", value: "6" })
      .reply(200, {});
    await db().runs.logMetric({ run_id: "r1", key: "auc", value: 0.9, step: 3 });
    await db().runs.logParam({ run_id: "r1", key: "depth", value: "6" });
  });

  it("splits a large log-batch into ordered requests within the limits", async () => {
    const metrics = Array.from({ length: 1500 }, (_, i) => ({
      key: "loss",
      value: i,
      timestamp: NOW,
      step: i,
    }));
    const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const bodies: any[] = [];
    nock(HOST)
      .post("/api/2.0/mlflow/runs/log-batch")
      .times(2)
      .reply(200, (_u, body) => {
        bodies.push(body);
        return {};
      });
    await db().runs.logBatch({ run_id: "r1", metrics, params });
    expect(bodies.map((b) => [b.metrics.length, b.params.length, b.tags.length])).toEqual([
      [900, 100, 0],
      [600, 50, 0],
    ]);
    expect(bodies.every((b) => b.run_id === "r1")).toBe(true);
    expect(bodies.flatMap((b) => b.metrics.map((m: { step: number }) => m.step))).toEqual(
      metrics.map((m) => m.step),
    );
  });

  it("rejects NaN metrics and empty keys before sending", async () => {
    const err = await rejection(
      db().runs.logBatch({ run_id: "r1", metrics: [{ key: "x", value: Number.NaN, timestamp: 1 }] }),
    );
    expect(isValidationError(err)).toBe(true);
    expect(err.issues[0].path).toBe("metrics.0.value");
    const err2 = await rejection(db().runs.logParam({ run_id: "r1", key: "", value: "1" }));
    expect(err2.issues[0].path).toBe("key");
    // List methods validate when called, before the first page is requested.
    expect(() => db().runs.search({ experiment_ids: [] })).toThrow(/experiment_ids/);
  });

  it("pages through runs, metric history and artifacts", async () => {
    nock(HOST)
      .post("/api/2.0/mlflow/runs/search", { experiment_ids: ["42"], filter: "metrics.auc > 0.8" })
      .reply(200, { runs: [{ info: { run_id: "r1" } }], next_page_token: "n" })
      .post("/api/2.0/mlflow/runs/search", {
        experiment_ids: ["42"],
        filter: "metrics.auc > 0.8",
        page_token: "n",
      })
      .reply(200, { runs: [{ info: { run_id: "r2" } }] })
      .get("/api/2.0/mlflow/metrics/get-history")
      .query({ run_id: "r1", metric_key: "loss" })
      .reply(200, { metrics: [{ key: "loss", value: 1, timestamp: 1, step: 0 }], next_page_token: "h2" })
      .get("/api/2.0/mlflow/metrics/get-history")
      .query({ run_id: "r1", metric_key: "loss", page_token: "h2" })
      .reply(200, { metrics: [{ key: "loss", value: 0.5, timestamp: 2, step: 1 }] })
      .get("/api/2.0/mlflow/artifacts/list")
      .query({ run_id: "r1", path: "model" })
      .reply(200, { root_uri: "dbfs:/x", files: [{ path: "model/MLmodel", is_dir: false, file_size: 10 }] });
    const r = db().runs;
    const runs = await r
      .search({ experiment_ids: ["42"], filter: "metrics.auc > 0.8" })
      .toArray({ limit: 5 });
    expect(runs.map((x) => x.info.run_id)).toEqual(["r1", "r2"]);
    const history = await r.getMetricHistory({ run_id: "r1", metric_key: "loss" }).toArray({ limit: 5 });
    expect(history.map((m) => m.value)).toEqual([1, 0.5]);
    const files = await r.listArtifacts({ run_id: "r1", path: "model" }).toArray({ limit: 5 });
    expect(files).toEqual([{ path: "model/MLmodel", is_dir: false, file_size: 10 }]);
  });

  it("reads and writes run artifacts through the Files API path MLflow uses", async () => {
    const run = { info: { run_id: "r1", artifact_uri: "dbfs:/databricks/mlflow-tracking/42/r1/artifacts" } };
    let uploaded = "";
    nock(HOST)
      .get("/api/2.0/mlflow/runs/get")
      .query({ run_id: "r1" })
      .times(3)
      .reply(200, { run })
      .put("/api/2.0/fs/files/WorkspaceInternal/Mlflow/Artifacts/42/Runs/r1/artifacts/model/MLmodel")
      .query({ overwrite: "true" })
      .reply((_u, b) => {
        uploaded = String(b);
        return [204, ""];
      })
      .get("/api/2.0/fs/files/WorkspaceInternal/Mlflow/Artifacts/42/Runs/r1/artifacts/model/MLmodel")
      .reply(200, "flavors: {}");
    const r = db().runs;
    expect(await r.artifactFilePath({ run_id: "r1", path: "model/MLmodel" })).toBe(
      "/WorkspaceInternal/Mlflow/Artifacts/42/Runs/r1/artifacts/model/MLmodel",
    );
    await r.uploadArtifact({ run_id: "r1", path: "model/MLmodel", contents: "flavors: {}" });
    expect(uploaded).toBe("flavors: {}");
    const { contents } = await r.downloadArtifact({ run_id: "r1", path: "model/MLmodel" });
    let text = "";
    for await (const c of contents) text += c;
    expect(text).toBe("flavors: {}");
  });

  it("refuses artifact paths that leave the run's folder", async () => {
    for (const path of ["/etc/passwd", "../other", "a//b", "model/./x"]) {
      const err = await rejection(db().runs.uploadArtifact({ run_id: "r1", path, contents: "x" }));
      expect(isValidationError(err)).toBe(true);
      expect(err.issues[0].path).toBe("path");
    }
  });
});
