import { randomUUID } from "node:crypto";
import { OperationFailedError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, validate } from "../core/validation.js";
import type { Outcome, PollSchedule, Waiter, WaitOptions } from "../core/wait.js";
import {
  type CancelAllRunsRequest,
  CancelAllRunsRequestSchema,
  type CreateJobRequest,
  CreateJobRequestSchema,
  type CreateJobResponse,
  CreateJobResponseSchema,
  type ExportRunRequest,
  ExportRunRequestSchema,
  type ExportRunResponse,
  ExportRunResponseSchema,
  type GetJobRequest,
  GetJobRequestSchema,
  type GetJobRunRequest,
  GetJobRunRequestSchema,
  type Job,
  type JobIdRequest,
  JobIdRequestSchema,
  type JobRun,
  type JobRunIdRequest,
  JobRunIdRequestSchema,
  type JobRunOutput,
  JobRunOutputSchema,
  JobRunSchema,
  type JobRunTask,
  JobSchema,
  type ListJobRunsRequest,
  ListJobRunsRequestSchema,
  ListJobRunsResponseSchema,
  type ListJobsRequest,
  ListJobsRequestSchema,
  ListJobsResponseSchema,
  type RepairRunRequest,
  RepairRunRequestSchema,
  type RepairRunResponse,
  RepairRunResponseSchema,
  type ResetJobRequest,
  ResetJobRequestSchema,
  type RunNowRequest,
  RunNowRequestSchema,
  type RunNowResponse,
  RunNowResponseSchema,
  type SubmitRunRequest,
  SubmitRunRequestSchema,
  type SubmitRunResponse,
  SubmitRunResponseSchema,
  type UpdateJobRequest,
  UpdateJobRequestSchema,
} from "./jobs-schemas.js";
import { runStatus } from "./run-status.js";

export * from "./jobs-schemas.js";

const BASE = "/api/2.2/jobs";
/** Default limit of every run wait; pass `{ timeout }` to change it. */
const DEFAULT_WAIT_MS = 20 * 60_000;
/** Runs take seconds (queued, short tasks) to minutes: poll at once, after 3 s, then up to every 7.5 s. */
const RUN_SCHEDULE: PollSchedule = { minDelayMs: 3000, maxDelayMs: 7500, growth: 1.25, jitter: 0.1 };
/** Failed tasks whose output is fetched to explain a failed run. */
const MAX_FAILED_TASK_OUTPUTS = 20;
/** Safety net against a server that keeps sending page tokens. */
const MAX_NESTED_PAGES = 100;

// Tasks that never ran have no output to fetch.
const NOT_RUN = new Set(["UPSTREAM_FAILED", "UPSTREAM_CANCELED"]);
// Tasks left out on purpose are not failures.
const LEFT_OUT = new Set(["EXCLUDED", "DISABLED"]);

export type JobRunWaitOptions = WaitOptions<JobRun>;

/** A task of a failed run, with the error its notebook raised. */
export interface FailedTask {
  task_key?: string | undefined;
  run_id?: number | undefined;
  life_cycle_state?: string | undefined;
  result_state?: string | undefined;
  state_message?: string | undefined;
  run_page_url?: string | undefined;
  /** From `runs/get-output` of the task run. */
  error?: string | undefined;
  error_trace?: string | undefined;
}

/** `info` of the OperationFailedError a failed run rejects with. */
export interface JobRunFailureInfo {
  run_id: number;
  run_page_url?: string | undefined;
  life_cycle_state?: string | undefined;
  result_state?: string | undefined;
  state_message?: string | undefined;
  failed_tasks: FailedTask[];
  run: JobRun;
}

/**
 * Jobs API 2.2: jobs, their runs and one-time runs. `get` and `getRun` return every task even when the
 * server pages them. `submit` and `runNow` send an idempotency token, so a retried call starts one run.
 */
export class JobsAPI extends Service {
  async create(req: CreateJobRequest, options?: RequestOptions): Promise<CreateJobResponse> {
    const body = validate(CreateJobRequestSchema, req, "jobs.create request");
    const res = await this.request({ method: "POST", path: `${BASE}/create`, body }, options);
    return parseLenient(CreateJobResponseSchema, res);
  }

  /** The job with all its tasks, job clusters, environments and parameters (pages are followed). */
  async get(req: GetJobRequest, options?: RequestOptions): Promise<Job> {
    const query = validate(GetJobRequestSchema, req, "jobs.get request");
    const job = await this.allPages(
      `${BASE}/get`,
      query,
      options,
      (j) => (j.settings ?? {}) as Record<string, unknown>,
      ["tasks", "job_clusters", "environments", "parameters"],
    );
    return parseLenient(JobSchema, job);
  }

