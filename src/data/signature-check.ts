import {
  type ColumnSpec,
  describeValue,
  type ParamSpec,
  type SchemaSpec,
  type TensorSpec,
  type ValueSpec,
} from "../api/mlmodel-signature.js";
import type { FieldIssue } from "../core/errors.js";

/**
 * Checks prediction rows and params against a model signature before they are sent: unknown or
 * missing columns, values of the wrong type, tensors of the wrong dtype or shape. Each problem is a
 * `FieldIssue` whose path names the row and the column, e.g. `rows[3].tenure_months`.
 */

/** Problems in `rows` for one signature's inputs. */
export function rowIssues(inputs: SchemaSpec, rows: readonly unknown[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (inputs.kind === "tensors") {
    const batch = inputs.tensors[0]?.shape[0];
    if (inputs.tensors.length === 1 && batch !== undefined && batch >= 0 && rows.length !== batch) {
      issues.push({
        path: "rows",
        message: `the model takes exactly ${batch} rows (its input tensor has shape ${shapeText(inputs.tensors[0]!.shape)}), got ${rows.length}`,
      });
    }
  }
  rows.forEach((row, i) => {
    const at = `rows[${i}]`;
    if (inputs.kind === "columns") issues.push(...columnRowIssues(inputs.columns, row, at));
    else issues.push(...tensorRowIssues(inputs.tensors, row, at));
  });
  return issues;
}

/** Problems in the inference params for one signature. */
export function paramIssues(specs: readonly ParamSpec[], params: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const known = new Map(specs.map((p) => [p.name, p]));
  for (const [name, value] of Object.entries(params)) {
    const spec = known.get(name);
    const path = `params.${name}`;
    if (!spec) {
      issues.push({ path, message: unknownMessage("param", name, [...known.keys()]) });
      continue;
    }
    if (value === undefined || value === null) continue;
    const expected: ValueSpec = spec.shape ? { kind: "array", items: spec.value } : spec.value;
    const problem = valueProblem(expected, value, path, issues);
    if (problem) issues.push({ path, message: problem });
  }
  return issues;
}

function columnRowIssues(columns: ColumnSpec[], row: unknown, at: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (Array.isArray(row)) {
    // Array rows are positional (sent as `instances`).
    if (row.length !== columns.length) {
      const names = columns.map((c, i) => c.name ?? `#${i}`).join(", ");
      issues.push({
        path: at,
        message: `has ${row.length} values; the model takes ${columns.length} columns in this order: ${names}`,
      });
      return issues;
    }
    columns.forEach((c, i) => {
      checkColumn(c, row[i], `${at}[${i}]${c.name === undefined ? "" : ` (${c.name})`}`, issues);
    });
    return issues;
  }
  if (!isRecord(row)) {
    return [{ path: at, message: `must be a record of columns or an array of values, got ${typeName(row)}` }];
  }
  const named = columns.filter((c) => c.name !== undefined);
  if (named.length === 0) {
    return [
      { path: at, message: "the model's input columns have no names; send each row as an array of values" },
    ];
  }
  const names = named.map((c) => c.name!);
  for (const key of Object.keys(row)) {
    if (!names.includes(key))
      issues.push({ path: `${at}.${key}`, message: unknownMessage("column", key, names) });
  }
  for (const c of named) checkColumn(c, row[c.name!], `${at}.${c.name}`, issues);
  return issues;
}

function checkColumn(c: ColumnSpec, value: unknown, path: string, issues: FieldIssue[]): void {
  if (value === undefined || value === null) {
    if (c.required) issues.push({ path, message: `missing required column (${describeValue(c.value)})` });
    return;
  }
  const problem = valueProblem(c.value, value, path, issues);
  if (problem) issues.push({ path, message: problem });
}

/**
 * Why `value` does not fit `spec`, or undefined. Nested problems (array items, object
 * properties) are pushed to `issues` under their own paths.
 */
function valueProblem(
  spec: ValueSpec,
  value: unknown,
  path: string,
  issues: FieldIssue[],
): string | undefined {
  switch (spec.kind) {
    case "scalar":
      return scalarProblem(spec.type, value);
    case "any":
      return undefined;
    case "array":
      if (!Array.isArray(value)) return `expected ${describeValue(spec)}, got ${typeName(value)}`;
      value.forEach((item, i) => {
        const p = `${path}[${i}]`;
        const problem =
          item === undefined || item === null
            ? "missing array item"
            : valueProblem(spec.items, item, p, issues);
        if (problem) issues.push({ path: p, message: problem });
      });
      return undefined;
    case "map":
      if (!isRecord(value)) return `expected ${describeValue(spec)}, got ${typeName(value)}`;
      for (const [k, v] of Object.entries(value)) {
        const problem = valueProblem(spec.values, v, `${path}.${k}`, issues);
        if (problem) issues.push({ path: `${path}.${k}`, message: problem });
      }
      return undefined;
    case "object": {
      if (!isRecord(value)) return `expected ${describeValue(spec)}, got ${typeName(value)}`;
      const names = spec.properties.map((p) => p.name);
      for (const key of Object.keys(value)) {
        if (!names.includes(key)) {
          issues.push({ path: `${path}.${key}`, message: unknownMessage("property", key, names) });
        }
      }
      for (const p of spec.properties) {
        const v = value[p.name];
        const at = `${path}.${p.name}`;
        if (v === undefined || v === null) {
          if (p.required)
            issues.push({ path: at, message: `missing required property (${describeValue(p.value)})` });
          continue;
        }
        const problem = valueProblem(p.value, v, at, issues);
        if (problem) issues.push({ path: at, message: problem });
      }
      return undefined;
    }
  }
}

const INT32 = 2 ** 31;

function scalarProblem(type: string, v: unknown): string | undefined {
  const got = () => `expected ${type}, got ${typeName(v)}`;
  switch (type) {
    case "boolean":
      return typeof v === "boolean" ? undefined : got();
    case "integer":
      if (!Number.isInteger(v)) return got();
      return (v as number) >= -INT32 && (v as number) < INT32
        ? undefined
        : `${v} is out of range for integer (32-bit)`;
    case "long":
      if (!Number.isInteger(v)) return got();
      return Number.isSafeInteger(v)
        ? undefined
        : `${v} is beyond ±(2^53 − 1), which JSON numbers cannot carry exactly`;
    case "float":
    case "double":
      if (typeof v !== "number") return got();
      return Number.isFinite(v) ? undefined : `${v} cannot be sent as JSON`;
    case "string":
      return typeof v === "string" ? undefined : got();
    case "binary":
      return typeof v === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(v)
        ? undefined
        : `expected binary as a base64 string, got ${typeName(v)}`;
    case "datetime":
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? "an invalid Date" : undefined;
      return typeof v === "string" && !Number.isNaN(Date.parse(v))
        ? undefined
        : `expected datetime (a Date or an ISO 8601 string), got ${typeName(v)}`;
    default:
      return undefined;
  }
}

function tensorRowIssues(tensors: TensorSpec[], row: unknown, at: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const only = tensors.length === 1 ? tensors[0]! : undefined;
  // One tensor: the row is its slice, or a record holding it by name.
  if (only && !(isRecord(row) && only.name !== undefined)) {
    checkTensor(only, row, only.shape.slice(1), at, issues);
    return issues;
  }
  if (!isRecord(row)) {
    const names = tensors.map((t) => t.name ?? "?").join(", ");
    return [{ path: at, message: `must be a record of the input tensors (${names}), got ${typeName(row)}` }];
  }
  const names = tensors.flatMap((t) => (t.name === undefined ? [] : [t.name]));
  for (const key of Object.keys(row)) {
    if (!names.includes(key))
      issues.push({ path: `${at}.${key}`, message: unknownMessage("tensor", key, names) });
  }
  for (const t of tensors) {
    if (t.name === undefined) continue;
    const path = `${at}.${t.name}`;
    if (row[t.name] === undefined || row[t.name] === null) {
      issues.push({ path, message: `missing input tensor (${t.dtype}, shape ${shapeText(t.shape)})` });
    } else checkTensor(t, row[t.name], t.shape.slice(1), path, issues);
  }
  return issues;
}

/** Checks one row's slice of a tensor: nested arrays matching `dims`, leaves of the dtype. */
function checkTensor(
  t: TensorSpec,
  value: unknown,
  dims: number[],
  path: string,
  issues: FieldIssue[],
): void {
  if (dims.length === 0) {
    const problem = dtypeProblem(t.dtype, value);
    if (problem) issues.push({ path, message: problem });
    return;
  }
  const [dim, ...rest] = dims as [number, ...number[]];
  const want = `a tensor slice of shape ${shapeText(dims)} (${t.dtype})`;
  if (!Array.isArray(value)) {
    issues.push({ path, message: `expected ${want}, got ${typeName(value)}` });
    return;
  }
  if (dim >= 0 && value.length !== dim) {
    issues.push({ path, message: `expected ${want}: ${dim} values along this axis, got ${value.length}` });
    return;
  }
  value.forEach((v, i) => {
    checkTensor(t, v, rest, `${path}[${i}]`, issues);
  });
}

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-(2 ** 7), 2 ** 7 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 2 ** 8 - 1],
  uint16: [0, 2 ** 16 - 1],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** The JavaScript kind a numpy dtype's values take in JSON. */
