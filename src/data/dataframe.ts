import type { DataframeSplit } from "../api/serving-query.js";
import { ValidationError } from "../core/errors.js";
import { columnConverter } from "./arrow-cells.js";
import { type ArrowTable, isArrowTable } from "./arrow-loader.js";
import { type EncodeOptions, encodePlain, type Int64Encoding } from "./json-values.js";

/** Rows as objects: `[{ age: 42, plan: "pro" }, …]`. */
export type Records = ReadonlyArray<Readonly<Record<string, unknown>>>;
/** Columns as arrays of equal length: `{ age: [42, 37], plan: ["pro", "free"] }`. */
export type Columns = Readonly<Record<string, ArrayLike<unknown>>>;
/** Tabular data the data helpers accept: an apache-arrow Table, records or columns. */
export type TabularInput = ArrowTable | Records | Columns;

/** The pandas "split" orientation that Databricks model serving accepts. */
export interface DataframeSplitPayload {
  /** The pandas "split" orientation; always carries `columns`. */
  dataframe_split: Required<Pick<DataframeSplit, "columns" | "data">>;
}

export interface BatchOptions extends EncodeOptions {
  /** Rows per payload (default 1000). Keep each payload well under serving's 16 MB request limit. */
  batchSize?: number;
  /** Only these columns, in this order (default: every column). */
  columns?: string[];
}

export const DEFAULT_BATCH_SIZE = 1000;

/**
 * Splits tabular data into `dataframe_split` payloads of at most `batchSize` rows. Rows are
 * converted as the generator advances, so memory holds one batch, not a JSON copy of the table.
 * Shape and options are checked at once; a cell that cannot be sent faithfully throws a
 * ValidationError naming its column and row when its batch is produced.
 */
export function dataframeSplitBatches(
  input: TabularInput,
  options: BatchOptions = {},
): Generator<DataframeSplitPayload, void, undefined> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValidationError("batch options", [{ path: "batchSize", message: "must be an integer ≥ 1" }]);
  }
  const source = tabularSource(input, options.columns, options.int64 ?? "error");
  return batches(source, batchSize);
}

/** All rows as one `dataframe_split` payload (for small inputs). */
export function toDataframeSplit(input: TabularInput, options: EncodeOptions & { columns?: string[] } = {}) {
  const source = tabularSource(input, options.columns, options.int64 ?? "error");
  const data: unknown[][] = [];
  for (const rows of source.rows(Number.POSITIVE_INFINITY)) data.push(...rows);
  return { dataframe_split: { columns: source.columns, data } } satisfies DataframeSplitPayload;
}

/** Number of rows of tabular input. */
export function rowCount(input: TabularInput): number {
  return tabularSource(input, undefined, "string").length;
}

function* batches(source: TabularSource, batchSize: number): Generator<DataframeSplitPayload> {
  for (const data of source.rows(batchSize)) {
    yield { dataframe_split: { columns: source.columns, data } };
  }
}

interface TabularSource {
  columns: string[];
  length: number;
  /** Rows converted to JSON values, in groups of `size`. */
  rows(size: number): Generator<unknown[][]>;
}

function tabularSource(input: TabularInput, pick: string[] | undefined, int64: Int64Encoding): TabularSource {
  if (isArrowTable(input)) return arrowSource(input, pick, int64);
  if (Array.isArray(input)) return recordsSource(input as Records, pick, int64);
  if (typeof input === "object" && input !== null) return columnsSource(input as Columns, pick, int64);
  throw new ValidationError("model input", [
    { path: "", message: "expected an apache-arrow Table, an array of records or an object of columns" },
  ]);
}

function pickColumns(available: string[], pick: string[] | undefined): string[] {
  if (!pick) return available;
  const missing = pick.filter((c) => !available.includes(c));
  if (missing.length) {
    throw new ValidationError("batch options", [
      {
        path: "columns",
        message: `unknown column(s) ${missing.join(", ")}; the input has ${available.join(", ")}`,
      },
    ]);
  }
  return pick;
}

function arrowSource(table: ArrowTable, pick: string[] | undefined, int64: Int64Encoding): TabularSource {
  const names = table.schema.fields.map((f) => f.name);
  const columns = pickColumns(names, pick);
  const converters = columns.map((name) => {
    const index = names.indexOf(name);
    return { index, convert: columnConverter(table.schema.fields[index]!.type, name, int64) };
  });
  return {
    columns,
    length: table.numRows,
    *rows(size) {
      let out: unknown[][] = [];
      let row = 0;
      for (const batch of table.batches) {
        const readers = converters.map((c) => c.convert(batch.getChildAt(c.index)!));
        for (let i = 0; i < batch.numRows; i++, row++) {
          const cells = new Array(readers.length);
          for (let c = 0; c < readers.length; c++) cells[c] = readers[c]!(i, row);
          out.push(cells);
          if (out.length === size) {
            yield out;
            out = [];
          }
        }
      }
      if (out.length) yield out;
    },
  };
}

function recordsSource(records: Records, pick: string[] | undefined, int64: Int64Encoding): TabularSource {
  const seen = new Set<string>();
  records.forEach((r, row) => {
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      throw new ValidationError("model input", [
        { path: `[${row}]`, message: "each record must be an object" },
      ]);
    }
    for (const k of Object.keys(r)) seen.add(k);
  });
  const columns = pickColumns([...seen], pick);
  return {
    columns,
    length: records.length,
    *rows(size) {
      for (let start = 0; start < records.length; start += size) {
        const end = Math.min(records.length, start + size);
        const out: unknown[][] = [];
        for (let row = start; row < end; row++) {
          const r = records[row]!;
          out.push(columns.map((column) => encodePlain(r[column], { column, row }, int64)));
        }
        yield out;
      }
    },
  };
}

function columnsSource(input: Columns, pick: string[] | undefined, int64: Int64Encoding): TabularSource {
  const names = Object.keys(input);
  let length: number | undefined;
  for (const name of names) {
    const values = input[name];
    if (!values || typeof (values as ArrayLike<unknown>).length !== "number" || typeof values === "string") {
      throw new ValidationError("model input", [{ path: name, message: "each column must be an array" }]);
    }
    length ??= values.length;
    if (values.length !== length) {
      throw new ValidationError("model input", [
        { path: name, message: `has ${values.length} values but ${names[0]} has ${length}` },
      ]);
    }
  }
  const columns = pickColumns(names, pick);
  const total = length ?? 0;
  return {
    columns,
    length: total,
    *rows(size) {
      for (let start = 0; start < total; start += size) {
        const end = Math.min(total, start + size);
        const out: unknown[][] = [];
        for (let row = start; row < end; row++) {
          out.push(columns.map((column) => encodePlain(input[column]![row], { column, row }, int64)));
        }
        yield out;
      }
    },
  };
}
