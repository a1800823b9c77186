import { recordOwner, requirePermission } from "../access/object-acls.js";
import { checkTasks, checkToken, clean, mergeByKey, withTasks } from "../compute/job-settings.js";
import { escapeHtml, toHtml } from "../compute/notebook-formats.js";
import { flag, idParam, offsetOf, offsetToken, one, page } from "../compute/params.js";
import { addRun, advanceRuns, cancelTask, repair, scriptNotebook, stopRun } from "../compute/run-engine.js";
import {
  current,
  isFinal,
  type JobRecord,
  type JobsState,
  type RunRecord,
  type TaskRecord,
} from "../compute/run-model.js";
import { jobView, runView, taskRunView } from "../compute/run-views.js";
import { invalidParameter, invalidState, requireFields } from "../errors.js";
import { EMULATOR_USER } from "../ids.js";
import type { NotebookBehaviour } from "../notebooks.js";
import type { EmuRequest, EmuResponse, Router } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import type { WorkspaceEmulatorExports } from "./workspace.js";

/** What tests, examples and other emulator services may ask of the Jobs service. */
export interface JobsEmulatorExports {
  /** Scripts what the notebook at `path` does when a run executes it (undefined removes the script). */
  scriptNotebook(path: string, behaviour: NotebookBehaviour | undefined): void;
}

/** Read endpoints of 2.2 page array fields at this many elements. */
const ARRAY_PAGE = 100;
/** One-time runs have no concurrency limit of their own. */
const UNLIMITED = 1_000_000;
/** Settings a run shows as given. */
const RUN_EXTRA_FIELDS = ["git_source", "tags", "email_notifications", "webhook_notifications", "schedule"];

function jobs(ctx: EmulatorContext): JobsState {
  return ctx.state<JobsState>("jobs");
}

function version(req: EmuRequest): string {
  return /^\/api\/(\d\.\d)\//.exec(req.path)?.[1] ?? "2.2";
}

// The real service answers a missing job or run with 400, not 404.
function findJob(ctx: EmulatorContext, id: number): JobRecord {
  const job = jobs(ctx).jobs[id];
  if (!job || job.ephemeral) throw invalidParameter(`Job ${id} does not exist.`);
  return job;
}

interface Located {
  run: RunRecord;
  /** Set when the id is a task run's. */
  task?: TaskRecord;
  attempt?: TaskRecord["attempts"][number];
}

function findRun(ctx: EmulatorContext, id: number): Located {
  const state = jobs(ctx);
  const parentId = state.runs[id] ? id : state.task_runs[id];
  const run = parentId !== undefined ? state.runs[parentId] : undefined;
  if (!run || run.deleted) throw invalidParameter(`Run ${id} does not exist.`);
  if (parentId === id) return { run };
  for (const task of run.tasks) {
    const attempt = task.attempts.find((a) => a.run_id === id);
    if (attempt) return { run, task, attempt };
  }
  throw invalidParameter(`Run ${id} does not exist.`);
}

/** The run an idempotency token already started, if any (a deleted one is an error). */
function existingRun(ctx: EmulatorContext, key: string | undefined): RunRecord | undefined {
  if (!key) return undefined;
  const id = jobs(ctx).tokens[key];
  const run = id !== undefined ? jobs(ctx).runs[id] : undefined;
  if (!run) return undefined;
  if (run.deleted) throw invalidParameter(`The run ${id} started with this idempotency token was deleted.`);
  return run;
}

interface NewRun {
  job: JobRecord;
  settings: Record<string, any>;
  runType: "JOB_RUN" | "SUBMIT_RUN";
  runName: string;
  only?: string[];
  jobParameters?: Record<string, string>;
  notebookParams?: Record<string, string>;
  overriding?: Record<string, unknown>;
  queueEnabled: boolean;
  maxConcurrent: number;
  token?: string;
}

