import { EMULATOR_USER } from "../ids.js";
import type { NotebookResult } from "../local/notebook-process.js";
import type { LocalRuntime } from "../local/runtime.js";
import {
  checkBehaviour,
  declaredBehaviour,
  defaultDurationMs,
  defaultTrace,
  type MlflowEmulatorExports,
  mlflowParams,
  type NotebookBehaviour,
} from "../notebooks.js";
import type { ClustersEmulatorExports } from "../services/clusters.js";
import type { WorkspaceEmulatorExports } from "../services/workspace.js";
import type { EmulatorContext } from "../types.js";
import { CLUSTER_TIMING } from "./cluster-machine.js";
import {
  type Attempt,
  current,
  isFinal,
  type JobsState,
  type LifeCycle,
  type Outcome,
  type RunRecord,
  type TaskRecord,
} from "./run-model.js";
import {
  canceled,
  dependencyVerdict,
  internalError,
  runResult,
  skippedTask,
  succeeded,
  timedOut,
  workloadFailed,
} from "./run-results.js";

/**
 * The run life cycle: QUEUED → PENDING (compute being prepared) → RUNNING → TERMINATING → TERMINATED,
 * per task, with dependencies, retries, timeouts and cancellation. Every step is an event at a virtual
 * time; `advanceRuns` applies all events due by now in time order, so results never depend on how
 * often anyone polls.
 */

/** Realistic durations in virtual ms. */
export const RUN_TIMING = {
  /** Cleaning up after a task ends: its job cluster terminates meanwhile. */
  terminatingMs: CLUSTER_TIMING.terminateMs,
  /** Serverless compute (no cluster) getting ready. */
  serverlessStartMs: 30_000,
};

/** A safety net: far more events than any run produces in one step of the clock. */
const MAX_EVENTS_PER_ADVANCE = 100_000;
/** `max_retries: -1` retries forever; the emulator stops after this many attempts. */
const MAX_ATTEMPTS = 100;

interface Event {
  at: number;
  apply: () => void;
}

function jobs(ctx: EmulatorContext): JobsState {
  return ctx.state<JobsState>("jobs");
}

export function runPageUrl(ctx: EmulatorContext, jobId: number, runId: number): string {
  return `${ctx.url}/#job/${jobId}/run/${runId}`;
}

function newAttempt(ctx: EmulatorContext, run: RunRecord, attemptNumber: number, at: number): Attempt {
  const run_id = ctx.nextId();
  jobs(ctx).task_runs[run_id] = run.run_id;
  return {
    run_id,
    attempt_number: attemptNumber,
    life: run.life === "QUEUED" ? "QUEUED" : "BLOCKED",
    since: at,
    state_message: "",
    user_cancelled_or_timedout: false,
    output: {},
  };
}

/** Registers a new run (tasks already filled in) and admits it if its job has room. */
export function addRun(ctx: EmulatorContext, run: RunRecord): void {
  const state = jobs(ctx);
  state.runs[run.run_id] = run;
  for (const task of run.tasks) {
    if (task.attempts.length === 0) task.attempts.push(newAttempt(ctx, run, 0, run.start_time));
  }
  const busy = activeRunsOfJob(state, run.job_id, run.run_id);
  if (run.max_concurrent_runs === 0 || (busy >= run.max_concurrent_runs && !run.queue_enabled)) {
    skip(run, run.start_time);
    return;
  }
  state.active.push(run.run_id);
  if (busy >= run.max_concurrent_runs) {
    run.life = "QUEUED";
    for (const task of run.tasks) current(task).life = "QUEUED";
    return;
  }
  admit(ctx, run, run.start_time);
}

function activeRunsOfJob(state: JobsState, jobId: number, except: number): number {
  return state.active.filter(
    (id) => id !== except && state.runs[id]?.job_id === jobId && state.runs[id]?.life === "ACTIVE",
  ).length;
}

