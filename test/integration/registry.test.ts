import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { MlflowEmulatorExports } from "../../src/emulator/notebooks.js";
import type { FilesEmulatorExports } from "../../src/emulator/services/files.js";
import type { RegistryEmulatorExports } from "../../src/emulator/services/registry.js";
import {
  Databricks,
  isAlreadyExists,
  isNotFound,
  isOperationFailed,
  isValidationError,
  REGISTRATION_TAG,
} from "../../src/index.js";
import { rejection } from "../helpers.js";

const SIGNED = { coefficients: { intercept: 1, weights: { x: 2 } } };

describe("Unity Catalog models against the emulator", () => {
  let emu: Emulator;
  let db: Databricks;
  let mlflow: MlflowEmulatorExports;
  let n = 0;
  /** A finished training run with a logged model (as a scripted notebook would leave it). */
  const trainingRun = (model: object = SIGNED) =>
    mlflow.logNotebookRun({ notebookPath: "/Shared/train", startTime: 0, endTime: 1, jobRunId: ++n, model });

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 6000 });
    db = new Databricks({ host: emu.url, token: emu.token, env: {}, random: () => 0 });
    mlflow = emu.context.service<MlflowEmulatorExports>("mlflow")!;
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.faults.clear());

  it("creates, reads, lists, updates and deletes registered models", async () => {
    const created = await db.registeredModels.create({
      catalog_name: "main",
      schema_name: "crud",
      name: "Model_A",
      comment: "c",
    });
    expect(created).toMatchObject({
      full_name: "main.crud.model_a",
      name: "model_a",
      comment: "c",
      aliases: [],
    });
    expect(
      isAlreadyExists(
        await rejection(
          db.registeredModels.create({ catalog_name: "main", schema_name: "crud", name: "model_a" }),
        ),
      ),
    ).toBe(true);
    // Unity Catalog names are case-insensitive.
    expect((await db.registeredModels.get({ full_name: "MAIN.crud.MODEL_A" })).full_name).toBe(
      "main.crud.model_a",
    );
    for (const name of ["m1", "m2", "m3"])
      await db.registeredModels.create({ catalog_name: "main", schema_name: "crud", name });
    const pages = [];
    for await (const p of db.registeredModels
      .list({ catalog_name: "main", schema_name: "crud", max_results: 3 })
      .pages()) {
      pages.push(p.items.map((m) => m.name));
    }
    expect(pages).toEqual([["m1", "m2", "m3"], ["model_a"]]);
    const updated = await db.registeredModels.update({
      full_name: "main.crud.m1",
      comment: "updated",
      owner: "team",
    });
    expect(updated).toMatchObject({ comment: "updated", owner: "team" });
    const renamed = await db.registeredModels.update({ full_name: "main.crud.m2", new_name: "m2b" });
    expect(renamed.full_name).toBe("main.crud.m2b");
    await db.registeredModels.delete({ full_name: "main.crud.m3" });
    expect(isNotFound(await rejection(db.registeredModels.get({ full_name: "main.crud.m3" })))).toBe(true);
    const server = await rejection(
      db.request({ method: "GET", path: "/api/2.1/unity-catalog/models", query: { catalog_name: "main" } }),
    );
    expect(server.errorCode).toBe("INVALID_PARAMETER_VALUE");
  });

  it("getOrCreate is safe when its create answer is lost", async () => {
    const resetsBefore = emu.faults.counts()["reset-after"];
    emu.faults.set({
      rate: 1,
      kinds: ["reset-after"],
      methods: ["POST"],
      path: "/api/2.1/unity-catalog/models",
    });
    const res = await db.registeredModels.getOrCreate({
      catalog_name: "main",
      schema_name: "goc",
      name: "m",
    });
    emu.faults.clear();
    expect(res).toMatchObject({ created: false, registered_model: { full_name: "main.goc.m" } });
    expect(emu.faults.counts()["reset-after"] - resetsBefore).toBe(1);
    expect(
      (await db.registeredModels.getOrCreate({ catalog_name: "main", schema_name: "goc", name: "m" }))
        .created,
    ).toBe(false);
  });

  it("log a run, register it, wait for READY, set champion, read it back by alias", async () => {
    // Log a training run: params, metrics and a model/ artifact with an MLmodel and a signature.
    const { experiment } = await db.experiments.getOrCreate({ name: "/Users/me@example.com/churn" });
    const { run } = await db.runs.create({ experiment_id: experiment.experiment_id, run_name: "gbm" });
    const run_id = run.info.run_id;
    await db.runs.logBatch({
      run_id,
      params: [{ key: "max_depth", value: "6" }],
      metrics: [{ key: "auc", value: 0.91, timestamp: Date.now() }],
    });
    await db.runs.uploadArtifact({
      run_id,
      path: "model/MLmodel",
      contents: [
        "artifact_path: model",
        "flavors:",
        "  python_function:",
        "    loader_module: mlflow.sklearn",
        "signature:",
        `  inputs: '[{"type": "double", "name": "tenure", "required": true}]'`,
        `  outputs: '[{"type": "double", "required": true}]'`,
        "",
      ].join("\n"),
    });
    await db.runs.uploadArtifact({ run_id, path: "model/model.pkl", contents: Buffer.from("pickle") });
    await db.runs.update({ run_id, status: "FINISHED", end_time: Date.now() });

    // Register it as a new Unity Catalog version, wait for READY, set the alias, read it back.
    await db.registeredModels.getOrCreate({ catalog_name: "main", schema_name: "ml", name: "churn" });
    const states: string[] = [];
    const version = await db.modelVersions.createAndWait(
      { name: "main.ml.churn", source: `runs:/${run_id}/model` },
      { onProgress: (e) => states.push(e.state) },
    );
    expect(version).toMatchObject({ version: 1, status: "READY", run_id });
    expect(states.at(-1)).toBe("READY");
    await db.registeredModels.setAlias({
      full_name: "main.ml.churn",
      alias: "champion",
      version_num: version.version,
    });
    const champion = await db.modelVersions.getByAlias({
      full_name: "main.ml.churn",
      alias: "champion",
      include_aliases: true,
    });
    expect(champion).toMatchObject({
      version: 1,
      status: "READY",
      aliases: [{ alias_name: "champion", version_num: 1 }],
    });

    // The version's files are where MLflow puts them, and the serving side can read them.
    const files = await db.files
      .listDirectoryContents({ directory_path: "/Models/main/ml/churn/1" })
      .toArray({ limit: 9 });
    expect(files.map((f) => f.name)).toEqual(["MLmodel", "model.pkl"]);
    const registry = emu.context.service<RegistryEmulatorExports>("registry")!;
    expect(registry.resolveAlias("main.ml.churn", "champion")).toBe(1);
    expect(registry.readModelFile("main.ml.churn", 1, "model.pkl")?.toString()).toBe("pickle");
    expect(registry.getModelVersion("main.ml.churn", 1)).toMatchObject({ status: "READY", run_id });
  });

  it("registers a notebook-logged model and keeps versions, aliases and files consistent", async () => {
    await db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "multi" });
    const a = trainingRun();
    const b = trainingRun();
    const v1 = await db.modelVersions.createAndWait({
      name: "main.ml.multi",
      source: `runs:/${a.run_id}/model`,
      description: "first",
    });
    const v2 = await db.modelVersions.createAndWait({
      name: "main.ml.multi",
      source: `runs:/${b.run_id}/model`,
    });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1.comment).toBe("first");
    expect(
      (await db.modelVersions.update({ full_name: "main.ml.multi", version: 2, comment: "second" })).comment,
    ).toBe("second");
    const listed = await db.modelVersions
      .list({ full_name: "main.ml.multi", max_results: 1 })
      .toArray({ limit: 9 });
    expect(listed.map((v) => v.version)).toEqual([2, 1]);

    await db.registeredModels.setAlias({ full_name: "main.ml.multi", alias: "champion", version_num: 1 });
    await db.registeredModels.setAlias({ full_name: "main.ml.multi", alias: "challenger", version_num: 2 });
    await db.registeredModels.setAlias({ full_name: "main.ml.multi", alias: "champion", version_num: 2 }); // moves
    const model = await db.registeredModels.get({ full_name: "main.ml.multi", include_aliases: true });
    expect(model.aliases).toEqual([
      { alias_name: "champion", version_num: 2 },
      { alias_name: "challenger", version_num: 2 },
    ]);
    await db.registeredModels.deleteAlias({ full_name: "main.ml.multi", alias: "challenger" });
    expect(
      isNotFound(
        await rejection(db.modelVersions.getByAlias({ full_name: "main.ml.multi", alias: "challenger" })),
      ),
    ).toBe(true);
    const missing = await rejection(
      db.registeredModels.setAlias({ full_name: "main.ml.multi", alias: "x", version_num: 9 }),
    );
    expect(isNotFound(missing)).toBe(true);

    // Deleting a version removes its aliases and its files.
    await db.modelVersions.delete({ full_name: "main.ml.multi", version: 2 });
    expect(
      isNotFound(
        await rejection(db.modelVersions.getByAlias({ full_name: "main.ml.multi", alias: "champion" })),
      ),
    ).toBe(true);
    const files = emu.context.service<FilesEmulatorExports>("files")!;
    expect(files.list("/Models/main/ml/multi/2")).toEqual([]);
    expect(files.list("/Models/main/ml/multi/1").length).toBeGreaterThan(0);
    // Numbers are never reused.
    const c = trainingRun();
    expect(
      (await db.modelVersions.create({ name: "main.ml.multi", source: `runs:/${c.run_id}/model` })).version,
    ).toBe(3);
  });

  it("registers under a full name spelled in any case", async () => {
    await db.registeredModels.create({ catalog_name: "Main", schema_name: "ML", name: "Mixed_Case" });
    const run = trainingRun();
    const v = await db.modelVersions.createAndWait({
      name: "MAIN.ml.mixed_CASE",
      source: `runs:/${run.run_id}/model`,
    });
    expect(v).toMatchObject({
      catalog_name: "main",
      schema_name: "ml",
      model_name: "mixed_case",
      status: "READY",
    });
    const files = await db.files
      .listDirectoryContents({ directory_path: "/Models/main/ml/mixed_case/1" })
      .toArray({ limit: 9 });
    expect(files.map((f) => f.name)).toContain("MLmodel");
  });

  it("registers from an artifact URI as well as from runs:/", async () => {
    await db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "by_uri" });
    const run = trainingRun();
    const { run: info } = await db.runs.get({ run_id: run.run_id });
    const source = `${info.info.artifact_uri}/model`;
    const v = await db.modelVersions.createAndWait({ name: "main.ml.by_uri", source, run_id: run.run_id });
    expect(v).toMatchObject({ source, run_id: run.run_id, status: "READY" });
  });

  it("refuses a model without a signature before creating a version", async () => {
    await db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "unsigned" });
    const run = trainingRun({ signature: false });
    const err = await rejection(
      db.modelVersions.create({ name: "main.ml.unsigned", source: `runs:/${run.run_id}/model` }),
    );
    expect(isValidationError(err)).toBe(true);
    expect(err.message).toContain("signature");
    expect(await db.modelVersions.list({ full_name: "main.ml.unsigned" }).toArray({ limit: 5 })).toEqual([]);
  });

  it("a version finalized without a signed MLmodel ends FAILED_REGISTRATION, and the wait rejects", async () => {
    await db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "broken" });
    // Drive the raw protocol, as a client that skipped the signature check would.
    const created = await db.request<any>({
      method: "POST",
      path: "/api/2.0/mlflow/unity-catalog/model-versions/create",
      body: { name: "main.ml.broken", source: "dbfs:/databricks/mlflow-tracking/1/x/artifacts/model" },
    });
    expect(created.model_version).toMatchObject({ version: "1", status: "PENDING_REGISTRATION" });
    expect(created.model_version.storage_location).toMatch(/^s3:\/\/.+\/versions\//);
    await db.files.upload({ file_path: "/Models/main/ml/broken/1/MLmodel", contents: "flavors: {}\n" });
    await db.request({
      method: "POST",
      path: "/api/2.0/mlflow/unity-catalog/model-versions/finalize",
      body: { name: "main.ml.broken", version: "1" },
    });
    const err = await rejection(
      db.modelVersions.waitUntilModelVersionReady({ full_name: "main.ml.broken", version: 1 }),
    );
    expect(isOperationFailed(err)).toBe(true);
    expect(err.state).toBe("FAILED_REGISTRATION");
    expect(err.message).toContain("must have a signature");
    // Files of a version can be written only while it is being registered.
    const late = await rejection(
      db.files.upload({ file_path: "/Models/main/ml/broken/1/extra", contents: "x" }),
    );
    expect(late.errorCode).toBe("INVALID_STATE");
  });

  it("never creates two versions when the create's answer is lost (reset-after)", async () => {
    await db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "once" });
    const run = trainingRun();
    const resetsBefore = emu.faults.counts()["reset-after"];
    emu.faults.set({ rate: 1, kinds: ["reset-after"], path: "model-versions/create" });
    const version = await db.modelVersions.createAndWait({
      name: "main.ml.once",
      source: `runs:/${run.run_id}/model`,
    });
    emu.faults.clear();
    expect(emu.faults.counts()["reset-after"] - resetsBefore).toBe(1);
    expect(version).toMatchObject({ version: 1, status: "READY" });
    const all = await db.modelVersions.list({ full_name: "main.ml.once" }).toArray({ limit: 10 });
    expect(all.map((v) => v.version)).toEqual([1]);
    const mv = await db.request<any>({
      method: "GET",
      path: "/api/2.0/mlflow/unity-catalog/model-versions/get",
      query: { name: "main.ml.once", version: "1" },
    });
    expect(mv.model_version.tags.map((t: { key: string }) => t.key)).toContain(REGISTRATION_TAG);
  });

  it("registration completes through random 503s, 429s and lost answers", async () => {
    await db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "flaky" });
    const run = trainingRun();
    const total = () => Object.values(emu.faults.counts()).reduce((a, b) => a + b, 0);
    const injectedBefore = total();
    emu.faults.set({
      rate: 0.3,
      kinds: ["503", "429", "reset-before", "reset-after"],
      seed: 11,
      retryAfterSeconds: 0,
    });
    let version: number;
    try {
      version = (
        await db.modelVersions.createAndWait({ name: "main.ml.flaky", source: `runs:/${run.run_id}/model` })
      ).version;
    } finally {
      emu.faults.clear();
    }
    const all = await db.modelVersions.list({ full_name: "main.ml.flaky" }).toArray({ limit: 10 });
    expect(all.map((v) => [v.version, v.status])).toEqual([[version, "READY"]]);
    expect(total() - injectedBefore).toBeGreaterThan(2);
  });
});

describe("Unity Catalog registration on a manual clock", () => {
  it("stays PENDING_REGISTRATION until the server's check has run", async () => {
    const emu = await startEmulator({ manualClock: true });
    try {
      const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
      const mlflow = emu.context.service<MlflowEmulatorExports>("mlflow")!;
      const run = mlflow.logNotebookRun({
        notebookPath: "/Shared/t",
        startTime: 0,
        endTime: 1,
        jobRunId: 1,
        model: SIGNED,
      });
      await db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "clocked" });
      const created = await db.modelVersions.create({
        name: "main.ml.clocked",
        source: `runs:/${run.run_id}/model`,
      });
      expect(created.status).toBe("PENDING_REGISTRATION");
      emu.clock.advance(5_000);
      expect((await db.modelVersions.get({ full_name: "main.ml.clocked", version: 1 })).status).toBe(
        "PENDING_REGISTRATION",
      );
      const ready = await db.modelVersions.waitUntilModelVersionReady(
        { full_name: "main.ml.clocked", version: 1 },
        { minDelayMs: 1, onProgress: () => emu.clock.advance(60_000) },
      );
      expect(ready.status).toBe("READY");
    } finally {
      await emu.close();
    }
  });
});
