import { EMULATOR_USER } from "../ids.js";
import type { ClustersEmulatorExports } from "../services/clusters.js";
import type { EmulatorContext } from "../types.js";
import { runPageUrl } from "./run-engine.js";
import {
  type Attempt,
  current,
  FINAL_LIFE,
  type JobRecord,
  type LifeCycle,
  type RunRecord,
  type TaskRecord,
  type Termination,
} from "./run-model.js";

/** How runs and jobs look on the wire: the legacy `state` the SDK waiters read, and the newer `status`. */

const V2_STATE: Partial<Record<LifeCycle, string>> = {
  QUEUED: "QUEUED",
  PENDING: "PENDING",
  RUNNING: "RUNNING",
  TERMINATING: "TERMINATING",
  BLOCKED: "BLOCKED",
  WAITING_FOR_RETRY: "WAITING",
};

function stateOf(
  life: LifeCycle,
  result: string | undefined,
  message: string,
  cancelled: boolean,
  termination: Termination | undefined,
  queued?: { code: string; message: string },
): { state: Record<string, unknown>; status: Record<string, unknown> } {
  const final = FINAL_LIFE.has(life);
  return {
    state: {
      life_cycle_state: life,
      ...(final && result ? { result_state: result } : {}),
      state_message: message,
      user_cancelled_or_timedout: cancelled,
      ...(queued ? { queue_reason: queued.message } : {}),
    },
    status: {
      state: V2_STATE[life] ?? "TERMINATED",
      ...(final && termination ? { termination_details: termination } : {}),
      ...(queued ? { queue_details: queued } : {}),
    },
  };
}

/** The legacy life cycle of a whole run, from its tasks. */
export function runLife(run: RunRecord): LifeCycle {
  if (run.life !== "ACTIVE") return run.life;
  const lives = run.tasks.map((t) => current(t).life);
  if (lives.includes("RUNNING")) return "RUNNING";
  if (lives.every((l) => FINAL_LIFE.has(l) || l === "TERMINATING")) return "TERMINATING";
  if (lives.some((l) => FINAL_LIFE.has(l) || l === "TERMINATING" || l === "WAITING_FOR_RETRY"))
    return "RUNNING";
  return "PENDING";
}

function durations(a: Attempt): Record<string, number> {
  const setup = a.running_at !== undefined && a.start_time !== undefined ? a.running_at - a.start_time : 0;
  const ended = a.life === "TERMINATING" || FINAL_LIFE.has(a.life);
  const execution =
    ended && a.running_at !== undefined && a.finish_at !== undefined ? a.finish_at - a.running_at : 0;
  const cleanup = a.end_time !== undefined && a.finish_at !== undefined ? a.end_time - a.finish_at : 0;
  return { setup_duration: setup, execution_duration: execution, cleanup_duration: cleanup };
}

/** `tasks[i]` of a run: the task definition plus its latest attempt (or the given one). */
export function taskView(
  ctx: EmulatorContext,
  run: RunRecord,
  task: TaskRecord,
  a: Attempt = current(task),
): Record<string, unknown> {
  const { state, status } = stateOf(
    a.life,
    a.result_state,
    a.state_message,
    a.user_cancelled_or_timedout,
    a.termination,
  );
  // Data files from before the attempt kept its context id: read it from the cluster.
  const sparkContext =
    a.spark_context_id ??
    (a.cluster_id
      ? ctx.service<ClustersEmulatorExports>("clusters")?.sparkContextId(a.cluster_id)
      : undefined);
  return {
    ...task.spec,
    run_id: a.run_id,
    attempt_number: a.attempt_number,
    state,
    status,
    start_time: a.start_time ?? 0,
    end_time: a.end_time ?? 0,
    ...durations(a),
    ...(a.cluster_id && a.running_at !== undefined
      ? {
          cluster_instance: {
            cluster_id: a.cluster_id,
            ...(sparkContext !== undefined ? { spark_context_id: String(sparkContext) } : {}),
          },
        }
      : {}),
    run_page_url: runPageUrl(ctx, run.job_id, a.run_id),
  };
}

