import { invalidParameter } from "./errors.js";

export interface PageRequest {
  max_results?: unknown;
  page_token?: unknown;
}

/**
 * One page of `items`: `size` from the request (clamped to `max`, `default` when absent or 0)
 * and an opaque `next_page_token` when more remain.
 */
export function pageOf<T>(
  items: T[],
  size: unknown,
  token: unknown,
  limits: { default: number; max: number },
): { items: T[]; next_page_token?: string } {
  const n = size === undefined || size === null || size === "" ? 0 : Number(size);
  if (!Number.isInteger(n) || n < 0) throw invalidParameter(`Invalid page size: ${String(size)}`);
  const pageSize = n === 0 ? limits.default : Math.min(n, limits.max);
  let offset = 0;
  if (token !== undefined && token !== null && token !== "") {
    const decoded = Number(Buffer.from(String(token), "base64url").toString("utf8"));
    if (!Number.isInteger(decoded) || decoded < 0) throw invalidParameter("Invalid page token");
    offset = decoded;
  }
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize;
  return next < items.length
    ? { items: page, next_page_token: Buffer.from(String(next)).toString("base64url") }
    : { items: page };
}

/** A request parameter from the query string or, failing that, the JSON body (DELETE calls send either). */
export function param(req: { query: Record<string, unknown>; body: any }, name: string): string | undefined {
  const q = req.query[name];
  if (typeof q === "string") return q;
  if (Array.isArray(q)) return q[0] as string;
  const b = req.body?.[name];
  return b === undefined || b === null ? undefined : String(b);
}
