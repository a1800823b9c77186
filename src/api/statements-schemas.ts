import { z } from "zod";
import { openEnum, pathSegment } from "../core/validation.js";

export const STATEMENT_STATES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "CLOSED"] as const;
export type StatementState = (typeof STATEMENT_STATES)[number];

const MAX_STATEMENT_BYTES = 16 * 1024 * 1024;

const id = pathSegment.refine((s) => !s.includes("/"), "must not contain '/'");

export const statementParameter = z.looseObject({
  name: z.string().min(1, "must not be empty"),
  /** The value as a string; omitted or null means SQL NULL. */
  value: z.string().nullable().optional(),
  /** SQL type of the value, e.g. `INT`, `DECIMAL(10,2)`, `TIMESTAMP` (default `STRING`). */
  type: z.string().optional(),
});

export const executeStatementRequest = z
  .looseObject({
    statement: z
      .string()
      .min(1, "must not be empty")
      .refine((s) => Buffer.byteLength(s) <= MAX_STATEMENT_BYTES, "must be at most 16 MiB"),
    warehouse_id: id,
    catalog: z.string().optional(),
    schema: z.string().optional(),
    /** Named parameters (`:name` markers); `?` markers are not supported by the API. */
    parameters: z.array(statementParameter).optional(),
    disposition: z.enum(["INLINE", "EXTERNAL_LINKS"]).optional(),
    format: z.enum(["JSON_ARRAY", "ARROW_STREAM", "CSV"]).optional(),
    /** `"0s"` (asynchronous) or `"5s"`–`"50s"`; the server's default is `"10s"`. */
    wait_timeout: z
      .string()
      .regex(/^(0|[5-9]|[1-4]\d|50)s$/, 'must be "0s" or between "5s" and "50s"')
      .optional(),
    on_wait_timeout: z.enum(["CONTINUE", "CANCEL"]).optional(),
    row_limit: z.number().int().positive().optional(),
    byte_limit: z.number().int().positive().optional(),
    query_tags: z
      .array(z.looseObject({ key: z.string().min(1), value: z.string().optional() }))
      .max(20, "at most 20 query tags")
      .optional(),
  })
  .superRefine((req, ctx) => {
    if (
      (req.disposition ?? "INLINE") === "INLINE" &&
      req.format !== undefined &&
      req.format !== "JSON_ARRAY"
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["format"],
        message: `${req.format} needs disposition EXTERNAL_LINKS (INLINE results are JSON_ARRAY only)`,
      });
    }
  });

export const statementIdRequest = z.looseObject({ statement_id: id });
export const resultChunkRequest = z.looseObject({
  statement_id: id,
  chunk_index: z.number().int().nonnegative(),
});

const int = z.number();

export const serviceError = z.looseObject({
  error_code: z.string().optional(),
  message: z.string().optional(),
});

export const statementStatus = z.looseObject({
  state: openEnum(STATEMENT_STATES).optional(),
  error: serviceError.optional(),
  sql_state: z.string().optional(),
});

export const columnInfo = z.looseObject({
  name: z.string(),
  position: int.optional(),
  type_name: z.string().optional(),
  type_text: z.string().optional(),
  type_precision: int.optional(),
  type_scale: int.optional(),
  type_interval_type: z.string().optional(),
});

export const chunkInfo = z.looseObject({
  chunk_index: int.optional(),
  row_offset: int.optional(),
  row_count: int.optional(),
  byte_count: int.optional(),
});

export const resultManifest = z.looseObject({
  format: openEnum(["JSON_ARRAY", "ARROW_STREAM", "CSV"]).optional(),
  schema: z
    .looseObject({
      column_count: int.optional(),
      columns: z.array(columnInfo).optional(),
    })
    .optional(),
  total_chunk_count: int.optional(),
  total_row_count: int.optional(),
  total_byte_count: int.optional(),
  chunks: z.array(chunkInfo).optional(),
  truncated: z.boolean().optional(),
});

export const externalLink = z.looseObject({
  external_link: z.string(),
  expiration: z.string().optional(),
  http_headers: z.record(z.string(), z.string()).optional(),
  chunk_index: int.optional(),
  row_offset: int.optional(),
  row_count: int.optional(),
  byte_count: int.optional(),
  next_chunk_index: int.optional(),
  next_chunk_internal_link: z.string().optional(),
});

export const resultData = z.looseObject({
  chunk_index: int.optional(),
  row_offset: int.optional(),
  row_count: int.optional(),
  byte_count: int.optional(),
  data_array: z.array(z.array(z.string().nullable())).optional(),
  external_links: z.array(externalLink).optional(),
  next_chunk_index: int.optional(),
  next_chunk_internal_link: z.string().optional(),
});

export const statementResponse = z.looseObject({
  statement_id: z.string().optional(),
  status: statementStatus.optional(),
  manifest: resultManifest.optional(),
  result: resultData.optional(),
});

export type ExecuteStatementRequest = z.input<typeof executeStatementRequest>;
export type StatementParameter = z.input<typeof statementParameter>;
export type StatementIdRequest = z.input<typeof statementIdRequest>;
export type ResultChunkRequest = z.input<typeof resultChunkRequest>;
export type StatementResponse = z.output<typeof statementResponse>;
export type StatementStatus = z.output<typeof statementStatus>;
export type ResultManifest = z.output<typeof resultManifest>;
export type ResultData = z.output<typeof resultData>;
export type ExternalLink = z.output<typeof externalLink>;
export type ColumnInfo = z.output<typeof columnInfo>;
export type ServiceError = z.output<typeof serviceError>;
