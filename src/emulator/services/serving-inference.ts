import { EMULATOR_USER } from "../ids.js";
import type { EmulatorContext } from "../types.js";
import {
  type EndpointRecord,
  type EntityRecord,
  hex,
  type InferenceRecord,
  type Loose,
  state,
} from "./serving-state.js";
import type { SqlEmulatorExports } from "./sql.js";

/**
 * Inference tables: what a query leaves behind when the endpoint captures payloads. Each captured
 * request is kept in the serving state (the `inferenceRecords` export) and written as one row of
 * `<catalog>.<schema>.<prefix>_payload` through the SQL service's `registerTable` export, so
 * statements can read it. Serving pushes the row when it captures it: the table's schema is
 * serving's knowledge, and the SQL service stays a plain table store. Databricks creates the table
 * after the first captured request, as here (it delivers rows within about an hour; here at once).
 */

const MAX_INFERENCE_RECORDS = 50_000;

type Schema = "gateway" | "legacy";

/** Columns of the AI Gateway inference table. */
const GATEWAY_COLUMNS = [
  { name: "databricks_request_id", type: "STRING" },
  { name: "request_date", type: "DATE" },
  { name: "client_request_id", type: "STRING" },
  { name: "request_time", type: "TIMESTAMP" },
  { name: "status_code", type: "INT" },
  { name: "sampling_fraction", type: "DOUBLE" },
  { name: "execution_duration_ms", type: "BIGINT" },
  { name: "request", type: "STRING" },
  { name: "response", type: "STRING" },
  { name: "logging_error_codes", type: "ARRAY<STRING>" },
  { name: "served_entity_id", type: "STRING" },
  { name: "requester", type: "STRING" },
];

/** Columns of the legacy inference table (`config.auto_capture_config`). */
const LEGACY_COLUMNS = [
  { name: "databricks_request_id", type: "STRING" },
  { name: "client_request_id", type: "STRING" },
  { name: "date", type: "DATE" },
  { name: "timestamp_ms", type: "BIGINT" },
  { name: "status_code", type: "INT" },
  { name: "sampling_fraction", type: "DOUBLE" },
  { name: "execution_time_ms", type: "BIGINT" },
  { name: "request", type: "STRING" },
  { name: "response", type: "STRING" },
  { name: "request_metadata", type: "MAP<STRING, STRING>" },
];

interface Capture {
  schema: Schema;
  /** `catalog.schema.<prefix>_payload`, when the config names a catalog and schema. */
  table?: string;
}

/** Whether and where the endpoint captures payloads: the AI gateway's config wins over the legacy one. */
export function captureOf(ep: EndpointRecord): Capture | undefined {
  const gateway = ep.ai_gateway?.inference_table_config as Loose | undefined;
  const legacy = ep.config?.auto_capture_config;
  const [schema, cfg]: [Schema, Loose | undefined] = gateway?.enabled
    ? ["gateway", gateway]
    : ["legacy", legacy?.enabled ? legacy : undefined];
  if (!cfg) return undefined;
  return cfg.catalog_name && cfg.schema_name
    ? { schema, table: `${cfg.catalog_name}.${cfg.schema_name}.${payloadTableName(cfg, ep.name)}` }
    : { schema };
}

/** `<prefix>_payload`; the prefix defaults to the endpoint's name. */
export function payloadTableName(cfg: Loose, endpointName: string): string {
  return `${String(cfg.table_name_prefix ?? endpointName)}_payload`;
}

/** Records one served request, in the serving state and in the endpoint's inference table. */
export function captureRequest(
  ctx: EmulatorContext,
  ep: EndpointRecord,
  entity: EntityRecord,
  record: () => Omit<InferenceRecord, "databricks_request_id" | "table_full_name">,
): void {
  const capture = captureOf(ep);
  if (!capture) return;
  const full: InferenceRecord = {
    databricks_request_id: `${hex(ctx, 8)}-${hex(ctx, 4)}-${hex(ctx, 4)}-${hex(ctx, 4)}-${hex(ctx, 12)}`,
    ...record(),
    ...(capture.table ? { table_full_name: capture.table } : {}),
  };
  const records = state(ctx).inference;
  records.push(full);
  if (records.length > MAX_INFERENCE_RECORDS) records.splice(0, records.length - MAX_INFERENCE_RECORDS);

  const sql = ctx.service<SqlEmulatorExports>("sql");
  if (!capture.table || !sql?.available()) return;
  if (capture.schema === "gateway") sql.registerTable(capture.table, GATEWAY_COLUMNS, [gatewayRow(full)]);
  else sql.registerTable(capture.table, LEGACY_COLUMNS, [legacyRow(full, entity)]);
}

function gatewayRow(r: InferenceRecord): Record<string, unknown> {
  const time = new Date(r.request_time).toISOString();
  return {
    databricks_request_id: r.databricks_request_id,
    request_date: time.slice(0, 10),
    client_request_id: r.client_request_id ?? null,
    request_time: time,
    status_code: r.status_code,
    sampling_fraction: 1,
    execution_duration_ms: r.execution_time_ms,
    request: r.request,
    response: r.response,
    logging_error_codes: [],
    served_entity_id: r.served_entity_id,
    requester: EMULATOR_USER,
  };
}

function legacyRow(r: InferenceRecord, entity: EntityRecord): Record<string, unknown> {
  return {
    databricks_request_id: r.databricks_request_id,
    client_request_id: r.client_request_id ?? null,
    date: new Date(r.request_time).toISOString().slice(0, 10),
    timestamp_ms: r.request_time,
    status_code: r.status_code,
    sampling_fraction: 1,
    execution_time_ms: r.execution_time_ms,
    request: r.request,
    response: r.response,
    request_metadata: {
      model_name: String(entity.spec.entity_name ?? ""),
      model_version: String(entity.spec.entity_version ?? ""),
      endpoint_name: r.endpoint_name,
    },
  };
}
