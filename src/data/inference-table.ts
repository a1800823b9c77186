import type { Table } from "apache-arrow";
import type { StatementParameter } from "../api/statements.js";
import { ValidationError } from "../core/errors.js";
import { toArrowTable } from "./arrow.js";
import type { ArrowTable } from "./arrow-loader.js";

/**
 * Where an endpoint's captured payloads live. `gateway`: the AI Gateway inference table
 * (`request_time` TIMESTAMP, `execution_duration_ms`, `served_entity_id`, …); `legacy`: the table of
 * the deprecated `auto_capture_config` (`timestamp_ms` BIGINT, `execution_time_ms`,
 * `request_metadata` MAP with `model_name`, `model_version`, `endpoint_name`).
 */
export interface InferenceTableLocation {
  /** `catalog.schema.<prefix>_payload`. */
  table: string;
  schema: "gateway" | "legacy";
}

export interface InferenceQueryOptions {
  /** Only requests received at or after this time (a Date, epoch ms, or an ISO-8601 text). */
  since?: Date | number | string | undefined;
  /** Only the most recent `limit` requests. */
  limit?: number | undefined;
}

/**
 * The inference table of an endpoint as `GET /serving-endpoints/{name}` describes it: the AI
 * gateway's `inference_table_config`, else the legacy `config.auto_capture_config`; undefined when
 * the endpoint captures nothing. The table name prefix defaults to the endpoint name.
 */
export function inferenceTableOf(endpoint: {
  name?: string | undefined;
  ai_gateway?: Record<string, unknown> | undefined;
  config?: { auto_capture_config?: Record<string, unknown> | undefined } | undefined;
}): InferenceTableLocation | undefined {
  const pick = (cfg: Record<string, unknown> | undefined, schema: InferenceTableLocation["schema"]) => {
    if (!cfg?.enabled || !cfg.catalog_name || !cfg.schema_name) return undefined;
    const state = cfg.state as { payload_table?: { name?: string } } | undefined;
    const name = state?.payload_table?.name ?? `${String(cfg.table_name_prefix ?? endpoint.name)}_payload`;
    return { table: `${cfg.catalog_name}.${cfg.schema_name}.${name}`, schema };
  };
  return (
    pick(endpoint.ai_gateway?.inference_table_config as Record<string, unknown> | undefined, "gateway") ??
    pick(endpoint.config?.auto_capture_config, "legacy")
  );
}

/** The SQL that reads an inference table in request order, with its named parameters. */
export function inferenceTableQuery(
  location: InferenceTableLocation,
  options: InferenceQueryOptions = {},
): { statement: string; parameters: StatementParameter[] } {
  const { limit, since } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new ValidationError("inference table options", [
      { path: "limit", message: "must be a whole number above 0" },
    ]);
  }
  const time = location.schema === "gateway" ? "request_time" : "timestamp_ms";
  const parameters: StatementParameter[] = [];
  let where = "";
  if (since !== undefined) {
    const ms =
      since instanceof Date ? since.getTime() : typeof since === "number" ? since : Date.parse(since);
    if (!Number.isFinite(ms)) {
      throw new ValidationError("inference table options", [
        { path: "since", message: "must be a Date, epoch milliseconds or an ISO-8601 time" },
      ]);
    }
    where = ` WHERE ${time} >= :since`;
    parameters.push(
      location.schema === "gateway"
        ? { name: "since", value: new Date(ms).toISOString(), type: "TIMESTAMP" }
        : { name: "since", value: String(Math.floor(ms)), type: "BIGINT" },
    );
  }
  const table = quoteName(location.table);
  const statement =
    limit === undefined
      ? `SELECT * FROM ${table}${where} ORDER BY ${time}`
      : `SELECT * FROM (SELECT * FROM ${table}${where} ORDER BY ${time} DESC LIMIT ${limit}) AS recent ORDER BY ${time}`;
  return { statement, parameters };
}

/** `catalog.schema.table` with each part in backticks. */
export function quoteName(fullName: string): string {
  const parts = fullName.split(".");
  if (parts.length !== 3 || parts.some((p) => !p)) {
    throw new ValidationError("table name", [
      { path: "", message: `"${fullName}" is not catalog.schema.table` },
    ]);
  }
  return parts.map((p) => `\`${p.replace(/`/g, "``")}\``).join(".");
}