  list(req: ListJobsRequest = {}, options?: RequestOptions): Paginated<Job> {
    const query = validate(ListJobsRequestSchema, req, "jobs.list request");
    return tokenPaginated<Job>(async (pageToken) => {
      const res = await this.request(
        {
          method: "GET",
          path: `${BASE}/list`,
          query: { ...query, page_token: pageToken ?? query.page_token },
        },
        options,
      );
      return parseLenient(ListJobsResponseSchema, res);
    }, "jobs");
  }

  /** Changes some settings: top-level fields replace, `tasks`/`job_clusters` merge by key. */
  async update(req: UpdateJobRequest, options?: RequestOptions): Promise<void> {
    const body = validate(UpdateJobRequestSchema, req, "jobs.update request");
    await this.request({ method: "POST", path: `${BASE}/update`, body, idempotent: true }, options);
  }

  /** Replaces all settings of a job. */
  async reset(req: ResetJobRequest, options?: RequestOptions): Promise<void> {
    const body = validate(ResetJobRequestSchema, req, "jobs.reset request");
    await this.request({ method: "POST", path: `${BASE}/reset`, body, idempotent: true }, options);
  }

  async delete(req: JobIdRequest, options?: RequestOptions): Promise<void> {
    const body = validate(JobIdRequestSchema, req, "jobs.delete request");
    await this.request({ method: "POST", path: `${BASE}/delete`, body, idempotent: true }, options);
  }

  /** Starts a run of a job. The idempotency token (generated when not given) makes retries safe. */
  async runNow(req: RunNowRequest, options?: RequestOptions): Promise<RunNowResponse> {
    const body = validate(RunNowRequestSchema, req, "jobs.runNow request");
    const res = await this.request(
      {
        method: "POST",
        path: `${BASE}/run-now`,
        body: { ...body, idempotency_token: body.idempotency_token ?? randomUUID() },
        idempotent: true,
      },
      options,
    );
    return parseLenient(RunNowResponseSchema, res);
  }

  /** Starts a run of a job and waits until it succeeds (rejects with OperationFailedError otherwise). */
  async runNowAndWait(
    req: RunNowRequest,
    wait: JobRunWaitOptions = {},
    options?: RequestOptions,
  ): Promise<JobRun> {
    const call = this.call(options, wait);
    const { run_id } = await this.runNow(req, call);
    return this.waitUntilRunTerminated({ run_id }, wait, call);
  }

  /** Starts a one-time run. The idempotency token (generated when not given) makes retries safe. */
  async submit(req: SubmitRunRequest, options?: RequestOptions): Promise<SubmitRunResponse> {
    const body = validate(SubmitRunRequestSchema, req, "jobs.submit request");
    const res = await this.request(
      {
        method: "POST",
        path: `${BASE}/runs/submit`,
        body: { ...body, idempotency_token: body.idempotency_token ?? randomUUID() },
        idempotent: true,
      },
      options,
    );
    return parseLenient(SubmitRunResponseSchema, res);
  }

  /** Starts a one-time run and waits until it succeeds (rejects with OperationFailedError otherwise). */
  async submitAndWait(
    req: SubmitRunRequest,
    wait: JobRunWaitOptions = {},
    options?: RequestOptions,
  ): Promise<JobRun> {
    const call = this.call(options, wait);
    const { run_id } = await this.submit(req, call);
    return this.waitUntilRunTerminated({ run_id }, wait, call);
  }

  /** The run with all its tasks, job clusters, parameters and repair history (pages are followed). */
  async getRun(req: GetJobRunRequest, options?: RequestOptions): Promise<JobRun> {
    const query = validate(GetJobRunRequestSchema, req, "jobs.getRun request");
    const run = await this.allPages(`${BASE}/runs/get`, query, this.call(options), (r) => r, [
      "tasks",
      "job_clusters",
      "job_parameters",
      "repair_history",
      "iterations",
    ]);
    return parseLenient(JobRunSchema, run);
  }

  /**
   * Output of a TASK run: the notebook's exit value (`notebook_output.result`) or its error and trace.
   * For a multi-task run, call it with each `tasks[i].run_id`.
   */
  async getRunOutput(req: JobRunIdRequest, options?: RequestOptions): Promise<JobRunOutput> {
    const query = validate(JobRunIdRequestSchema, req, "jobs.getRunOutput request");
    const res = await this.request({ method: "GET", path: `${BASE}/runs/get-output`, query }, options);
    return parseLenient(JobRunOutputSchema, res);
  }

