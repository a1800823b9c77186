import { describe, expect, it } from "vitest";
import { offsetPaginated, Paginated, tokenPaginated } from "../../../src/core/pagination.js";
import { isValidationError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";

/** A fake list endpoint: answers each call with the next scripted body and records the cursors. */
function server(bodies: unknown[]) {
  const cursors: unknown[] = [];
  return {
    cursors,
    fetch: async (cursor: unknown) => {
      cursors.push(cursor);
      if (cursors.length > bodies.length) throw new Error("asked for a page the server does not have");
      return bodies[cursors.length - 1];
    },
  };
}

async function collect<T>(list: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of list) out.push(item);
  return out;
}

describe("token pagination", () => {
  it("walks every page, passing each next_page_token back", async () => {
    const s = server([
      { jobs: [1, 2], next_page_token: "p2", has_more: true },
      { jobs: [3], next_page_token: "p3" },
      { jobs: [4] },
    ]);
    expect(await collect(tokenPaginated<number>(s.fetch, "jobs"))).toEqual([1, 2, 3, 4]);
    expect(s.cursors).toEqual([undefined, "p2", "p3"]);
  });

  it("stops when the server repeats a token", async () => {
    const s = server([
      { items: [1], next_page_token: "same" },
      { items: [2], next_page_token: "same" },
    ]);
    expect(await collect(tokenPaginated<number>(s.fetch, "items"))).toEqual([1, 2]);
    expect(s.cursors).toEqual([undefined, "same"]);
  });

  it("stops when a token comes back after another one (a cycle)", async () => {
    const s = server([
      { items: [1], next_page_token: "a" },
      { items: [2], next_page_token: "b" },
      { items: [3], next_page_token: "a" },
    ]);
    expect(await collect(tokenPaginated<number>(s.fetch, "items"))).toEqual([1, 2, 3]);
  });

  it("stops on an empty page without a token, and on an empty token", async () => {
    const s = server([{ items: [1], next_page_token: "x" }, {}]);
    expect(await collect(tokenPaginated<number>(s.fetch, "items"))).toEqual([1]);
    expect(s.cursors).toHaveLength(2);
    const s2 = server([{ items: [1], next_page_token: "" }]);
    expect(await collect(tokenPaginated<number>(s2.fetch, "items"))).toEqual([1]);
  });

  it("continues over an empty page that carries a token", async () => {
    const s = server([
      { items: [], next_page_token: "p2" },
      { items: [], next_page_token: "p3" },
      { items: [7] },
    ]);
    expect(await collect(tokenPaginated<number>(s.fetch, "items"))).toEqual([7]);
  });

  it("a custom token field", async () => {
    const s = server([{ objects: ["a"], page_token: "t" }, { objects: ["b"] }]);
    expect(await collect(tokenPaginated<string>(s.fetch, "objects", "page_token"))).toEqual(["a", "b"]);
  });

  it("gives access to single pages with their raw bodies", async () => {
    const bodies = [{ items: [1], next_page_token: "n", total: 2 }, { items: [2] }];
    const list = tokenPaginated<number>(server(bodies).fetch, "items");
    const first = await list.firstPage();
    expect(first).toEqual({ items: [1], next: "n", raw: bodies[0] });
    const pages = [];
    for await (const page of tokenPaginated<number>(server(bodies).fetch, "items").pages())
      pages.push(page.items);
    expect(pages).toEqual([[1], [2]]);
  });

  it("fetches lazily: breaking out early asks for no further page", async () => {
    const s = server([{ items: [1, 2], next_page_token: "p2" }, { items: [3] }]);
    for await (const item of tokenPaginated<number>(s.fetch, "items")) {
      if (item === 1) break;
    }
    expect(s.cursors).toEqual([undefined]);
  });
});

describe("offset pagination", () => {
  it("walks pages with offset + has_more", async () => {
    const s = server([
      { runs: [1, 2], has_more: true },
      { runs: [3, 4], has_more: true },
      { runs: [5], has_more: false },
    ]);
    expect(await collect(offsetPaginated<number>(s.fetch, "runs"))).toEqual([1, 2, 3, 4, 5]);
    expect(s.cursors).toEqual([0, 2, 4]);
  });

  it("stops on an empty page even when has_more says otherwise", async () => {
    const s = server([
      { runs: [1], has_more: true },
      { runs: [], has_more: true },
    ]);
    expect(await collect(offsetPaginated<number>(s.fetch, "runs"))).toEqual([1]);
    expect(s.cursors).toEqual([0, 1]);
  });

  it("starts at a given offset", async () => {
    const s = server([{ runs: [9] }]);
    await collect(offsetPaginated<number>(s.fetch, "runs", 20));
    expect(s.cursors).toEqual([20]);
  });
});

describe("toArray", () => {
  const many = () =>
    new Paginated<number>(async (cursor) => {
      const start = (cursor as number | undefined) ?? 0;
      return { items: [start, start + 1, start + 2], next: start + 3, raw: {} };
    });

  it("collects at most limit items across pages", async () => {
    expect(await many().toArray({ limit: 5 })).toEqual([0, 1, 2, 3, 4]);
    expect(await many().toArray({ limit: 0 })).toEqual([]);
  });

  it("requires a limit", async () => {
    for (const bad of [undefined, {}, { limit: -1 }, { limit: 1.5 }, { limit: Number.POSITIVE_INFINITY }]) {
      const err = await rejection(many().toArray(bad as any));
      expect(isValidationError(err)).toBe(true);
      expect(err.message).toContain("limit");
    }
  });
});