function startRun(ctx: EmulatorContext, spec: NewRun): RunRecord {
  const now = ctx.clock.now();
  const runId = ctx.nextId();
  const only = spec.only ? new Set(spec.only) : undefined;
  const tasks: TaskRecord[] = (spec.settings.tasks ?? []).map((t: Record<string, any>) => ({
    task_key: t.task_key,
    spec: t,
    depends_on: (t.depends_on ?? [])
      .map((d: { task_key: string }) => d.task_key)
      .filter((k: string) => !only || only.has(k)),
    ...(t.disabled
      ? { left_out: "DISABLED" }
      : only && !only.has(t.task_key)
        ? { left_out: "EXCLUDED" }
        : {}),
    attempts: [],
  }));
  const definitions: Array<{ name: string; default: string }> = spec.settings.parameters ?? [];
  const given = spec.jobParameters ?? {};
  const jobParameters = [
    ...definitions.map((p) => ({ ...p, ...(given[p.name] !== undefined ? { value: given[p.name] } : {}) })),
    ...Object.entries(given)
      .filter(([name]) => !definitions.some((p) => p.name === name))
      .map(([name, value]) => ({ name, default: "", value })),
  ];
  const extra = Object.fromEntries(
    RUN_EXTRA_FIELDS.filter((f) => spec.settings[f] !== undefined).map((f) => [f, spec.settings[f]]),
  );
  const run: RunRecord = {
    run_id: runId,
    job_id: spec.job.job_id,
    run_name: spec.runName,
    run_type: spec.runType,
    trigger: "ONE_TIME",
    start_time: now,
    life: "ACTIVE",
    since: now,
    state_message: "",
    user_cancelled_or_timedout: false,
    queue_enabled: spec.queueEnabled,
    max_concurrent_runs: spec.maxConcurrent,
    timeout_seconds: Number(spec.settings.timeout_seconds ?? 0),
    tasks,
    job_clusters: (spec.settings.job_clusters ?? []).map((c: any) => ({
      job_cluster_key: c.job_cluster_key,
      new_cluster: c.new_cluster,
    })),
    ...(jobParameters.length ? { job_parameters: jobParameters } : {}),
    ...(spec.notebookParams ? { notebook_params: spec.notebookParams } : {}),
    ...(spec.overriding && Object.keys(spec.overriding).length
      ? { overriding_parameters: spec.overriding }
      : {}),
    repair_history: [],
    extra,
    ...(spec.token ? { idempotency_token: spec.token } : {}),
  };
  addRun(ctx, run);
  return run;
}

function createJob(req: EmuRequest): EmuResponse {
  const body = withTasks(clean((req.body ?? {}) as Record<string, any>));
  const { access_control_list: _acl, ...settings } = body;
  checkTasks(req.ctx, settings);
  if (version(req) === "2.2" && settings.queue === undefined) settings.queue = { enabled: true };
  settings.name ??= "Untitled";
  settings.max_concurrent_runs ??= 1;
  settings.format ??= "MULTI_TASK";
  const now = req.ctx.clock.now();
  const job: JobRecord = {
    job_id: req.ctx.nextId(),
    created_time: now,
    creator_user_name: req.caller.userName,
    run_as_user_name: req.caller.userName,
    settings,
  };
  recordOwner(req, "jobs", job.job_id, body);
  jobs(req.ctx).jobs[job.job_id] = job;
  return { body: { job_id: job.job_id } };
}

/** 2.2 pages array fields at 100 elements; `page_token` is the offset of the next page. */
function pageArrays(
  target: Record<string, any>,
  keys: string[],
  token: string | undefined,
  paged: boolean,
): Record<string, any> {
  if (!paged) return target;
  const offset = offsetOf(token);
  let more = false;
  for (const key of keys) {
    const all = target[key];
    if (!Array.isArray(all)) continue;
    target[key] = all.slice(offset, offset + ARRAY_PAGE);
    if (all.length > offset + ARRAY_PAGE) more = true;
  }
  return {
    ...target,
    ...(more ? { has_more: true, next_page_token: offsetToken(offset + ARRAY_PAGE) } : {}),
  };
}

function getJob(req: EmuRequest): EmuResponse {
  const job = findJob(req.ctx, idParam(req.query.job_id, "job_id"));
  requirePermission(req, "jobs", job.job_id, "CAN_VIEW");
  const view = jobView(job);
  const paged = pageArrays(
    view.settings,
    ["tasks", "job_clusters", "environments", "parameters"],
    one(req.query.page_token),
    version(req) === "2.2",
  );
  const { has_more, next_page_token, ...settings } = paged;
  return {
    body: { ...view, settings, ...(has_more ? { has_more, next_page_token } : {}) },
  };
}