function skip(run: RunRecord, at: number): void {
  run.life = "SKIPPED";
  run.result_state = "MAXIMUM_CONCURRENT_RUNS_REACHED";
  run.state_message = `Skipping this run because the limit of ${run.max_concurrent_runs} maximum concurrent runs has been reached.`;
  run.termination = {
    code: "MAX_CONCURRENT_RUNS_EXCEEDED",
    type: "CLIENT_ERROR",
    message: run.state_message,
  };
  run.end_time = at;
  for (const task of run.tasks) {
    Object.assign(current(task), { life: "SKIPPED", since: at, end_time: at, result_state: "EXCLUDED" });
  }
}

function admit(ctx: EmulatorContext, run: RunRecord, at: number): void {
  run.life = "ACTIVE";
  run.since = at;
  for (const task of run.tasks) {
    const a = current(task);
    if (task.left_out) {
      Object.assign(a, { life: "SKIPPED", since: at, end_time: at, result_state: task.left_out });
    } else if (task.depends_on.length === 0) {
      startAttempt(ctx, run, task, at);
    } else {
      a.life = "BLOCKED";
      a.since = at;
    }
  }
}

/** PENDING: the task's compute is being prepared. */
function startAttempt(ctx: EmulatorContext, run: RunRecord, task: TaskRecord, at: number): void {
  const a = current(task);
  a.life = "PENDING";
  a.since = at;
  a.start_time = at;
  a.state_message = "";
  const clusters = ctx.service<ClustersEmulatorExports>("clusters");
  const spec = task.spec;
  if (!clusters) {
    a.ready = { readyAt: at + (spec.existing_cluster_id ? 0 : CLUSTER_TIMING.startMs) };
    return;
  }
  let clusterId: string | undefined;
  if (spec.new_cluster) {
    clusterId = clusters.createJobCluster(spec.new_cluster, at, `job-${run.job_id}-run-${a.run_id}`);
  } else if (spec.job_cluster_key) {
    const jc = run.job_clusters.find((c) => c.job_cluster_key === spec.job_cluster_key);
    if (jc && (!jc.cluster_id || jc.terminated)) {
      jc.cluster_id = clusters.createJobCluster(
        jc.new_cluster,
        at,
        `job-${run.job_id}-run-${run.run_id}-${jc.job_cluster_key}`,
      );
      jc.terminated = false;
    }
    clusterId = jc?.cluster_id;
  } else if (spec.existing_cluster_id) {
    clusterId = spec.existing_cluster_id;
  } else {
    a.ready = { readyAt: at + RUN_TIMING.serverlessStartMs };
    return;
  }
  a.cluster_id = clusterId;
  a.ready = (clusterId && clusters.acquire(clusterId, at)) || {
    failAt: at,
    message: `Cluster ${clusterId ?? spec.job_cluster_key} does not exist`,
  };
}

