import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { MlflowEmulatorExports } from "../../src/emulator/notebooks.js";
import { Databricks, isAlreadyExists, isNotFound, parseMlmodel, signatureProblem } from "../../src/index.js";
import { rejection } from "../helpers.js";

describe("MLflow tracking against the emulator", () => {
  let emu: Emulator;
  let db: Databricks;
  let experimentId: string;
  beforeAll(async () => {
    emu = await startEmulator();
    db = new Databricks({ host: emu.url, token: emu.token, env: {}, random: () => 0 });
    experimentId = (await db.experiments.create({ name: "/Users/me@example.com/tracking" })).experiment_id;
  });
  afterAll(() => emu.close());

  it("creates experiments with Databricks' naming rules and finds them by id and name", async () => {
    const name = "/Users/me@example.com/exp-a";
    const { experiment_id } = await db.experiments.create({ name, tags: [{ key: "team", value: "ml" }] });
    const { experiment } = await db.experiments.get({ experiment_id });
    expect(experiment).toMatchObject({
      experiment_id,
      name,
      lifecycle_stage: "active",
      artifact_location: `dbfs:/databricks/mlflow-tracking/${experiment_id}`,
      tags: [{ key: "team", value: "ml" }],
    });
    expect((await db.experiments.getByName({ experiment_name: name })).experiment.experiment_id).toBe(
      experiment_id,
    );
    expect(isAlreadyExists(await rejection(db.experiments.create({ name })))).toBe(true);
    const relative = await rejection(db.experiments.create({ name: "not-absolute" }));
    expect(relative.errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect(relative.message).toContain("absolute path");
    expect(isNotFound(await rejection(db.experiments.getByName({ experiment_name: "/nope" })))).toBe(true);
  });

  it("getOrCreate creates once and then returns the same experiment", async () => {
    const name = "/Users/me@example.com/goc";
    const first = await db.experiments.getOrCreate({ name });
    const second = await db.experiments.getOrCreate({ name });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.experiment.experiment_id).toBe(first.experiment.experiment_id);
  });

  it("getOrCreate survives a create whose answer is lost", async () => {
    const name = "/Users/me@example.com/goc-reset";
    const resetsBefore = emu.faults.counts()["reset-after"];
    emu.faults.set({ rate: 1, kinds: ["reset-after"], path: "experiments/create" });
    try {
      const { experiment, created } = await db.experiments.getOrCreate({ name });
      expect(created).toBe(false); // the server created it; the client re-read it by name
      expect(experiment.name).toBe(name);
      expect(emu.faults.counts()["reset-after"] - resetsBefore).toBe(1);
    } finally {
      emu.faults.clear();
    }
    const all = await db.experiments.search({ filter: `name = '${name}'` }).toArray({ limit: 10 });
    expect(all).toHaveLength(1);
  });

  it("searches experiments with filters, view types and pages; tags and deletes them", async () => {
    const ids: string[] = [];
    for (const n of ["s1", "s2", "s3"]) {
      ids.push((await db.experiments.create({ name: `/Shared/search/${n}` })).experiment_id);
    }
    await db.experiments.setTag({ experiment_id: ids[1]!, key: "stage", value: "prod" });
    const like = db.experiments.search({ filter: "name LIKE '/Shared/search/%'", max_results: 2 });
    const pages = [];
    for await (const p of like.pages()) pages.push(p.items.length);
    expect(pages).toEqual([2, 1]);
    const tagged = await db.experiments.search({ filter: "tags.stage = 'prod'" }).toArray({ limit: 10 });
    expect(tagged.map((e) => e.experiment_id)).toEqual([ids[1]]);

    await db.experiments.delete({ experiment_id: ids[0]! });
    const active = await db.experiments
      .search({ filter: "name ILIKE '/SHARED/SEARCH/%'" })
      .toArray({ limit: 10 });
    expect(active.map((e) => e.experiment_id).sort()).toEqual([ids[1], ids[2]].sort());
    const deleted = await db.experiments
      .search({ filter: "name LIKE '/Shared/search/%'", view_type: "DELETED_ONLY" })
      .toArray({ limit: 10 });
    expect(deleted.map((e) => e.experiment_id)).toEqual([ids[0]]);
  });

  it("logs params, metrics and tags; keeps metric history; refuses changing a param", async () => {
    const { run } = await db.runs.create({
      experiment_id: experimentId,
      run_name: "train",
      tags: [{ key: "t", value: "1" }],
    });
    const run_id = run.info.run_id;
    expect(run.info).toMatchObject({ status: "RUNNING", lifecycle_stage: "active", run_name: "train" });
    expect(run.info.artifact_uri).toBe(
      `dbfs:/databricks/mlflow-tracking/${experimentId}/${run_id}/artifacts`,
    );

    await db.runs.logParam({ run_id, key: "max_depth", value: "6" });
    await db.runs.logParam({ run_id, key: "max_depth", value: "6" }); // same value: fine
    const change = await rejection(db.runs.logParam({ run_id, key: "max_depth", value: "7" }));
    expect(change.message).toContain("Changing param values is not allowed");

    for (let step = 0; step < 5; step++) {
      await db.runs.logMetric({ run_id, key: "loss", value: 1 / (step + 1), step, timestamp: 1000 + step });
    }
    await db.runs.setTag({ run_id, key: "stage", value: "dev" });
    const history = await db.runs
      .getMetricHistory({ run_id, metric_key: "loss", max_results: 2 })
      .toArray({ limit: 99 });
    expect(history.map((m) => m.step)).toEqual([0, 1, 2, 3, 4]);

    const got = (await db.runs.get({ run_id })).run;
    expect(got.data?.params).toEqual([{ key: "max_depth", value: "6" }]);
    expect(got.data?.metrics).toEqual([{ key: "loss", value: 0.2, timestamp: 1004, step: 4 }]);
    expect(got.data?.tags).toEqual(
      expect.arrayContaining([
        { key: "t", value: "1" },
        { key: "stage", value: "dev" },
        { key: "mlflow.runName", value: "train" },
      ]),
    );

    const { run_info } = await db.runs.update({ run_id, status: "FINISHED", end_time: 2000 });
    expect(run_info).toMatchObject({ status: "FINISHED", end_time: 2000 });
  });

  it("logBatch beyond the per-request limits lands completely and in order", async () => {
    const { run } = await db.runs.create({ experiment_id: experimentId });
    const run_id = run.info.run_id;
    const metrics = Array.from({ length: 2300 }, (_, i) => ({
      key: "curve",
      value: i,
      timestamp: 10 + i,
      step: i,
    }));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 130 }, (_, i) => ({ key: "moving", value: String(i) }));
    await db.runs.logBatch({ run_id, metrics, params, tags });
    const history = await db.runs.getMetricHistory({ run_id, metric_key: "curve" }).toArray({ limit: 5000 });
    expect(history.map((m) => m.value)).toEqual(metrics.map((m) => m.value));
    const data = (await db.runs.get({ run_id })).run.data!;
    expect(data.params).toHaveLength(250);
    expect(data.tags?.find((t) => t.key === "moving")?.value).toBe("129"); // last one wins

    // The emulator enforces the same limits, so an unsplit batch fails.
    const direct = await rejection(
      db.request({ method: "POST", path: "/api/2.0/mlflow/runs/log-batch", body: { run_id, params } }),
    );
    expect(direct.message).toContain("at most 100 params");
  });

  it("logging survives retried requests without duplicating metric points", async () => {
    const { run } = await db.runs.create({ experiment_id: experimentId });
    const run_id = run.info.run_id;
    emu.faults.set({
      rate: 0.5,
      kinds: ["503", "reset-after", "429"],
      seed: 3,
      path: "/mlflow/runs/log",
      retryAfterSeconds: 0,
    });
    try {
      for (let step = 0; step < 10; step++)
        await db.runs.logMetric({ run_id, key: "acc", value: step, step, timestamp: step });
      await db.runs.logBatch({
        run_id,
        params: [{ key: "a", value: "1" }],
        tags: [{ key: "b", value: "2" }],
      });
    } finally {
      emu.faults.clear();
    }
    const injected = emu.faults.counts();
    expect(injected["reset-after"] + injected["503"] + injected["429"]).toBeGreaterThan(0);
    const history = await db.runs.getMetricHistory({ run_id, metric_key: "acc" }).toArray({ limit: 50 });
    expect(history.map((m) => m.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("searches runs by metrics, params, tags and attributes, ordered and paged", async () => {
    const { experiment_id } = await db.experiments.create({ name: "/Shared/run-search" });
    const make = async (name: string, auc: number, model: string, start: number) => {
      const { run } = await db.runs.create({ experiment_id, run_name: name, start_time: start });
      await db.runs.logBatch({
        run_id: run.info.run_id,
        metrics: [{ key: "auc", value: auc, timestamp: start }],
        params: [{ key: "model", value: model }],
        tags: [{ key: "team", value: "ml" }],
      });
      return run.info.run_id;
    };
    const a = await make("a", 0.7, "gbm", 1);
    const b = await make("b", 0.9, "gbm", 2);
    const c = await make("c", 0.8, "rf", 3);
    await db.runs.update({ run_id: c, status: "FINISHED" });
    const search = (filter: string, order_by?: string[]) =>
      db.runs
        .search({ experiment_ids: [experiment_id], filter, ...(order_by ? { order_by } : {}) })
        .toArray({ limit: 10 })
        .then((runs) => runs.map((r) => r.info.run_id));
    expect(await search("metrics.auc >= 0.8 AND params.model = 'gbm'")).toEqual([b]);
    expect(await search("tags.team = 'ml'", ["metrics.auc DESC"])).toEqual([b, c, a]);
    expect(await search("attributes.status = 'FINISHED'")).toEqual([c]);
    expect(await search("params.model != 'rf'", ["attributes.start_time ASC"])).toEqual([a, b]);
    expect(await search("")).toEqual([c, b, a]); // newest first by default
    const bad = await rejection(search("metrics.auc >>> 1"));
    expect(bad.errorCode).toBe("INVALID_PARAMETER_VALUE");

    await db.runs.delete({ run_id: a });
    expect(await search("")).toEqual([c, b]);
    expect(
      (
        await db.runs
          .search({ experiment_ids: [experiment_id], run_view_type: "DELETED_ONLY" })
          .toArray({ limit: 5 })
      ).map((r) => r.info.run_id),
    ).toEqual([a]);
  });

  it("uploads, lists and downloads run artifacts", async () => {
    const { run } = await db.runs.create({ experiment_id: experimentId });
    const run_id = run.info.run_id;
    await db.runs.uploadArtifact({ run_id, path: "model/MLmodel", contents: "flavors: {}\n" });
    await db.runs.uploadArtifact({ run_id, path: "model/data/w.bin", contents: Buffer.alloc(10) });
    await db.runs.uploadArtifact({ run_id, path: "metrics.json", contents: "{}" });
    const root = await db.runs.listArtifacts({ run_id }).toArray({ limit: 10 });
    expect(root).toEqual([
      { path: "metrics.json", is_dir: false, file_size: 2 },
      { path: "model", is_dir: true },
    ]);
    const model = await db.runs.listArtifacts({ run_id, path: "model" }).toArray({ limit: 10 });
    expect(model.map((f) => f.path)).toEqual(["model/MLmodel", "model/data"]);
    const { contents } = await db.runs.downloadArtifact({ run_id, path: "model/MLmodel" });
    let text = "";
    for await (const c of contents) text += c;
    expect(text).toBe("flavors: {}\n");
    const filePath = await db.runs.artifactFilePath({ run_id, path: "metrics.json" });
    expect((await db.files.downloadBuffer({ file_path: filePath })).toString()).toBe("{}");
  });

  it("records what a notebook run logged (the jobs service's hook)", async () => {
    const mlflow = emu.context.service<MlflowEmulatorExports>("mlflow")!;
    const { run_id, experiment_id } = mlflow.logNotebookRun({
      notebookPath: "/Shared/churn/train",
      startTime: 1_000,
      endTime: 61_000,
      jobId: 11,
      jobRunId: 777,
      params: { max_depth: "4", lr: "0.1" },
      parameters: { max_depth: "8", unrelated: "x" },
      metrics: { auc: 0.93 },
      tags: { owner: "ml" },
      model: { coefficients: { intercept: 0.5, weights: { tenure: -0.1, spend: 0.02 }, link: "logistic" } },
    });
    const { experiment } = await db.experiments.get({ experiment_id });
    expect(experiment.name).toBe("/Shared/churn/train");
    const { run } = await db.runs.get({ run_id });
    expect(run.info).toMatchObject({ status: "FINISHED", start_time: 1_000, end_time: 61_000 });
    expect(run.data?.params).toEqual([
      { key: "max_depth", value: "8" },
      { key: "lr", value: "0.1" },
    ]);
    expect(run.data?.metrics).toEqual([{ key: "auc", value: 0.93, timestamp: 61_000, step: 0 }]);
    const found = await db.runs
      .search({ experiment_ids: [experiment_id], filter: "tags.mlflow.databricks.jobRunID = '777'" })
      .toArray({ limit: 5 });
    expect(found.map((r) => r.info.run_id)).toEqual([run_id]);
    const tags = Object.fromEntries((run.data?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      owner: "ml",
      "mlflow.source.type": "JOB",
      "mlflow.source.name": "/Shared/churn/train",
      "mlflow.databricks.notebookPath": "/Shared/churn/train",
      "mlflow.databricks.jobID": "11",
      "mlflow.databricks.jobRunID": "777",
    });
    const files = await db.runs.listArtifacts({ run_id, path: "model" }).toArray({ limit: 10 });
    expect(files.map((f) => f.path)).toEqual([
      "model/MLmodel",
      "model/coefficients.json",
      "model/python_env.yaml",
      "model/requirements.txt",
    ]);
    const mlmodel = parseMlmodel(
      (
        await db.files.downloadBuffer({
          file_path: await db.runs.artifactFilePath({ run_id, path: "model/MLmodel" }),
        })
      ).toString(),
    );
    expect(signatureProblem(mlmodel)).toBeUndefined();
    expect(JSON.parse(mlmodel.signature!.inputs!).map((c: { name: string }) => c.name)).toEqual([
      "tenure",
      "spend",
    ]);
    const coefficients = await db.runs.downloadArtifact({ run_id, path: "model/coefficients.json" });
    let json = "";
    for await (const c of coefficients.contents) json += c;
    expect(JSON.parse(json)).toEqual({
      intercept: 0.5,
      weights: { tenure: -0.1, spend: 0.02 },
      link: "logistic",
    });

    // A second run of the same notebook reuses the experiment; without a signature the MLmodel says so.
    const again = mlflow.logNotebookRun({
      notebookPath: "/Shared/churn/train",
      startTime: 2_000,
      endTime: 3_000,
      jobRunId: 778,
      model: { signature: false },
    });
    expect(again.experiment_id).toBe(experiment_id);
    const text = await db.files.downloadBuffer({
      file_path: await db.runs.artifactFilePath({ run_id: again.run_id, path: "model/MLmodel" }),
    });
    expect(signatureProblem(parseMlmodel(text.toString()))).toBe("its MLmodel has no signature");
  });
});
