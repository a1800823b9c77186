import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";

/** Collects an official-SDK async iterator. */
async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("official SDK: MLflow experiments and runs", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  beforeAll(async () => {
    emu = await startEmulator();
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
  });
  afterAll(() => emu.close());

  it("creates, reads, searches, tags and deletes experiments", async () => {
    const { experiment_id } = await w.experiments.createExperiment({
      name: "/Users/sdk@example.com/conformance",
      tags: [{ key: "team", value: "ml" }],
    });
    expect(typeof experiment_id).toBe("string");
    const got = await w.experiments.getExperiment({ experiment_id: experiment_id! });
    expect(got.experiment?.name).toBe("/Users/sdk@example.com/conformance");
    const byName = await w.experiments.getByName({ experiment_name: "/Users/sdk@example.com/conformance" });
    expect(byName.experiment?.experiment_id).toBe(experiment_id);
    await w.experiments.setExperimentTag({ experiment_id: experiment_id!, key: "stage", value: "dev" });
    const found = await all(
      w.experiments.searchExperiments({ filter: "tags.stage = 'dev'", max_results: 1 }),
    );
    expect(found.map((e) => e.experiment_id)).toEqual([experiment_id]);
    await w.experiments.deleteExperiment({ experiment_id: experiment_id! });
    const deleted = await w.experiments.getExperiment({ experiment_id: experiment_id! });
    expect(deleted.experiment?.lifecycle_stage).toBe("deleted");
    await expect(w.experiments.createExperiment({ name: "relative" })).rejects.toMatchObject({
      errorCode: "INVALID_PARAMETER_VALUE",
    });
  });

  it("renames experiments (experiments/update) and lists them with the legacy list call Databricks still serves", async () => {
    const { experiment_id } = await w.experiments.createExperiment({ name: "/Users/sdk@example.com/old" });
    await w.experiments.createExperiment({ name: "/Users/sdk@example.com/taken" });
    await w.experiments.updateExperiment({
      experiment_id: experiment_id!,
      new_name: "/Users/sdk@example.com/new",
    });
    const renamed = await w.experiments.getExperiment({ experiment_id: experiment_id! });
    expect(renamed.experiment?.name).toBe("/Users/sdk@example.com/new");
    const byNew = await w.experiments.getByName({ experiment_name: "/Users/sdk@example.com/new" });
    expect(byNew.experiment?.experiment_id).toBe(experiment_id);
    await expect(
      w.experiments.getByName({ experiment_name: "/Users/sdk@example.com/old" }),
    ).rejects.toMatchObject({ errorCode: "RESOURCE_DOES_NOT_EXIST" });
    await expect(
      w.experiments.updateExperiment({
        experiment_id: experiment_id!,
        new_name: "/Users/sdk@example.com/taken",
      }),
    ).rejects.toMatchObject({ errorCode: "RESOURCE_ALREADY_EXISTS" });
    await expect(
      w.experiments.updateExperiment({ experiment_id: "999999", new_name: "/Users/sdk@example.com/x" }),
    ).rejects.toMatchObject({ errorCode: "RESOURCE_DOES_NOT_EXIST" });

    // Paged through by the SDK's own iterator, one experiment a page.
    const listed = await all(w.experiments.listExperiments({ max_results: 1 }));
    const names = listed.map((e) => e.name);
    expect(names).toContain("/Users/sdk@example.com/new");
    expect(names).toContain("/Users/sdk@example.com/taken");
    expect(new Set(names).size).toBe(names.length);
    // Without max_results, everything in one answer.
    const res = await fetch(`${emu.url}/api/2.0/mlflow/experiments/list`, {
      headers: { authorization: `Bearer ${emu.token}` },
    });
    const body = (await res.json()) as { experiments: unknown[]; next_page_token?: string };
    expect(body.experiments).toHaveLength(listed.length);
    expect(body.next_page_token).toBeUndefined();
    await expect(all(w.experiments.listExperiments({ view_type: "NOPE" as never }))).rejects.toMatchObject({
      errorCode: "INVALID_PARAMETER_VALUE",
    });
  });

  it("logs to runs and reads them back: params, metrics, batches, tags, history, search", async () => {
    const { experiment_id } = await w.experiments.createExperiment({ name: "/Users/sdk@example.com/runs" });
    const { run } = await w.experiments.createRun({ experiment_id, run_name: "sdk-run", start_time: 1000 });
    const run_id = run!.info!.run_id!;
    await w.experiments.logParam({ run_id, key: "alpha", value: "0.5" });
    await w.experiments.logMetric({ run_id, key: "loss", value: 1, timestamp: 1001, step: 0 });
    await w.experiments.logMetric({ run_id, key: "loss", value: 0.5, timestamp: 1002, step: 1 });
    await w.experiments.logBatch({
      run_id,
      metrics: [{ key: "auc", value: 0.9, timestamp: 1003, step: 0 }],
      params: [{ key: "beta", value: "2" }],
      tags: [{ key: "team", value: "ml" }],
    });
    await w.experiments.setTag({ run_id, key: "stage", value: "dev" });
    await w.experiments.updateRun({ run_id, status: "FINISHED", end_time: 2000 });

    const got = await w.experiments.getRun({ run_id });
    expect(got.run?.info?.status).toBe("FINISHED");
    expect(got.run?.data?.params).toEqual([
      { key: "alpha", value: "0.5" },
      { key: "beta", value: "2" },
    ]);
    expect(got.run?.data?.metrics?.find((m) => m.key === "loss")?.value).toBe(0.5);
    const history = await all(w.experiments.getHistory({ run_id, metric_key: "loss", max_results: 1 }));
    expect(history.map((m) => m.value)).toEqual([1, 0.5]);
    const runs = await all(
      w.experiments.searchRuns({
        experiment_ids: [experiment_id!],
        filter: "metrics.auc > 0.5 AND tags.team = 'ml'",
      }),
    );
    expect(runs.map((r) => r.info?.run_id)).toEqual([run_id]);
    await w.experiments.deleteRun({ run_id });
    expect(await all(w.experiments.searchRuns({ experiment_ids: [experiment_id!] }))).toEqual([]);
  });

  it("lists run artifacts that were uploaded through the Files API", async () => {
    const { experiment_id } = await w.experiments.createExperiment({
      name: "/Users/sdk@example.com/artifacts",
    });
    const { run } = await w.experiments.createRun({ experiment_id });
    const info = run!.info!;
    const root = `/WorkspaceInternal/Mlflow/Artifacts/${experiment_id}/Runs/${info.run_id}/artifacts`;
    expect(info.artifact_uri).toBe(
      `dbfs:/databricks/mlflow-tracking/${experiment_id}/${info.run_id}/artifacts`,
    );
    const put = (path: string, body: string) =>
      fetch(`${emu.url}/api/2.0/fs/files${root}/${path}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${emu.token}`, "content-type": "application/octet-stream" },
        body,
      });
    await put("model/MLmodel", "flavors: {}");
    await put("notes.txt", "hi");
    const files = await all(w.experiments.listArtifacts({ run_id: info.run_id }));
    expect(files).toEqual([
      { path: "model", is_dir: true },
      { path: "notes.txt", is_dir: false, file_size: 2 },
    ]);
  });
});