/** RUNNING: the notebook starts; how and when it ends is decided now. */
function beginRunning(ctx: EmulatorContext, run: RunRecord, task: TaskRecord, at: number): void {
  const a = current(task);
  a.life = "RUNNING";
  a.since = at;
  a.running_at = at;
  // Kept with the attempt: the run still names its Spark context after the cluster is gone.
  if (a.cluster_id)
    a.spark_context_id = ctx.service<ClustersEmulatorExports>("clusters")?.sparkContextId(a.cluster_id);
  const notebook = task.spec.notebook_task as {
    notebook_path?: string;
    base_parameters?: Record<string, string>;
  };
  a.parameters = {
    ...jobParameterValues(run),
    ...(notebook?.base_parameters ?? {}),
    ...(run.notebook_params ?? {}),
  };
  let behaviour: NotebookBehaviour = {};
  if (notebook?.notebook_path) {
    const path = notebook.notebook_path;
    const scripted = jobs(ctx).scripts[path];
    const workspace = ctx.service<WorkspaceEmulatorExports>("workspace");
    // Notebooks from a Git repository are not in the workspace tree.
    const fromGit =
      task.spec.notebook_task.source === "GIT" ||
      (run.extra.git_source != null && !task.spec.notebook_task.source);
    const source = workspace && !fromGit ? workspace.getNotebook(path) : undefined;
    if (!scripted && workspace && !fromGit && !source) {
      const message = `Unable to access the notebook "${path}". Either it does not exist, or the identity used to run this job, ${EMULATOR_USER}, lacks the required permissions.`;
      end(ctx, run, task, at, internalError(message, "RESOURCE_NOT_FOUND", "CLIENT_ERROR"));
      return;
    }
    let declared: NotebookBehaviour | undefined;
    try {
      declared = scripted ?? (source ? declaredBehaviour(source.content) : undefined);
    } catch (e) {
      const error = `Invalid brickml-emulator line in ${path}: ${(e as Error).message}`;
      declared = { durationMs: 1000, result: "FAILED", error, errorTrace: error };
    }
    const local = ctx.service<LocalRuntime>("local");
    // Scripts win; a notebook nothing scripts runs for real when local mode is on.
    if (!declared && source?.language === "PYTHON" && local?.python) {
      runLocally(ctx, local, run, task, at, path, source.content);
      return;
    }
    behaviour = declared ?? {};
    a.behaviour = behaviour;
  }
  a.finish_at = at + (behaviour.durationMs ?? defaultDurationMs(ctx.random));
  const fails =
    behaviour.result === "FAILED" &&
    (behaviour.failTimes === undefined || a.attempt_number < behaviour.failTimes);
  if (fails) {
    const path = String(notebook?.notebook_path ?? task.task_key);
    const error = behaviour.error ?? `Exception: ${path} failed`;
    a.outcome = workloadFailed(error, behaviour.errorTrace ?? defaultTrace(path, error));
  } else {
    a.outcome = succeeded(behaviour.exitValue);
  }
}

/**
 * Starts the notebook's Python process. The attempt stays RUNNING until the process ends; its
 * RUNNING phase then lasts the process's real duration (see `localFinish`).
 */
function runLocally(
  ctx: EmulatorContext,
  local: LocalRuntime,
  run: RunRecord,
  task: TaskRecord,
  at: number,
  path: string,
  source: string,
): void {
  const a = current(task);
  a.local = true;
  const budgetMs = localBudget(run, task, a, at);
  const runId = run.run_id;
  const taskRunId = a.run_id;
  local.startNotebook(
    taskRunId,
    {
      source,
      context: {
        notebookPath: path,
        jobId: run.job_id,
        jobRunId: taskRunId,
        parentRunId: runId,
        parameters: a.parameters ?? {},
        startTime: at,
      },
      ...(budgetMs !== undefined ? { budgetMs } : {}),
    },
    (result) => {
      const r = jobs(ctx).runs[runId];
      const t = r?.tasks.find((x) => x.task_key === task.task_key);
      const attempt = t && current(t);
      if (!r || !t || attempt?.run_id !== taskRunId || attempt.life !== "RUNNING") return;
      localFinish(ctx, r, t, attempt, result);
      advanceRuns(ctx);
    },
  );
}

/** Real ms the process may run before the task's or the run's timeout (measured from RUNNING). */
function localBudget(run: RunRecord, task: TaskRecord, a: Attempt, at: number): number | undefined {
  const deadlines = [taskDeadline(task, a), runDeadline(run)].filter((d): d is number => d !== undefined);
  return deadlines.length ? Math.max(0, Math.min(...deadlines) - at) : undefined;
}

function runDeadline(run: RunRecord): number | undefined {
  return run.timeout_seconds > 0 ? run.start_time + run.timeout_seconds * 1000 : undefined;
}

/**
 * The process ended: the RUNNING phase ends its real duration after it began (or at the clock's
 * current time when that is earlier, as with a manual clock), with the notebook's result.
 */
