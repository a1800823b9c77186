import { z } from "zod";
import { openEnum } from "../core/validation.js";
import { wireVersion } from "./uc-names.js";

/** Response shapes of Unity Catalog registered models and model versions (REST 2.1). */

export const MODEL_VERSION_STATUSES = [
  "PENDING_REGISTRATION",
  "FAILED_REGISTRATION",
  "READY",
  "MODEL_VERSION_STATUS_UNKNOWN",
] as const;

export const aliasSchema = z.looseObject({
  alias_name: z.string().optional(),
  version_num: wireVersion.optional(),
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  model_name: z.string().optional(),
  id: z.string().optional(),
});

export const registeredModelInfoSchema = z.looseObject({
  full_name: z.string().optional(),
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  name: z.string().optional(),
  owner: z.string().optional(),
  comment: z.string().optional(),
  storage_location: z.string().optional(),
  aliases: z.array(aliasSchema).optional(),
  created_at: z.number().optional(),
  created_by: z.string().optional(),
  updated_at: z.number().optional(),
  updated_by: z.string().optional(),
  metastore_id: z.string().optional(),
  browse_only: z.boolean().optional(),
});

export const modelVersionInfoSchema = z.looseObject({
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  model_name: z.string().optional(),
  version: wireVersion,
  id: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  run_workspace_id: z.number().optional(),
  status: openEnum(MODEL_VERSION_STATUSES).optional(),
  storage_location: z.string().optional(),
  comment: z.string().optional(),
  aliases: z.array(aliasSchema).optional(),
  created_at: z.number().optional(),
  created_by: z.string().optional(),
  updated_at: z.number().optional(),
  updated_by: z.string().optional(),
  metastore_id: z.string().optional(),
});

export type RegisteredModelAlias = z.output<typeof aliasSchema>;
export type RegisteredModelInfo = z.output<typeof registeredModelInfoSchema>;
export type ModelVersionInfo = z.output<typeof modelVersionInfoSchema>;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];