export function dtypeKind(dtype: string): "number" | "integer" | "boolean" | "string" | "any" {
  if (/^float(16|32|64)?$/.test(dtype) || dtype === "double") return "number";
  if (dtype in INT_RANGES) return "integer";
  if (dtype === "bool") return "boolean";
  if (/^(str|bytes|[<>|=]?[US]\d*)$/.test(dtype)) return "string";
  return "any";
}

function dtypeProblem(dtype: string, v: unknown): string | undefined {
  switch (dtypeKind(dtype)) {
    case "number":
      return typeof v === "number" && Number.isFinite(v)
        ? undefined
        : `expected ${dtype}, got ${typeName(v)}`;
    case "integer": {
      if (!Number.isInteger(v)) return `expected ${dtype}, got ${typeName(v)}`;
      const [lo, hi] = INT_RANGES[dtype]!;
      return (v as number) >= lo && (v as number) <= hi ? undefined : `${v} is out of range for ${dtype}`;
    }
    case "boolean":
      return typeof v === "boolean" ? undefined : `expected bool, got ${typeName(v)}`;
    case "string":
      return typeof v === "string" ? undefined : `expected ${dtype} (a string), got ${typeName(v)}`;
    default:
      return v === undefined ? `expected ${dtype}, got nothing` : undefined;
  }
}

function unknownMessage(what: string, key: string, names: string[]): string {
  const near = closest(key, names);
  const hint = near ? ` (did you mean "${near}"?)` : "";
  return `unknown ${what}${hint}; the model takes ${names.length ? names.join(", ") : `no ${what}s`}`;
}

/** The name within a small edit distance of `key`, for "did you mean". */
function closest(key: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const n of names) {
    const d = editDistance(key.toLowerCase(), n.toLowerCase());
    if (d < bestDistance) {
      best = n;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function shapeText(shape: number[]): string {
  return `(${shape.join(", ")}${shape.length === 1 ? "," : ""})`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Date) return "a Date";
  // Strings are not echoed: rows may hold personal data that has no place in error logs.
  if (typeof v === "string") return "a string";
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint")
    return `${typeof v} ${String(v)}`;
  return typeof v === "object" ? "an object" : typeof v;
}
