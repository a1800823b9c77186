import type { DataType, Field, Vector } from "apache-arrow";
import { ValidationError } from "../core/errors.js";
import type { ArrowModule } from "./arrow-loader.js";

const MS_PER_DAY = 86_400_000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TICKS_PER_MS = [1e-3, 1, 1e3, 1e6] as const; // per TimeUnit: SECOND, MILLISECOND, MICROSECOND, NANOSECOND

/**
 * Builds an Arrow vector of `type` from JavaScript values. Numbers, bigints and strings are
 * accepted wherever they denote the value exactly (e.g. "12.30" or 1230n for a decimal, an
 * ISO-8601 string or epoch milliseconds for a timestamp); null and undefined are nulls.
 */
export function buildVector(
  arrow: ArrowModule,
  type: DataType,
  values: readonly unknown[],
  column: string,
): Vector {
  const t = type as DataType & Record<string, any>;
  const length = values.length;
  const bad = (row: number, what: string) =>
    new ValidationError("Arrow conversion", [
      { path: `${column}[${row}]`, message: `${what} is not a valid ${String(type)}` },
    ]);
  const fixed = (
    data: ArrayLike<unknown> & { [i: number]: unknown },
    set: (v: unknown, row: number) => unknown,
  ) => {
    const { nullCount, nullBitmap } = validity(values);
    values.forEach((v, row) => {
      if (v !== null && v !== undefined) data[row] = set(v, row);
    });
    return arrow.makeVector(
      arrow.makeData({ type: type as any, length, nullCount, nullBitmap, data: data as any }),
    );
  };
  if (arrow.DataType.isInt(type)) {
    if (t.bitWidth === 64) {
      const data = t.isSigned ? new BigInt64Array(length) : new BigUint64Array(length);
      return fixed(data as any, (v, row) => toBigInt(v) ?? throwIt(bad(row, String(v))));
    }
    return fixed(new t.ArrayType(length), (v, row) => {
      const n = typeof v === "boolean" ? Number(v) : Number(v);
      return Number.isInteger(n) ? n : throwIt(bad(row, String(v)));
    });
  }
  if (arrow.DataType.isFloat(type) && t.precision !== 0) {
    return fixed(new t.ArrayType(length), (v, row) => {
      const n = Number(v);
      return typeof v === "boolean" || (Number.isNaN(n) && !/^\s*nan\s*$/i.test(String(v)))
        ? throwIt(bad(row, String(v)))
        : n;
    });
  }
  if (arrow.DataType.isTimestamp(type)) {
    const perMs = TICKS_PER_MS[t.unit as 0];
    return fixed(
      new BigInt64Array(length) as any,
      (v, row) => timestampTicks(v, perMs) ?? throwIt(bad(row, String(v))),
    );
  }
  if (arrow.DataType.isDate(type) && t.unit === 0) {
    return fixed(new Int32Array(length), (v, row) => {
      const ms = dateMs(v);
      return ms === undefined ? throwIt(bad(row, String(v))) : Math.floor(ms / MS_PER_DAY);
    });
  }
  if (arrow.DataType.isDecimal(type)) {
    return decimalVector(arrow, type, values, t.scale, (row, v) => bad(row, String(v)));
  }
  if (arrow.DataType.isBinary(type) || arrow.DataType.isUtf8(type)) {
    // Offsets and bytes written directly: several times faster than the generic builder.
    const binary = arrow.DataType.isBinary(type);
    const parts = values.map((v) =>
      v === null || v === undefined
        ? undefined
        : binary
          ? typeof v === "string"
            ? Buffer.from(v, "base64")
            : (v as Uint8Array)
          : textOf(v),
    );
    const offsets = new Int32Array(length + 1);
    let total = 0;
    parts.forEach((p, i) => {
      total += p === undefined ? 0 : typeof p === "string" ? Buffer.byteLength(p) : p.byteLength;
      offsets[i + 1] = total;
    });
    const bytes = Buffer.alloc(total);
    parts.forEach((p, i) => {
      if (typeof p === "string") bytes.write(p, offsets[i]!, "utf8");
      else if (p !== undefined) bytes.set(p, offsets[i]!);
    });
    const { nullCount, nullBitmap } = validity(values);
    return arrow.makeVector(
      arrow.makeData({
        type: type as any,
        length,
        nullCount,
        nullBitmap,
        valueOffsets: offsets,
        data: bytes,
      } as any),
    );
  }
  if (arrow.DataType.isBool(type)) {
    const bits = new Uint8Array(Math.ceil(length / 8));
    values.forEach((v, row) => {
      if (v === null || v === undefined) return;
      let b: boolean;
      if (typeof v === "boolean") b = v;
      else if (v === 1 || v === 1n || v === "true") b = true;
      else if (v === 0 || v === 0n || v === "false") b = false;
      else throw bad(row, String(v));
      if (b) bits[row >> 3]! |= 1 << (row & 7);
    });
    const { nullCount, nullBitmap } = validity(values);
    return arrow.makeVector(arrow.makeData({ type: type as any, length, nullCount, nullBitmap, data: bits }));
  }
  return arrow.vectorFromArray(values as any, type as any);
}

function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function throwIt(e: Error): never {
  throw e;
}

function validity(values: readonly unknown[]): { nullCount: number; nullBitmap: Uint8Array | undefined } {
  let nullCount = 0;
  for (const v of values) if (v === null || v === undefined) nullCount++;
  if (nullCount === 0) return { nullCount, nullBitmap: undefined };
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null && v !== undefined) nullBitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { nullCount, nullBitmap };
}

