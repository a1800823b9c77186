import { isAscii } from "node:buffer";
import type { DataType, Vector } from "apache-arrow";
import {
  base64,
  type CellAt,
  cellError,
  encodeBigInt,
  encodeDecimal,
  encodeFloat,
  encodePlain,
  type Int64Encoding,
  scaleDecimal,
} from "./json-values.js";

// Type ids of the Arrow columnar format (Schema.fbs). They are part of the format, so a table can
// be read without loading apache-arrow at runtime — and tables from another copy of it work too.
const TYPE = {
  Null: 1,
  Int: 2,
  Float: 3,
  Binary: 4,
  Utf8: 5,
  Bool: 6,
  Decimal: 7,
  Date: 8,
  Time: 9,
  Timestamp: 10,
  List: 12,
  Struct: 13,
  FixedSizeBinary: 15,
  FixedSizeList: 16,
  Map: 17,
  LargeBinary: 19,
  LargeUtf8: 20,
  LargeList: 21,
  BinaryView: 23,
  Utf8View: 24,
  Dictionary: -1,
} as const;

/** Digits after the second of each TimeUnit (SECOND, MILLISECOND, MICROSECOND, NANOSECOND). */
const UNIT_DIGITS = [0, 3, 6, 9] as const;

/** Reads cell `index` of one vector as a JSON value; `row` names the table row in errors. */
export type CellReader = (index: number, row: number) => unknown;
/** Binds a column's conversion to one vector (one record batch of the column). */
export type ColumnConverter = (vector: Vector) => CellReader;

/** The JSON conversion of an Arrow column, decided once per column from its type. */
export function columnConverter(type: DataType, column: string, int64: Int64Encoding): ColumnConverter {
  const at = (row: number): CellAt => ({ column, row });
  const t = type as DataType & Record<string, any>;
  switch (t.typeId) {
    case TYPE.Null:
      return () => () => null;
    case TYPE.Int:
      if (t.bitWidth === 64) {
        return (v) => {
          const read = primitive(v) as (i: number) => bigint | number | null;
          return (i, row) => {
            const x = read(i);
            if (x === null || x === undefined) return null;
            // Number() of an integer beyond ±(2^53 − 1) is never a safe integer, so this test is exact.
            const n = Number(x);
            return Number.isSafeInteger(n) ? n : encodeBigInt(BigInt(x), at(row), int64);
          };
        };
      }
      return primitive;
    case TYPE.Float:
      // Float16 is stored as raw 16-bit words; only `get` decodes it.
      if (t.precision === 0) return (v) => (i, row) => nullOr(v.get(i), (x) => encodeFloat(x, at(row)));
      return (v) => {
        const read = primitive(v);
        return (i, row) => {
          const x = read(i, row) as number | null;
          return x === null ? null : encodeFloat(x, at(row));
        };
      };
    case TYPE.Utf8:
      return utf8;
    case TYPE.Bool:
      return bool;
    case TYPE.LargeUtf8:
    case TYPE.Utf8View:
      return (v) => (i) => v.get(i) ?? null;
    case TYPE.Binary:
    case TYPE.LargeBinary:
    case TYPE.BinaryView:
    case TYPE.FixedSizeBinary:
      return (v) => (i) => nullOr(v.get(i), base64);
    case TYPE.Decimal:
      return (v) => (i, row) =>
        nullOr(v.get(i), (x) => encodeDecimal(scaleDecimal(String(x), t.scale), at(row), int64));
    case TYPE.Date:
      return (v) => (i) => nullOr(v.get(i), (ms) => new Date(Number(ms)).toISOString().slice(0, 10));
    case TYPE.Time:
      return (v) => (i) => nullOr(v.get(i), (x) => timeOfDay(BigInt(x), UNIT_DIGITS[t.unit as 0] ?? 3));
    case TYPE.Timestamp:
      return timestampConverter(UNIT_DIGITS[t.unit as 0] ?? 3, Boolean(t.timezone));
    case TYPE.List:
    case TYPE.LargeList:
    case TYPE.FixedSizeList: {
      const child = columnConverter(t.children[0]!.type, column, int64);
      return (v) => (i, row) => {
        const items = v.get(i) as Vector | null;
        if (items === null || items === undefined) return null;
        const read = child(items);
        const out = new Array(items.length);
        for (let j = 0; j < items.length; j++) out[j] = read(j, row);
        return out;
      };
    }
    case TYPE.Struct: {
      const fields = (t.children as Array<{ name: string; type: DataType }>).map((f) => ({
        name: f.name,
        convert: columnConverter(f.type, `${column}.${f.name}`, int64),
      }));
      return (v) => {
        const readers = fields.map((f, k) => ({ name: f.name, read: f.convert(v.getChildAt(k)!) }));
        return (i, row) => {
          if (!v.isValid(i)) return null;
          const out: Record<string, unknown> = {};
          for (const f of readers) out[f.name] = f.read(i, row);
          return out;
        };
      };
    }
    case TYPE.Map:
      return (v) => (i, row) =>
        nullOr(v.get(i), (m: { toJSON(): unknown }) => encodePlain(m.toJSON(), at(row), int64));
    case TYPE.Dictionary: {
      const decode = columnConverter(t.dictionary, column, int64);
      return (v) => {
        const data = v.data[0]!;
        const dictionary = (data as unknown as { dictionary: Vector }).dictionary;
        const read = decode(dictionary);
        const keys = data.values as ArrayLike<number | bigint>;
        return (i, row) => (v.isValid(i) ? read(Number(keys[i]), row) : null);
      };
    }
    default:
      throw cellError(
        { column, row: 0 },
        `Arrow type ${String(type)} has no JSON form for a model; cast the column to a number or string first`,
      );
  }
}

