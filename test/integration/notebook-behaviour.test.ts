import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorService } from "../../src/emulator/index.js";
import { SERVICES } from "../../src/emulator/services/index.js";
import { rejection } from "../helpers.js";
import { CLUSTER, notebook, startWorkspace, type Workspace } from "./compute-helpers.js";

/** Stands in for the MLflow service: records what notebooks log, or fails when told to. */
const logged: any[] = [];
let mlflowFails = false;
const fakeMlflow: EmulatorService = {
  name: "mlflow",
  init: () => ({}),
  routes: () => {},
  exports: () => ({
    logNotebookRun(input: any) {
      if (mlflowFails) throw new Error("experiment quota reached");
      logged.push(input);
      return { run_id: `mlflow-${logged.length}`, experiment_id: "1" };
    },
  }),
};

describe("notebook behaviour", () => {
  let ws: Workspace;
  // The stand-in takes the real MLflow service's place for this file only.
  const slot = SERVICES.findIndex((s) => s.name === "mlflow");
  const realMlflow = SERVICES[slot]!;
  beforeAll(async () => {
    SERVICES[slot] = fakeMlflow;
    ws = await startWorkspace();
  });
  afterAll(async () => {
    SERVICES[slot] = realMlflow;
    await ws.emu.close();
  });

  it("logs what a successful notebook declares to MLflow, with run parameters overriding params", async () => {
    const { db } = ws;
    const header = {
      durationMs: 90_000,
      mlflow: {
        experimentName: "/Shared/churn",
        params: { max_depth: "3", lr: "0.1" },
        metrics: { auc: 0.91 },
        model: { coefficients: { intercept: 0.1, weights: { tenure: -0.2 } } },
      },
    };
    await notebook(db, "/Shared/churn/train", `# brickml-emulator: ${JSON.stringify(header)}\nimport mlflow`);
    const { job_id } = await db.jobs.create({
      name: "train",
      parameters: [{ name: "lr", default: "0.05" }],
      tasks: [
        {
          task_key: "train",
          notebook_task: { notebook_path: "/Shared/churn/train", base_parameters: { max_depth: "6" } },
          new_cluster: CLUSTER,
        },
      ],
    });
    const run = await db.jobs.runNowAndWait({ job_id, notebook_params: { max_depth: "8" } });
    const taskRun = run.tasks![0]!;
    expect(logged).toHaveLength(1);
    const call = logged[0];
    expect(call).toMatchObject({
      experimentName: "/Shared/churn",
      notebookPath: "/Shared/churn/train",
      jobId: job_id,
      jobRunId: taskRun.run_id,
      params: { max_depth: "8", lr: "0.05" },
      metrics: { auc: 0.91 },
      parameters: { max_depth: "8", lr: "0.05" },
    });
    expect(call.model.coefficients.weights).toEqual({ tenure: -0.2 });
    expect(call.endTime - call.startTime).toBe(90_000);
    expect((await db.jobs.getRunOutput({ run_id: taskRun.run_id! })).notebook_output).toEqual({});
  });

  it("logs nothing for a failed notebook, and fails the notebook when MLflow logging fails", async () => {
    const { db, jobs } = ws;
    logged.length = 0;
    jobs.scriptNotebook("/Shared/churn/fails", { result: "FAILED", mlflow: { metrics: { auc: 0.5 } } });
    await rejection(
      db.jobs.submitAndWait({
        tasks: [
          { task_key: "t", notebook_task: { notebook_path: "/Shared/churn/fails" }, new_cluster: CLUSTER },
        ],
      }),
    );
    expect(logged).toHaveLength(0);

    mlflowFails = true;
    jobs.scriptNotebook("/Shared/churn/logs", { mlflow: { metrics: { auc: 0.5 } } });
    const err = await rejection(
      db.jobs.submitAndWait({
        tasks: [
          { task_key: "t", notebook_task: { notebook_path: "/Shared/churn/logs" }, new_cluster: CLUSTER },
        ],
      }),
    );
    mlflowFails = false;
    expect(err.info.failed_tasks[0].error).toBe("MlflowException: experiment quota reached");
  });

  it("runs a scripted path without an uploaded notebook, and fails clearly on a bad header", async () => {
    const { db, jobs } = ws;
    jobs.scriptNotebook("/Shared/scripted-only", { exitValue: "done", durationMs: 1000 });
    const ok = await db.jobs.submitAndWait({
      tasks: [
        { task_key: "t", notebook_task: { notebook_path: "/Shared/scripted-only" }, new_cluster: CLUSTER },
      ],
    });
    expect((await db.jobs.getRunOutput({ run_id: ok.tasks![0]!.run_id! })).notebook_output?.result).toBe(
      "done",
    );

    await notebook(db, "/Shared/bad-header", "# brickml-emulator: {durationMs: 5}\nprint(1)");
    const err = await rejection(
      db.jobs.submitAndWait({
        tasks: [
          { task_key: "t", notebook_task: { notebook_path: "/Shared/bad-header" }, new_cluster: CLUSTER },
        ],
      }),
    );
    expect(err.info.failed_tasks[0].error).toContain("Invalid brickml-emulator line in /Shared/bad-header");
    expect(() => jobs.scriptNotebook("/Shared/x", { result: "MAYBE" } as any)).toThrow(/result must be/);
  });

  it("reads the header of SQL notebooks and runs unscripted notebooks for a realistic time", async () => {
    const { db } = ws;
    await db.workspace.import({
      path: "/Shared/query",
      content: Buffer.from(
        '-- Databricks notebook source\n-- brickml-emulator: {"exitValue": "rows=3"}\nSELECT 1',
      ).toString("base64"),
      format: "SOURCE",
      language: "SQL",
    });
    const sql = await db.jobs.submitAndWait({
      tasks: [{ task_key: "q", notebook_task: { notebook_path: "/Shared/query" }, new_cluster: CLUSTER }],
    });
    expect((await db.jobs.getRunOutput({ run_id: sql.tasks![0]!.run_id! })).notebook_output?.result).toBe(
      "rows=3",
    );

    await notebook(db, "/Shared/plain");
    const plain = await db.jobs.submitAndWait({
      tasks: [{ task_key: "p", notebook_task: { notebook_path: "/Shared/plain" }, new_cluster: CLUSTER }],
    });
    const duration = plain.tasks![0]!.execution_duration!;
    expect(duration).toBeGreaterThanOrEqual(120_000);
    expect(duration).toBeLessThanOrEqual(240_000);
  });
});