function localFinish(
  ctx: EmulatorContext,
  run: RunRecord,
  task: TaskRecord,
  a: Attempt,
  result: NotebookResult,
) {
  const start = a.running_at ?? a.since;
  if (result.state === "TIMEDOUT") {
    const taskEnd = taskDeadline(task, a);
    const runEnd = runDeadline(run);
    const byTask = taskEnd !== undefined && (runEnd === undefined || taskEnd <= runEnd);
    a.finish_at = (byTask ? taskEnd : runEnd) ?? start;
    a.outcome = byTask ? timedOut(Number(task.spec.timeout_seconds ?? 0)) : timedOut(run.timeout_seconds);
    return;
  }
  a.finish_at = Math.max(start, Math.min(start + result.wallMs, ctx.clock.now()));
  a.outcome =
    result.state === "SUCCESS"
      ? succeeded(result.exitValue)
      : workloadFailed(result.error ?? "Exception", result.errorTrace ?? result.error ?? "");
}

/** A local notebook whose process is running; no virtual-time event moves it. */
function runsLocally(a: Attempt): boolean {
  return a.local === true && a.life === "RUNNING" && a.outcome === undefined;
}

function jobParameterValues(run: RunRecord): Record<string, string> {
  return Object.fromEntries((run.job_parameters ?? []).map((p) => [p.name, p.value ?? p.default]));
}

/** RUNNING → TERMINATING: the work is over (or was cut short); compute is cleaned up before the result shows. */
function beginTerminating(
  ctx: EmulatorContext,
  run: RunRecord,
  task: TaskRecord,
  at: number,
  outcome?: Outcome,
): void {
  const a = current(task);
  if (a.local) ctx.service<LocalRuntime>("local")?.stopNotebook(a.run_id);
  if (outcome) a.outcome = outcome;
  a.life = "TERMINATING";
  a.since = at;
  a.finish_at = Math.min(a.finish_at ?? at, at);
  releaseCompute(ctx, run, task, a, at);
}

/** The attempt ends with `outcome` (or the one planned); a failure may be retried. */
function end(ctx: EmulatorContext, run: RunRecord, task: TaskRecord, at: number, outcome?: Outcome): void {
  const a = current(task);
  let o = outcome ?? a.outcome!;
  if (o.result === "SUCCESS") {
    try {
      logToMlflow(ctx, run, task, a, at);
    } catch (e) {
      // The notebook's own MLflow calls failed, so the notebook failed.
      o = workloadFailed(`MlflowException: ${(e as Error).message}`);
    }
  }
  a.life = o.life;
  a.since = at;
  a.end_time = at;
  a.result_state = o.result;
  a.state_message = o.message;
  a.termination = o.termination;
  a.user_cancelled_or_timedout = o.userCancelledOrTimedOut ?? false;
  a.output = {
    ...(o.exitValue !== undefined ? { result: o.exitValue } : {}),
    ...(o.error !== undefined ? { error: o.error, error_trace: o.errorTrace ?? o.error } : {}),
  };
  // The retry is planned first, so a shared job cluster is kept for it.
  if (shouldRetry(run, task, a, o)) {
    const next = newAttempt(ctx, run, a.attempt_number + 1, at);
    next.life = "WAITING_FOR_RETRY";
    next.retry_at = at + Number(task.spec.min_retry_interval_millis ?? 0);
    task.attempts.push(next);
  }
  releaseCompute(ctx, run, task, a, at);
}

function shouldRetry(run: RunRecord, task: TaskRecord, a: Attempt, o: Outcome): boolean {
  // Nothing is retried once the run is cancelled or timed out.
  if (o.final || run.stop) return false;
  const retriable = o.result === "FAILED" || (o.result === "TIMEDOUT" && task.spec.retry_on_timeout === true);
  const max = Number(task.spec.max_retries ?? 0);
  return retriable && ((max === -1 && a.attempt_number + 1 < MAX_ATTEMPTS) || a.attempt_number < max);
}