function nullOr<T>(value: T | null | undefined, convert: (value: T) => unknown): unknown {
  return value === null || value === undefined ? null : convert(value);
}

/** Reads numbers straight from the value buffer when the vector is one contiguous chunk. */
function primitive(v: Vector): CellReader {
  if (v.data.length !== 1) return (i) => v.get(i) ?? null;
  const data = v.data[0]!;
  const values = data.values as ArrayLike<number>;
  // Buffers of 64-bit values in older apache-arrow copies are pairs of 32-bit words.
  if (
    data.type.typeId === TYPE.Int &&
    (data.type as { bitWidth?: number }).bitWidth === 64 &&
    !(values instanceof BigInt64Array || values instanceof BigUint64Array)
  ) {
    return (i) => v.get(i) ?? null;
  }
  const valid = validity(v);
  return valid ? (i) => (valid(i) ? values[i] : null) : (i) => values[i];
}

/** A null test for one-chunk vectors with nulls; undefined when there are none. */
function validity(v: Vector): ((i: number) => boolean) | undefined {
  const data = v.data[0]!;
  if (data.nullCount === 0 || !data.nullBitmap) return undefined;
  const bitmap = data.nullBitmap;
  const offset = data.offset;
  return (i) => {
    const bit = offset + i;
    return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
  };
}

/** Booleans straight from their bit-packed buffer. */
function bool(v: Vector): CellReader {
  if (v.data.length !== 1) return (i) => v.get(i) ?? null;
  const data = v.data[0]!;
  const bits = data.values as Uint8Array;
  const offset = data.offset;
  const valid = validity(v);
  return (i) => {
    if (valid && !valid(i)) return null;
    const bit = offset + i;
    return (bits[bit >> 3]! & (1 << (bit & 7))) !== 0;
  };
}

/** Rows of a string column decoded at once by `utf8`. */
export const UTF8_WINDOW_ROWS = 16_384;

/**
 * UTF-8 strings, decoded a window of rows at a time: when a window's bytes are all ASCII they are
 * decoded at once and sliced per cell, several times faster than decoding each cell on its own,
 * while memory holds one window of text, never the whole column. Other windows decode per cell.
 */
