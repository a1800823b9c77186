import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { MlflowEmulatorExports } from "../../src/emulator/notebooks.js";
import { Databricks } from "../../src/index.js";

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("official SDK: Unity Catalog registered models, versions and aliases", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  beforeAll(async () => {
    emu = await startEmulator();
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    // The official SDK cannot create versions; register two with our client.
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const mlflow = emu.context.service<MlflowEmulatorExports>("mlflow")!;
    await db.registeredModels.create({ catalog_name: "main", schema_name: "sdk", name: "versioned" });
    for (let i = 1; i <= 2; i++) {
      const { run_id } = mlflow.logNotebookRun({
        notebookPath: "/Shared/sdk",
        startTime: 0,
        endTime: 1,
        jobRunId: i,
        model: {},
      });
      await db.modelVersions.createAndWait({ name: "main.sdk.versioned", source: `runs:/${run_id}/model` });
    }
  });
  afterAll(() => emu.close());

  it("creates, reads, lists, updates and deletes registered models", async () => {
    const created = await w.registeredModels.create({
      catalog_name: "main",
      schema_name: "sdk",
      name: "probe",
    });
    expect(created.full_name).toBe("main.sdk.probe");
    const got = await w.registeredModels.get({ full_name: "main.sdk.probe" });
    expect(got).toMatchObject({ catalog_name: "main", schema_name: "sdk", name: "probe" });
    const listed = await all(
      w.registeredModels.list({ catalog_name: "main", schema_name: "sdk", max_results: 1 }),
    );
    expect(listed.map((m) => m.name)).toEqual(["probe", "versioned"]);
    const updated = await w.registeredModels.update({ full_name: "main.sdk.probe", comment: "from the SDK" });
    // The official SDK 0.17 sends request bodies only for POST and PUT, so a PATCH arrives empty:
    // the emulator must answer it with the unchanged model.
    expect(updated).toMatchObject({ full_name: "main.sdk.probe" });
    await w.registeredModels.delete({ full_name: "main.sdk.probe" });
    await expect(w.registeredModels.get({ full_name: "main.sdk.probe" })).rejects.toMatchObject({
      statusCode: 404,
      errorCode: "RESOURCE_DOES_NOT_EXIST",
    });
  });

  it("reads, lists, updates and deletes versions; sets, reads and deletes aliases", async () => {
    const v1 = await w.modelVersions.get({ full_name: "main.sdk.versioned", version: 1 });
    expect(v1).toMatchObject({ version: 1, status: "READY", model_name: "versioned" });
    const versions = await all(w.modelVersions.list({ full_name: "main.sdk.versioned", max_results: 1 }));
    expect(versions.map((v) => v.version)).toEqual([2, 1]);

    const alias = await w.registeredModels.setAlias({
      full_name: "main.sdk.versioned",
      alias: "champion",
      version_num: 2,
    });
    expect(alias).toMatchObject({ alias_name: "champion", version_num: 2 });
    const champion = await w.modelVersions.getByAlias({
      full_name: "main.sdk.versioned",
      alias: "champion",
      include_aliases: true,
    });
    expect(champion).toMatchObject({ version: 2, aliases: [{ alias_name: "champion", version_num: 2 }] });
    const model = await w.registeredModels.get({ full_name: "main.sdk.versioned", include_aliases: true });
    expect(model.aliases).toEqual([{ alias_name: "champion", version_num: 2 }]);

    const updated = await w.modelVersions.update({
      full_name: "main.sdk.versioned",
      version: 1,
      comment: "old",
    });
    expect(updated).toMatchObject({ version: 1 }); // PATCH body dropped by the SDK, as above
    await w.registeredModels.deleteAlias({ full_name: "main.sdk.versioned", alias: "champion" });
    await expect(
      w.modelVersions.getByAlias({ full_name: "main.sdk.versioned", alias: "champion" }),
    ).rejects.toMatchObject({
      statusCode: 404,
    });
    await w.modelVersions.delete({ full_name: "main.sdk.versioned", version: 1 });
    expect(
      (await all(w.modelVersions.list({ full_name: "main.sdk.versioned" }))).map((v) => v.version),
    ).toEqual([2]);
  });
});

describe("official SDK: workspace model registry", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  let runId: string;
  beforeAll(async () => {
    emu = await startEmulator({ manualClock: true });
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    runId = emu.context.service<MlflowEmulatorExports>("mlflow")!.logNotebookRun({
      notebookPath: "/Shared/legacy",
      startTime: 0,
      endTime: 1,
      jobRunId: 1,
      model: {},
    }).run_id;
  });
  afterAll(() => emu.close());

  it("creates models and versions, reads them, and transitions stages", async () => {
    const created = await w.modelRegistry.createModel({ name: "legacy", tags: [{ key: "k", value: "v" }] });
    expect(created.registered_model?.name).toBe("legacy");
    const got = await w.modelRegistry.getModel({ name: "legacy" });
    expect(got.registered_model_databricks).toMatchObject({ name: "legacy", permission_level: "CAN_MANAGE" });
    const { model_version } = await w.modelRegistry.createModelVersion({
      name: "legacy",
      source: `runs:/${runId}/model`,
      run_id: runId,
    });
    expect(model_version).toMatchObject({ version: "1", status: "PENDING_REGISTRATION" });
    emu.clock.advance(60_000); // the server copies the files within a minute
    const ready = await w.modelRegistry.getModelVersion({ name: "legacy", version: "1" });
    expect(ready.model_version?.status).toBe("READY");
    const moved = await w.modelRegistry.transitionStage({
      name: "legacy",
      version: "1",
      stage: "Staging",
      archive_existing_versions: false,
    });
    expect(moved.model_version_databricks?.current_stage).toBe("Staging");
    expect((await all(w.modelRegistry.searchModels({}))).map((m) => m.name)).toEqual(["legacy"]);
    await w.modelRegistry.deleteModel({ name: "legacy" });
    expect(await all(w.modelRegistry.searchModels({}))).toEqual([]);
  });
});