function logToMlflow(ctx: EmulatorContext, run: RunRecord, task: TaskRecord, a: Attempt, at: number): void {
  const mlflow = a.behaviour?.mlflow;
  const service = ctx.service<MlflowEmulatorExports>("mlflow");
  if (!mlflow || !service) return;
  const parameters = a.parameters ?? {};
  const params = mlflowParams(mlflow, parameters);
  service.logNotebookRun({
    ...mlflow,
    ...(params ? { params } : {}),
    notebookPath: String(task.spec.notebook_task?.notebook_path),
    startTime: a.running_at ?? a.start_time ?? run.start_time,
    endTime: a.finish_at ?? at,
    jobId: run.job_id,
    jobRunId: a.run_id,
    parameters,
  });
}

/** Frees what the attempt used: a shared cluster becomes idle, a task's own job cluster stops. */
function releaseCompute(
  ctx: EmulatorContext,
  run: RunRecord,
  task: TaskRecord,
  a: Attempt,
  at: number,
): void {
  if (a.released || !a.cluster_id) return;
  a.released = true;
  const clusters = ctx.service<ClustersEmulatorExports>("clusters");
  if (!clusters) return;
  if (task.spec.new_cluster) clusters.terminate(a.cluster_id, at, "JOB_FINISHED");
  else if (task.spec.existing_cluster_id) clusters.release(a.cluster_id, at);
  else if (a.ready && "readyAt" in a.ready) clusters.release(a.cluster_id, at);
  stopIdleJobClusters(ctx, run, at);
}

/** A shared job cluster stops once no task that uses it will run (again). */
function stopIdleJobClusters(ctx: EmulatorContext, run: RunRecord, at: number): void {
  const clusters = ctx.service<ClustersEmulatorExports>("clusters");
  for (const jc of run.job_clusters) {
    if (!jc.cluster_id || jc.terminated) continue;
    const users = run.tasks.filter((t) => t.spec.job_cluster_key === jc.job_cluster_key);
    if (users.every((t) => !willRunAgain(run, t))) {
      jc.terminated = true;
      clusters?.terminate(jc.cluster_id, at, "JOB_FINISHED");
    }
  }
}

function willRunAgain(run: RunRecord, task: TaskRecord): boolean {
  const a = current(task);
  if (isFinal(a)) return false;
  return a.life !== "TERMINATING" || (a.outcome !== undefined && shouldRetry(run, task, a, a.outcome));
}

/** The next thing that happens to a run, if anything is planned. */
function nextEvent(ctx: EmulatorContext, run: RunRecord): Event | undefined {
  const state = jobs(ctx);
  if (run.life === "QUEUED") {
    if (activeRunsOfJob(state, run.job_id, run.run_id) >= run.max_concurrent_runs) return undefined;
    return { at: run.since, apply: () => admit(ctx, run, run.since) };
  }
  if (run.life !== "ACTIVE") return undefined;
  if (run.tasks.every((t) => isFinal(current(t)))) {
    const at = Math.max(run.since, ...run.tasks.map((t) => current(t).end_time ?? run.since));
    return { at, apply: () => finishRun(ctx, run, at) };
  }
  let best: Event | undefined;
  const consider = (e: Event | undefined) => {
    if (e && (!best || e.at < best.at)) best = e;
  };
  // While a notebook runs locally, its process enforces the run's timeout in real time.
  const localRunning = run.tasks.some((t) => runsLocally(current(t)));
  if (run.timeout_seconds > 0 && !run.stop && !localRunning) {
    const at = run.start_time + run.timeout_seconds * 1000;
    consider({ at, apply: () => stopRun(ctx, run, at, "TIMEDOUT") });
  }
  for (const task of run.tasks) consider(nextTaskEvent(ctx, run, task));
  return best;
}

