import type { ArrowModule } from "../../data/arrow-loader.js";
import { decimalShape, tableFromSqlRows } from "../../data/sql-types.js";
import type { ResultColumn, ResultSet } from "./sql-engine.js";

export type Disposition = "INLINE" | "EXTERNAL_LINKS";
export type Format = "JSON_ARRAY" | "ARROW_STREAM" | "CSV";

/** One stored chunk: inline rows, or the bytes of the file an external link serves. */
export interface StoredChunk {
  row_offset: number;
  row_count: number;
  data_array?: Array<Array<string | null>>;
  bytes?: Buffer;
}

export const INLINE_LIMIT_BYTES = 25 * 1024 * 1024;

/**
 * Splits a result into chunks the way the API serves them. External-link chunks are written out
 * (JSON, Arrow IPC stream or CSV bytes) when the statement finishes, as the warehouse writes its
 * result files before reporting SUCCEEDED.
 */
export function storeResult(
  result: ResultSet,
  disposition: Disposition,
  format: Format,
  chunkRows: number,
  arrow: ArrowModule | undefined,
): StoredChunk[] {
  const chunks: StoredChunk[] = [];
  for (let offset = 0; offset < result.rows.length; offset += chunkRows) {
    const rows = result.rows.slice(offset, offset + chunkRows);
    const chunk: StoredChunk = { row_offset: offset, row_count: rows.length };
    if (disposition === "INLINE") chunk.data_array = rows.map((r) => jsonRow(result.columns, r));
    else if (format === "JSON_ARRAY")
      chunk.bytes = Buffer.from(JSON.stringify(rows.map((r) => jsonRow(result.columns, r))));
    else if (format === "CSV")
      chunk.bytes = Buffer.from(rows.map((r) => csvRow(jsonRow(result.columns, r))).join(""));
    else {
      if (!arrow) throw new Error("apache-arrow is not loaded");
      // ARRAY, MAP and STRUCT travel as JSON text in Arrow results, as in JSON_ARRAY ones.
      const complex = result.columns.map((c) => COMPLEX.has(c.type_name));
      const cells = complex.some(Boolean)
        ? rows.map((r) => r.map((v, i) => (complex[i] && v !== null ? jsonText(v) : v)))
        : rows;
      const table = tableFromSqlRows(arrow, result.columns, cells);
      chunk.bytes = Buffer.from(arrow.tableToIPC(table, "stream"));
    }
    chunks.push(chunk);
  }
  return chunks;
}

/** Approximate JSON size of a result, for the INLINE limit and `byte_limit`. */
export function jsonBytes(result: ResultSet): number {
  let bytes = 2;
  for (const r of result.rows) bytes += JSON.stringify(jsonRow(result.columns, r)).length + 1;
  return bytes;
}

/** A row as `JSON_ARRAY` values: every non-null value a string, formatted like Databricks does. */
export function jsonRow(columns: ResultColumn[], row: unknown[]): Array<string | null> {
  return columns.map((c, i) => jsonValue(c, row[i]));
}

const COMPLEX = new Set(["ARRAY", "MAP", "STRUCT"]);

/** JSON text of a complex value (bigints as plain digits, bytes as base64). */
function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === "bigint" ? Number(x) : x instanceof Uint8Array ? Buffer.from(x).toString("base64") : x,
  );
}

function jsonValue(column: ResultColumn, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (column.type_name) {
    case "ARRAY":
    case "MAP":
    case "STRUCT":
      return typeof v === "string" ? v : jsonText(v);
    case "BOOLEAN":
      return v === true || v === 1 || v === 1n || v === "true" ? "true" : "false";
    case "DOUBLE":
    case "FLOAT":
      return typeof v === "number" || typeof v === "bigint" ? javaDouble(Number(v)) : String(v);
    case "DECIMAL": {
      const { scale } = decimalShape(column);
      return typeof v === "number" || typeof v === "bigint" ? Number(v).toFixed(scale) : String(v);
    }
    case "TIMESTAMP": {
      const ms = typeof v === "number" || typeof v === "bigint" ? Number(v) : Date.parse(zoned(String(v)));
      return Number.isNaN(ms) ? String(v) : new Date(ms).toISOString();
    }
    case "DATE":
      return typeof v === "number" || typeof v === "bigint"
        ? new Date(Number(v)).toISOString().slice(0, 10)
        : String(v).slice(0, 10);
    case "BINARY":
      return v instanceof Uint8Array ? Buffer.from(v).toString("base64") : String(v);
    default:
      return v instanceof Uint8Array ? Buffer.from(v).toString("base64") : String(v);
  }
}

/** A timestamp text without a zone is UTC. */
function zoned(text: string): string {
  const iso = text.replace(" ", "T");
  return /[zZ]|[+-]\d\d:?\d\d$/.test(iso) || /^\d{4}-\d\d-\d\d$/.test(iso) ? iso : `${iso}Z`;
}

/** Doubles as the JVM prints them ("2.0", "1.0E10"), which is how Databricks renders them. */
function javaDouble(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(n);
  if (abs === 0 || (abs >= 1e-3 && abs < 1e7)) return Number.isInteger(n) ? `${n}.0` : String(n);
  const [mantissa, exponent] = n.toExponential().split("e");
  return `${mantissa!.includes(".") ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

function csvRow(values: Array<string | null>): string {
  return `${values.map((v) => (v === null ? "" : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(",")}\n`;
}