export interface RunViewOptions {
  tasks?: boolean;
  history?: boolean;
}

export function runView(
  ctx: EmulatorContext,
  run: RunRecord,
  options: RunViewOptions = {},
): Record<string, any> {
  const life = runLife(run);
  const queued =
    life === "QUEUED"
      ? {
          code: "MAX_CONCURRENT_RUNS_REACHED",
          message: "Queued due to reaching maximum concurrent runs of the job.",
        }
      : undefined;
  const { state, status } = stateOf(
    life,
    run.result_state,
    run.state_message,
    run.user_cancelled_or_timedout,
    run.termination,
    queued,
  );
  const ended = run.end_time !== undefined && life !== "TERMINATING" && FINAL_LIFE.has(life);
  return {
    job_id: run.job_id,
    run_id: run.run_id,
    creator_user_name: EMULATOR_USER,
    // The API sets it to the run id (it once counted runs per job).
    number_in_job: run.run_id,
    original_attempt_run_id: run.run_id,
    state,
    status,
    ...run.extra,
    start_time: run.start_time,
    end_time: ended ? run.end_time : 0,
    setup_duration: 0,
    execution_duration: 0,
    cleanup_duration: 0,
    ...(ended ? { run_duration: (run.end_time ?? run.start_time) - run.start_time } : {}),
    ...(options.tasks === false ? {} : { tasks: run.tasks.map((t) => taskView(ctx, run, t)) }),
    ...(run.job_clusters.length
      ? {
          job_clusters: run.job_clusters.map((c) => ({
            job_cluster_key: c.job_cluster_key,
            new_cluster: c.new_cluster,
          })),
        }
      : {}),
    ...(run.job_parameters ? { job_parameters: run.job_parameters } : {}),
    ...(run.overriding_parameters ? { overriding_parameters: run.overriding_parameters } : {}),
    run_name: run.run_name,
    run_page_url: runPageUrl(ctx, run.job_id, run.run_id),
    run_type: run.run_type,
    trigger: run.trigger,
    attempt_number: 0,
    format: "MULTI_TASK",
    ...(options.history && run.repair_history.length
      ? {
          repair_history: run.repair_history.map((r) => {
            const s =
              r.end_time !== undefined && r.life
                ? stateOf(r.life, r.result_state, r.state_message ?? "", false, undefined)
                : stateOf("RUNNING", undefined, "", false, undefined);
            return {
              type: r.type,
              id: r.id,
              start_time: r.start_time,
              end_time: r.end_time ?? 0,
              state: s.state,
              status: s.status,
              task_run_ids: r.task_run_ids,
            };
          }),
        }
      : {}),
  };
}

/** A task run shown on its own (`runs/get` of a task run id, `metadata` of `runs/get-output`). */
export function taskRunView(
  ctx: EmulatorContext,
  run: RunRecord,
  task: TaskRecord,
  a: Attempt,
): Record<string, any> {
  const view = taskView(ctx, run, task, a);
  return {
    ...view,
    job_id: run.job_id,
    run_name: task.task_key,
    run_type: run.run_type === "JOB_RUN" ? "JOB_RUN" : "SUBMIT_RUN",
    parent_run_id: run.run_id,
    original_attempt_run_id: task.attempts[0]?.run_id ?? a.run_id,
    trigger: run.trigger,
    creator_user_name: EMULATOR_USER,
  };
}

export function jobView(job: JobRecord, expandTasks = true): Record<string, any> {
  const { tasks, job_clusters, ...rest } = job.settings;
  return {
    job_id: job.job_id,
    creator_user_name: job.creator_user_name,
    run_as_user_name: job.run_as_user_name,
    run_as_owner: true,
    settings: expandTasks
      ? { ...rest, ...(tasks ? { tasks } : {}), ...(job_clusters ? { job_clusters } : {}) }
      : rest,
    created_time: job.created_time,
  };
}
