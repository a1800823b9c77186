import { z } from "zod";
import { closedEnum, int64, openEnum } from "../core/validation.js";
import { ClusterSpecSchema } from "./clusters-schemas.js";

// Proto-JSON servers read `null` as "not set", so optional request fields accept it too.

const int = () => z.number().int();
const id = () => z.number().int().min(0);
const stringMap = () => z.record(z.string(), z.string());
const loose = () => z.looseObject({});
const idempotencyToken = () => z.string().min(1).max(64, "must be at most 64 characters").nullish();

export const RUN_LIFE_CYCLE_STATES = [
  "QUEUED",
  "PENDING",
  "RUNNING",
  "TERMINATING",
  "TERMINATED",
  "SKIPPED",
  "INTERNAL_ERROR",
  "BLOCKED",
  "WAITING_FOR_RETRY",
] as const;
export const RUN_RESULT_STATES = [
  "SUCCESS",
  "FAILED",
  "TIMEDOUT",
  "CANCELED",
  "MAXIMUM_CONCURRENT_RUNS_REACHED",
  "EXCLUDED",
  "SUCCESS_WITH_FAILURES",
  "UPSTREAM_FAILED",
  "UPSTREAM_CANCELED",
  "DISABLED",
] as const;

const RUN_IF = [
  "ALL_SUCCESS",
  "ALL_DONE",
  "NONE_FAILED",
  "AT_LEAST_ONE_SUCCESS",
  "AT_LEAST_ONE_FAILED",
  "ALL_FAILED",
] as const;

export const NotebookTaskSchema = z.looseObject({
  notebook_path: z.string().min(1, "is required"),
  base_parameters: stringMap().nullish(),
  source: openEnum(["WORKSPACE", "GIT"]).nullish(),
  warehouse_id: z.string().nullish(),
});
export type NotebookTask = z.input<typeof NotebookTaskSchema>;

const taskKey = z
  .string()
  .min(1, "is required")
  .max(100, "must be at most 100 characters")
  .regex(/^[\w-]+$/, "may contain only letters, digits, '_' and '-'");

const taskFields = {
  task_key: taskKey,
  description: z.string().nullish(),
  depends_on: z.array(z.looseObject({ task_key: taskKey, outcome: z.string().nullish() })).nullish(),
  run_if: openEnum(RUN_IF).nullish(),
  existing_cluster_id: z.string().min(1).nullish(),
  new_cluster: ClusterSpecSchema.nullish(),
  job_cluster_key: z.string().min(1).nullish(),
  environment_key: z.string().min(1).nullish(),
  notebook_task: NotebookTaskSchema.nullish(),
  spark_python_task: loose().nullish(),
  spark_jar_task: loose().nullish(),
  spark_submit_task: loose().nullish(),
  python_wheel_task: loose().nullish(),
  sql_task: loose().nullish(),
  dbt_task: loose().nullish(),
  pipeline_task: loose().nullish(),
  run_job_task: loose().nullish(),
  condition_task: loose().nullish(),
  for_each_task: loose().nullish(),
  libraries: z.array(loose()).nullish(),
  timeout_seconds: int().min(0).nullish(),
  max_retries: int().min(-1).nullish(),
  min_retry_interval_millis: int().min(0).nullish(),
  retry_on_timeout: z.boolean().nullish(),
  email_notifications: loose().nullish(),
  webhook_notifications: loose().nullish(),
  notification_settings: loose().nullish(),
  health: loose().nullish(),
  disabled: z.boolean().nullish(),
};

const COMPUTE_FIELDS = ["existing_cluster_id", "new_cluster", "job_cluster_key", "environment_key"] as const;

function checkTask(task: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const given = COMPUTE_FIELDS.filter((f) => task[f] != null);
  if (given.length > 1) {
    ctx.addIssue({
      code: "custom",
      path: [given[1]!],
      message: `give only one of ${COMPUTE_FIELDS.join(", ")} (got ${given.join(" and ")})`,
    });
  }
}

export const JobTaskSchema = z.looseObject(taskFields).superRefine(checkTask);

const TASK_TYPES = [
  "notebook_task",
  "spark_python_task",
  "spark_jar_task",
  "spark_submit_task",
  "python_wheel_task",
  "sql_task",
  "dbt_task",
  "pipeline_task",
  "run_job_task",
  "condition_task",
  "for_each_task",
] as const;

/**
 * The single-task form of Jobs API 2.0, still sent by older clients (e.g. Airflow's submit
 * example): the one task's fields at the top level, no `tasks`. Sent as given; the service reads
 * it as one task (`format: SINGLE_TASK`).
 */
