import { invalidParameter } from "../errors.js";

/** Reading request parameters the way the real services do, and the page tokens of their lists. */

/** A query parameter given once (the first value when repeated). */
export function one(value: unknown): string | undefined {
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

/** A query parameter given repeated or comma-separated. */
export function many(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(","));
}

/** A boolean from JSON or from the query string. */
export function flag(value: unknown): boolean {
  return value === true || one(value) === "true";
}

/** A numeric id (job_id, run_id) from JSON or from the query string. */
export function idParam(value: unknown, name: string): number {
  const n = typeof value === "number" ? value : Number(one(value));
  if (value === undefined || value === null || value === "" || !Number.isInteger(n) || n < 0) {
    throw invalidParameter(
      value === undefined ? `Missing required field: ${name}` : `Invalid ${name}: ${String(value)}`,
    );
  }
  return n;
}

export function offsetToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64url");
}

/** The offset a page token stands for (0 without a token). */
export function offsetOf(token: string | undefined): number {
  if (!token) return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!m) throw invalidParameter(`Invalid page_token: ${token}`);
  return Number(m[1]);
}

/** One page of a list, with the tokens of the next and previous pages when there are such pages. */
export function page<T>(
  items: T[],
  offset: number,
  size: number,
): { items: T[]; more: boolean; next?: string; prev?: string } {
  const more = offset + size < items.length;
  return {
    items: items.slice(offset, offset + size),
    more,
    ...(more ? { next: offsetToken(offset + size) } : {}),
    ...(offset > 0 ? { prev: offsetToken(Math.max(0, offset - size)) } : {}),
  };
}
