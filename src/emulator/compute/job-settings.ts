import { invalidParameter } from "../errors.js";
import type { ClustersEmulatorExports } from "../services/clusters.js";
import type { EmulatorContext } from "../types.js";

/** Job settings and run requests as the Jobs service reads them: defaults, legacy forms and the checks it makes. */

const MAX_TASKS = 1000;

const TASK_TYPES = [
  "notebook_task",
  "spark_jar_task",
  "spark_python_task",
  "spark_submit_task",
  "python_wheel_task",
  "pipeline_task",
  "sql_task",
  "dbt_task",
  "run_job_task",
  "condition_task",
  "for_each_task",
];

/** Fields a 2.0 single-task job or run carries at the top level instead of in `tasks`. */
const LEGACY_TASK_FIELDS = [
  ...TASK_TYPES,
  "existing_cluster_id",
  "new_cluster",
  "libraries",
  "max_retries",
  "min_retry_interval_millis",
  "retry_on_timeout",
];

/** Proto-JSON semantics: a null field is an unset one. */
export function clean<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clean) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, clean(v)]),
    ) as T;
  }
  return value;
}

/** Turns a 2.0 single-task body (task fields at the top level) into the multi-task form. */
export function withTasks(body: Record<string, any>): Record<string, any> {
  if (Array.isArray(body.tasks) || !TASK_TYPES.some((f) => body[f] != null)) return body;
  const task: Record<string, unknown> = { task_key: "default" };
  const rest: Record<string, any> = {};
  for (const [k, v] of Object.entries(body)) {
    if (LEGACY_TASK_FIELDS.includes(k)) task[k] = v;
    else rest[k] = v;
  }
  return { ...rest, tasks: [task], format: "SINGLE_TASK" };
}

/** The checks the real service makes on tasks: keys, dependencies, compute and notebook paths. */
export function checkTasks(ctx: EmulatorContext, settings: Record<string, any>): void {
  const tasks: Array<Record<string, any>> = settings.tasks ?? [];
  if (!Array.isArray(tasks)) throw invalidParameter("tasks must be an array");
  if (tasks.length > MAX_TASKS) throw invalidParameter(`A job can have at most ${MAX_TASKS} tasks.`);
  const keys = new Set<string>();
  for (const t of tasks) {
    if (!t || typeof t.task_key !== "string" || !t.task_key)
      throw invalidParameter("Missing required field: task_key");
    if (keys.has(t.task_key)) throw invalidParameter(`Task key ${t.task_key} is used by more than one task.`);
    keys.add(t.task_key);
  }
  const jobClusters = new Set(
    (settings.job_clusters ?? []).map((c: { job_cluster_key: string }) => c.job_cluster_key),
  );
  const clusters = ctx.service<ClustersEmulatorExports>("clusters");
  for (const t of tasks) {
    for (const d of t.depends_on ?? []) {
      if (!keys.has(d?.task_key)) {
        throw invalidParameter(
          `Task ${t.task_key} depends on ${d?.task_key}, which is not a task of this job.`,
        );
      }
    }
    if (t.job_cluster_key && !jobClusters.has(t.job_cluster_key)) {
      throw invalidParameter(
        `Task ${t.task_key} uses job cluster ${t.job_cluster_key}, which is not in job_clusters.`,
      );
    }
    if (t.existing_cluster_id && clusters && !clusters.exists(t.existing_cluster_id)) {
      throw invalidParameter(`Cluster ${t.existing_cluster_id} does not exist`);
    }
    if (t.notebook_task && !t.notebook_task.notebook_path) {
      throw invalidParameter(
        `Missing required field: tasks.notebook_task.notebook_path (task ${t.task_key})`,
      );
    }
    if (t.new_cluster && !t.new_cluster.spark_version) {
      throw invalidParameter(`Missing required field: tasks.new_cluster.spark_version (task ${t.task_key})`);
    }
  }
  if (hasCycle(tasks)) throw invalidParameter("The task dependencies form a cycle.");
}

function hasCycle(tasks: Array<Record<string, any>>): boolean {
  const deps = new Map(tasks.map((t) => [t.task_key, (t.depends_on ?? []).map((d: any) => d.task_key)]));
  const state = new Map<string, 1 | 2>();
  const visit = (k: string): boolean => {
    if (state.get(k) === 2) return false;
    if (state.get(k) === 1) return true;
    state.set(k, 1);
    const cyclic = (deps.get(k) ?? []).some(visit);
    state.set(k, 2);
    return cyclic;
  };
  return [...deps.keys()].some(visit);
}

export function checkToken(token: unknown): string | undefined {
  if (token === undefined || token === null || token === "") return undefined;
  if (typeof token !== "string" || token.length > 64) {
    throw invalidParameter("idempotency_token must be a string of at most 64 characters.");
  }
  return token;
}

export function mergeByKey(existing: any[] = [], updates: any[] = [], key: string): any[] {
  const out = [...existing];
  for (const u of updates) {
    const i = out.findIndex((e) => e[key] === u[key]);
    if (i >= 0) out[i] = u;
    else out.push(u);
  }
  return out;
}
