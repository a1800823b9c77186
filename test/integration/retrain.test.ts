import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobsEmulatorExports } from "../../src/emulator/index.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { SqlEmulatorExports } from "../../src/emulator/services/sql.js";
import { Databricks, type LifecycleSpec, RETRAIN_PARAMETER, type StepEvent } from "../../src/index.js";

const PATH = "/Shared/rt/train";
const SPEC: LifecycleSpec = {
  notebook: { path: PATH, source: { content: "# Databricks notebook source\nimport mlflow\n" } },
  cluster: { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 },
  parameters: { C: "1.0" },
  experiment: "/Shared/rt/churn",
  model: { name: "main.rt.churn" },
  endpoint: { name: "rt-churn", inferenceTable: { catalog_name: "main", schema_name: "rt" } },
};

/** What the training notebook logs; each retraining reads the behaviour scripted at that moment. */
function trainsWith(emu: Emulator, auc: number) {
  emu.context.service<JobsEmulatorExports>("jobs")!.scriptNotebook(PATH, {
    durationMs: 120_000,
    mlflow: {
      experimentName: "/Shared/rt/churn",
      params: { C: "1.0" },
      metrics: { auc },
      model: { coefficients: { intercept: 0, weights: { tenure: 0.1 } } },
    },
  });
}

/** Training data: tenure around 10, plan mostly "basic". */
const baseline = Array.from({ length: 200 }, (_, i) => ({
  tenure: 8 + (i % 5),
  plan: i % 4 === 0 ? "pro" : "basic",
}));

describe("lifecycle.retrainIf", () => {
  let emu: Emulator;
  let db: Databricks;
  const served = async () =>
    ((await db.servingEndpoints.get({ name: "rt-churn" })).config?.served_entities ?? []).map((e) => e.name);
  const champion = async () => (await db.model("main.rt.churn").alias("champion")).version;

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 5000 });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    trainsWith(emu, 0.8);
    await db.lifecycle(SPEC).apply();
    // Recent traffic: longer tenures and more "pro" plans than in training.
    await db.endpoint("rt-churn").predict(
      Array.from({ length: 120 }, (_, i) => ({ tenure: 30 + (i % 7), plan: i % 2 ? "pro" : "basic" })),
      { batchSize: 40 },
    );
  });
  afterAll(() => emu.close());

  it("does nothing when the decision says no, reading the baseline from a SQL table", async () => {
    const sql = emu.context.service<SqlEmulatorExports>("sql")!;
    sql.registerTable(
      "main.rt.train",
      [
        { name: "tenure", type: "DOUBLE" },
        { name: "plan", type: "STRING" },
      ],
      baseline,
    );
    const runsBefore = await db.jobs.listRuns({}).toArray({ limit: 100 });
    const seen: boolean[] = [];
    const result = await db.lifecycle(SPEC).retrainIf(
      (report) => {
        seen.push(report.drifted);
        return false;
      },
      { baseline: "main.rt.train" },
    );
    expect(seen).toEqual([true]);
    expect(result).toMatchObject({ retrained: false, decision: "not_needed" });
    expect(result.report.baselineRows).toBe(200);
    expect(result.report.recentRows).toBe(120);
    expect(result.report.features.map((f) => [f.name, f.drifted])).toEqual([
      ["tenure", true],
      ["plan", true],
    ]);
    expect((await db.jobs.listRuns({}).toArray({ limit: 100 })).length).toBe(runsBefore.length);
    expect(await served()).toEqual(["churn-1"]);
  });

  it("retrains, canaries and promotes a version that beats the champion, moving the alias", async () => {
    trainsWith(emu, 0.9);
    const events: StepEvent[] = [];
    let canaryRoutes: unknown;
    const result = await db.lifecycle(SPEC).retrainIf((report) => report.drifted, {
      baseline,
      canaryPercent: 20,
      metric: { name: "auc" },
      onProgress: (e) => {
        events.push(e);
        // What the endpoint served once the canary rolled out, read from the emulator at that moment.
        if (e.step === "canary" && e.status === "done") {
          canaryRoutes = emu.context.state<any>("serving").endpoints["rt-churn"].config.routes;
        }
      },
    });
    expect(result).toMatchObject({
      retrained: true,
      decision: "promoted",
      metric: { name: "auc", candidate: 0.9, champion: 0.8 },
    });
    expect(result.version?.version).toBe(2);
    expect(result.champion?.version).toBe(1);
    expect(result.reason).toContain("auc 0.9 > champion's 0.8");
    expect(events.filter((e) => e.status === "done").map((e) => e.step)).toEqual([
      "drift",
      "train",
      "register",
      "canary",
      "promote",
      "alias",
    ]);
    expect(canaryRoutes).toEqual([
      { served_entity_name: "churn-1", traffic_percentage: 80 },
      { served_entity_name: "churn-2", traffic_percentage: 20 },
    ]);
    expect(await served()).toEqual(["churn-2"]);
    expect(await champion()).toBe(2);
    const run = await db.runs.get({ run_id: result.version!.runId! });
    expect(run.run.data?.params?.find((p) => p.key === "C")?.value).toBe("1.0");
    const job = await db.jobs.getRun({ run_id: (await db.jobs.listRuns({}).firstPage()).items[0]!.run_id! });
    const widgets = (job.tasks?.[0]?.notebook_task as { base_parameters?: Record<string, string> })
      ?.base_parameters;
    expect(widgets?.[RETRAIN_PARAMETER]).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("rolls the endpoint back and keeps the alias when the retrained version is worse", async () => {
    trainsWith(emu, 0.7);
    const done: string[] = [];
    const result = await db.lifecycle(SPEC).retrainIf(() => true, {
      baseline,
      metric: { name: "auc", higherIsBetter: true },
      parameters: { C: "0.5" },
      onProgress: (e) => e.status === "done" && done.push(e.step),
    });
    expect(done).toEqual(["drift", "train", "register", "canary", "rollback"]);
    expect(result).toMatchObject({
      retrained: true,
      decision: "rolled_back",
      metric: { name: "auc", candidate: 0.7, champion: 0.9 },
    });
    expect(result.version?.version).toBe(3);
    expect(await served()).toEqual(["churn-2"]);
    expect(await champion()).toBe(2);
    const run = await db.runs.get({ run_id: result.version!.runId! });
    expect(run.run.data?.params?.find((p) => p.key === "C")?.value).toBe("0.5");
  });

  it("rolls back when the retrained run did not log the metric, and checks its options", async () => {
    trainsWith(emu, 0.99);
    const result = await db.lifecycle(SPEC).retrainIf(() => true, { baseline, metric: { name: "f1" } });
    expect(result.decision).toBe("rolled_back");
    expect(result.reason).toContain("logged no f1");
    expect(await served()).toEqual(["churn-2"]);
    await expect(
      db.lifecycle(SPEC).retrainIf(() => true, { baseline, canaryPercent: 100 }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
  });
});