function toBigInt(v: unknown): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : undefined;
  if (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v)) return BigInt(v.trim());
  return undefined;
}

/** Epoch ms of a date-like value; strings without a zone are read as UTC. */
function dateMs(v: unknown): number | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.getTime();
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string") {
    const ms = Date.parse(
      /[zZ]|[+-]\d\d:?\d\d$/.test(v) || /^\d{4}-\d\d-\d\d$/.test(v) ? v : `${v.replace(" ", "T")}Z`,
    );
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** Timestamp ticks; ISO strings keep their sub-millisecond digits. */
function timestampTicks(v: unknown, perMs: number): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "string") {
    const m = /^(.*?T?\d\d:\d\d:\d\d)\.(\d+)(.*)$/.exec(v.replace(" ", "T"));
    if (m && perMs >= 1) {
      const whole = dateMs(`${m[1]}${m[3]}`);
      if (whole === undefined) return undefined;
      const digits = Math.round(Math.log10(perMs * 1000));
      const frac = BigInt((m[2]!.slice(0, digits) || "0").padEnd(digits, "0"));
      return BigInt(whole) * BigInt(perMs) + frac;
    }
  }
  const ms = dateMs(v);
  if (ms === undefined) return undefined;
  return perMs >= 1 ? BigInt(Math.round(ms)) * BigInt(perMs) : BigInt(Math.floor(ms / 1000));
}

/** Decimal text (or number/bigint) to its unscaled integer at `scale`; undefined if it has more digits. */
export function unscaledDecimal(v: unknown, scale: number): bigint | undefined {
  if (typeof v === "bigint") return v * 10n ** BigInt(scale);
  const text = typeof v === "number" ? (Number.isFinite(v) ? v.toFixed(scale) : "") : String(v).trim();
  const m = /^([-+]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === "" && !m[3])) return undefined;
  const frac = m[3] ?? "";
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale))) return undefined;
  const digits = BigInt(`${m[2] || "0"}${frac.slice(0, scale).padEnd(scale, "0")}`);
  return m[1] === "-" ? -digits : digits;
}

function decimalVector(
  arrow: ArrowModule,
  type: DataType,
  values: readonly unknown[],
  scale: number,
  bad: (row: number, v: unknown) => Error,
): Vector {
  const words = new Uint32Array(values.length * 4);
  const { nullCount, nullBitmap } = validity(values);
  values.forEach((v, row) => {
    if (v === null || v === undefined) return;
    let x = unscaledDecimal(v, scale);
    if (x === undefined) throw bad(row, v);
    // Two's complement, 128 bits, little-endian 32-bit words.
    if (x < 0n) x += 1n << 128n;
    for (let w = 0; w < 4; w++) {
      words[row * 4 + w] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
  });
  return arrow.makeVector(
    arrow.makeData({ type: type as any, length: values.length, nullCount, nullBitmap, data: words }),
  );
}

/**
 * Infers an Arrow type for JavaScript values: numbers → Float64 (JSON has no integer type),
 * bigint → Int64, booleans → Bool, strings → Utf8, Dates → Timestamp(ms, UTC), bytes → Binary,
 * arrays → List, objects → Struct. Mixed kinds throw a ValidationError naming column and row.
 */
export function inferType(arrow: ArrowModule, values: readonly unknown[], column: string): DataType {
  const firstRowOf = new Map<string, number>();
  let unsafeBigInt = false;
  values.forEach((v, row) => {
    if (v === null || v === undefined) return;
    const k = kindOf(v);
    if (!firstRowOf.has(k)) firstRowOf.set(k, row);
    if (k === "bigint" && ((v as bigint) > MAX_SAFE || (v as bigint) < -MAX_SAFE)) unsafeBigInt = true;
  });
  if (firstRowOf.has("number") && firstRowOf.has("bigint")) {
    if (unsafeBigInt) {
      throw new ValidationError("Arrow conversion", [
        { path: column, message: "mixes numbers with integers beyond 2^53; use bigint for every value" },
      ]);
    }
    firstRowOf.delete("bigint");
  }
  const [kind, second] = [...firstRowOf.keys()];
  if (second !== undefined) {
    throw new ValidationError("Arrow conversion", [
      {
        path: `${column}[${firstRowOf.get(second)}]`,
        message: `is a ${second}, but row ${firstRowOf.get(kind!)} is a ${kind}; a column holds one type`,
      },
    ]);
  }
  switch (kind) {
    case undefined:
      return new arrow.Null();
    case "number":
      return new arrow.Float64();
    case "bigint":
      return new arrow.Int64();
    case "boolean":
      return new arrow.Bool();
    case "string":
      return new arrow.Utf8();
    case "date":
      return new arrow.TimestampMillisecond("UTC");
    case "bytes":
      return new arrow.Binary();
    case "array": {
      const items = values.flatMap((v) => (Array.isArray(v) ? v : []));
      return new arrow.List(new arrow.Field("item", inferType(arrow, items, `${column}[]`), true));
    }
    default: {
      const keys = [...new Set(values.flatMap((v) => (v && typeof v === "object" ? Object.keys(v) : [])))];
      const fields: Field[] = keys.map(
        (k) =>
          new arrow.Field(
            k,
            inferType(
              arrow,
              values.map((v) => (v as Record<string, unknown> | null | undefined)?.[k]),
              `${column}.${k}`,
            ),
            true,
          ),
      );
      return new arrow.Struct(fields);
    }
  }
}

function kindOf(v: unknown): string {
  if (v instanceof Date) return "date";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
