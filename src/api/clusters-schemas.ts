import { z } from "zod";
import { closedEnum, int64, openEnum } from "../core/validation.js";

// Proto-JSON servers read `null` as "not set", so optional request fields accept it too.

const int = () => z.number().int();
const stringMap = () => z.record(z.string(), z.string());
const loose = () => z.looseObject({});

export const CLUSTER_STATES = [
  "PENDING",
  "RUNNING",
  "RESTARTING",
  "RESIZING",
  "TERMINATING",
  "TERMINATED",
  "ERROR",
  "UNKNOWN",
] as const;
export type ClusterState = (typeof CLUSTER_STATES)[number] | (string & {});

export const AutoscaleSchema = z.looseObject({
  min_workers: int().min(0).nullish(),
  max_workers: int().min(1).nullish(),
});

/** Fields shared by a cluster definition (`clusters/create`, `new_cluster` of a job) and ClusterDetails. */
const clusterSpecFields = {
  apply_policy_default_values: z.boolean().nullish(),
  autoscale: AutoscaleSchema.nullish(),
  autotermination_minutes: int().min(0).nullish(),
  aws_attributes: loose().nullish(),
  azure_attributes: loose().nullish(),
  gcp_attributes: loose().nullish(),
  cluster_log_conf: loose().nullish(),
  cluster_name: z.string().nullish(),
  custom_tags: stringMap().nullish(),
  data_security_mode: openEnum([
    "DATA_SECURITY_MODE_AUTO",
    "DATA_SECURITY_MODE_STANDARD",
    "DATA_SECURITY_MODE_DEDICATED",
    "USER_ISOLATION",
    "SINGLE_USER",
    "NONE",
    "LEGACY_TABLE_ACL",
    "LEGACY_PASSTHROUGH",
    "LEGACY_SINGLE_USER",
    "LEGACY_SINGLE_USER_STANDARD",
  ]).nullish(),
  docker_image: loose().nullish(),
  driver_instance_pool_id: z.string().nullish(),
  driver_node_type_id: z.string().nullish(),
  enable_elastic_disk: z.boolean().nullish(),
  enable_local_disk_encryption: z.boolean().nullish(),
  init_scripts: z.array(loose()).nullish(),
  instance_pool_id: z.string().nullish(),
  is_single_node: z.boolean().nullish(),
  kind: openEnum(["CLASSIC_PREVIEW"]).nullish(),
  node_type_id: z.string().nullish(),
  num_workers: int().min(0).nullish(),
  policy_id: z.string().nullish(),
  runtime_engine: openEnum(["STANDARD", "PHOTON", "NULL"]).nullish(),
  single_user_name: z.string().nullish(),
  spark_conf: stringMap().nullish(),
  spark_env_vars: stringMap().nullish(),
  spark_version: z.string().nullish(),
  ssh_public_keys: z.array(z.string()).nullish(),
  use_ml_runtime: z.boolean().nullish(),
  workload_type: loose().nullish(),
};

/** Checks the documented limits of a cluster definition (requests only; responses are never judged). */
function checkClusterSpec(spec: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const autoscale = spec.autoscale as { min_workers?: number | null; max_workers?: number | null } | null;
  if (autoscale && autoscale.min_workers != null && autoscale.max_workers != null) {
    if (autoscale.max_workers <= autoscale.min_workers) {
      ctx.addIssue({
        code: "custom",
        path: ["autoscale", "max_workers"],
        message: "must be greater than autoscale.min_workers",
      });
    }
  }
  const minutes = spec.autotermination_minutes as number | null | undefined;
  if (minutes != null && minutes !== 0 && (minutes < 10 || minutes > 10_000)) {
    ctx.addIssue({
      code: "custom",
      path: ["autotermination_minutes"],
      message: "must be 0 (never) or between 10 and 10000",
    });
  }
  const tags = spec.custom_tags as Record<string, string> | null | undefined;
  if (tags && Object.keys(tags).length > 45) {
    ctx.addIssue({ code: "custom", path: ["custom_tags"], message: "at most 45 tags are allowed" });
  }
  const keys = spec.ssh_public_keys as string[] | null | undefined;
  if (keys && keys.length > 10) {
    ctx.addIssue({ code: "custom", path: ["ssh_public_keys"], message: "at most 10 keys are allowed" });
  }
}

/** A cluster definition: the body of `clusters/create` and the `new_cluster` of job tasks. */
export const ClusterSpecSchema = z
  .looseObject({ ...clusterSpecFields, spark_version: z.string().min(1, "is required") })
  .superRefine(checkClusterSpec);
export type ClusterSpec = z.input<typeof ClusterSpecSchema>;

const clusterId = z.string().min(1, "is required");

export const CreateClusterRequestSchema = z
  .looseObject({
    ...clusterSpecFields,
    spark_version: z.string().min(1, "is required"),
    /** Same token → same cluster while it is not terminated (≤ 64 characters). */
    idempotency_token: z.string().min(1).max(64).nullish(),
    clone_from: loose().nullish(),
  })
  .superRefine(checkClusterSpec);
export type CreateClusterRequest = z.input<typeof CreateClusterRequestSchema>;

export const EditClusterRequestSchema = z
  .looseObject({
    ...clusterSpecFields,
    cluster_id: clusterId,
    spark_version: z.string().min(1, "is required"),
  })
  .superRefine(checkClusterSpec);
export type EditClusterRequest = z.input<typeof EditClusterRequestSchema>;

