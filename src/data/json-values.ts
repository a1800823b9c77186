import { ValidationError } from "../core/errors.js";

/** How 64-bit integers and wide decimals that a JSON number cannot hold exactly are sent. */
export type Int64Encoding = "error" | "string";

export interface EncodeOptions {
  /**
   * An integer beyond ±(2^53 − 1), or a decimal with more digits than a double keeps, cannot travel
   * as a JSON number without becoming a different number. `"error"` (default) throws a
   * ValidationError naming the column and row; `"string"` sends the exact digits as a string.
   */
  int64?: Int64Encoding;
}

/** Where a cell is, for error messages. */
export interface CellAt {
  column: string;
  row: number;
}

export function cellError(at: CellAt, message: string): ValidationError {
  return new ValidationError("model input", [{ path: `${at.column}[${at.row}]`, message }]);
}

/** An exact integer as a JSON value: a number when it is safe, else per `int64`. */
export function encodeBigInt(value: bigint, at: CellAt, int64: Int64Encoding): number | string {
  if (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER))
    return Number(value);
  if (int64 === "string") return value.toString();
  throw cellError(
    at,
    `${value} does not fit a JSON number exactly (beyond ±2^53); pass { int64: "string" } to send it as a string`,
  );
}

/** A float as JSON: NaN becomes null (pandas reads null as NaN); infinities cannot be sent. */
export function encodeFloat(value: number, at: CellAt): number | null {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return null;
  throw cellError(at, `${value} cannot be represented in JSON`);
}

/** An exact decimal string (e.g. "-12.340") as JSON: a number when a double keeps every digit. */
export function encodeDecimal(text: string, at: CellAt, int64: Int64Encoding): number | string {
  const n = Number(text);
  if (Number.isFinite(n) && significantDigits(text) <= 15) return n;
  if (int64 === "string") return text;
  throw cellError(
    at,
    `decimal ${text} has more digits than a JSON number keeps; pass { int64: "string" } to send it as a string`,
  );
}

function significantDigits(text: string): number {
  const digits = text.replace(/^[-+]/, "").replace(".", "").replace(/^0+/, "");
  return digits.replace(/0+$/, "").length;
}

/** Unscaled integer digits and a scale to a decimal string: ("-1234", 2) → "-12.34". */
export function scaleDecimal(unscaled: string, scale: number): string {
  if (scale <= 0) return unscaled + "0".repeat(-scale);
  const negative = unscaled.startsWith("-");
  const digits = (negative ? unscaled.slice(1) : unscaled).padStart(scale + 1, "0");
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Any plain JavaScript value as a JSON value, faithfully or not at all: bigint per `int64`, Date as
 * an ISO-8601 string, bytes as base64, NaN as null, nested arrays and objects converted likewise.
 */
export function encodePlain(value: unknown, at: CellAt, int64: Int64Encoding): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return encodeFloat(value, at);
    case "bigint":
      return encodeBigInt(value, at, int64);
    case "undefined":
      return null;
    case "object": {
      if (value === null) return null;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw cellError(at, "invalid Date");
        return value.toISOString();
      }
      if (value instanceof Uint8Array) return base64(value);
      if (Array.isArray(value)) return value.map((v) => encodePlain(v, at, int64));
      if (ArrayBuffer.isView(value)) {
        return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => encodePlain(v, at, int64));
      }
      const json = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof json === "function") return encodePlain(json.call(value), at, int64);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = encodePlain(v, at, int64);
      return out;
    }
    default:
      throw cellError(at, `a ${typeof value} cannot be sent to a model`);
  }
}
