import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  batchRanges,
  parseEventStream,
  runBounded,
  toQueryResponse,
} from "../../../src/api/serving-query.js";

async function collect(it: AsyncIterable<unknown>) {
  const out: unknown[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("serving query helpers", () => {
  it("parses events split across chunks, multi-line data and a last event without a blank line", async () => {
    const chunks = ['data: {"a"', ":1}\n", "\nevent: x\ndata: line1\ndata: line2\n\n", "data: tail"];
    expect(await collect(parseEventStream(Readable.from(chunks)))).toEqual([
      { a: 1 },
      "line1\nline2",
      "tail",
    ]);
  });

  it("stops at [DONE]", async () => {
    expect(
      await collect(parseEventStream(Readable.from(["data: 1\n\ndata: [DONE]\n\ndata: 2\n\n"]))),
    ).toEqual([1]);
  });

  it("normalises list and scalar bodies", () => {
    expect(toQueryResponse([1, 2], "m")).toEqual({ predictions: [1, 2], served_model_name: "m" });
    expect(toQueryResponse("text", undefined)).toEqual({ outputs: "text" });
  });

  it("splits rows into batches", () => {
    expect(batchRanges(7, 3)).toEqual([
      [0, 3],
      [3, 3],
      [6, 1],
    ]);
    expect(batchRanges(0, 3)).toEqual([]);
  });

  it("runs at most `concurrency` tasks at once and stops after the first failure", async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const err = await runBounded(10, 3, async (i) => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (i === 4) throw new Error("task 4 failed");
      return i;
    }).catch((e) => e);
    expect(err.message).toBe("task 4 failed");
    expect(peak).toBe(3);
    expect(started.length).toBeLessThan(10);
    expect(await runBounded(5, 2, async (i) => i * 2)).toEqual([0, 2, 4, 6, 8]);
  });
});
