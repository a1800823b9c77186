import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chiSquareSurvival,
  kolmogorovSurvival,
  ksTwoSample,
  logGamma,
  quantile,
  regularizedGammaP,
  regularizedGammaQ,
} from "../../../src/data/stats.js";

describe("statistics", () => {
  it("ln Γ matches known values", () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 11);
    expect(logGamma(100)).toBeCloseTo(359.1342053695754, 9);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 11);
  });

  it("the regularized incomplete gamma function matches closed forms", () => {
    const erf1 = 0.8427007929497149;
    expect(regularizedGammaP(0.5, 1)).toBeCloseTo(erf1, 13);
    expect(regularizedGammaQ(0.5, 1)).toBeCloseTo(1 - erf1, 13);
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 200, noNaN: true }), (x) => {
        // a = 1: P = 1 − e^−x; a = 2: Q = e^−x (1 + x); a = 3: Q = e^−x (1 + x + x²/2)
        expect(regularizedGammaP(1, x)).toBeCloseTo(1 - Math.exp(-x), 12);
        expect(regularizedGammaQ(2, x)).toBeCloseTo(Math.exp(-x) * (1 + x), 12);
        expect(regularizedGammaQ(3, x)).toBeCloseTo(Math.exp(-x) * (1 + x + (x * x) / 2), 12);
      }),
    );
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 80, noNaN: true }),
        fc.double({ min: 0, max: 300, noNaN: true }),
        (a, x) => {
          const p = regularizedGammaP(a, x);
          expect(p).toBeGreaterThanOrEqual(-1e-12);
          expect(p).toBeLessThanOrEqual(1 + 1e-12);
          expect(p + regularizedGammaQ(a, x)).toBeCloseTo(1, 10);
        },
      ),
    );
  });

  it("chi-square p-values match known values", () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(5.991464547107979, 2)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(2, 1)).toBeCloseTo(0.15729920705028513, 12); // erfc(1)
    expect(chiSquareSurvival(1, 1)).toBeCloseTo(0.31731050786291415, 12);
    expect(chiSquareSurvival(10, 5)).toBeCloseTo(0.07523524614651217, 12);
    expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(124.34211340400407, 100)).toBeCloseTo(0.05, 10);
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(chiSquareSurvival(5, 0)).toBe(1);
  });

  it("the Kolmogorov distribution matches known values on both sides of its series switch", () => {
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.9639452436648751, 10);
    expect(kolmogorovSurvival(1)).toBeCloseTo(0.26999967167735456, 10);
    expect(kolmogorovSurvival(1.17)).toBeCloseTo(kolmogorovSurvival(1.1700000001), 8);
    expect(kolmogorovSurvival(1.3580986393225507)).toBeCloseTo(0.05, 8);
    expect(kolmogorovSurvival(2)).toBeCloseTo(0.0006709252558050237, 12);
    expect(kolmogorovSurvival(0)).toBe(1);
  });

  it("two-sample KS: statistic and asymptotic p-value", () => {
    expect(ksTwoSample([1, 2, 3], [1, 2, 3])).toEqual({ statistic: 0, pValue: 1 });
    const disjoint = ksTwoSample([1, 2, 3, 4], [5, 6, 7, 8]);
    expect(disjoint.statistic).toBe(1);
    expect(disjoint.pValue).toBeCloseTo(kolmogorovSurvival(Math.sqrt(2)), 12);
    // D for [1,2,3] vs [2,3,4]: ECDFs differ by 1/3 at most.
    expect(ksTwoSample([1, 2, 3], [2, 3, 4]).statistic).toBeCloseTo(1 / 3, 12);
    expect(ksTwoSample([], [1]).pValue).toBe(1);
  });

  it("quantiles interpolate", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
  });
});