  /** Runs, newest first. */
  listRuns(req: ListJobRunsRequest = {}, options?: RequestOptions): Paginated<JobRun> {
    const query = validate(ListJobRunsRequestSchema, req, "jobs.listRuns request");
    return tokenPaginated<JobRun>(async (pageToken) => {
      const res = await this.request(
        {
          method: "GET",
          path: `${BASE}/runs/list`,
          query: { ...query, page_token: pageToken ?? query.page_token },
        },
        options,
      );
      return parseLenient(ListJobRunsResponseSchema, res);
    }, "runs");
  }

  /** Cancels a run or a task run, whatever its state; the run ends asynchronously. */
  async cancelRun(req: JobRunIdRequest, options?: RequestOptions): Promise<void> {
    const body = validate(JobRunIdRequestSchema, req, "jobs.cancelRun request");
    await this.request({ method: "POST", path: `${BASE}/runs/cancel`, body, idempotent: true }, options);
  }

  /** Cancels every active run of a job, or every queued run. */
  async cancelAllRuns(req: CancelAllRunsRequest, options?: RequestOptions): Promise<void> {
    const body = validate(CancelAllRunsRequestSchema, req, "jobs.cancelAllRuns request");
    await this.request({ method: "POST", path: `${BASE}/runs/cancel-all`, body, idempotent: true }, options);
  }

  /** Deletes a run that is no longer active. */
  async deleteRun(req: JobRunIdRequest, options?: RequestOptions): Promise<void> {
    const body = validate(JobRunIdRequestSchema, req, "jobs.deleteRun request");
    await this.request({ method: "POST", path: `${BASE}/runs/delete`, body, idempotent: true }, options);
  }

  /** Re-runs failed (or chosen) tasks of a finished run. */
  async repairRun(req: RepairRunRequest, options?: RequestOptions): Promise<RepairRunResponse> {
    const body = validate(RepairRunRequestSchema, req, "jobs.repairRun request");
    const res = await this.request({ method: "POST", path: `${BASE}/runs/repair`, body }, options);
    return parseLenient(RepairRunResponseSchema, res);
  }

  /** Repairs a run and waits until the repaired run succeeds (rejects with OperationFailedError otherwise). */
  async repairRunAndWait(
    req: RepairRunRequest,
    wait: JobRunWaitOptions = {},
    options?: RequestOptions,
  ): Promise<JobRun> {
    const call = this.call(options, wait);
    const { repair_id } = await this.repairRun(req, call);
    return this.wait(this.runWaiter(req.run_id, call, repair_id), wait, DEFAULT_WAIT_MS, call, RUN_SCHEDULE);
  }

  /** The HTML of a run's notebook views. */
  async exportRun(req: ExportRunRequest, options?: RequestOptions): Promise<ExportRunResponse> {
    const query = validate(ExportRunRequestSchema, req, "jobs.exportRun request");
    const res = await this.request({ method: "GET", path: `${BASE}/runs/export`, query }, options);
    return parseLenient(ExportRunResponseSchema, res);
  }

  /**
   * Waits until the run ends. Resolves only when it SUCCEEDED; any other end (FAILED, TIMEDOUT, CANCELED,
   * INTERNAL_ERROR, SKIPPED, …) rejects with OperationFailedError whose `info` is a JobRunFailureInfo with
   * the failed tasks and their error output.
   */
  waitUntilRunTerminated(
    req: JobRunIdRequest,
    wait: JobRunWaitOptions = {},
    options?: RequestOptions,
  ): Promise<JobRun> {
    const { run_id } = validate(JobRunIdRequestSchema, req, "jobs.waitUntilRunTerminated request");
    const call = this.call(options, wait);
    return this.wait(this.runWaiter(run_id, call), wait, DEFAULT_WAIT_MS, call, RUN_SCHEDULE);
  }

