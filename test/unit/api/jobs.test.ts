import { describe, expect, it } from "vitest";
import {
  CreateJobRequestSchema,
  isNotFound,
  isOperationFailed,
  isValidationError,
  JobRunOutputSchema,
  JobRunSchema,
  JobSchema,
  ListJobRunsResponseSchema,
  ListJobsResponseSchema,
  RunNowResponseSchema,
  SubmitRunRequestSchema,
  SubmitRunResponseSchema,
} from "../../../src/index.js";
import { realPayload, realPayloads } from "../../fixtures.js";
import { rejection } from "../../helpers.js";
import { api, client, unmatchedRequests, useNock } from "./compute-helpers.js";

useNock();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const task = {
  task_key: "train",
  notebook_task: { notebook_path: "/Shared/train", base_parameters: { alpha: "0.5" } },
  new_cluster: { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 },
};
const run = (life: string, result?: string, extra: object = {}) => ({
  run_id: 7,
  run_name: "nightly",
  run_page_url: "https://ws/#job/1/run/7",
  state: {
    life_cycle_state: life,
    ...(result ? { result_state: result } : {}),
    state_message: `${life} msg`,
  },
  ...extra,
});

describe("jobs requests", () => {
  it("submits with a generated idempotency token reused after a connection reset", async () => {
    const bodies: any[] = [];
    api()
      .post("/api/2.2/jobs/runs/submit", (b) => bodies.push(b) > 0)
      .replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))
      .post("/api/2.2/jobs/runs/submit", (b) => bodies.push(b) > 0)
      .reply(200, { run_id: 42 });
    const res = await client().jobs.submit({ run_name: "r", tasks: [task] });
    expect(res.run_id).toBe(42);
    expect(bodies).toHaveLength(2);
    expect(bodies[0].idempotency_token).toMatch(UUID);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[0].tasks[0]).toEqual(task);
  });

  it("sends the 2.0 single-task form (task fields at the top level, no tasks) as given", async () => {
    // Airflow's documented DatabricksSubmitRunOperator example body.
    const legacy = {
      run_name: "airflow",
      new_cluster: { spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 2 },
      notebook_task: { notebook_path: "/Users/airflow@example.com/PrepareData" },
    };
    const bodies: any[] = [];
    api()
      .post("/api/2.2/jobs/runs/submit", (b) => bodies.push(b) > 0)
      .reply(200, { run_id: 43 })
      .post("/api/2.2/jobs/create", (b) => bodies.push(b) > 0)
      .reply(200, { job_id: 8 });
    expect((await client().jobs.submit(legacy)).run_id).toBe(43);
    expect(bodies[0]).toEqual({ ...legacy, idempotency_token: expect.stringMatching(UUID) });
    const { run_name: _, ...job } = legacy;
    expect((await client().jobs.create({ name: "legacy", ...job, max_retries: 1 })).job_id).toBe(8);
    expect(bodies[1]).toEqual({ name: "legacy", ...job, max_retries: 1 });
  });

  it("runs a job now with the caller's token and parameters", async () => {
    api()
      .post("/api/2.2/jobs/run-now", {
        job_id: 5,
        idempotency_token: "tok",
        job_parameters: { env: "dev" },
        only: ["train"],
      })
      .reply(200, { run_id: 9, number_in_job: 9 });
    const res = await client().jobs.runNow({
      job_id: 5,
      idempotency_token: "tok",
      job_parameters: { env: "dev" },
      only: ["train"],
    });
    expect(res).toEqual({ run_id: 9, number_in_job: 9 });
  });

  it("rejects bad jobs before sending anything", async () => {
    const db = client();
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => db.jobs.submit({ tasks: [task, task] }), "duplicate task_key"],
      [
        () => db.jobs.submit({ tasks: [{ ...task, depends_on: [{ task_key: "nope" }] }] }),
        "tasks.0.depends_on.0.task_key",
      ],
      [() => db.jobs.create({ tasks: [{ task_key: "a", job_cluster_key: "big" }] }), "job_cluster_key"],
      [() => db.jobs.submit({ tasks: [{ ...task, existing_cluster_id: "c" }] }), "give only one of"],
      [() => db.jobs.submit({ tasks: [{ ...task, task_key: "bad key!" }] }), "tasks.0.task_key"],
      [() => db.jobs.submit({ tasks: [] }), "at least one task"],
      [
        () => db.jobs.submit({ run_name: "r" }),
        "tasks: is required: give tasks, or one task at the top level",
      ],
      [
        () => db.jobs.submit({ new_cluster: task.new_cluster, notebook_task: undefined }),
        "one task at the top level (one of notebook_task",
      ],
      [
        () => db.jobs.submit({ tasks: [task], notebook_task: task.notebook_task }),
        "notebook_task: give the task inside tasks, or the single-task form",
      ],
      [
        () =>
          db.jobs.submit({
            notebook_task: task.notebook_task,
            new_cluster: task.new_cluster,
            existing_cluster_id: "c",
          }),
        "give only one of",
      ],
      [
        () =>
          db.jobs.submit({
            notebook_task: task.notebook_task,
            spark_python_task: { python_file: "a.py" },
            existing_cluster_id: "c",
          }),
        "takes one task type",
      ],
      [
        () => db.jobs.submit({ notebook_task: { notebook_path: "" }, existing_cluster_id: "c" }),
        "notebook_task.notebook_path",
      ],
      [() => db.jobs.create({ name: "j", existing_cluster_id: "c" }), "tasks: is required"],
      [() => db.jobs.submit({ tasks: [task], idempotency_token: "x".repeat(65) }), "idempotency_token"],
      [() => db.jobs.runNow({ job_id: -1 }), "job_id"],
      [
        () =>
          db.jobs.create({ tags: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`t${i}`, "v"])) }),
        "tags",
      ],
      [() => db.jobs.listRuns({ active_only: true, completed_only: true }).firstPage(), "completed_only"],
      [() => db.jobs.list({ limit: 101 }).firstPage(), "limit"],
      [() => db.jobs.repairRun({ run_id: 1 }), "rerun_tasks"],
      [() => db.jobs.cancelAllRuns({}), "job_id"],
      [
        () => db.jobs.submit({ tasks: [{ ...task, new_cluster: { spark_version: "" } }] }),
        "new_cluster.spark_version",
      ],
    ];
    for (const [call, text] of cases) {
      const err = await rejection((async () => call())());
      expect(isValidationError(err), text).toBe(true);
      expect(err.message).toContain(text);
    }
    expect(unmatchedRequests()).toBe(0);
  });

  it("sends each job and run call to its 2.2 path", async () => {
    const db = client();
    api()
      .post("/api/2.2/jobs/create", { name: "j", tasks: [task] })
      .reply(200, { job_id: 3 })
      .post("/api/2.2/jobs/update", { job_id: 3, new_settings: { name: "k" }, fields_to_remove: ["tags"] })
      .reply(200, {})
      .post("/api/2.2/jobs/reset", { job_id: 3, new_settings: { name: "k", tasks: [task] } })
      .reply(200, {})
      .post("/api/2.2/jobs/delete", { job_id: 3 })
      .reply(200, {})
      .post("/api/2.2/jobs/runs/cancel", { run_id: 4 })
      .reply(200, {})
      .post("/api/2.2/jobs/runs/cancel-all", { job_id: 3 })
      .reply(200, {})
      .post("/api/2.2/jobs/runs/delete", { run_id: 4 })
      .reply(200, {})
      .post("/api/2.2/jobs/runs/repair", { run_id: 4, rerun_all_failed_tasks: true })
      .reply(200, { repair_id: 11 })
      .get("/api/2.2/jobs/runs/export")
      .query({ run_id: "4", views_to_export: "CODE" })
      .reply(200, { views: [{ content: "<html/>", name: "train", type: "NOTEBOOK" }] })
      .get("/api/2.2/jobs/runs/get-output")
      .query({ run_id: "5" })
      .reply(200, realPayload("jobs.runs-get-output.response.1.json").body);
    expect(await db.jobs.create({ name: "j", tasks: [task] })).toEqual({ job_id: 3 });
    await db.jobs.update({ job_id: 3, new_settings: { name: "k" }, fields_to_remove: ["tags"] });
    await db.jobs.reset({ job_id: 3, new_settings: { name: "k", tasks: [task] } });
    await db.jobs.delete({ job_id: 3 });
    await db.jobs.cancelRun({ run_id: 4 });
    await db.jobs.cancelAllRuns({ job_id: 3 });
    await db.jobs.deleteRun({ run_id: 4 });
    expect(await db.jobs.repairRun({ run_id: 4, rerun_all_failed_tasks: true })).toEqual({ repair_id: 11 });
    expect((await db.jobs.exportRun({ run_id: 4, views_to_export: "CODE" })).views?.[0]?.type).toBe(
      "NOTEBOOK",
    );
    expect((await db.jobs.getRunOutput({ run_id: 5 })).notebook_output?.result).toContain(
      "dbutils.notebook.exit",
    );
  });

  it("get and getRun hide the 2.2 paging of tasks", async () => {
    const tasks = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ task_key: `t${from + i}` }));
    api()
      .get("/api/2.2/jobs/get")
      .query({ job_id: "3" })
      .reply(200, {
        job_id: 3,
        settings: { name: "big", tasks: tasks(0, 100) },
        has_more: true,
        next_page_token: "n1",
      })
      .get("/api/2.2/jobs/get")
      .query({ job_id: "3", page_token: "n1" })
      .reply(200, {
        job_id: 3,
        settings: { name: "big", tasks: tasks(100, 20), job_clusters: [{ job_cluster_key: "k" }] },
      });
    const job = await client().jobs.get({ job_id: 3 });
    expect(job.settings?.tasks?.map((t) => t.task_key)).toEqual(tasks(0, 120).map((t) => t.task_key));
    expect(job.settings?.job_clusters).toHaveLength(1);
    expect(job.next_page_token).toBeUndefined();

    const first = realPayload("jobs.runs-get.response.9.json").body;
    api()
      .get("/api/2.2/jobs/runs/get")
      .query({ run_id: "1" })
      .reply(200, first)
      .get("/api/2.2/jobs/runs/get")
      .query({ run_id: "1", page_token: "tokenToSecondPage" })
      .reply(200, { tasks: [{ run_id: 1338 }], iterations: [{ run_id: 2 }] });
    const merged = await client().jobs.getRun({ run_id: 1 });
    expect(merged.tasks?.map((t) => t.run_id)).toEqual([1337, 1338]);
    expect(merged.iterations?.map((t) => t.run_id)).toEqual([0, 1, 2]);
  });

  it("lists jobs and runs across pages", async () => {
    const page1 = realPayload("jobs.list.response.1.json").body;
    api()
      .get("/api/2.2/jobs/list")
      .query({ name: "x" })
      .reply(200, page1)
      .get("/api/2.2/jobs/list")
      .query({ name: "x", page_token: "second" })
      .reply(200, { jobs: [{ job_id: 3 }], has_more: false });
    const jobs = await client().jobs.list({ name: "x" }).toArray({ limit: 10 });
    expect(jobs.map((j) => j.job_id)).toEqual([1, 2, 3]);

    const runs1 = realPayload("jobs.runs-list.response.1.json").body;
    api()
      .get("/api/2.2/jobs/runs/list")
      .query({ job_id: "11223344", active_only: "true" })
      .reply(200, runs1)
      .get("/api/2.2/jobs/runs/list")
      .query({ job_id: "11223344", active_only: "true", page_token: "second" })
      .reply(200, { runs: [{ run_id: 3 }] });
    const runs = await client().jobs.listRuns({ job_id: 11223344, active_only: true }).toArray({ limit: 10 });
    expect(runs.map((r) => r.run_id)).toEqual([1, 2, 3]);
  });

  it("maps a missing run to NotFound", async () => {
    api()
      .get("/api/2.2/jobs/runs/get")
      .query(true)
      .reply(400, { error_code: "INVALID_PARAMETER_VALUE", message: "Run 99 does not exist." });
    expect(isNotFound(await rejection(client().jobs.getRun({ run_id: 99 })))).toBe(true);
  });
});