const singleTaskFields = {
  existing_cluster_id: taskFields.existing_cluster_id,
  new_cluster: taskFields.new_cluster,
  libraries: taskFields.libraries,
  max_retries: taskFields.max_retries,
  min_retry_interval_millis: taskFields.min_retry_interval_millis,
  retry_on_timeout: taskFields.retry_on_timeout,
  ...Object.fromEntries(TASK_TYPES.map((t) => [t, taskFields[t]])),
} as Pick<
  typeof taskFields,
  | "existing_cluster_id"
  | "new_cluster"
  | "libraries"
  | "max_retries"
  | "min_retry_interval_millis"
  | "retry_on_timeout"
  | (typeof TASK_TYPES)[number]
>;

/** `tasks`, or the single-task form, but not both; a run needs one or the other. */
function checkSingleTask(required: boolean) {
  return (body: Record<string, any>, ctx: z.RefinementCtx): void => {
    const types = TASK_TYPES.filter((t) => body[t] != null);
    if (body.tasks != null && types.length) {
      ctx.addIssue({
        code: "custom",
        path: [types[0]!],
        message: `give the task inside tasks, or the single-task form (${types[0]} at the top level) without tasks, not both`,
      });
    } else if (body.tasks == null && !types.length) {
      const clusterOnly = body.new_cluster != null || body.existing_cluster_id != null;
      if (required || clusterOnly) {
        ctx.addIssue({
          code: "custom",
          path: ["tasks"],
          message: `is required: give tasks, or one task at the top level (one of ${TASK_TYPES.join(", ")})`,
        });
      }
    } else if (types.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [types[1]!],
        message: `the single-task form takes one task type (got ${types.join(" and ")})`,
      });
    }
    if (body.tasks == null) checkTask(body, ctx);
  };
}
export type JobTask = z.input<typeof JobTaskSchema>;
/** A task of a one-time run (`runs/submit`). */
export const SubmitTaskSchema = JobTaskSchema;
export type SubmitTask = z.input<typeof SubmitTaskSchema>;

export const JobClusterSchema = z.looseObject({
  job_cluster_key: z.string().min(1, "is required"),
  new_cluster: ClusterSpecSchema,
});
export type JobCluster = z.input<typeof JobClusterSchema>;

export const JobParameterDefinitionSchema = z.looseObject({
  name: z.string().min(1, "is required"),
  default: z.string(),
});

/** Checks what spans tasks: unique keys, known dependencies, known job clusters. */
function checkTasks(
  settings: { tasks?: Array<Record<string, any>> | null; job_clusters?: Array<Record<string, any>> | null },
  ctx: z.RefinementCtx,
): void {
  const tasks = settings.tasks ?? [];
  const keys = new Set<string>();
  tasks.forEach((t, i) => {
    if (keys.has(t.task_key)) {
      ctx.addIssue({
        code: "custom",
        path: ["tasks", i, "task_key"],
        message: `duplicate task_key "${t.task_key}"`,
      });
    }
    keys.add(t.task_key);
  });
  const clusterKeys = new Set((settings.job_clusters ?? []).map((c) => c.job_cluster_key));
  tasks.forEach((t, i) => {
    (t.depends_on ?? []).forEach((d: { task_key: string }, j: number) => {
      if (!keys.has(d.task_key)) {
        ctx.addIssue({
          code: "custom",
          path: ["tasks", i, "depends_on", j, "task_key"],
          message: `no task with task_key "${d.task_key}"`,
        });
      }
    });
    if (t.job_cluster_key != null && !clusterKeys.has(t.job_cluster_key)) {
      ctx.addIssue({
        code: "custom",
        path: ["tasks", i, "job_cluster_key"],
        message: `no job cluster with job_cluster_key "${t.job_cluster_key}" in job_clusters`,
      });
    }
  });
}