function utf8(v: Vector): CellReader {
  const data = v.data.length === 1 ? v.data[0]! : undefined;
  const offsets = data?.valueOffsets as Int32Array | undefined;
  const bytes = data?.values as Uint8Array | undefined;
  if (!data || !(offsets instanceof Int32Array) || !(bytes instanceof Uint8Array)) {
    return (i) => v.get(i) ?? null;
  }
  const valid = validity(v);
  const rows = data.length;
  let start = 0;
  let end = 0;
  let base = 0;
  let text: string | undefined;
  return (i) => {
    if (valid && !valid(i)) return null;
    if (i < start || i >= end) {
      start = i;
      end = Math.min(rows, i + UTF8_WINDOW_ROWS);
      base = offsets[start]!;
      const window = bytes.subarray(base, offsets[end]);
      text = isAscii(window)
        ? Buffer.from(window.buffer, window.byteOffset, window.byteLength).toString("latin1")
        : undefined;
    }
    return text === undefined ? (v.get(i) ?? null) : text.slice(offsets[i]! - base, offsets[i + 1]! - base);
  };
}

/**
 * Timestamps as ISO-8601 strings, from the raw 64-bit value so that micro- and nanoseconds are
 * kept. A zone-aware column is a UTC instant (`…Z`); a zone-less one stays wall-clock time.
 */
function timestampConverter(digits: number, zoned: boolean): ColumnConverter {
  const perSecond = 10n ** BigInt(digits);
  const suffix = zoned ? "Z" : "";
  return (v) => {
    const data = v.data.length === 1 ? v.data[0] : undefined;
    const raw = data?.values instanceof BigInt64Array ? data.values : undefined;
    const valid = raw ? validity(v) : undefined;
    const format = isoFormatter();
    return (i) => {
      if (raw ? valid && !valid(i) : !v.isValid(i)) return null;
      // Older apache-arrow copies store 64-bit values as pairs of 32-bit words; their `get` gives ms.
      const ticks = raw ? raw[i]! : BigInt(Math.round((Number(v.get(i)) * Number(perSecond)) / 1000));
      if (digits === 3 && ticks <= MAX_SAFE && ticks >= -MAX_SAFE) {
        const ms = Number(ticks);
        const seconds = Math.floor(ms / 1000);
        return `${format(seconds)}.${THREE[ms - seconds * 1000]}${suffix}`;
      }
      let seconds = ticks / perSecond;
      let fraction = ticks % perSecond;
      if (fraction < 0n) {
        fraction += perSecond;
        seconds -= 1n;
      }
      const frac = digits > 0 ? `.${fraction.toString().padStart(digits, "0")}` : "";
      return `${format(Number(seconds))}${frac}${suffix}`;
    };
  };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TWO = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, "0"));
const THREE = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, "0"));

/** `YYYY-MM-DDTHH:MM:SS` of epoch seconds; the date part is formatted once per day seen. */
function isoFormatter(): (seconds: number) => string {
  let day = Number.NaN;
  let prefix = "";
  return (seconds) => {
    const d = Math.floor(seconds / 86_400);
    if (d !== day) {
      day = d;
      prefix = new Date(d * 86_400_000).toISOString().slice(0, 11);
    }
    let rest = seconds - d * 86_400;
    const h = Math.floor(rest / 3600);
    rest -= h * 3600;
    const m = Math.floor(rest / 60);
    return `${prefix}${TWO[h]}:${TWO[m]}:${TWO[rest - m * 60]}`;
  };
}

function timeOfDay(ticks: bigint, digits: number): string {
  const perSecond = 10n ** BigInt(digits);
  const seconds = Number(ticks / perSecond);
  const hh = String(Math.floor(seconds / 3600)).padStart(2, "0");
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  const frac = digits > 0 ? `.${(ticks % perSecond).toString().padStart(digits, "0")}` : "";
  return `${hh}:${mm}:${ss}${frac}`;
}
