import * as arrow from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chiSquareHomogeneity, driftReport, populationStability } from "../../../src/data/drift.js";
import { isValidationError } from "../../../src/index.js";

const numbers = fc.array(fc.double({ min: -1000, max: 1000, noNaN: true, noDefaultInfinity: true }), {
  minLength: 50,
  maxLength: 400,
});
const categories = fc.array(fc.constantFrom("a", "b", "c", "d", null), { minLength: 50, maxLength: 400 });

describe("drift report", () => {
  it("identical samples never drift: PSI 0, KS D 0 and p 1, chi-square 0 and p 1", () => {
    fc.assert(
      fc.property(numbers, categories, (x, c) => {
        const n = Math.min(x.length, c.length);
        const rows = { x: x.slice(0, n), c: c.slice(0, n) };
        const report = driftReport(rows, rows);
        expect(report.drifted).toBe(false);
        const [num, cat] = report.features;
        expect(num!.kind).toBe("numeric");
        expect(num!.psi).toBeCloseTo(0, 12);
        expect(num!.ks).toEqual({ statistic: 0, pValue: 1 });
        expect(cat!.kind).toBe("categorical");
        expect(cat!.psi).toBeCloseTo(0, 12);
        expect(cat!.chi2!.statistic).toBeCloseTo(0, 12);
        expect(cat!.chi2!.pValue).toBeCloseTo(1, 12);
      }),
      { numRuns: 60 },
    );
  });

  it("labels bins at the data's precision: one decimal more than the values, no padding zeros", () => {
    const ints = driftReport({ x: Array.from({ length: 100 }, (_, i) => i % 60) }, { x: [1, 2, 3] });
    expect(ints.features[0]!.bins.slice(0, 2).map((b) => b.label)).toEqual(["(-∞, 4.9]", "(4.9, 9.8]"]);
    const tenths = driftReport({ x: Array.from({ length: 100 }, (_, i) => 30 + (i % 70) / 10) }, { x: [31] });
    expect(tenths.features[0]!.bins[0]!.label).toBe("(-∞, 30.49]");
    const tiny = driftReport({ x: Array.from({ length: 100 }, (_, i) => i * 1e-9) }, { x: [0] });
    expect(tiny.features[0]!.bins[0]!.label).toBe("(-∞, 9.90e-9]");
  });

  it("the same distribution in another order does not drift", () => {
    fc.assert(
      fc.property(numbers, fc.integer(), (x, seed) => {
        const shuffled = [...x].sort((a, b) => Math.sin(a * 7919 + seed) - Math.sin(b * 7919 + seed));
        const report = driftReport({ x }, { x: shuffled });
        expect(report.features[0]!.psi).toBeCloseTo(0, 12);
        expect(report.drifted).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it("a shifted numeric sample drifts on PSI and KS", () => {
    fc.assert(
      fc.property(numbers, fc.double({ min: 1, max: 1e6, noNaN: true }), (x, shift) => {
        const lo = Math.min(...x);
        const hi = Math.max(...x);
        const moved = x.map((v) => v + (hi - lo) + shift);
        const f = driftReport({ x }, { x: moved }).features[0]!;
        expect(f.drifted).toBe(true);
        expect(f.psi).toBeGreaterThan(0.2);
        expect(f.ks!.statistic).toBe(1);
        expect(f.ks!.pValue).toBeLessThan(0.05);
        expect(f.reason).toMatch(/^drifted: PSI .* ≥ 0.2, KS p-value .* < 0.05/);
      }),
      { numRuns: 40 },
    );
  });

  it("a changed category mix drifts on PSI and chi-square", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1000 }), (n) => {
        const baseline = Array.from({ length: n }, (_, i) => (i % 10 < 8 ? "free" : "pro"));
        const recent = Array.from({ length: n }, (_, i) => (i % 10 < 3 ? "free" : "pro"));
        const f = driftReport({ plan: baseline }, { plan: recent }).features[0]!;
        expect(f.kind).toBe("categorical");
        expect(f.drifted).toBe(true);
        expect(f.chi2!.dof).toBe(1);
        expect(f.chi2!.pValue).toBeLessThan(0.05);
        expect(f.bins).toEqual([
          { label: "free", baseline: expect.closeTo(0.8, 1), recent: expect.closeTo(0.3, 1) },
          { label: "pro", baseline: expect.closeTo(0.2, 1), recent: expect.closeTo(0.7, 1) },
        ]);
      }),
      { numRuns: 20 },
    );
  });

  it("PSI is never negative", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 2, maxLength: 12 }),
        fc.array(fc.nat(1000), { minLength: 2, maxLength: 12 }),
        (a, b) => {
          const k = Math.min(a.length, b.length);
          expect(populationStability(a.slice(0, k), b.slice(0, k))).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });

  it("computes PSI and chi-square by hand on a small example", () => {
    // Shares 0.5/0.5 vs 0.25/0.75: PSI = (0.25−0.5)·ln(0.5) + (0.75−0.5)·ln(1.5)
    expect(populationStability([50, 50], [25, 75])).toBeCloseTo(
      -0.25 * Math.log(0.5) + 0.25 * Math.log(1.5),
      12,
    );
    // 2×2 table [[50, 50], [25, 75]]: expected 37.5/62.5 per row; χ² = 4 · 12.5²/37.5 … ≈ 13.3333
    const chi2 = chiSquareHomogeneity([50, 50], [25, 75]);
    expect(chi2.statistic).toBeCloseTo(13.333333333333334, 10);
    expect(chi2.dof).toBe(1);
    expect(chi2.pValue).toBeCloseTo(0.0002607296, 8);
  });

  it("reads Arrow tables and records, counts nulls, honours options and thresholds", () => {
    const baseline = new arrow.Table({
      age: arrow.vectorFromArray(
        Array.from({ length: 200 }, (_, i) => BigInt(20 + (i % 40))),
        new arrow.Int64(),
      ),
      code: arrow.vectorFromArray(
        Array.from({ length: 200 }, (_, i) => i % 3),
        new arrow.Int32(),
      ),
      tags: arrow.vectorFromArray(
        Array.from({ length: 200 }, () => [1]),
        new arrow.List(new arrow.Field("item", new arrow.Int32())),
      ),
    });
    const recent = Array.from({ length: 100 }, (_, i) => ({
      age: i % 5 === 0 ? null : 20 + (i % 40),
      code: i % 3,
      tags: [1],
    }));
    const report = driftReport(baseline, recent, {
      categorical: ["code"],
      thresholds: { psi: 0.5, ksPValue: 0.001 },
    });
    expect(report.features.map((f) => [f.name, f.kind])).toEqual([
      ["age", "numeric"],
      ["code", "categorical"],
    ]);
    const age = report.features[0]!;
    expect(age.baseline).toMatchObject({ count: 200, nulls: 0 });
    expect(age.recent).toMatchObject({ count: 80, nulls: 20 });
    expect(age.bins.at(-1)).toEqual({ label: "(null)", baseline: 0, recent: 0.2 });
    expect(report.thresholds).toEqual({ psi: 0.5, ksPValue: 0.001, chi2PValue: 0.05 });
    expect(report.baselineRows).toBe(200);
    expect(report.recentRows).toBe(100);
    expect(() => driftReport(baseline, recent, { features: ["nope"] })).toThrow(/nope/);
    let err: unknown;
    try {
      driftReport(baseline, recent, { features: ["tags"] });
    } catch (e) {
      err = e;
    }
    expect(isValidationError(err)).toBe(true);
  });
});