const jobSettingsFields = {
  name: z.string().max(4096).nullish(),
  description: z.string().max(27_700).nullish(),
  tasks: z.array(JobTaskSchema).max(1000, "at most 1000 tasks").nullish(),
  job_clusters: z.array(JobClusterSchema).nullish(),
  environments: z.array(loose()).nullish(),
  parameters: z.array(JobParameterDefinitionSchema).nullish(),
  timeout_seconds: int().min(0).nullish(),
  max_concurrent_runs: int().min(0).max(1000).nullish(),
  schedule: z
    .looseObject({
      quartz_cron_expression: z.string().min(1, "is required"),
      timezone_id: z.string().min(1, "is required"),
      pause_status: openEnum(["PAUSED", "UNPAUSED"]).nullish(),
    })
    .nullish(),
  continuous: loose().nullish(),
  trigger: loose().nullish(),
  email_notifications: loose().nullish(),
  webhook_notifications: loose().nullish(),
  notification_settings: loose().nullish(),
  queue: z.looseObject({ enabled: z.boolean() }).nullish(),
  run_as: loose().nullish(),
  git_source: loose().nullish(),
  tags: stringMap()
    .refine((t) => Object.keys(t).length <= 25, "at most 25 tags are allowed")
    .nullish(),
  health: loose().nullish(),
  edit_mode: z.string().nullish(),
  format: z.string().nullish(),
  budget_policy_id: z.string().nullish(),
  performance_target: openEnum(["STANDARD", "PERFORMANCE_OPTIMIZED"]).nullish(),
};

export const JobSettingsSchema = z.looseObject(jobSettingsFields).superRefine(checkTasks);
export type JobSettings = z.input<typeof JobSettingsSchema>;

export const CreateJobRequestSchema = z
  .looseObject({
    ...jobSettingsFields,
    ...singleTaskFields,
    access_control_list: z.array(loose()).nullish(),
  })
  .superRefine(checkTasks)
  .superRefine(checkSingleTask(false));
export type CreateJobRequest = z.input<typeof CreateJobRequestSchema>;

export const JobIdRequestSchema = z.looseObject({ job_id: id() });
export type JobIdRequest = z.input<typeof JobIdRequestSchema>;

export const GetJobRequestSchema = z.looseObject({
  job_id: id(),
  include_trigger_state: z.boolean().nullish(),
});
export type GetJobRequest = z.input<typeof GetJobRequestSchema>;

export const ListJobsRequestSchema = z.looseObject({
  limit: int().min(1).max(100).nullish(),
  offset: int().min(0).nullish(),
  page_token: z.string().nullish(),
  name: z.string().nullish(),
  expand_tasks: z.boolean().nullish(),
});
export type ListJobsRequest = z.input<typeof ListJobsRequestSchema>;

export const ResetJobRequestSchema = z.looseObject({ job_id: id(), new_settings: JobSettingsSchema });
export type ResetJobRequest = z.input<typeof ResetJobRequestSchema>;

export const UpdateJobRequestSchema = z.looseObject({
  job_id: id(),
  /** Top-level fields replace the job's; `tasks` and `job_clusters` merge by key. */
  new_settings: z.looseObject(jobSettingsFields).nullish(),
  /** e.g. `"tasks/train"`, `"libraries"`. */
  fields_to_remove: z.array(z.string()).nullish(),
});
export type UpdateJobRequest = z.input<typeof UpdateJobRequestSchema>;

const runParameterFields = {
  job_parameters: stringMap().nullish(),
  notebook_params: stringMap().nullish(),
  python_params: z.array(z.string()).nullish(),
  jar_params: z.array(z.string()).nullish(),
  spark_submit_params: z.array(z.string()).nullish(),
  python_named_params: stringMap().nullish(),
  sql_params: stringMap().nullish(),
  dbt_commands: z.array(z.string()).nullish(),
  pipeline_params: loose().nullish(),
  performance_target: openEnum(["STANDARD", "PERFORMANCE_OPTIMIZED"]).nullish(),
};

export const RunNowRequestSchema = z.looseObject({
  job_id: id(),
  /** Same token → same run, however often the call is repeated (≤ 64 characters). */
  idempotency_token: idempotencyToken(),
  ...runParameterFields,
  /** Task keys to run; others are skipped. */
  only: z.array(z.string()).nullish(),
  queue: z.looseObject({ enabled: z.boolean() }).nullish(),
});
export type RunNowRequest = z.input<typeof RunNowRequestSchema>;

export const SubmitRunRequestSchema = z
  .looseObject({
    run_name: z.string().nullish(),
    tasks: z
      .array(SubmitTaskSchema)
      .min(1, "at least one task is required")
      .max(1000, "at most 1000 tasks")
      .nullish(),
    ...singleTaskFields,
    /** Same token → same run, however often the call is repeated (≤ 64 characters). */
    idempotency_token: idempotencyToken(),
    timeout_seconds: int().min(0).nullish(),
    git_source: loose().nullish(),
    environments: z.array(loose()).nullish(),
    email_notifications: loose().nullish(),
    webhook_notifications: loose().nullish(),
    notification_settings: loose().nullish(),
    health: loose().nullish(),
    queue: z.looseObject({ enabled: z.boolean() }).nullish(),
    run_as: loose().nullish(),
    tags: stringMap()
      .refine((t) => Object.keys(t).length <= 25, "at most 25 tags are allowed")
      .nullish(),
    budget_policy_id: z.string().nullish(),
    access_control_list: z.array(loose()).nullish(),
    performance_target: openEnum(["STANDARD", "PERFORMANCE_OPTIMIZED"]).nullish(),
  })
  .superRefine(checkTasks)
  .superRefine(checkSingleTask(true));