  private runWaiter(
    runId: number,
    options: RequestOptions | undefined,
    repairId?: number,
  ): Waiter<JobRun, JobRun> {
    return {
      what: `run ${runId} to finish`,
      poll: (signal) =>
        this.getRun(
          { run_id: runId, ...(repairId !== undefined ? { include_history: true } : {}) },
          { ...options, signal: signal ?? options?.signal },
        ),
      state: (run) => runStatus(run).lifeCycle ?? "UNKNOWN",
      outcome: (run): Outcome<JobRun> | Promise<Outcome<JobRun>> => {
        // Until the server shows the repair, the run's state is the one from before it.
        if (repairId !== undefined && !run.repair_history?.some((r) => r.id === repairId)) return undefined;
        const status = runStatus(run);
        if (!status.terminal) return undefined;
        if (status.succeeded) return { done: run };
        return this.failure(runId, run, options).then((failed) => ({ failed }));
      },
      message: (run) => runStatus(run).message,
      url: (run) => run.run_page_url ?? undefined,
    };
  }

  /** Builds the error of a failed run, with the error output of each failed task run. */
  private async failure(
    runId: number,
    run: JobRun,
    options: RequestOptions | undefined,
  ): Promise<OperationFailedError> {
    const tasks: JobRunTask[] = run.tasks?.length ? run.tasks : [run];
    const failed = tasks.filter((t) => {
      const status = runStatus(t);
      return status.terminal && !status.succeeded && !LEFT_OUT.has(String(status.result));
    });
    const failedTasks: FailedTask[] = await Promise.all(
      failed.map(async (t, i) => {
        const status = runStatus(t);
        const info: FailedTask = {
          task_key: t.task_key ?? undefined,
          run_id: t.run_id ?? undefined,
          life_cycle_state: status.lifeCycle,
          result_state: status.result,
          state_message: status.message,
          run_page_url: t.run_page_url ?? undefined,
        };
        if (t.run_id != null && i < MAX_FAILED_TASK_OUTPUTS && !NOT_RUN.has(String(info.result_state))) {
          // The output explains the failure; if it cannot be read, the run's own state still does.
          const output = await this.getRunOutput({ run_id: t.run_id }, options).catch(() => undefined);
          info.error = output?.error ?? undefined;
          info.error_trace = output?.error_trace ?? undefined;
        }
        return info;
      }),
    );
    const { lifeCycle, result, message: stateMessage } = runStatus(run);
    const info: JobRunFailureInfo = {
      run_id: runId,
      run_page_url: run.run_page_url ?? undefined,
      life_cycle_state: lifeCycle,
      result_state: result,
      state_message: stateMessage,
      failed_tasks: failedTasks,
      run,
    };
    const name = run.run_name ? ` (${run.run_name})` : "";
    // Task errors the run's own message already quotes are not repeated.
    const taskLines = failedTasks
      .map((t) => ({ t, text: firstLine(t.error ?? t.state_message ?? "") }))
      .filter(({ text }) => text && !stateMessage?.includes(text))
      .map(({ t, text }) => `task ${t.task_key ?? t.run_id}: ${text}`);
    const parts = [
      `Run ${runId}${name} ended ${lifeCycle ?? "UNKNOWN"} with result ${result ?? "UNKNOWN"}`,
      stateMessage ? `: ${sentence(stateMessage)}` : ".",
      taskLines.length ? ` Failed ${taskLines.join("; ")}.` : "",
      run.run_page_url ? ` See ${run.run_page_url}` : "",
    ];
    return new OperationFailedError(
      parts.join(""),
      result ?? lifeCycle,
      info as unknown as Record<string, unknown>,
    );
  }

  /** Reads a 2.2 object whose arrays are paged, concatenating the arrays of every page. */
  private async allPages<T extends Record<string, unknown>>(
    path: string,
    query: Record<string, unknown>,
    options: RequestOptions | undefined,
    arraysOf: (page: T) => Record<string, unknown>,
    keys: string[],
  ): Promise<T> {
    const first = await this.request<T>({ method: "GET", path, query }, options);
    const seen = new Set<string>();
    let token = first.next_page_token;
    for (let n = 0; typeof token === "string" && token && !seen.has(token) && n < MAX_NESTED_PAGES; n++) {
      seen.add(token);
      const page = await this.request<T>(
        { method: "GET", path, query: { ...query, page_token: token } },
        options,
      );
      const into = arraysOf(first);
      const from = arraysOf(page);
      for (const key of keys) {
        const more = from[key];
        if (Array.isArray(more)) into[key] = [...((into[key] as unknown[] | undefined) ?? []), ...more];
      }
      token = page.next_page_token;
    }
    delete first.next_page_token;
    if (first.has_more !== undefined) (first as Record<string, unknown>).has_more = false;
    return first;
  }
}

/** Ends the text with exactly one full stop. */
function sentence(text: string): string {
  return `${text.trim().replace(/\.+$/, "")}.`;
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim()) ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