/**
 * Unpacks captured payloads into one row per scored input row: the request's id and time, the
 * served entity (`served_entity_id`, or `model_version` in the legacy table), the input's feature
 * columns and a `prediction` column. Requests that failed (status ≠ 200) are left out. Returns
 * undefined when a successful request is not a `dataframe_split` / `dataframe_records` input
 * answered with one prediction per row (chat, embeddings, …): such a table stays as it is.
 */
export async function unpackInferenceTable(
  table: ArrowTable,
  schema: InferenceTableLocation["schema"],
): Promise<Table | undefined> {
  const column = (name: string) => table.getChild(name);
  const request = column("request");
  const response = column("response");
  const status = column("status_code");
  const ids = column("databricks_request_id");
  const times = column(schema === "gateway" ? "request_time" : "timestamp_ms");
  const entity = schema === "gateway" ? column("served_entity_id") : column("request_metadata");
  const entityColumn = schema === "gateway" ? "served_entity_id" : "model_version";

  const meta: Record<string, unknown[]> = { databricks_request_id: [], request_time: [], [entityColumn]: [] };
  const features = new Map<string, unknown[]>();
  const predictions: unknown[] = [];
  let rows = 0;
  for (let i = 0; i < table.numRows; i++) {
    if (Number(status?.get(i)) !== 200) continue;
    const scored = scoredRows(request?.get(i), response?.get(i));
    if (!scored) return undefined;
    const time = times?.get(i);
    const entityValue =
      schema === "gateway" ? (entity?.get(i) ?? null) : (metadataOf(entity?.get(i)).model_version ?? null);
    scored.inputs.forEach((input, k) => {
      meta.databricks_request_id!.push(ids?.get(i) ?? null);
      meta.request_time!.push(time === null || time === undefined ? null : new Date(Number(time)));
      meta[entityColumn]!.push(entityValue);
      for (const [name, value] of Object.entries(input)) {
        let values = features.get(name);
        if (!values) {
          values = new Array(rows).fill(null);
          features.set(name, values);
        }
        values.push(value ?? null);
      }
      rows++;
      for (const values of features.values()) if (values.length < rows) values.push(null);
      predictions.push(scored.predictions[k] ?? null);
    });
  }
  const out: Record<string, unknown[]> = { ...meta };
  for (const [name, values] of features) out[name] = values;
  out.prediction = predictions;
  return toArrowTable(out);
}

/** The input rows of a tabular request and the predictions its response gave, one per row. */
export function scoredRows(
  requestJson: unknown,
  responseJson: unknown,
): { inputs: Array<Record<string, unknown>>; predictions: unknown[] } | undefined {
  const request = parseJson(requestJson) as Record<string, unknown> | undefined;
  const response = parseJson(responseJson);
  if (!request || typeof request !== "object") return undefined;
  let inputs: Array<Record<string, unknown>> | undefined;
  const split = request.dataframe_split as { columns?: unknown; data?: unknown } | undefined;
  if (split && Array.isArray(split.columns) && Array.isArray(split.data)) {
    const names = split.columns.map(String);
    inputs = split.data.map((row) =>
      Object.fromEntries(names.map((n, c) => [n, Array.isArray(row) ? row[c] : undefined])),
    );
  } else if (
    Array.isArray(request.dataframe_records) &&
    request.dataframe_records.every((r) => r && typeof r === "object" && !Array.isArray(r))
  ) {
    inputs = request.dataframe_records as Array<Record<string, unknown>>;
  }
  const predictions = Array.isArray(response)
    ? response
    : (response as { predictions?: unknown } | undefined)?.predictions;
  if (!inputs || !Array.isArray(predictions) || predictions.length !== inputs.length) return undefined;
  return { inputs, predictions };
}

function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** The legacy table's `request_metadata` MAP, as Arrow gives it (JSON text, or a map-like value). */
function metadataOf(value: unknown): Record<string, string | undefined> {
  if (typeof value === "string") return (parseJson(value) as Record<string, string>) ?? {};
  if (value && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return (value as { toJSON(): Record<string, string> }).toJSON();
  }
  return {};
}
