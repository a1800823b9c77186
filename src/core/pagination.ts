import { ValidationError } from "./errors.js";

export interface Page<T> {
  items: T[];
  /** Token or offset of the next page; undefined on the last page. */
  next: string | number | undefined;
  /** The response body of this page, as the server sent it. */
  raw: unknown;
}

/** Fetches the page at `cursor` (undefined for the first page). */
export type FetchPage<T> = (cursor: string | number | undefined) => Promise<Page<T>>;

/**
 * A lazily fetched list: `for await (const item of list)` walks every item across pages;
 * `pages()` walks pages; `firstPage()` fetches one. Stops on a repeated cursor and on an empty
 * page without a cursor, so a misbehaving server cannot make it loop forever.
 */
export class Paginated<T> implements AsyncIterable<T> {
  constructor(private readonly fetchPage: FetchPage<T>) {}

  firstPage(): Promise<Page<T>> {
    return this.fetchPage(undefined);
  }

  async *pages(): AsyncGenerator<Page<T>> {
    const seen = new Set<string | number>();
    let cursor: string | number | undefined;
    for (;;) {
      const fetched = await this.fetchPage(cursor);
      // A server that sends something other than a list where the items go sends no items.
      const page = Array.isArray(fetched.items) ? fetched : { ...fetched, items: [] };
      yield page;
      if (page.next === undefined || page.next === "" || seen.has(page.next)) return;
      seen.add(page.next);
      cursor = page.next;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Collects at most `limit` items; the limit is required so a huge list is never read by accident. */
  async toArray(options: { limit: number }): Promise<T[]> {
    const limit = options?.limit;
    if (!Number.isInteger(limit) || limit < 0) {
      throw new ValidationError("toArray options", [
        { path: "limit", message: "must be a non-negative integer" },
      ]);
    }
    const out: T[] = [];
    if (limit === 0) return out;
    for await (const item of this) {
      out.push(item);
      if (out.length >= limit) break;
    }
    return out;
  }
}

function itemsOf<T>(body: unknown, key: string): T[] {
  const items = (body as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(items) ? (items as T[]) : [];
}

/** Lists paged with `page_token` → `next_page_token`. */
export function tokenPaginated<T>(
  fetch: (pageToken: string | undefined) => Promise<unknown>,
  itemsKey: string,
  tokenKey = "next_page_token",
): Paginated<T> {
  return new Paginated<T>(async (cursor) => {
    const raw = await fetch(cursor as string | undefined);
    const token = (raw as Record<string, unknown> | undefined)?.[tokenKey];
    return {
      items: itemsOf<T>(raw, itemsKey),
      next: typeof token === "string" && token ? token : undefined,
      raw,
    };
  });
}

/** Lists paged with `offset` + `has_more`. */
export function offsetPaginated<T>(
  fetch: (offset: number) => Promise<unknown>,
  itemsKey: string,
  start = 0,
): Paginated<T> {
  return new Paginated<T>(async (cursor) => {
    const offset = (cursor as number | undefined) ?? start;
    const raw = await fetch(offset);
    const items = itemsOf<T>(raw, itemsKey);
    const more = (raw as Record<string, unknown> | undefined)?.has_more === true && items.length > 0;
    return { items, next: more ? offset + items.length : undefined, raw };
  });
}