function listJobs(req: EmuRequest): EmuResponse {
  const limit = Number(one(req.query.limit) ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw invalidParameter("limit must be between 1 and 100");
  const name = one(req.query.name)?.toLowerCase();
  const all = Object.values(jobs(req.ctx).jobs)
    .filter(
      (j) => !j.ephemeral && (name === undefined || String(j.settings.name ?? "").toLowerCase() === name),
    )
    .sort((a, b) => a.job_id - b.job_id);
  const token = one(req.query.page_token);
  const p = page(all, token ? offsetOf(token) : Number(one(req.query.offset) ?? 0), limit);
  const expand = flag(req.query.expand_tasks);
  return {
    body: {
      ...(p.items.length ? { jobs: p.items.map((j) => jobView(j, expand)) } : {}),
      has_more: p.more,
      ...(p.next ? { next_page_token: p.next } : {}),
      ...(p.prev ? { prev_page_token: p.prev } : {}),
    },
  };
}

function updateJob(req: EmuRequest): EmuResponse {
  const body = clean((req.body ?? {}) as Record<string, any>);
  const job = findJob(req.ctx, idParam(body.job_id, "job_id"));
  requirePermission(req, "jobs", job.job_id, "CAN_MANAGE");
  const next: Record<string, any> = { ...job.settings };
  const changes = withTasks(body.new_settings ?? {});
  for (const [k, v] of Object.entries(changes)) {
    if (k === "tasks") next.tasks = mergeByKey(next.tasks, v as any[], "task_key");
    else if (k === "job_clusters")
      next.job_clusters = mergeByKey(next.job_clusters, v as any[], "job_cluster_key");
    else next[k] = v;
  }
  for (const field of (body.fields_to_remove ?? []) as string[]) {
    const [top, key] = field.split("/");
    if (key && (top === "tasks" || top === "job_clusters")) {
      const k = top === "tasks" ? "task_key" : "job_cluster_key";
      next[top] = (next[top] ?? []).filter((e: any) => e[k] !== key);
    } else if (top) delete next[top];
  }
  checkTasks(req.ctx, next);
  job.settings = next;
  return { body: {} };
}

function resetJob(req: EmuRequest): EmuResponse {
  const body = clean((req.body ?? {}) as Record<string, any>);
  requireFields(body, "new_settings");
  const job = findJob(req.ctx, idParam(body.job_id, "job_id"));
  requirePermission(req, "jobs", job.job_id, "CAN_MANAGE");
  const settings = withTasks(body.new_settings);
  checkTasks(req.ctx, settings);
  job.settings = { name: "Untitled", max_concurrent_runs: 1, ...settings };
  return { body: {} };
}

function deleteJob(req: EmuRequest): EmuResponse {
  const job = findJob(req.ctx, idParam(req.body?.job_id, "job_id"));
  requirePermission(req, "jobs", job.job_id, "CAN_MANAGE");
  const state = jobs(req.ctx);
  const now = req.ctx.clock.now();
  for (const id of [...state.active]) {
    const run = state.runs[id];
    if (run?.job_id === job.job_id) stopRun(req.ctx, run, now, "CANCELED");
  }
  delete state.jobs[job.job_id];
  return { body: {} };
}

function runNow(req: EmuRequest): EmuResponse {
  const body = clean((req.body ?? {}) as Record<string, any>);
  const job = findJob(req.ctx, idParam(body.job_id, "job_id"));
  requirePermission(req, "jobs", job.job_id, "CAN_MANAGE_RUN");
  const token = checkToken(body.idempotency_token);
  const key = token ? `run-now:${token}` : undefined;
  const seen = existingRun(req.ctx, key);
  if (seen) return { body: { run_id: seen.run_id, number_in_job: seen.run_id } };
  const keys = new Set((job.settings.tasks ?? []).map((t: any) => t.task_key));
  for (const k of body.only ?? []) {
    if (!keys.has(k)) throw invalidParameter(`Task ${k} given in only is not a task of job ${job.job_id}.`);
  }
  const overriding = Object.fromEntries(
    [
      "notebook_params",
      "python_params",
      "jar_params",
      "spark_submit_params",
      "python_named_params",
      "sql_params",
    ]
      .filter((f) => body[f] !== undefined)
      .map((f) => [f, body[f]]),
  );
  const run = startRun(req.ctx, {
    job,
    settings: structuredClone(job.settings),
    runType: "JOB_RUN",
    runName: String(job.settings.name ?? "Untitled"),
    only: body.only,
    jobParameters: body.job_parameters,
    notebookParams: body.notebook_params,
    overriding,
    queueEnabled: body.queue?.enabled ?? job.settings.queue?.enabled ?? false,
    maxConcurrent: Number(job.settings.max_concurrent_runs ?? 1),
    ...(token ? { token } : {}),
  });
  if (key) jobs(req.ctx).tokens[key] = run.run_id;
  return { body: { run_id: run.run_id, number_in_job: run.run_id } };
}

function submit(req: EmuRequest): EmuResponse {
  const body = withTasks(clean((req.body ?? {}) as Record<string, any>));
  const token = checkToken(body.idempotency_token);
  const key = token ? `submit:${token}` : undefined;
  const seen = existingRun(req.ctx, key);
  if (seen) return { body: { run_id: seen.run_id } };
  if (!Array.isArray(body.tasks) || body.tasks.length === 0)
    throw invalidParameter("Missing required field: tasks");
  checkTasks(req.ctx, body);
  const job: JobRecord = {
    job_id: req.ctx.nextId(),
    created_time: req.ctx.clock.now(),
    creator_user_name: EMULATOR_USER,
    run_as_user_name: EMULATOR_USER,
    settings: {},
    ephemeral: true,
  };
  jobs(req.ctx).jobs[job.job_id] = job;
  const run = startRun(req.ctx, {
    job,
    settings: body,
    runType: "SUBMIT_RUN",
    runName: String(body.run_name ?? "Untitled"),
    queueEnabled: false,
    maxConcurrent: UNLIMITED,
    ...(token ? { token } : {}),
  });
  if (key) jobs(req.ctx).tokens[key] = run.run_id;
  return { body: { run_id: run.run_id } };
}

function getRun(req: EmuRequest): EmuResponse {
  const { run, task, attempt } = findRun(req.ctx, idParam(req.query.run_id, "run_id"));
  if (task && attempt) return { body: taskRunView(req.ctx, run, task, attempt) };
  const view = runView(req.ctx, run, { history: flag(req.query.include_history) });
  return {
    body: pageArrays(
      view,
      ["tasks", "job_clusters", "job_parameters", "repair_history"],
      one(req.query.page_token),
      version(req) === "2.2",
    ),
  };
}

/** The task run an output or export call is about; 2.0 still resolves a single-task run to its task. */
function taskRun(req: EmuRequest): Required<Located> {
  const located = findRun(req.ctx, idParam(req.query.run_id, "run_id"));
  if (located.task && located.attempt) return located as Required<Located>;
  const tasks = located.run.tasks;
  if (version(req) === "2.0" && tasks.length === 1) {
    return { run: located.run, task: tasks[0]!, attempt: current(tasks[0]!) };
  }
  throw invalidParameter(
    "Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.",
  );
}

function getRunOutput(req: EmuRequest): EmuResponse {
  const { run, task, attempt } = taskRun(req);
  const metadata = taskRunView(req.ctx, run, task, attempt);
  const done = isFinal(attempt);
  const body: Record<string, unknown> = { metadata };
  if (task.spec.notebook_task) {
    body.notebook_output =
      done && attempt.output.result !== undefined ? { result: attempt.output.result, truncated: false } : {};
  }
  if (done && attempt.output.error !== undefined) {
    body.error = attempt.output.error;
    body.error_trace = attempt.output.error_trace;
  }
  return { body };
}

function exportRun(req: EmuRequest): EmuResponse {
  const { task, attempt } = taskRun(req);
  const views = one(req.query.views_to_export) ?? "CODE";
  const path: string | undefined = task.spec.notebook_task?.notebook_path;
  if (!path || views === "DASHBOARDS") return { body: { views: [] } };
  const notebook = req.ctx.service<WorkspaceEmulatorExports>("workspace")?.getNotebook(path);
  const language = (notebook?.language ?? "PYTHON") as "PYTHON";
  const name = path.slice(path.lastIndexOf("/") + 1);
  const result = attempt.output.error
    ? `<h2>Error</h2><pre>${escapeHtml(attempt.output.error_trace ?? attempt.output.error)}</pre>`
    : attempt.output.result !== undefined
      ? `<h2>Notebook exited</h2><pre>${escapeHtml(attempt.output.result)}</pre>`
      : "";
  return {
    body: {
      views: [{ content: toHtml(language, notebook?.content ?? "", name, result), name, type: "NOTEBOOK" }],
    },
  };
}

function listRuns(req: EmuRequest): EmuResponse {
  const q = req.query;
  const activeOnly = flag(q.active_only);
  const completedOnly = flag(q.completed_only);
  if (activeOnly && completedOnly)
    throw invalidParameter("active_only and completed_only cannot both be true.");
  const limitRaw = Number(one(q.limit) ?? 20);
  if (!Number.isInteger(limitRaw) || limitRaw < 0 || limitRaw > 25)
    throw invalidParameter("limit must be between 0 and 25");
  const limit = limitRaw === 0 ? 25 : limitRaw;
  const jobId = one(q.job_id) !== undefined ? idParam(q.job_id, "job_id") : undefined;
  const runType = one(q.run_type);
  const from = one(q.start_time_from) !== undefined ? Number(one(q.start_time_from)) : undefined;
  const to = one(q.start_time_to) !== undefined ? Number(one(q.start_time_to)) : undefined;
  const all = Object.values(jobs(req.ctx).runs)
    .filter((r) => !r.deleted)
    .filter((r) => jobId === undefined || r.job_id === jobId)
    .filter((r) => !runType || r.run_type === runType)
    .filter((r) => (from === undefined || r.start_time >= from) && (to === undefined || r.start_time <= to))
    .filter((r) => {
      const active = r.life === "ACTIVE" || r.life === "QUEUED";
      return activeOnly ? active : completedOnly ? !active : true;
    })
    .sort((a, b) => b.start_time - a.start_time || b.run_id - a.run_id);
  const token = one(q.page_token);
  const p = page(all, token ? offsetOf(token) : Number(one(q.offset) ?? 0), limit);
  const expand = flag(q.expand_tasks);
  return {
    body: {
      ...(p.items.length ? { runs: p.items.map((r) => runView(req.ctx, r, { tasks: expand })) } : {}),
      has_more: p.more,
      ...(p.next ? { next_page_token: p.next } : {}),
      ...(p.prev ? { prev_page_token: p.prev } : {}),
    },
  };
}

function cancel(req: EmuRequest): EmuResponse {
  const { run, task } = findRun(req.ctx, idParam(req.body?.run_id, "run_id"));
  const now = req.ctx.clock.now();
  if (task) cancelTask(req.ctx, run, task, now);
  else stopRun(req.ctx, run, now, "CANCELED");
  return { body: {} };
}

function cancelAll(req: EmuRequest): EmuResponse {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const jobId = body.job_id != null ? findJob(req.ctx, idParam(body.job_id, "job_id")).job_id : undefined;
  const queuedOnly = body.all_queued_runs === true;
  if (jobId === undefined && !queuedOnly)
    throw invalidParameter("Either job_id or all_queued_runs must be given.");
  const state = jobs(req.ctx);
  const now = req.ctx.clock.now();
  for (const id of [...state.active]) {
    const run = state.runs[id];
    if (!run || (jobId !== undefined && run.job_id !== jobId)) continue;
    if (queuedOnly && run.life !== "QUEUED") continue;
    stopRun(req.ctx, run, now, "CANCELED");
  }
  return { body: {} };
}

function deleteRun(req: EmuRequest): EmuResponse {
  const { run, task } = findRun(req.ctx, idParam(req.body?.run_id, "run_id"));
  if (task) throw invalidParameter(`Run ${req.body.run_id} is a task run; delete its job run ${run.run_id}.`);
  if (run.life === "ACTIVE" || run.life === "QUEUED") {
    throw invalidState(`Run ${run.run_id} is still active; cancel it before deleting it.`);
  }
  run.deleted = true;
  return { body: {} };
}

function repairRun(req: EmuRequest): EmuResponse {
  const body = clean((req.body ?? {}) as Record<string, any>);
  const { run, task } = findRun(req.ctx, idParam(body.run_id, "run_id"));
  if (task) throw invalidParameter(`Run ${body.run_id} is a task run; repair its job run ${run.run_id}.`);
  if (run.life === "ACTIVE" || run.life === "QUEUED") {
    throw invalidState(`Run ${run.run_id} is still active; only a finished run can be repaired.`);
  }
  const latest = run.repair_history.at(-1);
  if (latest && body.latest_repair_id !== latest.id) {
    throw invalidParameter(
      `The latest repair of run ${run.run_id} is ${latest.id}; pass it as latest_repair_id to repair the run again.`,
    );
  }
  const byKey = new Map(run.tasks.map((t) => [t.task_key, t]));
  let keys: string[];
  if (Array.isArray(body.rerun_tasks) && body.rerun_tasks.length) {
    for (const k of body.rerun_tasks)
      if (!byKey.has(k)) throw invalidParameter(`Task ${k} is not a task of run ${run.run_id}.`);
    keys = body.rerun_tasks;
  } else if (body.rerun_all_failed_tasks === true) {
    keys = run.tasks
      .filter(
        (t) => !t.left_out && !["SUCCESS", "EXCLUDED", "DISABLED"].includes(String(current(t).result_state)),
      )
      .map((t) => t.task_key);
    if (!keys.length) throw invalidParameter(`Run ${run.run_id} has no failed tasks to repair.`);
  } else {
    throw invalidParameter("Either rerun_tasks or rerun_all_failed_tasks must be given.");
  }
  if (body.rerun_dependent_tasks === true) {
    const chosen = new Set(keys);
    for (let grew = true; grew; ) {
      grew = false;
      for (const t of run.tasks) {
        if (!chosen.has(t.task_key) && t.depends_on.some((d) => chosen.has(d))) {
          chosen.add(t.task_key);
          grew = true;
        }
      }
    }
    keys = [...chosen];
  }
  if (body.notebook_params) run.notebook_params = { ...run.notebook_params, ...body.notebook_params };
  if (body.job_parameters) {
    const params = run.job_parameters ?? [];
    for (const [name, value] of Object.entries(body.job_parameters as Record<string, string>)) {
      const p = params.find((x) => x.name === name);
      if (p) p.value = value;
      else params.push({ name, default: "", value });
    }
    run.job_parameters = params;
  }
  const repairId = repair(req.ctx, run, keys, req.ctx.clock.now());
  return { body: { repair_id: repairId } };
}

export const jobsService: EmulatorService<JobsState, JobsEmulatorExports> = {
  name: "jobs",
  init: () => ({ jobs: {}, runs: {}, task_runs: {}, tokens: {}, scripts: {}, active: [] }),
  routes(router: Router) {
    // 2.2 is what the official SDKs call; 2.1 and 2.0 answer the same (2.0 resolves single-task output).
    for (const v of ["2.0", "2.1", "2.2"]) {
      const base = `/api/${v}/jobs`;
      router.post(`${base}/create`, createJob);
      router.get(`${base}/get`, getJob);
      router.get(`${base}/list`, listJobs);
      router.post(`${base}/update`, updateJob);
      router.post(`${base}/reset`, resetJob);
      router.post(`${base}/delete`, deleteJob);
      router.post(`${base}/run-now`, runNow);
      router.post(`${base}/runs/submit`, submit);
      router.get(`${base}/runs/get`, getRun);
      router.get(`${base}/runs/get-output`, getRunOutput);
      router.get(`${base}/runs/export`, exportRun);
      router.get(`${base}/runs/list`, listRuns);
      router.post(`${base}/runs/cancel`, cancel);
      router.post(`${base}/runs/cancel-all`, cancelAll);
      router.post(`${base}/runs/delete`, deleteRun);
      router.post(`${base}/runs/repair`, repairRun);
    }
  },
  tick: advanceRuns,
  exports: (ctx) => ({
    scriptNotebook(path, behaviour) {
      try {
        scriptNotebook(ctx, path, behaviour);
      } catch (e) {
        throw new TypeError(`Invalid notebook behaviour for ${path}: ${(e as Error).message}`);
      }
    },
  }),
};