export type SubmitRunRequest = z.input<typeof SubmitRunRequestSchema>;

export const JobRunIdRequestSchema = z.looseObject({ run_id: id() });
export type JobRunIdRequest = z.input<typeof JobRunIdRequestSchema>;

export const GetJobRunRequestSchema = z.looseObject({
  run_id: id(),
  include_history: z.boolean().nullish(),
  include_resolved_values: z.boolean().nullish(),
});
export type GetJobRunRequest = z.input<typeof GetJobRunRequestSchema>;

export const ListJobRunsRequestSchema = z
  .looseObject({
    job_id: id().nullish(),
    active_only: z.boolean().nullish(),
    completed_only: z.boolean().nullish(),
    limit: int().min(0).max(25).nullish(),
    offset: int().min(0).nullish(),
    page_token: z.string().nullish(),
    run_type: closedEnum(["JOB_RUN", "WORKFLOW_RUN", "SUBMIT_RUN"]).nullish(),
    start_time_from: int().nullish(),
    start_time_to: int().nullish(),
    expand_tasks: z.boolean().nullish(),
  })
  .refine((r) => !(r.active_only && r.completed_only), {
    path: ["completed_only"],
    message: "active_only and completed_only cannot both be true",
  });
export type ListJobRunsRequest = z.input<typeof ListJobRunsRequestSchema>;

export const CancelAllRunsRequestSchema = z
  .looseObject({ job_id: id().nullish(), all_queued_runs: z.boolean().nullish() })
  .refine((r) => r.job_id != null || r.all_queued_runs === true, {
    path: ["job_id"],
    message: "give job_id, or all_queued_runs: true",
  });
export type CancelAllRunsRequest = z.input<typeof CancelAllRunsRequestSchema>;

export const RepairRunRequestSchema = z
  .looseObject({
    run_id: id(),
    rerun_tasks: z.array(z.string()).nullish(),
    rerun_all_failed_tasks: z.boolean().nullish(),
    rerun_dependent_tasks: z.boolean().nullish(),
    /** Required after the first repair of a run: the `repair_id` of the latest repair. */
    latest_repair_id: id().nullish(),
    ...runParameterFields,
  })
  .refine((r) => (r.rerun_tasks?.length ?? 0) > 0 || r.rerun_all_failed_tasks === true, {
    path: ["rerun_tasks"],
    message: "give rerun_tasks, or rerun_all_failed_tasks: true",
  });
export type RepairRunRequest = z.input<typeof RepairRunRequestSchema>;

export const ExportRunRequestSchema = z.looseObject({
  run_id: id(),
  views_to_export: closedEnum(["CODE", "DASHBOARDS", "ALL"]).nullish(),
});
export type ExportRunRequest = z.input<typeof ExportRunRequestSchema>;

// Responses: lenient, every field optional, unknown fields kept.

export const JobRunStateSchema = z.looseObject({
  life_cycle_state: openEnum(RUN_LIFE_CYCLE_STATES).nullish(),
  result_state: openEnum(RUN_RESULT_STATES).nullish(),
  state_message: z.string().nullish(),
  user_cancelled_or_timedout: z.boolean().nullish(),
  queue_reason: z.string().nullish(),
});
export type JobRunState = z.output<typeof JobRunStateSchema>;

export const JobRunStatusSchema = z.looseObject({
  state: z.string().nullish(),
  termination_details: z
    .looseObject({ code: z.string().nullish(), type: z.string().nullish(), message: z.string().nullish() })
    .nullish(),
  queue_details: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});
export type JobRunStatus = z.output<typeof JobRunStatusSchema>;

const runCommonFields = {
  run_id: z.number().nullish(),
  state: JobRunStateSchema.nullish(),
  status: JobRunStatusSchema.nullish(),
  start_time: z.number().nullish(),
  end_time: z.number().nullish(),
  setup_duration: z.number().nullish(),
  execution_duration: z.number().nullish(),
  cleanup_duration: z.number().nullish(),
  run_duration: z.number().nullish(),
  queue_duration: z.number().nullish(),
  attempt_number: z.number().nullish(),
  run_page_url: z.string().nullish(),
  cluster_instance: z
    .looseObject({ cluster_id: z.string().nullish(), spark_context_id: int64.nullish() })
    .nullish(),
  git_source: loose().nullish(),
};

