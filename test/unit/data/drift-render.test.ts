import { describe, expect, it } from "vitest";
import { bar, renderDriftHtml, renderDriftText } from "../../../src/data/drift-render.js";
import { type DriftReport, driftReport } from "../../../src/index.js";

const baseline = Array.from({ length: 200 }, (_, i) => ({
  tenure: 8 + (i % 5),
  plan: i % 4 ? "basic" : "pro",
}));
const shifted = Array.from({ length: 120 }, (_, i) => ({
  tenure: 30 + (i % 7),
  plan: i % 2 ? "pro" : "basic",
}));

describe("bar", () => {
  it("draws a fraction of the width in eighths of a character", () => {
    expect(bar(1, 4)).toBe("████");
    expect(bar(0.5, 4)).toBe("██");
    expect(bar(1 / 16, 4)).toBe("▎");
    expect(bar(0, 4)).toBe("");
    expect(bar(2, 4)).toBe("████");
  });
});

describe("renderDriftText", () => {
  it("summarises, then gives each feature its verdict, reason and one pair of bars per bin", () => {
    const report = driftReport(baseline, shifted);
    const text = renderDriftText(report, { title: "churn" });
    const lines = text.split("\n");
    expect(lines[0]).toBe("churn: DRIFT in 2 of 2 features (baseline 200 rows, recent 120 rows)");
    expect(text).toContain("plan (categorical) DRIFTED");
    const basic = lines.find((l) => l.trimStart().startsWith("basic"))!;
    // 75 % of the baseline is the largest share: a full bar; 50 % of recent: two thirds of it.
    expect(basic).toMatch(/basic\s+█{20}\s+75\.0%\s+█{13}▍\s+50\.0%$/);
    const header = lines[lines.indexOf(basic) - 1]!;
    expect(header.indexOf("recent")).toBe(basic.indexOf("█", basic.indexOf("75.0%")));
    expect(lines.filter((l) => /^\s+\(/.test(l))).toHaveLength(report.features[0]!.bins.length);
  });

  it("says so when nothing drifted", () => {
    expect(renderDriftText(driftReport(baseline, baseline))).toMatch(/^no drift \(baseline 200 rows/);
  });
});

describe("renderDriftHtml", () => {
  it("is one self-contained page: inline styles and SVG charts, no scripts or external assets", () => {
    const report = driftReport(baseline, shifted);
    const html = renderDriftHtml(report, { title: "churn" });
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html.match(/<svg /g)).toHaveLength(2);
    // One rect per sample and bin.
    const bins = report.features.reduce((n, f) => n + f.bins.length, 0);
    expect(html.match(/<rect /g)).toHaveLength(2 * bins);
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=|\shref=|url\(/i);
    expect(html).toContain("DRIFT in 2 of 2 features");
  });

  it("escapes names and labels", () => {
    const report: DriftReport = driftReport([{ "<b>": "a&b" }], [{ "<b>": "a&b" }]);
    const html = renderDriftHtml(report, { title: 'x"y' });
    expect(html).toContain("&lt;b&gt;");
    expect(html).toContain("a&amp;b");
    expect(html).toContain("x&quot;y");
    expect(html).not.toContain("<b>");
  });
});
