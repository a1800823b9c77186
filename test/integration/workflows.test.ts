import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobsEmulatorExports, ServingEmulatorExports } from "../../src/emulator/index.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import {
  Databricks,
  isOperationFailed,
  isValidationError,
  type LifecycleSpec,
  type StepEvent,
  StepFailedError,
  TrainingRun,
} from "../../src/index.js";
import { rejection } from "../helpers.js";

const CLUSTER = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
const SOURCE = `# Databricks notebook source
import mlflow
# trains and logs a model`;
const BEHAVIOUR = {
  durationMs: 120_000,
  mlflow: {
    experimentName: "/Shared/wf/churn",
    params: { C: "1.0" },
    metrics: { auc: 0.9 },
    model: { coefficients: { intercept: 0.5, weights: { x: 2 } } },
  },
};

function spec(over: Partial<LifecycleSpec> = {}): LifecycleSpec {
  return {
    notebook: { path: "/Shared/wf/train", source: { content: SOURCE } },
    cluster: CLUSTER,
    parameters: { C: "1.0" },
    experiment: "/Shared/wf/churn",
    model: { name: "main.wf.churn" },
    endpoint: { name: "wf-churn" },
    ...over,
  };
}

describe("workflows against the emulator", () => {
  let emu: Emulator;
  let db: Databricks;
  const jobsState = () => emu.context.state<{ runs: Record<string, { run_name?: string }> }>("jobs");
  const endpointState = () =>
    emu.context.state<{ endpoints: Record<string, { config?: { config_version?: number } }> }>("serving");

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 5000, python: false });
    db = new Databricks({ host: emu.url, token: emu.token });
    emu.context.service<JobsEmulatorExports>("jobs")!.scriptNotebook("/Shared/wf/train", BEHAVIOUR);
  });
  afterAll(() => emu.close());

  it("applies the whole life cycle, then changes nothing when applied again", async () => {
    const events: StepEvent[] = [];
    const lc = db.lifecycle(spec());
    expect((await lc.plan()).steps.map((s) => [s.step, s.action])).toEqual([
      ["upload", "create"],
      ["train", "run"],
      ["register", "create"],
      ["alias", "create"],
      ["deploy", "create"],
    ]);
    const first = await lc.apply({ onProgress: (e) => events.push(e) });
    expect(first.version.version).toBe(1);
    expect((await db.model("main.wf.churn").alias("champion")).version).toBe(1);
    expect(events.filter((e) => e.status === "done").map((e) => e.step)).toEqual([
      "upload",
      "train",
      "register",
      "alias",
      "deploy",
    ]);
    const trainProgress = events.filter((e) => e.step === "train" && e.status === "progress");
    expect(trainProgress.at(-1)?.state).toBe("TERMINATED");
    expect(trainProgress.every((e) => e.url?.includes(`/run/${first.run.runId}`))).toBe(true);
    const [p] = await first.endpoint.predict<number>([{ x: 1 }]);
    expect(p).toBeCloseTo(2.5);

    const runsBefore = Object.keys(jobsState().runs).length;
    const configBefore = endpointState().endpoints["wf-churn"]?.config?.config_version;
    const again = db.lifecycle(spec());
    expect((await again.plan()).changes).toBe(0);
    const second = await again.apply({ onProgress: (e) => events.push(e) });
    expect(second.version.version).toBe(1);
    expect(second.run.runId).toBe(first.run.runId);
    expect(Object.keys(jobsState().runs).length).toBe(runsBefore);
    expect(endpointState().endpoints["wf-churn"]?.config?.config_version).toBe(configBefore);
  });

  it("canaries a retrained version when asked, keeping the alias on the serving version", async () => {
    const res = await db
      .lifecycle(spec({ parameters: { C: "0.5" }, traffic: { canaryPercent: 10 } }))
      .apply();
    expect(res.version.version).toBe(2);
    const routes = (await res.endpoint.refresh()).config?.traffic_config?.routes ?? [];
    expect(routes.map((r) => [r.served_entity_name, r.traffic_percentage]).sort()).toEqual([
      ["churn-1", 90],
      ["churn-2", 10],
    ]);
    expect((await db.model("main.wf.churn").alias("champion")).version).toBe(1);
    await res.endpoint.promote(res.version.entityName);
    const served = (await res.endpoint.refresh()).config?.served_entities?.map((e) => e.name);
    expect(served).toEqual(["churn-2"]);
    await res.endpoint.rollback();
    expect((await res.endpoint.refresh()).config?.served_entities?.map((e) => e.name).sort()).toEqual([
      "churn-1",
      "churn-2",
    ]);
  });

  it("names the failed step and resumes without duplicates when re-applied", async () => {
    const serving = emu.context.service<ServingEmulatorExports>("serving")!;
    serving.failBuild("main.wf.resume", undefined, "ImportError: no module named sklearn");
    const s = spec({
      model: { name: "main.wf.resume" },
      endpoint: { name: "wf-resume" },
      parameters: { C: "2" },
    });
    const err = await rejection(db.lifecycle(s).apply());
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.step).toBe("deploy");
    expect(err.resource).toBe("wf-resume");
    expect(err.message).toContain("no module named sklearn");

    serving.clearBuildFailures();
    const runsBefore = Object.keys(jobsState().runs).length;
    const plan = await db.lifecycle(s).plan();
    expect(plan.steps.find((x) => x.step === "train")?.action).toBe("none");
    expect(plan.steps.find((x) => x.step === "register")?.action).toBe("none");
    const res = await db.lifecycle(s).apply();
    expect(res.version.version).toBe(1);
    expect(Object.keys(jobsState().runs).length).toBe(runsBefore);
    expect((await res.endpoint.refresh()).state?.ready).toBe("READY");
  });

  it("rejects a bad spec before any request, naming each field", async () => {
    const err = await rejection(
      (async () =>
        db.lifecycle({ ...spec(), model: { name: "main.nope" }, endpoint: { name: "bad name" } }))(),
    );
    expect(isValidationError(err)).toBe(true);
    expect(err.issues.map((i: { path: string }) => i.path)).toEqual(["model.name", "endpoint.name"]);
  });

  it("drives a run by hand: attach, output, mlflow run, and a failed run as a clear error", async () => {
    const jobs = emu.context.service<JobsEmulatorExports>("jobs")!;
    jobs.scriptNotebook("/Shared/wf/exit", { durationMs: 30_000, exitValue: "ok" });
    const nb = await db.notebook("/Shared/wf/exit").upload({ content: SOURCE });
    const run = await nb.run({ cluster: CLUSTER });
    const attached = TrainingRun.attach(db, run.runId);
    await attached.wait();
    expect(attached.url).toContain(String(run.runId));
    expect((await attached.output()).notebook_output?.result).toBe("ok");
    const noModel = await rejection(attached.mlflowRun());
    expect(noModel.message).toContain(`job run ${run.runId}`);

    jobs.scriptNotebook("/Shared/wf/fail", { result: "FAILED", error: "ValueError: bad column" });
    await db.notebook("/Shared/wf/fail").upload({ content: SOURCE });
    const failed = await db.notebook("/Shared/wf/fail").run({ cluster: CLUSTER });
    const err = await rejection(failed.wait());
    expect(isOperationFailed(err)).toBe(true);
    expect(JSON.stringify(err.info.failed_tasks)).toContain("ValueError: bad column");
  });

  it("submits batch scoring as a Spark job with the model URI", async () => {
    const version = await db.model("main.wf.churn").version(1);
    const run = await version.batchScore({
      inputTable: "main.wf.customers",
      outputTable: "main.wf.scores",
      cluster: CLUSTER,
    });
    await run.wait();
    const job = await run.refresh();
    const params = job.tasks?.[0]?.notebook_task?.base_parameters;
    expect(params).toMatchObject({ model_uri: "models:/main.wf.churn/1", input_table: "main.wf.customers" });
    expect(await db.notebook("/Shared/brickml/batch_score").source()).toContain("spark_udf");
  });
});
