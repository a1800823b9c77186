import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { MlflowEmulatorExports } from "../../src/emulator/notebooks.js";
import { Databricks } from "../../src/index.js";
import { realPayload } from "../fixtures.js";

/** Keys of a real body (fields the exporter added, prefixed "_", left out). */
const keysOf = (o: object) =>
  Object.keys(o)
    .filter((k) => !k.startsWith("_"))
    .sort();

describe("the emulator against real MLflow and Unity Catalog payloads", () => {
  let emu: Emulator;
  let db: Databricks;
  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 6000 });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const mlflow = emu.context.service<MlflowEmulatorExports>("mlflow")!;
    await db.registeredModels.create({
      catalog_name: "main",
      schema_name: "default",
      name: "my_model",
      comment: "c",
    });
    for (let i = 1; i <= 2; i++) {
      const run = mlflow.logNotebookRun({
        notebookPath: "/Shared/fixtures",
        startTime: 0,
        endTime: 1,
        jobRunId: i,
        model: { coefficients: { intercept: 0, weights: { x: 1 } } },
      });
      await db.modelVersions.createAndWait({
        name: "main.default.my_model",
        source: `runs:/${run.run_id}/model`,
      });
    }
  });
  afterAll(() => emu.close());

  it("accepts the real set-alias request body", async () => {
    const { body } = realPayload("uc.registered-models.set-alias.request.1.json");
    await db.request({
      method: "PUT",
      path: "/api/2.1/unity-catalog/models/main.default.my_model/aliases/champion",
      body,
    });
    expect(
      (await db.modelVersions.getByAlias({ full_name: "main.default.my_model", alias: "champion" })).version,
    ).toBe(body.version_num);
  });

  it("answers UC model and version reads with every field the real responses carry", async () => {
    const model = await db.request<object>({
      method: "GET",
      path: "/api/2.1/unity-catalog/models/main.default.my_model",
      query: { include_aliases: true },
    });
    expect(keysOf(model)).toEqual(keysOf(realPayload("uc.registered-models.get.response.1.json").body));

    await db.modelVersions.update({ full_name: "main.default.my_model", version: 2, comment: "c" });
    const byAlias = await db.request<object>({
      method: "GET",
      path: "/api/2.1/unity-catalog/models/main.default.my_model/aliases/champion",
      query: { include_aliases: true },
    });
    expect(keysOf(byAlias)).toEqual(
      keysOf(realPayload("uc.model-versions.get-by-alias.response.1.json").body),
    );

    const list = await db.request<any>({
      method: "GET",
      path: "/api/2.1/unity-catalog/models/main.default.my_model/versions",
      query: { max_results: 1 },
    });
    const real = realPayload("uc.model-versions.list.response.1.json").body;
    expect(keysOf(list)).toEqual(keysOf(real));
    expect(keysOf(list.model_versions[0])).toEqual(keysOf(real.model_versions[0]));
  });

  it("answers experiment and run reads with the real responses' fields", async () => {
    const { experiment_id } = await db.experiments.create({ name: "/Shared/shape" });
    await db.experiments.setTag({ experiment_id, key: "k", value: "v" });
    const exp = await db.request<any>({
      method: "GET",
      path: "/api/2.0/mlflow/experiments/get",
      query: { experiment_id },
    });
    expect(keysOf(exp.experiment)).toEqual(
      keysOf(realPayload("mlflow.experiments-get.response.1.json").body.experiment),
    );

    const { run } = await db.runs.create({ experiment_id });
    await db.runs.logBatch({
      run_id: run.info.run_id,
      metrics: [{ key: "m", value: 1, timestamp: 1, step: 0 }],
      params: [{ key: "p", value: "1" }],
      tags: [{ key: "t", value: "1" }],
    });
    await db.runs.update({ run_id: run.info.run_id, status: "FINISHED", end_time: 2 });
    const got = await db.request<any>({
      method: "GET",
      path: "/api/2.0/mlflow/runs/get",
      query: { run_id: run.info.run_id },
    });
    const real = realPayload("mlflow.runs-get.response.1.json").body.run;
    expect(keysOf(got.run)).toEqual(keysOf(real));
    expect(keysOf(got.run.info)).toEqual(expect.arrayContaining(keysOf(real.info)));
    expect(keysOf(got.run.data)).toEqual(keysOf(real.data));
    expect(keysOf(got.run.data.metrics[0])).toEqual(keysOf(real.data.metrics[0]));
  });

  it("answers the workspace registry reads with the real responses' fields", async () => {
    const created = await db.request<any>({
      method: "POST",
      path: "/api/2.0/mlflow/registered-models/create",
      body: { name: "xyz", tags: [{ key: "key1", value: "value1" }] },
    });
    expect(Object.keys(created)).toEqual(["registered_model"]);
    // The real answer to this very request (name xyz, two tags) is contained in the emulator's.
    const realCreated = realPayload("mlflow.registered-models-create.response.1.json").body;
    expect(created.registered_model).toMatchObject({
      name: "xyz",
      tags: [realCreated.registered_model.tags[0]],
    });
    const got = await db.request<any>({
      method: "GET",
      path: "/api/2.0/mlflow/databricks/registered-models/get",
      query: { name: "xyz" },
    });
    const real = realPayload("mlflow.databricks-registered-models-get.response.1.json").body;
    expect(Object.keys(got)).toEqual(Object.keys(real));
    expect(keysOf(got.registered_model_databricks)).toEqual(
      expect.arrayContaining(keysOf(real.registered_model_databricks)),
    );
  });
});
