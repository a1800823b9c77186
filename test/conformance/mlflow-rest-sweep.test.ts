import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("official SDK: bulk run deletion, dataset inputs and the workspace registry's edits", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  beforeAll(async () => {
    emu = await startEmulator();
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
  });
  afterAll(() => emu.close());

  it("logs inputs and bulk-deletes and restores runs", async () => {
    const { experiment_id } = await w.experiments.createExperiment({ name: "/Users/sdk@example.com/bulk" });
    const { run } = await w.experiments.createRun({ experiment_id, start_time: 1000 });
    const run_id = run!.info!.run_id!;
    const dataset = { name: "train", digest: "d1", source_type: "delta", source: "main.ml.train" };
    await w.experiments.logInputs({ run_id, datasets: [{ dataset, tags: [] }] });
    const got = await w.experiments.getRun({ run_id });
    expect(got.run?.inputs?.dataset_inputs?.[0]?.dataset).toEqual(dataset);

    // The SDK types these int64 fields as bigint but cannot serialize a BigInt: it needs a number.
    const deleted = await w.experiments.deleteRuns({
      experiment_id: experiment_id!,
      max_timestamp_millis: 1000 as any,
    });
    expect(deleted.runs_deleted).toBe(1);
    expect((await w.experiments.getRun({ run_id })).run?.info?.lifecycle_stage).toBe("deleted");
    const restored = await w.experiments.restoreRuns({
      experiment_id: experiment_id!,
      min_timestamp_millis: 0 as any,
    });
    expect(restored.runs_restored).toBe(1);
    await expect(w.experiments.logInputs({ run_id: "missing", datasets: [] })).rejects.toMatchObject({
      errorCode: "RESOURCE_DOES_NOT_EXIST",
    });
  });

  // registered-models/update and model-versions/update (PATCH) are not driven here: this SDK sends
  // request bodies only with POST and PUT, so its PATCH calls arrive without fields.
  it("renames, tags models and versions and reads latest versions", async () => {
    await w.modelRegistry.createModel({ name: "sdk-legacy" });
    await w.modelRegistry.createModelVersion({ name: "sdk-legacy", source: "dbfs:/models/a" });
    const renamed = await w.modelRegistry.renameModel({ name: "sdk-legacy", new_name: "sdk-renamed" });
    expect(renamed.registered_model?.name).toBe("sdk-renamed");
    await w.modelRegistry.setModelVersionTag({ name: "sdk-renamed", version: "1", key: "k", value: "v" });
    await w.modelRegistry.setModelTag({ name: "sdk-renamed", key: "team", value: "ml" });
    await w.modelRegistry.deleteModelTag({ name: "sdk-renamed", key: "team" });
    const { model_version } = await w.modelRegistry.getModelVersion({ name: "sdk-renamed", version: "1" });
    expect(model_version?.tags).toEqual([{ key: "k", value: "v" }]);
    expect(
      (await w.modelRegistry.getModel({ name: "sdk-renamed" })).registered_model_databricks?.tags,
    ).toEqual([]);
    const latest = await all(w.modelRegistry.getLatestVersions({ name: "sdk-renamed", stages: ["None"] }));
    expect(latest.map((x) => x.version)).toEqual(["1"]);
    const { artifact_uri } = await w.modelRegistry.getModelVersionDownloadUri({
      name: "sdk-renamed",
      version: "1",
    });
    expect(artifact_uri).toBe("dbfs:/models/a");
    await w.modelRegistry.deleteModelVersion({ name: "sdk-renamed", version: "1" });
    await expect(
      w.modelRegistry.getModelVersion({ name: "sdk-renamed", version: "1" }),
    ).rejects.toMatchObject({
      errorCode: "RESOURCE_DOES_NOT_EXIST",
    });
  });
});