export const JobRunTaskSchema = z.looseObject({
  ...runCommonFields,
  task_key: z.string().nullish(),
  description: z.string().nullish(),
  depends_on: z.array(loose()).nullish(),
  existing_cluster_id: z.string().nullish(),
  new_cluster: loose().nullish(),
  job_cluster_key: z.string().nullish(),
  notebook_task: loose().nullish(),
});
export type JobRunTask = z.output<typeof JobRunTaskSchema>;

export const JobRunSchema = z.looseObject({
  ...runCommonFields,
  job_id: z.number().nullish(),
  job_run_id: z.number().nullish(),
  number_in_job: z.number().nullish(),
  original_attempt_run_id: z.number().nullish(),
  creator_user_name: z.string().nullish(),
  run_name: z.string().nullish(),
  run_type: z.string().nullish(),
  trigger: z.string().nullish(),
  tasks: z.array(JobRunTaskSchema).nullish(),
  iterations: z.array(JobRunTaskSchema).nullish(),
  job_clusters: z.array(loose()).nullish(),
  job_parameters: z.array(loose()).nullish(),
  repair_history: z.array(loose()).nullish(),
  cluster_spec: loose().nullish(),
  overriding_parameters: loose().nullish(),
  has_more: z.boolean().nullish(),
  next_page_token: z.string().nullish(),
});
export type JobRun = z.output<typeof JobRunSchema>;

export const JobRunOutputSchema = z.looseObject({
  notebook_output: z
    .looseObject({ result: z.string().nullish(), truncated: z.boolean().nullish() })
    .nullish(),
  logs: z.string().nullish(),
  logs_truncated: z.boolean().nullish(),
  error: z.string().nullish(),
  error_trace: z.string().nullish(),
  info: z.string().nullish(),
  metadata: JobRunSchema.nullish(),
  sql_output: loose().nullish(),
  dbt_output: loose().nullish(),
  run_job_output: loose().nullish(),
});
export type JobRunOutput = z.output<typeof JobRunOutputSchema>;

export const JobSchema = z.looseObject({
  job_id: z.number().nullish(),
  creator_user_name: z.string().nullish(),
  run_as_user_name: z.string().nullish(),
  created_time: z.number().nullish(),
  settings: z
    .looseObject({
      name: z.string().nullish(),
      tasks: z.array(loose()).nullish(),
      job_clusters: z.array(loose()).nullish(),
      environments: z.array(loose()).nullish(),
      parameters: z.array(loose()).nullish(),
    })
    .nullish(),
  trigger_state: loose().nullish(),
  has_more: z.boolean().nullish(),
  next_page_token: z.string().nullish(),
});
export type Job = z.output<typeof JobSchema>;

export const ListJobsResponseSchema = z.looseObject({
  jobs: z.array(JobSchema).nullish(),
  has_more: z.boolean().nullish(),
  next_page_token: z.string().nullish(),
  prev_page_token: z.string().nullish(),
});

export const ListJobRunsResponseSchema = z.looseObject({
  runs: z.array(JobRunSchema).nullish(),
  has_more: z.boolean().nullish(),
  next_page_token: z.string().nullish(),
  prev_page_token: z.string().nullish(),
});

export const CreateJobResponseSchema = z.looseObject({ job_id: z.number() });
export type CreateJobResponse = z.output<typeof CreateJobResponseSchema>;

export const RunNowResponseSchema = z.looseObject({
  run_id: z.number(),
  number_in_job: z.number().nullish(),
});
export type RunNowResponse = z.output<typeof RunNowResponseSchema>;

export const SubmitRunResponseSchema = z.looseObject({ run_id: z.number() });
export type SubmitRunResponse = z.output<typeof SubmitRunResponseSchema>;

export const RepairRunResponseSchema = z.looseObject({ repair_id: z.number() });
export type RepairRunResponse = z.output<typeof RepairRunResponseSchema>;

export const ExportRunResponseSchema = z.looseObject({
  views: z
    .array(
      z.looseObject({
        content: z.string().nullish(),
        name: z.string().nullish(),
        type: z.string().nullish(),
      }),
    )
    .nullish(),
});
export type ExportRunResponse = z.output<typeof ExportRunResponseSchema>;