function nextTaskEvent(ctx: EmulatorContext, run: RunRecord, task: TaskRecord): Event | undefined {
  const a = current(task);
  switch (a.life) {
    case "BLOCKED": {
      const deps = task.depends_on.map((k) => run.tasks.find((t) => t.task_key === k));
      if (!deps.every((d) => !d || isFinal(current(d)))) return undefined;
      const at = Math.max(a.since, ...deps.map((d) => (d ? (current(d).end_time ?? a.since) : a.since)));
      return {
        at,
        apply: () => {
          const verdict = dependencyVerdict(run, task);
          if (verdict === "RUN") startAttempt(ctx, run, task, at);
          else Object.assign(current(task), skippedTask(verdict, at));
        },
      };
    }
    case "WAITING_FOR_RETRY": {
      const at = a.retry_at ?? a.since;
      return { at, apply: () => startAttempt(ctx, run, task, at) };
    }
    case "PENDING": {
      const deadline = taskDeadline(task, a);
      const ready = a.ready;
      const readyAt = !ready ? a.since : "readyAt" in ready ? ready.readyAt : ready.failAt;
      if (deadline !== undefined && deadline < readyAt)
        return { at: deadline, apply: () => timeOut(ctx, run, task, deadline) };
      if (ready && "failAt" in ready) {
        return {
          at: ready.failAt,
          apply: () => {
            const message = `Cluster failed to start: ${ready.message}`;
            end(ctx, run, task, ready.failAt, internalError(message, "CLUSTER_ERROR", "CLOUD_FAILURE"));
          },
        };
      }
      return { at: readyAt, apply: () => beginRunning(ctx, run, task, readyAt) };
    }
    case "RUNNING": {
      if (runsLocally(a)) {
        if (ctx.service<LocalRuntime>("local")?.isRunning(a.run_id)) return undefined;
        // The process is gone without a result: the emulator restarted while it ran.
        const message = "The notebook's local Python process ended with the emulator that started it.";
        return {
          at: a.since,
          apply: () => end(ctx, run, task, a.since, internalError(message, "DRIVER_ERROR", "INTERNAL_ERROR")),
        };
      }
      const deadline = taskDeadline(task, a);
      const finish = a.finish_at ?? a.since;
      if (deadline !== undefined && deadline < finish)
        return { at: deadline, apply: () => timeOut(ctx, run, task, deadline) };
      return { at: finish, apply: () => beginTerminating(ctx, run, task, finish) };
    }
    case "TERMINATING": {
      const at = a.since + RUN_TIMING.terminatingMs;
      return { at, apply: () => end(ctx, run, task, at) };
    }
    default:
      return undefined;
  }
}

function taskDeadline(task: TaskRecord, a: Attempt): number | undefined {
  const seconds = Number(task.spec.timeout_seconds ?? 0);
  return seconds > 0 && a.start_time !== undefined ? a.start_time + seconds * 1000 : undefined;
}

function timeOut(ctx: EmulatorContext, run: RunRecord, task: TaskRecord, at: number): void {
  cut(ctx, run, task, at, timedOut(Number(task.spec.timeout_seconds ?? 0)));
}

/**
 * Stops an attempt early: a running one cleans up first, a waiting one ends at once. One already
 * cleaning up has finished its work and keeps its result.
 */
function cut(ctx: EmulatorContext, run: RunRecord, task: TaskRecord, at: number, outcome: Outcome): void {
  const a = current(task);
  if (isFinal(a) || a.life === "TERMINATING") return;
  if (a.life === "RUNNING") beginTerminating(ctx, run, task, at, outcome);
  else {
    if (a.start_time === undefined) a.start_time = at;
    end(ctx, run, task, at, outcome);
  }
}

/** Cancels (or times out) every unfinished task of a run; nothing is retried. */
export function stopRun(
  ctx: EmulatorContext,
  run: RunRecord,
  at: number,
  result: "CANCELED" | "TIMEDOUT",
): void {
  if (run.life !== "ACTIVE" && run.life !== "QUEUED") return;
  run.stop = { at, result };
  const outcome = result === "CANCELED" ? canceled() : timedOut(run.timeout_seconds);
  if (run.life === "QUEUED") {
    run.life = "ACTIVE";
    run.since = at;
  }
  for (const task of run.tasks) cut(ctx, run, task, at, { ...outcome, final: true });
}

/** Cancels one task run; its downstream tasks are then skipped as UPSTREAM_CANCELED. */
export function cancelTask(ctx: EmulatorContext, run: RunRecord, task: TaskRecord, at: number): void {
  cut(ctx, run, task, at, { ...canceled(), final: true });
}

