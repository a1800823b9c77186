import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Databricks, isNotFound, isOperationFailed, type JobRunFailureInfo } from "../../src/index.js";
import { realPayloads } from "../fixtures.js";
import { rejection } from "../helpers.js";
import { CLUSTER, notebook, startWorkspace, type Workspace } from "./compute-helpers.js";

const task = (key: string, path: string, extra: object = {}) => ({
  task_key: key,
  notebook_task: { notebook_path: path },
  new_cluster: CLUSTER,
  ...extra,
});

describe("jobs against the emulator", () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await startWorkspace();
  });
  afterAll(() => ws.emu.close());

  it("runs an uploaded notebook on a new cluster, reports progress and returns its exit value", async () => {
    const { db, emu } = ws;
    await notebook(
      db,
      "/Shared/demo/train",
      '# brickml-emulator: {"durationMs": 120000, "exitValue": "auc=0.91"}\nprint(1)',
    );
    const events: any[] = [];
    const run = await db.jobs.submitAndWait(
      { run_name: "train", tasks: [task("train", "/Shared/demo/train")] },
      { onProgress: (e) => events.push(e) },
    );
    expect(run.state).toMatchObject({ life_cycle_state: "TERMINATED", result_state: "SUCCESS" });
    expect(run.status).toMatchObject({ state: "TERMINATED", termination_details: { code: "SUCCESS" } });
    expect(events.map((e) => e.state)).toEqual(["PENDING", "RUNNING", "TERMINATING", "TERMINATED"]);
    expect(events[0].url).toBe(`${emu.url}/#job/${run.job_id}/run/${run.run_id}`);
    expect(run.run_page_url).toBe(events[0].url);

    const t = run.tasks![0]!;
    expect(t.execution_duration).toBe(120_000);
    expect(t.setup_duration).toBeGreaterThanOrEqual(3 * 60_000);
    expect(t.cluster_instance?.cluster_id).toBeTruthy();
    const output = await db.jobs.getRunOutput({ run_id: t.run_id! });
    expect(output.notebook_output).toEqual({ result: "auc=0.91", truncated: false });
    expect(output.metadata?.state?.result_state).toBe("SUCCESS");

    // Its job cluster was created for it and stopped after it.
    const cluster = await db.clusters.get({ cluster_id: t.cluster_instance!.cluster_id! });
    expect(cluster).toMatchObject({ cluster_source: "JOB", state: "TERMINATED" });
    expect(cluster.termination_reason?.code).toBe("JOB_FINISHED");
    // The finished run still names the Spark context it ran in, as the API keeps it.
    expect(cluster.spark_context_id).toBeUndefined();
    const again = await db.jobs.getRun({ run_id: run.run_id! });
    expect(again.tasks![0]!.cluster_instance?.spark_context_id).toMatch(/^\d+$/);
    expect(again.tasks![0]!.cluster_instance).toEqual(t.cluster_instance);
  });

  it("leaves notebook_output.result empty when the notebook exits without a value", async () => {
    const { db } = ws;
    await notebook(db, "/Shared/demo/plain");
    const run = await db.jobs.submitAndWait({ tasks: [task("plain", "/Shared/demo/plain")] });
    const output = await db.jobs.getRunOutput({ run_id: run.tasks![0]!.run_id! });
    expect(output.notebook_output).toEqual({});
    expect(output.error).toBeUndefined();
  });

  it("rejects a failed run with the task's error and trace, never as success", async () => {
    const { db, jobs } = ws;
    await notebook(db, "/Shared/demo/broken");
    jobs.scriptNotebook("/Shared/demo/broken", {
      result: "FAILED",
      error: "ZeroDivisionError: division by zero",
      errorTrace: "Traceback (most recent call last):\n  1/0\nZeroDivisionError: division by zero",
    });
    const err = await rejection(
      db.jobs.submitAndWait({ run_name: "broken", tasks: [task("fit", "/Shared/demo/broken")] }),
    );
    expect(isOperationFailed(err)).toBe(true);
    const info = err.info as JobRunFailureInfo;
    expect(info.result_state).toBe("FAILED");
    expect(info.state_message).toBe(
      "Task fit failed with message: Workload failed, see run output for details.",
    );
    expect(info.failed_tasks).toHaveLength(1);
    expect(info.failed_tasks[0]).toMatchObject({
      task_key: "fit",
      result_state: "FAILED",
      error: "ZeroDivisionError: division by zero",
    });
    expect(info.failed_tasks[0]!.error_trace).toContain("1/0");
    expect(err.message).toContain("ZeroDivisionError: division by zero");
    expect(err.message).toContain(info.run_page_url);
    const parent = await rejection(db.jobs.getRunOutput({ run_id: info.run_id }));
    expect(parent.errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect(parent.message).toBe(
      "Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.",
    );
  });

  it("fails a run on a notebook path that does not exist, naming the path", async () => {
    const err = await rejection(ws.db.jobs.submitAndWait({ tasks: [task("ghost", "/Shared/demo/nowhere")] }));
    expect(err.info.life_cycle_state).toBe("INTERNAL_ERROR");
    expect(err.message).toContain('Unable to access the notebook "/Shared/demo/nowhere"');
    expect(err.info.run.status.termination_details.code).toBe("RESOURCE_NOT_FOUND");
  });

  it("runs multi-task runs in dependency order and skips what a failure blocks", async () => {
    const { db, jobs } = ws;
    await notebook(db, "/Shared/dag/ok");
    await notebook(db, "/Shared/dag/fails");
    jobs.scriptNotebook("/Shared/dag/ok", { durationMs: 60_000 });
    jobs.scriptNotebook("/Shared/dag/fails", {
      durationMs: 30_000,
      result: "FAILED",
      error: "KeyError: 'label'",
    });
    const { run_id } = await db.jobs.submit({
      tasks: [
        {
          task_key: "extract",
          notebook_task: { notebook_path: "/Shared/dag/ok" },
          job_cluster_key: "shared",
        },
        {
          task_key: "features",
          depends_on: [{ task_key: "extract" }],
          notebook_task: { notebook_path: "/Shared/dag/fails" },
          job_cluster_key: "shared",
        },
        {
          task_key: "stats",
          depends_on: [{ task_key: "extract" }],
          notebook_task: { notebook_path: "/Shared/dag/ok" },
          job_cluster_key: "shared",
        },
        {
          task_key: "train",
          depends_on: [{ task_key: "features" }, { task_key: "stats" }],
          notebook_task: { notebook_path: "/Shared/dag/ok" },
          job_cluster_key: "shared",
        },
        {
          task_key: "report",
          depends_on: [{ task_key: "features" }],
          run_if: "ALL_DONE",
          notebook_task: { notebook_path: "/Shared/dag/ok" },
          job_cluster_key: "shared",
        },
      ],
      job_clusters: [{ job_cluster_key: "shared", new_cluster: CLUSTER }],
    } as any);
    const err = await rejection(db.jobs.waitUntilRunTerminated({ run_id }));
    const run = err.info.run;
    const byKey = Object.fromEntries(run.tasks.map((t: any) => [t.task_key, t]));
    expect(byKey.extract.state.result_state).toBe("SUCCESS");
    expect(byKey.features.state.result_state).toBe("FAILED");
    expect(byKey.stats.state.result_state).toBe("SUCCESS");
    expect(byKey.train.state).toMatchObject({ life_cycle_state: "SKIPPED", result_state: "UPSTREAM_FAILED" });
    expect(byKey.report.state.result_state).toBe("SUCCESS");
    // Dependents start only after what they depend on ended.
    expect(byKey.features.start_time).toBeGreaterThanOrEqual(byKey.extract.end_time);
    expect(byKey.report.start_time).toBeGreaterThanOrEqual(byKey.features.end_time);
    expect(run.state.state_message).toBe(
      "Task features failed with message: Workload failed, see run output for details. This caused all downstream tasks to get skipped.",
    );
    expect(err.info.failed_tasks.map((t: any) => t.task_key)).toEqual(["features", "train"]);
    // One shared job cluster served all tasks, and it stopped at the end.
    const clusterIds = new Set(run.tasks.map((t: any) => t.cluster_instance?.cluster_id).filter(Boolean));
    expect(clusterIds.size).toBe(1);
    expect((await db.clusters.get({ cluster_id: [...clusterIds][0] as string })).state).toBe("TERMINATED");
  });

  it("submits exactly one run when the answer to submit is lost and the call is retried", async () => {
    const { emu } = ws;
    await notebook(ws.db, "/Shared/demo/once");
    let retries = 0;
    const db = new Databricks({
      host: emu.url,
      token: emu.token,
      env: {},
      random: () => 0,
      onRequest: (e) => {
        if (e.retryInMs !== undefined) {
          retries++;
          emu.faults.clear();
        }
      },
    });
    emu.faults.set({ rate: 1, kinds: ["reset-after"], path: "/runs/submit" });
    const { run_id } = await db.jobs.submit({
      run_name: "exactly-once",
      tasks: [task("once", "/Shared/demo/once")],
    });
    expect(retries).toBe(1);
    const runs = await db.jobs.listRuns({ run_type: "SUBMIT_RUN" }).toArray({ limit: 1000 });
    expect(runs.filter((r) => r.run_name === "exactly-once").map((r) => r.run_id)).toEqual([run_id]);

    // Every attempt lost: the call fails, yet still only one run exists, and the token finds it.
    emu.faults.set({ rate: 1, kinds: ["reset-after"], path: "/runs/submit" });
    const req = {
      run_name: "all-lost",
      idempotency_token: "all-lost-token",
      tasks: [task("once", "/Shared/demo/once")],
    };
    const quiet = new Databricks({
      host: emu.url,
      token: emu.token,
      env: {},
      random: () => 0,
      maxRetries: 2,
    });
    await rejection(quiet.jobs.submit(req));
    emu.faults.clear();
    const again = await quiet.jobs.submit(req);
    const lost = await quiet.jobs.listRuns({ run_type: "SUBMIT_RUN" }).toArray({ limit: 1000 });
    expect(lost.filter((r) => r.run_name === "all-lost").map((r) => r.run_id)).toEqual([again.run_id]);
  });

  it("cancels a run while pending, and a task while running", async () => {
    const { db, emu } = ws;
    await notebook(db, "/Shared/demo/long", '# brickml-emulator: {"durationMs": 3600000}');
    const { run_id } = await db.jobs.submit({ tasks: [task("long", "/Shared/demo/long")] });
    await db.jobs.cancelRun({ run_id });
    const err = await rejection(db.jobs.waitUntilRunTerminated({ run_id }));
    expect(err.info.result_state).toBe("CANCELED");
    expect(err.info.run.state.user_cancelled_or_timedout).toBe(true);

    const second = await db.jobs.submit({
      tasks: [
        task("long", "/Shared/demo/long"),
        task("after", "/Shared/demo/long", { depends_on: [{ task_key: "long" }] }),
      ],
    });
    emu.clock.advance(10 * 60_000);
    const running = await db.jobs.getRun({ run_id: second.run_id });
    expect(running.state?.life_cycle_state).toBe("RUNNING");
    const first = running.tasks!.find((t) => t.task_key === "long")!;
    await db.jobs.cancelRun({ run_id: first.run_id! });
    const err2 = await rejection(db.jobs.waitUntilRunTerminated({ run_id: second.run_id }));
    const tasks = Object.fromEntries(err2.info.run.tasks.map((t: any) => [t.task_key, t.state.result_state]));
    expect(tasks).toEqual({ long: "CANCELED", after: "UPSTREAM_CANCELED" });
    expect(err2.info.result_state).toBe("CANCELED");
  });

  it("times out a task after timeout_seconds", async () => {
    const { db } = ws;
    await notebook(db, "/Shared/demo/slow", '# brickml-emulator: {"durationMs": 3600000}');
    const err = await rejection(
      db.jobs.submitAndWait({ tasks: [task("slow", "/Shared/demo/slow", { timeout_seconds: 600 })] }),
    );
    expect(err.info.result_state).toBe("TIMEDOUT");
    const t = err.info.run.tasks[0];
    expect(t.end_time - t.start_time).toBeLessThanOrEqual(600_000 + 60_000);

    // A run-level timeout stops every task, retries included.
    const whole = await rejection(
      db.jobs.submitAndWait({
        timeout_seconds: 900,
        tasks: [task("slow", "/Shared/demo/slow", { max_retries: 3, retry_on_timeout: true })],
      }),
    );
    expect(whole.info).toMatchObject({
      result_state: "TIMEDOUT",
      state_message: "Timed out after 900 seconds.",
    });
    expect(whole.info.run.tasks[0].attempt_number).toBe(0);
  });

  it("retries a failing task up to max_retries with new task run ids", async () => {
    const { db, jobs } = ws;
    await notebook(db, "/Shared/demo/flaky");
    jobs.scriptNotebook("/Shared/demo/flaky", {
      durationMs: 10_000,
      result: "FAILED",
      error: "Flaky",
      failTimes: 2,
    });
    const run = await db.jobs.submitAndWait({
      tasks: [task("flaky", "/Shared/demo/flaky", { max_retries: 2, min_retry_interval_millis: 60_000 })],
    });
    const t = run.tasks![0]!;
    expect(t.attempt_number).toBe(2);
    const firstAttempt = await db.jobs.getRunOutput({ run_id: t.run_id! - 2 });
    expect(firstAttempt.error).toBe("Flaky");
    expect(firstAttempt.metadata?.attempt_number).toBe(0);

    const exhausted = await rejection(
      db.jobs.submitAndWait({ tasks: [task("flaky", "/Shared/demo/flaky", { max_retries: 1 })] }),
    );
    expect(exhausted.info.run.tasks[0].attempt_number).toBe(1);
  });

  it("repairs the failed tasks of a run", async () => {
    const { db, jobs } = ws;
    await notebook(db, "/Shared/repair/a");
    await notebook(db, "/Shared/repair/b");
    jobs.scriptNotebook("/Shared/repair/b", { result: "FAILED", error: "boom" });
    const err = await rejection(
      db.jobs.submitAndWait({
        tasks: [
          task("a", "/Shared/repair/a"),
          task("b", "/Shared/repair/b", { depends_on: [{ task_key: "a" }] }),
        ],
      }),
    );
    jobs.scriptNotebook("/Shared/repair/b", { exitValue: "fixed" });
    const repaired = await db.jobs.repairRunAndWait({
      run_id: err.info.run_id,
      rerun_all_failed_tasks: true,
    });
    expect(repaired.state?.result_state).toBe("SUCCESS");
    expect(repaired.repair_history?.map((r) => r.type)).toEqual(["ORIGINAL", "REPAIR"]);
    const b = repaired.tasks!.find((t) => t.task_key === "b")!;
    expect((await db.jobs.getRunOutput({ run_id: b.run_id! })).notebook_output?.result).toBe("fixed");
    const again = await rejection(db.jobs.repairRun({ run_id: err.info.run_id, rerun_tasks: ["a"] }));
    expect(again.message).toContain("latest_repair_id");
  });

  it("creates, reads, updates, lists and runs jobs with parameters and a queue", async () => {
    const { db, emu } = ws;
    await notebook(db, "/Shared/jobs/etl", '# brickml-emulator: {"durationMs": 600000}');
    const { job_id } = await db.jobs.create({
      name: "nightly-etl",
      max_concurrent_runs: 1,
      parameters: [{ name: "env", default: "dev" }],
      tasks: [
        { task_key: "etl", notebook_task: { notebook_path: "/Shared/jobs/etl" }, new_cluster: CLUSTER },
      ],
    });
    const job = await db.jobs.get({ job_id });
    expect(job.settings).toMatchObject({ name: "nightly-etl", queue: { enabled: true } });
    await db.jobs.update({ job_id, new_settings: { tags: { team: "ml" } } });
    expect((await db.jobs.get({ job_id })).settings).toMatchObject({
      tags: { team: "ml" },
      name: "nightly-etl",
    });
    const listed = await db.jobs.list({ name: "NIGHTLY-ETL" }).toArray({ limit: 5 });
    expect(listed.map((j) => j.job_id)).toEqual([job_id]);

    const first = await db.jobs.runNow({ job_id, job_parameters: { env: "prod" } });
    const second = await db.jobs.runNow({ job_id });
    // number_in_job is the run id, as the API sets it.
    expect([first.number_in_job, second.number_in_job]).toEqual([first.run_id, second.run_id]);
    const queued = await db.jobs.getRun({ run_id: second.run_id });
    expect(queued.state?.life_cycle_state).toBe("QUEUED");
    expect(queued.status?.queue_details?.code).toBe("MAX_CONCURRENT_RUNS_REACHED");
    const done = await db.jobs.waitUntilRunTerminated({ run_id: second.run_id }, { timeout: 3_600_000 });
    const one = await db.jobs.getRun({ run_id: first.run_id });
    expect(done.tasks![0]!.start_time).toBeGreaterThanOrEqual(one.end_time!);
    expect(one.job_parameters).toEqual([{ name: "env", default: "dev", value: "prod" }]);
    const third = await db.jobs.runNowAndWait({ job_id, idempotency_token: "t1" }, { timeout: 3_600_000 });
    expect(third).toMatchObject({ number_in_job: third.run_id, state: { result_state: "SUCCESS" } });
    expect((await db.jobs.runNow({ job_id, idempotency_token: "t1" })).run_id).toBe(third.run_id);
    const runs = await db.jobs.listRuns({ job_id, completed_only: true }).toArray({ limit: 10 });
    expect(runs.length).toBe(3);

    await db.jobs.runNow({ job_id });
    await db.jobs.runNow({ job_id });
    emu.clock.advance(60_000);
    await db.jobs.cancelAllRuns({ job_id });
    const active = await db.jobs.listRuns({ job_id, active_only: true }).toArray({ limit: 10 });
    expect(
      active.every(
        (r) => r.state?.life_cycle_state === "TERMINATING" || r.state?.result_state === "CANCELED",
      ),
    ).toBe(true);

    await db.jobs.reset({ job_id, new_settings: { name: "renamed", tasks: [] } });
    expect((await db.jobs.get({ job_id })).settings?.name).toBe("renamed");
    await db.jobs.delete({ job_id });
    const gone = await rejection(db.jobs.get({ job_id }));
    expect(isNotFound(gone)).toBe(true);
    expect(gone.message).toBe(`Job ${job_id} does not exist.`);
  });

  it("runs on an existing cluster, starting it when stopped, and refuses a missing one", async () => {
    const { db } = ws;
    await notebook(db, "/Shared/demo/on-existing");
    const cluster = await db.clusters.createAndWait({ ...CLUSTER, cluster_name: "shared" });
    await db.clusters.deleteAndWait({ cluster_id: cluster.cluster_id! });
    const run = await db.jobs.submitAndWait({
      tasks: [
        {
          task_key: "t",
          notebook_task: { notebook_path: "/Shared/demo/on-existing" },
          existing_cluster_id: cluster.cluster_id!,
        },
      ],
    });
    expect(run.tasks![0]!.cluster_instance?.cluster_id).toBe(cluster.cluster_id);
    expect((await db.clusters.get({ cluster_id: cluster.cluster_id! })).state).toBe("RUNNING");
    const missing = await rejection(
      db.jobs.submit({
        tasks: [{ task_key: "t", notebook_task: { notebook_path: "/x" }, existing_cluster_id: "nope" }],
      }),
    );
    expect(missing.errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect(missing.message).toBe("Cluster nope does not exist");
  });

  it("hides the 2.2 paging of a job with more than 100 tasks", async () => {
    const { db } = ws;
    const tasks = Array.from({ length: 130 }, (_, i) => ({
      task_key: `t${i}`,
      notebook_task: { notebook_path: "/x" },
    }));
    const { job_id } = await db.jobs.create({ name: "wide", tasks });
    const raw = await db.request<any>({ method: "GET", path: "/api/2.2/jobs/get", query: { job_id } });
    expect(raw.settings.tasks).toHaveLength(100);
    expect(raw.has_more).toBe(true);
    const job = await db.jobs.get({ job_id });
    expect(job.settings?.tasks).toHaveLength(130);
    expect(job.settings?.tasks?.at(-1)?.task_key).toBe("t129");
  });

  it("exports a task run's notebook, deletes finished runs and answers missing runs with the real 400", async () => {
    const { db } = ws;
    await notebook(db, "/Shared/demo/exported", '# brickml-emulator: {"exitValue": "42"}\nprint(42)');
    const run = await db.jobs.submitAndWait({ tasks: [task("x", "/Shared/demo/exported")] });
    const views = await db.jobs.exportRun({ run_id: run.tasks![0]!.run_id! });
    expect(views.views?.[0]).toMatchObject({ name: "exported", type: "NOTEBOOK" });
    expect(views.views?.[0]?.content).toContain("print(42)");
    await db.jobs.deleteRun({ run_id: run.run_id! });
    const err = await rejection(db.jobs.getRun({ run_id: run.run_id! }));
    expect(isNotFound(err)).toBe(true);
    expect(err.statusCode).toBe(400);
    expect(err.message).toBe(`Run ${run.run_id} does not exist.`);
  });

  it("answers the 2.0 and 2.1 paths the older clients call", async () => {
    const { db } = ws;
    await notebook(db, "/Shared/demo/legacy", '# brickml-emulator: {"exitValue": "v2.0"}');
    const { run_id } = await db.request<{ run_id: number }>({
      method: "POST",
      path: "/api/2.0/jobs/runs/submit",
      body: {
        run_name: "legacy",
        new_cluster: CLUSTER,
        notebook_task: { notebook_path: "/Shared/demo/legacy" },
      },
    });
    await db.jobs.waitUntilRunTerminated({ run_id });
    const output = await db.request<any>({
      method: "GET",
      path: "/api/2.0/jobs/runs/get-output",
      query: { run_id },
    });
    expect(output.notebook_output.result).toBe("v2.0");
    const run = await db.request<any>({ method: "GET", path: "/api/2.1/jobs/runs/get", query: { run_id } });
    expect(run.state.result_state).toBe("SUCCESS");
  });

  it("takes the single-task form from brickml's own submit and create", async () => {
    const { db } = ws;
    await notebook(db, "/Shared/demo/single", '# brickml-emulator: {"exitValue": "one"}');
    const single = { new_cluster: CLUSTER, notebook_task: { notebook_path: "/Shared/demo/single" } };
    const run = await db.jobs.submitAndWait({ run_name: "single", ...single });
    expect(run.state?.result_state).toBe("SUCCESS");
    expect(run.tasks).toHaveLength(1);
    expect(run.tasks![0]!.notebook_task?.notebook_path).toBe("/Shared/demo/single");
    const { job_id } = await db.jobs.create({ name: "single", ...single });
    const job = await db.jobs.get({ job_id });
    expect(job.settings?.format).toBe("SINGLE_TASK");
    expect(job.settings?.tasks?.[0]).toMatchObject({
      notebook_task: { notebook_path: "/Shared/demo/single" },
    });
    const done = await db.jobs.runNowAndWait({ job_id });
    expect(done.state?.result_state).toBe("SUCCESS");
  });

  it("finishes a run through rate limits and server errors injected on every kind of call", async () => {
    const { db, emu } = ws;
    await notebook(db, "/Shared/demo/faulty", '# brickml-emulator: {"exitValue": "survived"}');
    const before = emu.faults.counts();
    emu.faults.set({ rate: 0.3, kinds: ["429", "500", "503"], seed: 7 });
    try {
      const run = await db.jobs.submitAndWait({ tasks: [task("f", "/Shared/demo/faulty")] });
      const output = await db.jobs.getRunOutput({ run_id: run.tasks![0]!.run_id! });
      expect(output.notebook_output?.result).toBe("survived");
    } finally {
      emu.faults.clear();
    }
    const after = emu.faults.counts();
    expect(after["429"] + after["500"] + after["503"]).toBeGreaterThan(
      before["429"] + before["500"] + before["503"],
    );
  });

  it("skips a run that finds its job busy when the job does not queue", async () => {
    const { db } = ws;
    await notebook(db, "/Shared/demo/busy", '# brickml-emulator: {"durationMs": 600000}');
    const { job_id } = await db.jobs.create({
      name: "no-queue",
      queue: { enabled: false },
      tasks: [{ task_key: "t", notebook_task: { notebook_path: "/Shared/demo/busy" }, new_cluster: CLUSTER }],
    });
    await db.jobs.runNow({ job_id });
    const err = await rejection(db.jobs.runNowAndWait({ job_id }));
    expect(err.info).toMatchObject({
      life_cycle_state: "SKIPPED",
      result_state: "MAXIMUM_CONCURRENT_RUNS_REACHED",
    });
    await db.jobs.cancelAllRuns({ job_id });
  });

  it("accepts every real request body", async () => {
    const { db, clusters } = ws;
    clusters.addCluster({ cluster_id: "0923-164208-meows279", ...CLUSTER });
    for (const p of realPayloads("jobs.").filter((p) => p.kind === "request")) {
      const [method, path] = p.api.split(" ");
      const res = await db.request<Record<string, number>>({
        method: method as "POST",
        path: path!,
        body: p.body,
      });
      if (p.file.startsWith("jobs.create")) {
        expect((await db.jobs.get({ job_id: res.job_id! })).settings?.tasks).toHaveLength(3);
      } else {
        expect((await db.jobs.getRun({ run_id: res.run_id! })).tasks).toHaveLength(3);
        const again = await db.request<{ run_id: number }>({ method: "POST", path: path!, body: p.body });
        expect(again.run_id).toBe(res.run_id);
      }
    }
  });
});
