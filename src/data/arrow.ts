import type { Table, Vector } from "apache-arrow";
import { ValidationError } from "../core/errors.js";
import { buildVector, inferType } from "./arrow-build.js";
import { type ArrowModule, isArrowTable, loadArrow } from "./arrow-loader.js";
import type { Columns, Records, TabularInput } from "./dataframe.js";

/**
 * Tabular input as an apache-arrow Table (a Table is returned as it is). Column types are
 * inferred from the values: numbers → Float64, bigint → Int64, booleans, strings, Dates →
 * Timestamp(ms, UTC), bytes → Binary, arrays → List, objects → Struct.
 */
export async function toArrowTable(input: TabularInput): Promise<Table> {
  if (isArrowTable(input)) return input;
  const arrow = await loadArrow();
  return new arrow.Table(vectorsOf(arrow, columnsOf(input)));
}

export interface JoinOptions {
  /** Name of the predictions column (default `prediction`). */
  column?: string;
}

/**
 * Predictions as one Arrow column (`prediction` by default): scalars as a scalar column, object
 * predictions (e.g. `{label, probability}`) as a Struct column, list predictions as a List column.
 */
export async function predictionsToArrow(
  predictions: readonly unknown[],
  options: JoinOptions = {},
): Promise<Table> {
  const arrow = await loadArrow();
  const column = options.column ?? "prediction";
  return new arrow.Table({ [column]: predictionVector(arrow, predictions, column) });
}

/**
 * The input rows with their predictions as an extra column, as an Arrow Table. `predictions`
 * holds one entry per input row, in input order (as the batches of `dataframeSplitBatches` give
 * them back, concatenated).
 */
export async function joinPredictions(
  input: TabularInput,
  predictions: readonly unknown[],
  options: JoinOptions = {},
): Promise<Table> {
  const column = options.column ?? "prediction";
  const table = await toArrowTable(input);
  if (predictions.length !== table.numRows) {
    throw new ValidationError("predictions", [
      { path: "", message: `got ${predictions.length} predictions for ${table.numRows} input rows` },
    ]);
  }
  if (table.schema.fields.some((f) => f.name === column)) {
    throw new ValidationError("join options", [
      { path: "column", message: `the input already has a column "${column}"; choose another name` },
    ]);
  }
  const arrow = await loadArrow();
  return table.assign(new arrow.Table({ [column]: predictionVector(arrow, predictions, column) }));
}

function predictionVector(arrow: ArrowModule, predictions: readonly unknown[], column: string): Vector {
  return buildVector(arrow, inferType(arrow, predictions, column), predictions, column);
}

function vectorsOf(arrow: ArrowModule, columns: Map<string, unknown[]>): Record<string, Vector> {
  const out: Record<string, Vector> = {};
  for (const [name, values] of columns)
    out[name] = buildVector(arrow, inferType(arrow, values, name), values, name);
  return out;
}

function columnsOf(input: Records | Columns): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  if (Array.isArray(input)) {
    const records = input as Records;
    for (const r of records) for (const k of Object.keys(r)) if (!out.has(k)) out.set(k, []);
    for (const [k, values] of out) for (const r of records) values.push(r[k]);
    return out;
  }
  const columns = input as Columns;
  const lengths = new Set(Object.values(columns).map((c) => c.length));
  if (lengths.size > 1) {
    throw new ValidationError("Arrow conversion", [{ path: "", message: "columns have different lengths" }]);
  }
  for (const [k, values] of Object.entries(columns)) out.set(k, Array.from(values));
  return out;
}
