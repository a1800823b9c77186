import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LOG_BATCH_LIMITS, splitBatch } from "../../../src/api/log-batch.js";

describe("splitBatch", () => {
  it("keeps every request within the limits and each kind in order", () => {
    fc.assert(
      fc.property(fc.nat(3500), fc.nat(350), fc.nat(350), (nm, np, nt) => {
        const metrics = Array.from({ length: nm }, (_, i) => `m${i}`);
        const params = Array.from({ length: np }, (_, i) => `p${i}`);
        const tags = Array.from({ length: nt }, (_, i) => `t${i}`);
        const chunks = splitBatch({ metrics, params, tags });
        for (const c of chunks) {
          expect(c.metrics.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.metrics);
          expect(c.params.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.params);
          expect(c.tags.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.tags);
          expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(
            LOG_BATCH_LIMITS.total,
          );
        }
        expect(chunks.flatMap((c) => c.metrics)).toEqual(metrics);
        expect(chunks.flatMap((c) => c.params)).toEqual(params);
        expect(chunks.flatMap((c) => c.tags)).toEqual(tags);
        // No request is empty unless the whole batch is.
        if (nm + np + nt > 0) {
          for (const c of chunks)
            expect(c.metrics.length + c.params.length + c.tags.length).toBeGreaterThan(0);
        } else expect(chunks).toHaveLength(1);
      }),
      { numRuns: 60 },
    );
  });

  it("uses few requests: 2500 metrics, 150 params, 120 tags take three", () => {
    const chunks = splitBatch({
      metrics: Array(2500).fill(0),
      params: Array(150).fill(0),
      tags: Array(120).fill(0),
    });
    expect(chunks.map((c) => [c.metrics.length, c.params.length, c.tags.length])).toEqual([
      [800, 100, 100],
      [930, 50, 20],
      [770, 0, 0],
    ]);
  });
});
