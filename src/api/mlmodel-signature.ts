import { BrickmlError } from "../core/errors.js";
import type { MlmodelSignature } from "./mlmodel.js";

/**
 * An MLflow model signature, parsed from the JSON texts an MLmodel file stores under `signature`:
 * column specs (`{"type": "double", "name": "x", "required": true}`, with nested `array`, `object`
 * and `map` types), tensor specs (`{"type": "tensor", "tensor-spec": {"dtype", "shape"}}`) and
 * params (`{"name", "type", "default", "shape"}`).
 */

/** The scalar column types of MLflow's `DataType`. */
export const COLUMN_TYPES = [
  "boolean",
  "integer",
  "long",
  "float",
  "double",
  "string",
  "binary",
  "datetime",
] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** What one value must be. `any` also stands for types this reader does not know (left unchecked). */
export type ValueSpec =
  | { kind: "scalar"; type: ColumnType }
  | { kind: "array"; items: ValueSpec }
  | { kind: "object"; properties: PropertySpec[] }
  | { kind: "map"; values: ValueSpec }
  | { kind: "any"; type: string };

export interface PropertySpec {
  name: string;
  value: ValueSpec;
  required: boolean;
}

export interface ColumnSpec {
  /** Undefined for unnamed columns (e.g. a model that takes one string per row). */
  name: string | undefined;
  value: ValueSpec;
  required: boolean;
}

export interface TensorSpec {
  name: string | undefined;
  /** numpy dtype name: `float32`, `int64`, `bool`, `str`, `object`, … */
  dtype: string;
  /** -1 for a free dimension; the first one is the batch (row) dimension. */
  shape: number[];
}

export type SchemaSpec =
  | { kind: "columns"; columns: ColumnSpec[] }
  | { kind: "tensors"; tensors: TensorSpec[] };

export interface ParamSpec {
  name: string;
  value: ValueSpec;
  /** null for a single value, `[-1]` for a list of values. */
  shape: number[] | null;
  default: unknown;
}

export interface ModelSignature {
  inputs: SchemaSpec | undefined;
  outputs: SchemaSpec | undefined;
  params: ParamSpec[];
}

/** Parses the three JSON texts of an MLmodel signature; `source` names the model in errors. */
export function parseSignature(sig: MlmodelSignature, source: string): ModelSignature {
  return {
    inputs: parsePart(sig.inputs, "inputs", source, parseSchema),
    outputs: parsePart(sig.outputs, "outputs", source, parseSchema),
    params: parsePart(sig.params, "params", source, parseParams) ?? [],
  };
}

function parsePart<T>(
  text: string | undefined,
  part: string,
  source: string,
  parse: (json: unknown[]) => T,
): T | undefined {
  if (text === undefined || text.trim() === "" || text.trim() === "null") return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BrickmlError(`The signature ${part} of ${source} are not JSON: ${text.slice(0, 80)}`);
  }
  if (json === null) return undefined;
  try {
    if (!Array.isArray(json)) throw new Error("expected a JSON list of specs");
    return parse(json);
  } catch (e) {
    throw new BrickmlError(`The signature ${part} of ${source} cannot be read: ${(e as Error).message}`);
  }
}

function parseSchema(specs: unknown[]): SchemaSpec {
  const objects = specs.map(asObject);
  if (objects.some((s) => s.type === "tensor")) {
    if (!objects.every((s) => s.type === "tensor")) throw new Error("mixes tensor and column specs");
    return { kind: "tensors", tensors: objects.map(parseTensor) };
  }
  return {
    kind: "columns",
    columns: objects.map((s) => ({
      name: optionalString(s.name, "name"),
      value: parseValue(s),
      required: isRequired(s),
    })),
  };
}

function parseTensor(s: Record<string, unknown>): TensorSpec {
  const spec = asObject(s["tensor-spec"]);
  if (typeof spec.dtype !== "string") throw new Error("a tensor spec has no dtype");
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d))) {
    throw new Error(`tensor ${JSON.stringify(s.name ?? "")} has no integer shape`);
  }
  return { name: optionalString(s.name, "name"), dtype: spec.dtype, shape: spec.shape as number[] };
}

function parseParams(specs: unknown[]): ParamSpec[] {
  return specs.map((raw) => {
    const s = asObject(raw);
    if (typeof s.name !== "string") throw new Error("a param has no name");
    const shape = s.shape === null || s.shape === undefined ? null : s.shape;
    if (shape !== null && !(Array.isArray(shape) && shape.every((d) => Number.isInteger(d)))) {
      throw new Error(`param ${s.name} has a shape that is not a list of integers`);
    }
    return { name: s.name, value: parseValue(s), shape: shape as number[] | null, default: s.default };
  });
}

function parseValue(s: Record<string, unknown>): ValueSpec {
  const type = s.type;
  if (typeof type !== "string") throw new Error(`a spec has no type: ${JSON.stringify(s)}`);
  if ((COLUMN_TYPES as readonly string[]).includes(type)) return { kind: "scalar", type: type as ColumnType };
  switch (type) {
    case "array":
      return { kind: "array", items: parseValue(asObject(s.items)) };
    case "map":
      return { kind: "map", values: parseValue(asObject(s.values)) };
    case "object":
      return {
        kind: "object",
        properties: Object.entries(asObject(s.properties)).map(([name, p]) => ({
          name,
          value: parseValue(asObject(p)),
          required: isRequired(asObject(p)),
        })),
      };
    default:
      return { kind: "any", type };
  }
}

/** MLflow writes `required` (default true); versions before 2.10 wrote `optional` instead. */
function isRequired(s: Record<string, unknown>): boolean {
  if (typeof s.required === "boolean") return s.required;
  if (typeof s.optional === "boolean") return !s.optional;
  return true;
}

function asObject(v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new Error(`expected a JSON object, got ${JSON.stringify(v)}`);
  }
  return v as Record<string, unknown>;
}

function optionalString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new Error(`${what} ${JSON.stringify(v)} is not a string`);
  return v;
}

/** How a value spec reads in messages: `double`, `array<string>`, `object{role, content}`. */
export function describeValue(v: ValueSpec): string {
  switch (v.kind) {
    case "scalar":
      return v.type;
    case "array":
      return `array<${describeValue(v.items)}>`;
    case "map":
      return `map<string, ${describeValue(v.values)}>`;
    case "object":
      return `object{${v.properties.map((p) => p.name).join(", ")}}`;
    default:
      return v.type;
  }
}