describe("run waits", () => {
  it("submitAndWait reports life-cycle changes with the run page and resolves on SUCCESS", async () => {
    api().post("/api/2.2/jobs/runs/submit").reply(200, { run_id: 7 });
    api()
      .get("/api/2.2/jobs/runs/get")
      .query({ run_id: "7" })
      .reply(200, run("PENDING"))
      .get("/api/2.2/jobs/runs/get")
      .query({ run_id: "7" })
      .reply(200, run("RUNNING"))
      .get("/api/2.2/jobs/runs/get")
      .query({ run_id: "7" })
      .reply(200, run("TERMINATED", "SUCCESS"));
    const events: any[] = [];
    const done = await client().jobs.submitAndWait({ tasks: [task] }, { onProgress: (e) => events.push(e) });
    expect(done.state?.result_state).toBe("SUCCESS");
    expect(events.map((e) => e.state)).toEqual(["PENDING", "RUNNING", "TERMINATED"]);
    expect(events[1].url).toBe("https://ws/#job/1/run/7");
    expect(events[1].message).toBe("RUNNING msg");
  });

  it("rejects a failed run with the failed tasks and their error output", async () => {
    const failedRun = run("TERMINATED", "FAILED", {
      tasks: [
        { run_id: 71, task_key: "prep", state: { life_cycle_state: "TERMINATED", result_state: "SUCCESS" } },
        {
          run_id: 72,
          task_key: "train",
          run_page_url: "https://ws/#job/1/run/72",
          state: { life_cycle_state: "TERMINATED", result_state: "FAILED", state_message: "Workload failed" },
        },
        {
          run_id: 73,
          task_key: "score",
          state: { life_cycle_state: "SKIPPED", result_state: "UPSTREAM_FAILED" },
        },
      ],
    });
    api().get("/api/2.2/jobs/runs/get").query({ run_id: "7" }).reply(200, failedRun);
    api().get("/api/2.2/jobs/runs/get-output").query({ run_id: "72" }).reply(200, {
      error: "ZeroDivisionError: division by zero",
      error_trace: "Traceback…\nZeroDivisionError",
    });
    const err = await rejection(client().jobs.waitUntilRunTerminated({ run_id: 7 }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.state).toBe("FAILED");
    expect(err.message).toContain("TERMINATED msg");
    expect(err.message).toContain("task train: ZeroDivisionError: division by zero");
    expect(err.message).toContain("https://ws/#job/1/run/7");
    expect(err.info).toMatchObject({
      run_id: 7,
      run_page_url: "https://ws/#job/1/run/7",
      result_state: "FAILED",
    });
    expect(err.info.failed_tasks).toEqual([
      {
        task_key: "train",
        run_id: 72,
        life_cycle_state: "TERMINATED",
        result_state: "FAILED",
        state_message: "Workload failed",
        run_page_url: "https://ws/#job/1/run/72",
        error: "ZeroDivisionError: division by zero",
        error_trace: "Traceback…\nZeroDivisionError",
      },
      { task_key: "score", run_id: 73, life_cycle_state: "SKIPPED", result_state: "UPSTREAM_FAILED" },
    ]);
  });

  it("rejects every terminal state other than success", async () => {
    const ends: Array<[string, string | undefined]> = [
      ["TERMINATED", "TIMEDOUT"],
      ["TERMINATED", "CANCELED"],
      ["INTERNAL_ERROR", "FAILED"],
      ["SKIPPED", undefined],
      ["TERMINATED", "SUCCESS_WITH_FAILURES"],
    ];
    for (const [life, result] of ends) {
      api().get("/api/2.2/jobs/runs/get").query(true).reply(200, run(life, result));
      api().get("/api/2.2/jobs/runs/get-output").query(true).reply(200, {});
      const err = await rejection(client().jobs.waitUntilRunTerminated({ run_id: 7 }));
      expect(isOperationFailed(err), `${life}/${result}`).toBe(true);
      expect(err.info.life_cycle_state).toBe(life);
    }
  });

  it("accepts the newer status object when the legacy result is absent", async () => {
    api()
      .get("/api/2.2/jobs/runs/get")
      .query(true)
      .reply(200, { run_id: 7, status: { state: "TERMINATED", termination_details: { code: "SUCCESS" } } });
    expect((await client().jobs.waitUntilRunTerminated({ run_id: 7 })).run_id).toBe(7);
  });

  it("repairRunAndWait ignores the run's old end until the repair shows", async () => {
    api().post("/api/2.2/jobs/runs/repair").reply(200, { repair_id: 500 });
    api()
      .get("/api/2.2/jobs/runs/get")
      .query({ run_id: "7", include_history: "true" })
      .reply(200, run("TERMINATED", "FAILED", { repair_history: [{ type: "ORIGINAL", id: 1 }] }))
      .get("/api/2.2/jobs/runs/get")
      .query({ run_id: "7", include_history: "true" })
      .reply(
        200,
        run("RUNNING", undefined, {
          repair_history: [
            { type: "ORIGINAL", id: 1 },
            { type: "REPAIR", id: 500 },
          ],
        }),
      )
      .get("/api/2.2/jobs/runs/get")
      .query({ run_id: "7", include_history: "true" })
      .reply(200, run("TERMINATED", "SUCCESS", { repair_history: [{ id: 1 }, { id: 500 }] }));
    const done = await client().jobs.repairRunAndWait({ run_id: 7, rerun_all_failed_tasks: true });
    expect(done.state?.result_state).toBe("SUCCESS");
  });
});

describe("job fixtures", () => {
  it("accepts every real request body", () => {
    const requests = realPayloads("jobs.").filter((p) => p.kind === "request");
    expect(requests.length).toBeGreaterThan(0);
    for (const p of requests) {
      const schema = p.file.startsWith("jobs.runs-submit") ? SubmitRunRequestSchema : CreateJobRequestSchema;
      const parsed = schema.safeParse(p.body);
      expect(parsed.success, `${p.file}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });

  it("parses every real response body without losing a field", () => {
    const schemas: Record<string, any> = {
      "jobs.get": JobSchema,
      "jobs.list": ListJobsResponseSchema,
      "jobs.run-now": RunNowResponseSchema,
      "jobs.runs-get-output": JobRunOutputSchema,
      "jobs.runs-get": JobRunSchema,
      "jobs.runs-list": ListJobRunsResponseSchema,
      "jobs.runs-submit": SubmitRunResponseSchema,
    };
    for (const p of realPayloads("jobs.").filter((p) => p.kind === "response")) {
      const schema = schemas[p.file.split(".").slice(0, 2).join(".")];
      const parsed = schema.safeParse(p.body);
      expect(parsed.success, `${p.file}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      expect(parsed.data, p.file).toEqual(p.body);
    }
  });
});
