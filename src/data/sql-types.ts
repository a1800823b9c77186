import type { DataType, Table } from "apache-arrow";
import { ValidationError } from "../core/errors.js";
import { buildVector } from "./arrow-build.js";
import type { ArrowModule } from "./arrow-loader.js";
import { cellError } from "./json-values.js";

/** A result column as the Statement Execution API describes it (`manifest.schema.columns[]`). */
export interface SqlColumn {
  name: string;
  position?: number | undefined;
  type_name?: string | undefined;
  type_text?: string | undefined;
  type_precision?: number | undefined;
  type_scale?: number | undefined;
}

/**
 * How LONG values beyond ±(2^53 − 1) and DECIMAL values with more than 15 significant digits are
 * returned: `"error"` (default) throws a ValidationError naming column and row rather than return
 * a different number; `"string"` returns the exact digits; `"bigint"` returns every LONG as a
 * bigint (and wide decimals as strings).
 */
export type Int64Decoding = "error" | "string" | "bigint";

export interface DecodeOptions {
  int64?: Int64Decoding;
}

// SQL type spellings (DDL and type_text) to the API's type_name values.
const TYPE_NAMES: Record<string, string> = {
  BIGINT: "LONG",
  LONG: "LONG",
  INT: "INT",
  INTEGER: "INT",
  SMALLINT: "SHORT",
  SHORT: "SHORT",
  TINYINT: "BYTE",
  BYTE: "BYTE",
  DOUBLE: "DOUBLE",
  REAL: "FLOAT",
  FLOAT: "FLOAT",
  DECIMAL: "DECIMAL",
  DEC: "DECIMAL",
  NUMERIC: "DECIMAL",
  BOOLEAN: "BOOLEAN",
  BOOL: "BOOLEAN",
  STRING: "STRING",
  VARCHAR: "STRING",
  TEXT: "STRING",
  CHAR: "CHAR",
  DATE: "DATE",
  TIMESTAMP: "TIMESTAMP",
  TIMESTAMP_NTZ: "TIMESTAMP",
  TIMESTAMP_LTZ: "TIMESTAMP",
  BINARY: "BINARY",
  BLOB: "BINARY",
  ARRAY: "ARRAY",
  MAP: "MAP",
  STRUCT: "STRUCT",
  VOID: "NULL",
  NULL: "NULL",
  INTERVAL: "INTERVAL",
};

/** The API's type name for an SQL type text such as `BIGINT`, `DECIMAL(10,2)` or `ARRAY<INT>`. */
export function typeNameOf(typeText: string | undefined): string | undefined {
  const base = /^\s*([A-Za-z_]+)/.exec(typeText ?? "")?.[1]?.toUpperCase();
  return base === undefined ? undefined : TYPE_NAMES[base];
}

/** A column's type name, upper-case, from `type_name` or else `type_text`. */
export function columnType(column: SqlColumn): string {
  return (column.type_name?.toUpperCase() || typeNameOf(column.type_text) || "STRING").toUpperCase();
}

/** Precision and scale of a DECIMAL column (Databricks' default is DECIMAL(10,0)). */
export function decimalShape(column: SqlColumn): { precision: number; scale: number } {
  const m = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(column.type_text ?? "");
  return {
    precision: column.type_precision ?? (m ? Number(m[1]) : 10),
    scale: column.type_scale ?? (m?.[2] ? Number(m[2]) : 0),
  };
}

/**
 * One `JSON_ARRAY` value (always a string, or null) as the JavaScript value of its column type:
 * numbers, booleans, bigint per `int64`, bytes from base64, ARRAY/MAP/STRUCT parsed from their
 * JSON text; DATE, TIMESTAMP and INTERVAL stay exact strings.
 */