export const ClusterIdRequestSchema = z.looseObject({ cluster_id: clusterId });
export type ClusterIdRequest = z.input<typeof ClusterIdRequestSchema>;

export const RestartClusterRequestSchema = z.looseObject({
  cluster_id: clusterId,
  restart_user: z.string().nullish(),
});
export type RestartClusterRequest = z.input<typeof RestartClusterRequestSchema>;

export const ResizeClusterRequestSchema = z
  .looseObject({
    cluster_id: clusterId,
    num_workers: int().min(0).nullish(),
    autoscale: AutoscaleSchema.nullish(),
  })
  .superRefine((req, ctx) => {
    if (req.num_workers == null && req.autoscale == null) {
      ctx.addIssue({ code: "custom", path: ["num_workers"], message: "give num_workers or autoscale" });
    }
    checkClusterSpec(req, ctx);
  });
export type ResizeClusterRequest = z.input<typeof ResizeClusterRequestSchema>;

export const ListClustersRequestSchema = z.looseObject({
  filter_by: z
    .looseObject({
      cluster_states: z.array(openEnum(CLUSTER_STATES)).nullish(),
      cluster_sources: z.array(z.string()).nullish(),
      is_pinned: z.boolean().nullish(),
      policy_id: z.string().nullish(),
    })
    .nullish(),
  page_size: int().min(1).nullish(),
  page_token: z.string().nullish(),
  sort_by: z
    .looseObject({
      direction: closedEnum(["ASC", "DESC"]).nullish(),
      field: closedEnum(["CLUSTER_NAME", "DEFAULT"]).nullish(),
    })
    .nullish(),
});
export type ListClustersRequest = z.input<typeof ListClustersRequestSchema>;

export const ClusterEventsRequestSchema = z.looseObject({
  cluster_id: clusterId,
  start_time: int().nullish(),
  end_time: int().nullish(),
  order: closedEnum(["ASC", "DESC"]).nullish(),
  event_types: z.array(z.string()).nullish(),
  page_size: int().min(0).max(500).nullish(),
  page_token: z.string().nullish(),
  offset: int().min(0).nullish(),
  limit: int().min(1).max(500).nullish(),
});
export type ClusterEventsRequest = z.input<typeof ClusterEventsRequestSchema>;

// Responses: lenient, every field optional, unknown fields kept.

export const TerminationReasonSchema = z.looseObject({
  code: z.string().nullish(),
  type: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
});

export const ClusterDetailsSchema = z.looseObject({
  ...clusterSpecFields,
  cluster_id: z.string().nullish(),
  state: openEnum(CLUSTER_STATES).nullish(),
  state_message: z.string().nullish(),
  termination_reason: TerminationReasonSchema.nullish(),
  start_time: z.number().nullish(),
  terminated_time: z.number().nullish(),
  last_restarted_time: z.number().nullish(),
  last_state_loss_time: z.number().nullish(),
  last_activity_time: z.number().nullish(),
  creator_user_name: z.string().nullish(),
  cluster_source: z.string().nullish(),
  cluster_cores: z.number().nullish(),
  cluster_memory_mb: z.number().nullish(),
  jdbc_port: z.number().nullish(),
  spark_context_id: int64.nullish(),
  default_tags: stringMap().nullish(),
  driver: loose().nullish(),
  executors: z.array(loose()).nullish(),
  pinned_by_user_name: z.string().nullish(),
  spec: loose().nullish(),
});
export type ClusterDetails = z.output<typeof ClusterDetailsSchema>;

export const CreateClusterResponseSchema = z.looseObject({ cluster_id: z.string() });
export type CreateClusterResponse = z.output<typeof CreateClusterResponseSchema>;

export const ListClustersResponseSchema = z.looseObject({
  clusters: z.array(ClusterDetailsSchema).nullish(),
  next_page_token: z.string().nullish(),
  prev_page_token: z.string().nullish(),
});

export const ClusterEventSchema = z.looseObject({
  cluster_id: z.string().nullish(),
  timestamp: z.number().nullish(),
  type: z.string().nullish(),
  details: loose().nullish(),
});
export type ClusterEvent = z.output<typeof ClusterEventSchema>;

export const ClusterEventsResponseSchema = z.looseObject({
  events: z.array(ClusterEventSchema).nullish(),
  next_page: loose().nullish(),
  next_page_token: z.string().nullish(),
  prev_page_token: z.string().nullish(),
  total_count: z.number().nullish(),
});
export type ClusterEventsResponse = z.output<typeof ClusterEventsResponseSchema>;

export const SparkVersionsResponseSchema = z.looseObject({
  versions: z.array(z.looseObject({ key: z.string().nullish(), name: z.string().nullish() })).nullish(),
});
export type SparkVersionsResponse = z.output<typeof SparkVersionsResponseSchema>;

export const NodeTypeSchema = z.looseObject({
  node_type_id: z.string().nullish(),
  memory_mb: z.number().nullish(),
  num_cores: z.number().nullish(),
  num_gpus: z.number().nullish(),
  description: z.string().nullish(),
  instance_type_id: z.string().nullish(),
  category: z.string().nullish(),
  is_deprecated: z.boolean().nullish(),
});
export type NodeType = z.output<typeof NodeTypeSchema>;

export const ListNodeTypesResponseSchema = z.looseObject({ node_types: z.array(NodeTypeSchema).nullish() });
export type ListNodeTypesResponse = z.output<typeof ListNodeTypesResponseSchema>;
