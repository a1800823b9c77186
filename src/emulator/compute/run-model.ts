/** The stored shape of jobs and runs in the emulated Jobs service (plain JSON, persisted as is). */

import type { NotebookBehaviour } from "../notebooks.js";

export type LifeCycle =
  | "QUEUED"
  | "PENDING"
  | "RUNNING"
  | "TERMINATING"
  | "TERMINATED"
  | "SKIPPED"
  | "INTERNAL_ERROR"
  | "BLOCKED"
  | "WAITING_FOR_RETRY";

export const FINAL_LIFE: ReadonlySet<LifeCycle> = new Set(["TERMINATED", "SKIPPED", "INTERNAL_ERROR"]);

export interface Termination {
  code: string;
  type: string;
  message: string;
}

/** How an attempt ends, decided when it starts running (or when it is cut short). */
export interface Outcome {
  life: "TERMINATED" | "INTERNAL_ERROR";
  result: string;
  message: string;
  termination: Termination;
  userCancelledOrTimedOut?: boolean;
  /** Never retried (a cancel, or the whole run timing out). */
  final?: boolean;
  exitValue?: string;
  error?: string;
  errorTrace?: string;
}

/** One attempt of one task: what `tasks[i]` of `runs/get` shows, with its own run id. */
export interface Attempt {
  run_id: number;
  attempt_number: number;
  life: LifeCycle;
  /** When the attempt entered `life`. */
  since: number;
  start_time?: number;
  running_at?: number;
  /** Planned end of the notebook while RUNNING. */
  finish_at?: number;
  end_time?: number;
  result_state?: string;
  state_message: string;
  user_cancelled_or_timedout: boolean;
  termination?: Termination;
  /** What ends the attempt once it is TERMINATING (or RUNNING until `finish_at`). */
  outcome?: Outcome;
  cluster_id?: string;
  /** The cluster's Spark context when the attempt started running. */
  spark_context_id?: number | undefined;
  /** The compute is released (job cluster terminated, shared cluster freed). */
  released?: boolean;
  ready?: { readyAt: number } | { failAt: number; message: string };
  retry_at?: number;
  output: { result?: string; error?: string; error_trace?: string };
  /** Notebook parameters the attempt ran with. */
  parameters?: Record<string, string>;
  behaviour?: NotebookBehaviour;
  /** The notebook runs in a local Python process (local mode): it ends when the process does. */
  local?: boolean;
}

export interface TaskRecord {
  task_key: string;
  /** The task as submitted (null fields dropped). */
  spec: Record<string, any>;
  /** Task keys this task waits for in this run. */
  depends_on: string[];
  /** Set for tasks left out of the run (`only`, `disabled`): EXCLUDED or DISABLED. */
  left_out?: "EXCLUDED" | "DISABLED";
  attempts: Attempt[];
}

export interface JobClusterRecord {
  job_cluster_key: string;
  new_cluster: Record<string, unknown>;
  cluster_id?: string;
  terminated?: boolean;
}

export interface RepairRecord {
  type: "ORIGINAL" | "REPAIR";
  id: number;
  start_time: number;
  end_time?: number;
  task_run_ids: number[];
  result_state?: string;
  life?: LifeCycle;
  state_message?: string;
}

export interface RunRecord {
  run_id: number;
  job_id: number;
  run_name: string;
  run_type: "JOB_RUN" | "SUBMIT_RUN";
  trigger: string;
  start_time: number;
  end_time?: number;
  /** QUEUED waits for a slot; ACTIVE runs its tasks; the rest are final. */
  life: "QUEUED" | "ACTIVE" | "TERMINATED" | "SKIPPED" | "INTERNAL_ERROR";
  /** When the run entered its current life (a queued run is admitted from then on). */
  since: number;
  result_state?: string;
  state_message: string;
  termination?: Termination;
  user_cancelled_or_timedout: boolean;
  queue_enabled: boolean;
  max_concurrent_runs: number;
  timeout_seconds: number;
  /** A cancel or a run-level timeout, and when. */
  stop?: { at: number; result: "CANCELED" | "TIMEDOUT" };
  tasks: TaskRecord[];
  job_clusters: JobClusterRecord[];
  job_parameters?: Array<{ name: string; default: string; value?: string }>;
  notebook_params?: Record<string, string>;
  overriding_parameters?: Record<string, unknown>;
  repair_history: RepairRecord[];
  /** Other settings shown as given (git_source, tags, notifications, …). */
  extra: Record<string, unknown>;
  idempotency_token?: string;
  deleted?: boolean;
}

export interface JobRecord {
  job_id: number;
  created_time: number;
  creator_user_name: string;
  run_as_user_name: string;
  settings: Record<string, any>;
  /** The hidden job of a one-time run: not listed. */
  ephemeral?: boolean;
}

export interface JobsState {
  jobs: Record<string, JobRecord>;
  runs: Record<string, RunRecord>;
  /** Task run id → parent run id. */
  task_runs: Record<string, number>;
  /** `run-now:<token>` / `submit:<token>` → run id. */
  tokens: Record<string, number>;
  /** Notebook path → scripted behaviour. */
  scripts: Record<string, NotebookBehaviour>;
  /** Runs still moving (QUEUED or ACTIVE). */
  active: number[];
}

export function current(task: TaskRecord): Attempt {
  return task.attempts[task.attempts.length - 1]!;
}

export function isFinal(a: Attempt): boolean {
  return FINAL_LIFE.has(a.life);
}