export function decodeValue(
  text: string | null | undefined,
  column: SqlColumn,
  row: number,
  int64: Int64Decoding = "error",
): unknown {
  if (text === null || text === undefined) return null;
  const at = { column: column.name, row };
  switch (columnType(column)) {
    case "BOOLEAN":
      return text === "true" || text === "1";
    case "BYTE":
    case "SHORT":
    case "INT":
    case "FLOAT":
    case "DOUBLE":
      return Number(text);
    case "LONG": {
      if (int64 === "bigint") return BigInt(text);
      const n = Number(text);
      if (Number.isSafeInteger(n)) return n;
      if (int64 === "string") return text;
      throw cellError(
        at,
        `${text} is beyond ±2^53 and would become another number; decode with { int64: "bigint" } or "string"`,
      );
    }
    case "DECIMAL": {
      const digits = text.replace(/^[-+]/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
      if (digits.length <= 15) return Number(text);
      if (int64 !== "error") return text;
      throw cellError(
        at,
        `decimal ${text} has more digits than a number keeps; decode with { int64: "string" }`,
      );
    }
    case "BINARY":
      return Buffer.from(text, "base64");
    case "ARRAY":
    case "MAP":
    case "STRUCT":
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return text;
  }
}

/** `JSON_ARRAY` rows as objects keyed by column name, typed by the manifest schema. */
export function decodeRows(
  columns: readonly SqlColumn[],
  dataArray: ReadonlyArray<ReadonlyArray<string | null>>,
  rowOffset: number,
  options: DecodeOptions = {},
): Array<Record<string, unknown>> {
  const int64 = options.int64 ?? "error";
  const out = new Array<Record<string, unknown>>(dataArray.length);
  for (let i = 0; i < dataArray.length; i++) {
    const values = dataArray[i]!;
    const row: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c]!;
      row[column.name] = decodeValue(values[c], column, rowOffset + i, int64);
    }
    out[i] = row;
  }
  return out;
}

/** The Arrow type Databricks uses for a result column in `ARROW_STREAM` results. */
export function arrowTypeOf(arrow: ArrowModule, column: SqlColumn): DataType {
  switch (columnType(column)) {
    case "BOOLEAN":
      return new arrow.Bool();
    case "BYTE":
      return new arrow.Int8();
    case "SHORT":
      return new arrow.Int16();
    case "INT":
      return new arrow.Int32();
    case "LONG":
      return new arrow.Int64();
    case "FLOAT":
      return new arrow.Float32();
    case "DOUBLE":
      return new arrow.Float64();
    case "DECIMAL": {
      const { precision, scale } = decimalShape(column);
      return new arrow.Decimal(scale, precision, 128);
    }
    case "DATE":
      return new arrow.DateDay();
    case "TIMESTAMP":
      return /^\s*TIMESTAMP_NTZ/i.test(column.type_text ?? "")
        ? new arrow.TimestampMicrosecond()
        : new arrow.TimestampMicrosecond("Etc/UTC");
    case "BINARY":
      return new arrow.Binary();
    case "NULL":
      return new arrow.Null();
    default:
      // STRING, CHAR, INTERVAL and complex types travel as text (ARRAY/MAP/STRUCT as JSON).
      return new arrow.Utf8();
  }
}

/**
 * An Arrow table of SQL rows (arrays in column order). Values may be the `JSON_ARRAY` strings or
 * typed JavaScript values; each column gets the type `arrowTypeOf` gives it.
 */
export function tableFromSqlRows(
  arrow: ArrowModule,
  columns: readonly SqlColumn[],
  rows: ReadonlyArray<ReadonlyArray<unknown>>,
): Table {
  const names = new Set(columns.map((c) => c.name));
  if (names.size !== columns.length) {
    throw new ValidationError("statement result", [
      { path: "columns", message: "column names repeat; alias them (AS …) to read the result as a table" },
    ]);
  }
  const vectors = Object.fromEntries(
    columns.map((c, i) => [
      c.name,
      buildVector(
        arrow,
        arrowTypeOf(arrow, c),
        rows.map((r) => r[i]),
        c.name,
      ),
    ]),
  );
  return new arrow.Table(vectors);
}
