import { Time, TimeUnits, WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";

/**
 * The official Databricks JavaScript SDK against the emulator at its default options: its own
 * waiters poll in real time, its iterators page, its errors parse.
 */
describe("official SDK against the jobs service", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  const cluster = { spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
  const timeout = new Time(1, TimeUnits.minutes);

  beforeAll(async () => {
    emu = await startEmulator();
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
  });
  afterAll(() => emu.close());

  it("submits a notebook run, waits with its waiter and reads the task's output", async () => {
    const path = "/Shared/sdk/notebook";
    await w.workspace.mkdirs({ path: "/Shared/sdk" });
    await w.workspace.import({
      path,
      format: "SOURCE",
      language: "PYTHON",
      content: Buffer.from(
        '# Databricks notebook source\n# brickml-emulator: {"durationMs": 30000, "exitValue": "ok"}',
      ).toString("base64"),
    });
    const waiter = await w.jobs.submit({
      run_name: "sdk-run",
      tasks: [
        {
          task_key: "main",
          notebook_task: { notebook_path: path, source: "WORKSPACE" },
          new_cluster: cluster,
        },
      ],
    });
    const states: string[] = [];
    const run = await waiter.wait({
      timeout,
      onProgress: async (r) => void states.push(String(r.state?.life_cycle_state)),
    });
    expect(run.state?.result_state).toBe("SUCCESS");
    expect(states.at(-1)).toBe("TERMINATED");
    expect(run.number_in_job).toBe(run.run_id);
    const output = await w.jobs.getRunOutput({ run_id: run.tasks![0]!.run_id! });
    expect(output.notebook_output?.result).toBe("ok");
    expect((output.metadata as { task_key?: string }).task_key).toBe("main");
  });

  it("returns a failed run from its waiter (the SDK does not judge results) with the error in the output", async () => {
    emu.context.service<JobsEmulatorExports>("jobs")!.scriptNotebook("/Shared/sdk/fails", {
      durationMs: 10_000,
      result: "FAILED",
      error: "ValueError: nope",
    });
    const waiter = await w.jobs.submit({
      tasks: [
        { task_key: "bad", notebook_task: { notebook_path: "/Shared/sdk/fails" }, new_cluster: cluster },
      ],
    });
    const run = await waiter.wait({ timeout });
    expect(run.state?.result_state).toBe("FAILED");
    const output = await w.jobs.getRunOutput({ run_id: run.tasks![0]!.run_id! });
    expect(output.error).toBe("ValueError: nope");
  });

  it("creates a job, runs it, repairs a failed run, cancels one, all with waiters; pages the lists", async () => {
    const jobs = emu.context.service<JobsEmulatorExports>("jobs")!;
    jobs.scriptNotebook("/Shared/sdk/ok", { durationMs: 20_000 });
    jobs.scriptNotebook("/Shared/sdk/long", { durationMs: 3_600_000 });
    const { job_id } = await w.jobs.create({
      name: "sdk-job",
      tasks: [{ task_key: "ok", notebook_task: { notebook_path: "/Shared/sdk/ok" }, new_cluster: cluster }],
    });
    const done = await (await w.jobs.runNow({ job_id: job_id! })).wait({ timeout });
    expect(done.state?.result_state).toBe("SUCCESS");
    expect(done.number_in_job).toBe(done.run_id);

    jobs.scriptNotebook("/Shared/sdk/flaky", { durationMs: 10_000, result: "FAILED", error: "boom" });
    const flaky = await w.jobs.create({
      name: "sdk-flaky",
      tasks: [{ task_key: "f", notebook_task: { notebook_path: "/Shared/sdk/flaky" }, new_cluster: cluster }],
    });
    const failed = await (await w.jobs.runNow({ job_id: flaky.job_id! })).wait({ timeout });
    expect(failed.state?.result_state).toBe("FAILED");
    jobs.scriptNotebook("/Shared/sdk/flaky", { durationMs: 10_000 });
    const repaired = await (
      await w.jobs.repairRun({ run_id: failed.run_id!, rerun_all_failed_tasks: true })
    ).wait({ timeout });
    expect(repaired.state?.result_state).toBe("SUCCESS");

    const long = await w.jobs.submit({
      tasks: [{ task_key: "l", notebook_task: { notebook_path: "/Shared/sdk/long" }, new_cluster: cluster }],
    });
    const cancelled = await (await w.jobs.cancelRun({ run_id: long.run_id! })).wait({ timeout });
    expect(cancelled.state?.result_state).toBe("CANCELED");

    const listed: number[] = [];
    for await (const j of w.jobs.list({ limit: 1 })) listed.push(j.job_id!);
    expect(listed).toEqual(expect.arrayContaining([job_id, flaky.job_id]));
    const runs: number[] = [];
    for await (const r of w.jobs.listRuns({ limit: 1 })) runs.push(r.run_id!);
    expect(runs).toEqual(expect.arrayContaining([done.run_id, failed.run_id, long.run_id]));
    expect(new Set(runs).size).toBe(runs.length);
  });
});