/** The run ends with the result its tasks add up to. */
function finishRun(ctx: EmulatorContext, run: RunRecord, at: number): void {
  const state = jobs(ctx);
  Object.assign(run, runResult(run), { end_time: at, since: at });
  stopIdleJobClusters(ctx, run, at);
  const repair = run.repair_history.at(-1);
  if (repair && repair.end_time === undefined) {
    Object.assign(repair, {
      end_time: at,
      result_state: run.result_state,
      life: run.life,
      state_message: run.state_message,
    });
  }
  state.active = state.active.filter((id) => id !== run.run_id);
  // A queued run of the same job may start from now on.
  for (const id of state.active) {
    const other = state.runs[id];
    if (other?.life === "QUEUED" && other.job_id === run.job_id) other.since = Math.max(other.since, at);
  }
}

/** Applies every event due by the clock, earliest first, across all runs. */
export function advanceRuns(ctx: EmulatorContext): void {
  const state = jobs(ctx);
  const now = ctx.clock.now();
  for (let n = 0; n < MAX_EVENTS_PER_ADVANCE; n++) {
    let best: Event | undefined;
    for (const id of state.active) {
      const run = state.runs[id];
      const e = run ? nextEvent(ctx, run) : undefined;
      if (e && e.at <= now && (!best || e.at < best.at)) best = e;
    }
    if (!best) return;
    best.apply();
  }
  throw new Error("the jobs emulator did not settle; a run keeps producing events");
}

/** Re-runs tasks of a finished run (repair); returns the repair id. */
export function repair(ctx: EmulatorContext, run: RunRecord, keys: string[], at: number): number {
  const state = jobs(ctx);
  if (run.repair_history.length === 0) {
    run.repair_history.push({
      type: "ORIGINAL",
      id: ctx.nextId(),
      start_time: run.start_time,
      end_time: run.end_time ?? at,
      task_run_ids: run.tasks.map((t) => t.attempts[0]!.run_id),
      result_state: run.result_state,
      life: run.life as LifeCycle,
      state_message: run.state_message,
    });
  }
  const rerun = new Set(keys);
  const ids: number[] = [];
  for (const task of run.tasks) {
    if (!rerun.has(task.task_key)) continue;
    const a = newAttempt(ctx, run, 0, at);
    task.attempts.push(a);
    ids.push(a.run_id);
  }
  for (const jc of run.job_clusters) {
    if (run.tasks.some((t) => rerun.has(t.task_key) && t.spec.job_cluster_key === jc.job_cluster_key))
      jc.terminated = true;
  }
  const id = ctx.nextId();
  run.repair_history.push({ type: "REPAIR", id, start_time: at, task_run_ids: ids });
  run.life = "ACTIVE";
  run.since = at;
  delete run.end_time;
  delete run.result_state;
  delete run.termination;
  delete run.stop;
  run.state_message = "";
  run.user_cancelled_or_timedout = false;
  state.active.push(run.run_id);
  for (const task of run.tasks) {
    if (!rerun.has(task.task_key)) continue;
    const waitsForRerun = task.depends_on.some((k) => rerun.has(k));
    if (waitsForRerun) {
      current(task).life = "BLOCKED";
    } else {
      const verdict = dependencyVerdict(run, task);
      if (verdict === "RUN") startAttempt(ctx, run, task, at);
      else Object.assign(current(task), skippedTask(verdict, at));
    }
  }
  return id;
}

/** Validates and stores a scripted behaviour for a notebook path (undefined removes it). */
export function scriptNotebook(
  ctx: EmulatorContext,
  path: string,
  behaviour: NotebookBehaviour | undefined,
): void {
  const scripts = jobs(ctx).scripts;
  if (behaviour === undefined || behaviour === null) delete scripts[path];
  else scripts[path] = checkBehaviour(JSON.parse(JSON.stringify(behaviour)));
}
