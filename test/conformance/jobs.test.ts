import { Time, TimeUnits, WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";

/**
 * The official Databricks JavaScript SDK against the emulator: its waiters, pagination and error
 * handling must work unchanged. The emulator clock is manual and each waiter's progress callback
 * moves it on by ten minutes, so every wait sees the same states whatever the machine's speed.
 */
describe("official SDK against the jobs service", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  const cluster = { spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
  const timeout = new Time(2, TimeUnits.minutes);
  const tenMinutes = () => emu.clock.advance(10 * 60_000);

  beforeAll(async () => {
    emu = await startEmulator({ manualClock: true });
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
      onProgress: async (r) => {
        states.push(String(r.state?.life_cycle_state));
        tenMinutes();
      },
    });
    expect(run.state?.result_state).toBe("SUCCESS");
    expect(states).toEqual(["PENDING", "TERMINATED"]);
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
    const run = await waiter.wait({ timeout, onProgress: async () => tenMinutes() });
    expect(run.state?.result_state).toBe("FAILED");
    const output = await w.jobs.getRunOutput({ run_id: run.tasks![0]!.run_id! });
    expect(output.error).toBe("ValueError: nope");
  });
});
