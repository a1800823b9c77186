import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { MlflowEmulatorExports } from "../../src/emulator/notebooks.js";
import { Databricks, isAlreadyExists, isNotFound, isOperationFailed } from "../../src/index.js";
import { rejection } from "../helpers.js";

describe("workspace model registry against the emulator", () => {
  let emu: Emulator;
  let db: Databricks;
  let runId: string;
  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 6000 });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    runId = emu.context.service<MlflowEmulatorExports>("mlflow")!.logNotebookRun({
      notebookPath: "/Shared/legacy",
      startTime: 0,
      endTime: 1,
      jobRunId: 1,
      model: {},
    }).run_id;
  });
  afterAll(() => emu.close());

  it("creates, gets, searches and deletes models", async () => {
    await db.modelRegistry.createModel({ name: "churn", description: "d", tags: [{ key: "k", value: "v" }] });
    await db.modelRegistry.createModel({ name: "fraud" });
    expect(isAlreadyExists(await rejection(db.modelRegistry.createModel({ name: "churn" })))).toBe(true);
    const { registered_model_databricks: m } = await db.modelRegistry.getModel({ name: "churn" });
    expect(m).toMatchObject({ name: "churn", description: "d", permission_level: "CAN_MANAGE" });
    expect(m.id).toMatch(/^[0-9a-f]{32}$/);
    const found = await db.modelRegistry.searchModels({ filter: "name LIKE 'ch%'" }).toArray({ limit: 9 });
    expect(found.map((x) => x.name)).toEqual(["churn"]);
    const paged = [];
    for await (const p of db.modelRegistry.searchModels({ max_results: 1 }).pages())
      paged.push(p.items.map((x) => x.name));
    expect(paged).toEqual([["churn"], ["fraud"]]);
    await db.modelRegistry.deleteModel({ name: "fraud" });
    expect(isNotFound(await rejection(db.modelRegistry.getModel({ name: "fraud" })))).toBe(true);
  });

  it("creates versions that become READY and moves them through stages", async () => {
    const v1 = await db.modelRegistry.createModelVersionAndWait({
      name: "churn",
      source: `runs:/${runId}/model`,
      run_id: runId,
    });
    const v2 = await db.modelRegistry.createModelVersionAndWait({
      name: "churn",
      source: `runs:/${runId}/model`,
    });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1).toMatchObject({ status: "READY", current_stage: "None", run_id: runId });

    await db.modelRegistry.transitionStage({
      name: "churn",
      version: 1,
      stage: "Production",
      archive_existing_versions: false,
    });
    const moved = await db.modelRegistry.transitionStage({
      name: "churn",
      version: 2,
      stage: "Production",
      archive_existing_versions: true,
    });
    expect(moved.model_version_databricks).toMatchObject({ version: 2, current_stage: "Production" });
    expect(
      (await db.modelRegistry.getModelVersion({ name: "churn", version: 1 })).model_version.current_stage,
    ).toBe("Archived");
    const versions = await db.modelRegistry
      .searchModelVersions({ filter: "name='churn'" })
      .toArray({ limit: 9 });
    expect(versions.map((v) => [v.version, v.current_stage])).toEqual([
      [2, "Production"],
      [1, "Archived"],
    ]);
    const { registered_model_databricks: m } = await db.modelRegistry.getModel({ name: "churn" });
    expect(m.latest_versions?.map((v) => [v.current_stage, v.version])).toEqual(
      expect.arrayContaining([
        ["Production", 2],
        ["Archived", 1],
      ]),
    );
  });

  it("fails a version whose source has no files", async () => {
    const err = await rejection(
      db.modelRegistry.createModelVersionAndWait({ name: "churn", source: `runs:/${runId}/missing-model` }),
    );
    expect(isOperationFailed(err)).toBe(true);
    expect(err.message).toContain("No model files found");
  });
});
