import { z } from "zod";
import { openEnum } from "../core/validation.js";

/** Wire shapes shared by the MLflow tracking services (experiments and runs). */

export const RUN_STATUSES = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"] as const;
export const VIEW_TYPES = ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"] as const;

/**
 * MLflow's size limits (the newest, most generous values of `mlflow/utils/validation.py`): the
 * server refuses longer keys and values, so they are caught before sending.
 */
export const mlflowKey = z.string().min(1).max(250);
export const paramValue = z.string().max(6000);
export const tagValue = z.string().max(8000);

/** A tag as the requests carry it. */
export const keyValueInput = z.looseObject({ key: mlflowKey, value: tagValue });
/** A run param as the requests carry it. */
export const paramInput = z.looseObject({ key: mlflowKey, value: paramValue });

/** A metric point as `log-metric` / `log-batch` send it. */
export const metricInput = z.looseObject({
  key: mlflowKey,
  value: z.number().refine(Number.isFinite, "must be a finite number (JSON cannot carry NaN or Infinity)"),
  timestamp: z.number().int(),
  step: z.number().int().optional(),
});

export const tagSchema = z.looseObject({ key: z.string(), value: z.string().optional() });

export const experimentSchema = z.looseObject({
  experiment_id: z.string(),
  name: z.string().optional(),
  artifact_location: z.string().optional(),
  lifecycle_stage: openEnum(["active", "deleted"]).optional(),
  last_update_time: z.number().optional(),
  creation_time: z.number().optional(),
  tags: z.array(tagSchema).optional(),
});

export const metricSchema = z.looseObject({
  key: z.string(),
  value: z.number().optional(),
  timestamp: z.number().optional(),
  step: z.number().optional(),
});

export const runInfoSchema = z.looseObject({
  run_id: z.string(),
  run_uuid: z.string().optional(),
  run_name: z.string().optional(),
  experiment_id: z.string().optional(),
  user_id: z.string().optional(),
  status: openEnum(RUN_STATUSES).optional(),
  start_time: z.number().optional(),
  end_time: z.number().optional(),
  artifact_uri: z.string().optional(),
  lifecycle_stage: z.string().optional(),
});

export const runSchema = z.looseObject({
  info: runInfoSchema,
  data: z
    .looseObject({
      metrics: z.array(metricSchema).optional(),
      params: z.array(tagSchema).optional(),
      tags: z.array(tagSchema).optional(),
    })
    .optional(),
  inputs: z.looseObject({}).optional(),
});

export const fileInfoSchema = z.looseObject({
  path: z.string(),
  is_dir: z.boolean().optional(),
  file_size: z.number().optional(),
});

export type Experiment = z.output<typeof experimentSchema>;
export type ExperimentTag = z.output<typeof tagSchema>;
export type Run = z.output<typeof runSchema>;
export type RunInfo = z.output<typeof runInfoSchema>;
export type Metric = z.output<typeof metricSchema>;
export type FileInfo = z.output<typeof fileInfoSchema>;
export type RunStatus = (typeof RUN_STATUSES)[number];
