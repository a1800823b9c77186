import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks } from "../../src/index.js";
import { rejection } from "../helpers.js";

/** The MLflow REST endpoints beyond the typed clients, driven over raw HTTP as any MLflow client would. */
describe("MLflow REST sweep against the emulator", () => {
  let emu: Emulator;
  let db: Databricks;
  const call = <T = any>(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    body?: Record<string, unknown>,
  ): Promise<T> =>
    method === "GET" || method === "DELETE"
      ? db.request<T>({ method, path: `/api/2.0/mlflow/${path}`, query: body as any })
      : db.request<T>({ method, path: `/api/2.0/mlflow/${path}`, body });
  const fails = async (promise: Promise<unknown>, code: string, message?: string) => {
    const err = await rejection(promise);
    expect(err.errorCode).toBe(code);
    if (message) expect(err.message).toContain(message);
  };
  const newRun = async (experiment_id: string, start_time?: number): Promise<string> =>
    (await call("POST", "runs/create", { experiment_id, start_time })).run.info.run_id;

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 6000 });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
  });
  afterAll(() => emu.close());

  describe("runs", () => {
    let exp: string;
    beforeAll(async () => {
      exp = (await call("POST", "experiments/create", { name: "/Shared/sweep" })).experiment_id;
    });

    it("log-inputs records datasets on the run, merging tags of a dataset logged twice", async () => {
      const runId = await newRun(exp);
      const dataset = { name: "train", digest: "abc123", source_type: "delta", source: '{"table":"t"}' };
      await call("POST", "runs/log-inputs", {
        run_id: runId,
        datasets: [{ dataset, tags: [{ key: "mlflow.data.context", value: "training" }] }],
      });
      await call("POST", "runs/log-inputs", {
        run_id: runId,
        datasets: [{ dataset, tags: [{ key: "split", value: "a" }] }],
      });
      const { run } = await call("GET", "runs/get", { run_id: runId });
      expect(run.inputs.dataset_inputs).toEqual([
        {
          dataset,
          tags: [
            { key: "mlflow.data.context", value: "training" },
            { key: "split", value: "a" },
          ],
        },
      ]);
      await fails(
        call("POST", "runs/log-inputs", { run_id: runId, datasets: [{ dataset: { name: "x" } }] }),
        "INVALID_PARAMETER_VALUE",
        "dataset.digest",
      );
      await fails(
        call("POST", "runs/log-inputs", { run_id: "nope", datasets: [] }),
        "RESOURCE_DOES_NOT_EXIST",
      );
    });

    it("log-model appends to the run's mlflow.log-model.history tag and refuses incomplete model json", async () => {
      const runId = await newRun(exp);
      const model = (path: string) => ({
        run_id: runId,
        artifact_path: path,
        utc_time_created: "2026-01-01 00:00:00.000000",
        flavors: { python_function: {} },
      });
      await call("POST", "runs/log-model", { run_id: runId, model_json: JSON.stringify(model("a")) });
      await call("POST", "runs/log-model", { run_id: runId, model_json: JSON.stringify(model("b")) });
      const { run } = await call("GET", "runs/get", { run_id: runId });
      const history = run.data.tags.find((t: any) => t.key === "mlflow.log-model.history");
      expect(JSON.parse(history.value).map((m: any) => m.artifact_path)).toEqual(["a", "b"]);
      await fails(
        call("POST", "runs/log-model", { run_id: runId, model_json: JSON.stringify({ run_id: runId }) }),
        "INVALID_PARAMETER_VALUE",
        "artifact_path, flavors, utc_time_created",
      );
      await fails(
        call("POST", "runs/log-model", { run_id: runId, model_json: "{not json" }),
        "INVALID_PARAMETER_VALUE",
        "model_json",
      );
    });

    it("databricks/runs/delete-runs deletes by creation time, restore-runs by deletion time, both capped by max_runs", async () => {
      const bulk = (await call("POST", "experiments/create", { name: "/Shared/bulk" })).experiment_id;
      const early = [await newRun(bulk, 1000), await newRun(bulk, 2000)];
      const late = await newRun(bulk, 5000);
      const one = await call("POST", "databricks/runs/delete-runs", {
        experiment_id: bulk,
        max_timestamp_millis: 2000,
        max_runs: 1,
      });
      expect(one).toEqual({ runs_deleted: 1 });
      const rest = await call("POST", "databricks/runs/delete-runs", {
        experiment_id: bulk,
        max_timestamp_millis: 2000,
      });
      expect(rest).toEqual({ runs_deleted: 1 });
      const stage = async (id: string) =>
        (await call("GET", "runs/get", { run_id: id })).run.info.lifecycle_stage;
      expect(await Promise.all([...early, late].map(stage))).toEqual(["deleted", "deleted", "active"]);

      const future = emu.context.clock.now() + 60_000;
      expect(
        await call("POST", "databricks/runs/restore-runs", {
          experiment_id: bulk,
          min_timestamp_millis: future,
        }),
      ).toEqual({ runs_restored: 0 });
      expect(
        await call("POST", "databricks/runs/restore-runs", { experiment_id: bulk, min_timestamp_millis: 0 }),
      ).toEqual({ runs_restored: 2 });
      expect(await Promise.all(early.map(stage))).toEqual(["active", "active"]);

      await fails(
        call("POST", "databricks/runs/delete-runs", {
          experiment_id: bulk,
          max_timestamp_millis: 1,
          max_runs: 10_001,
        }),
        "INVALID_PARAMETER_VALUE",
        "max_runs",
      );
      await fails(
        call("POST", "databricks/runs/restore-runs", { experiment_id: bulk }),
        "INVALID_PARAMETER_VALUE",
      );
      await fails(
        call("POST", "databricks/runs/delete-runs", { experiment_id: "999999", max_timestamp_millis: 1 }),
        "RESOURCE_DOES_NOT_EXIST",
      );
    });
  });

  describe("workspace model registry", () => {
    let runId: string;
    beforeAll(async () => {
      const exp = (await call("POST", "experiments/create", { name: "/Shared/registry-sweep" }))
        .experiment_id;
      runId = await newRun(exp);
      await call("POST", "registered-models/create", { name: "sweep" });
      await call("POST", "registered-models/create", { name: "other" });
      for (let i = 0; i < 3; i++) {
        await call("POST", "model-versions/create", { name: "sweep", source: `runs:/${runId}/model` });
      }
    });

    it("renames a model, keeping its versions, and refuses a taken name", async () => {
      await call("POST", "registered-models/create", { name: "before" });
      await call("POST", "model-versions/create", { name: "before", source: "dbfs:/somewhere" });
      const { registered_model } = await call("POST", "registered-models/rename", {
        name: "before",
        new_name: "after",
      });
      expect(registered_model.name).toBe("after");
      const { model_version } = await call("GET", "model-versions/get", { name: "after", version: "1" });
      expect(model_version).toMatchObject({ name: "after", source: "dbfs:/somewhere" });
      await fails(call("GET", "registered-models/get", { name: "before" }), "RESOURCE_DOES_NOT_EXIST");
      await fails(
        call("POST", "registered-models/rename", { name: "after", new_name: "other" }),
        "RESOURCE_ALREADY_EXISTS",
        "other",
      );
    });

    it("updates model and version descriptions with PATCH", async () => {
      const m = await call("PATCH", "registered-models/update", {
        name: "sweep",
        description: "churn model",
      });
      expect(m.registered_model.description).toBe("churn model");
      const v = await call("PATCH", "model-versions/update", {
        name: "sweep",
        version: "2",
        description: "v2",
      });
      expect(v.model_version).toMatchObject({ version: "2", description: "v2" });
      await fails(
        call("PATCH", "registered-models/update", { name: "ghost", description: "x" }),
        "RESOURCE_DOES_NOT_EXIST",
      );
      await fails(
        call("PATCH", "model-versions/update", { name: "sweep", version: "99" }),
        "RESOURCE_DOES_NOT_EXIST",
      );
    });

    it("sets and deletes tags on models and versions", async () => {
      await call("POST", "registered-models/set-tag", { name: "sweep", key: "team", value: "ml" });
      await call("POST", "model-versions/set-tag", {
        name: "sweep",
        version: "1",
        key: "validated",
        value: "yes",
      });
      expect((await call("GET", "registered-models/get", { name: "sweep" })).registered_model.tags).toEqual([
        { key: "team", value: "ml" },
      ]);
      expect(
        (await call("GET", "model-versions/get", { name: "sweep", version: "1" })).model_version.tags,
      ).toEqual([{ key: "validated", value: "yes" }]);
      await call("DELETE", "registered-models/delete-tag", { name: "sweep", key: "team" });
      await call("DELETE", "model-versions/delete-tag", { name: "sweep", version: "1", key: "validated" });
      expect((await call("GET", "registered-models/get", { name: "sweep" })).registered_model.tags).toEqual(
        [],
      );
      expect(
        (await call("GET", "model-versions/get", { name: "sweep", version: "1" })).model_version.tags,
      ).toEqual([]);
      await fails(
        call("DELETE", "registered-models/delete-tag", { name: "sweep", key: "team" }),
        "RESOURCE_DOES_NOT_EXIST",
      );
      await fails(
        call("DELETE", "model-versions/delete-tag", { name: "sweep", version: "1", key: "validated" }),
        "RESOURCE_DOES_NOT_EXIST",
      );
      await fails(
        call("POST", "registered-models/set-tag", { name: "sweep", value: "x" }),
        "INVALID_PARAMETER_VALUE",
        "key",
      );
    });

    it("transitions stages on the open-source path and answers get-latest-versions per stage", async () => {
      const moved = await call("POST", "model-versions/transition-stage", {
        name: "sweep",
        version: "1",
        stage: "staging",
        archive_existing_versions: false,
      });
      expect(moved.model_version).toMatchObject({ version: "1", current_stage: "Staging" });
      await call("POST", "model-versions/transition-stage", {
        name: "sweep",
        version: "2",
        stage: "Production",
        archive_existing_versions: false,
      });
      const latest = async (stages?: string[]) =>
        (
          await call("POST", "registered-models/get-latest-versions", { name: "sweep", stages })
        ).model_versions
          .map((v: any) => [v.current_stage, v.version])
          .sort();
      expect(await latest(["Production"])).toEqual([["Production", "2"]]);
      expect(await latest()).toEqual([
        ["None", "3"],
        ["Production", "2"],
        ["Staging", "1"],
      ]);
      await fails(latest(["Live"]), "INVALID_PARAMETER_VALUE", "Staging");
      await fails(
        call("POST", "model-versions/transition-stage", {
          name: "sweep",
          version: "1",
          stage: "Live",
          archive_existing_versions: false,
        }),
        "INVALID_PARAMETER_VALUE",
        "Production",
      );
    });

    it("resolves a runs:/ source to the run's artifact location in get-download-uri", async () => {
      const { run } = await call("GET", "runs/get", { run_id: runId });
      const { artifact_uri } = await call("GET", "model-versions/get-download-uri", {
        name: "sweep",
        version: "3",
      });
      expect(artifact_uri).toBe(`${run.info.artifact_uri}/model`);
      await fails(
        call("GET", "model-versions/get-download-uri", { name: "sweep", version: "42" }),
        "RESOURCE_DOES_NOT_EXIST",
      );
    });

    it("deletes a model version", async () => {
      await call("POST", "model-versions/create", { name: "other", source: "dbfs:/x" });
      await call("DELETE", "model-versions/delete", { name: "other", version: "1" });
      await fails(
        call("GET", "model-versions/get", { name: "other", version: "1" }),
        "RESOURCE_DOES_NOT_EXIST",
      );
      await fails(
        call("DELETE", "model-versions/delete", { name: "other", version: "1" }),
        "RESOURCE_DOES_NOT_EXIST",
      );
      await fails(
        call("DELETE", "model-versions/delete", { name: "other" }),
        "INVALID_PARAMETER_VALUE",
        "version",
      );
    });
  });
});
