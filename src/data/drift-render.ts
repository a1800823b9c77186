import type { DriftReport, FeatureDrift } from "./drift.js";

export interface RenderOptions {
  /** What was compared, e.g. the endpoint's name; heads the report. */
  title?: string;
}

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
const BAR_WIDTH = 20;
const LABEL_WIDTH = 24;

/** A bar of `fraction` × `width` characters, in eighths of a character. */
export function bar(fraction: number, width = BAR_WIDTH): string {
  const eighths = Math.round(Math.max(0, Math.min(1, fraction)) * width * 8);
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/**
 * The drift report as text: a summary, then per feature its verdict with the numbers and a chart
 * of the baseline and recent distributions (one pair of bars per bin or category, scaled to the
 * feature's largest share).
 */
export function renderDriftText(report: DriftReport, options: RenderOptions = {}): string {
  const lines = [summaryLine(report, options.title), thresholdsLine(report), ""];
  for (const f of report.features) {
    lines.push(`${f.name} (${f.kind}) ${f.drifted ? "DRIFTED" : "stable"}`);
    lines.push(`  ${f.reason}`);
    lines.push(`  ${"".padEnd(LABEL_WIDTH)}  ${"baseline".padEnd(BAR_WIDTH + 7)}  recent`);
    const max = Math.max(...f.bins.flatMap((b) => [b.baseline, b.recent]), Number.EPSILON);
    for (const b of f.bins) {
      lines.push(
        `  ${truncate(b.label, LABEL_WIDTH)}  ${bar(b.baseline / max).padEnd(BAR_WIDTH)} ${percent(b.baseline)}  ${bar(b.recent / max).padEnd(BAR_WIDTH)} ${percent(b.recent)}`,
      );
    }
    lines.push("");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/**
 * The drift report as one self-contained HTML page: no scripts, styles inline, and each feature's
 * distributions as an inline SVG bar chart.
 */
export function renderDriftHtml(report: DriftReport, options: RenderOptions = {}): string {
  const title = `Drift report${options.title ? ` — ${options.title}` : ""}`;
  const rows = report.features
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.name)}</td><td>${f.kind}</td><td class="${f.drifted ? "bad" : "ok"}">${f.drifted ? "drifted" : "stable"}</td><td>${number(f.psi)}</td><td>${f.ks ? number(f.ks.pValue) : f.chi2 ? number(f.chi2.pValue) : ""}</td></tr>`,
    )
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2330; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-bottom: .2rem; }
table { border-collapse: collapse; } td, th { padding: .25rem .7rem; border-bottom: 1px solid #dde; text-align: left; }
.bad { color: #b42318; font-weight: 600; } .ok { color: #067647; }
.feature { margin: 2rem 0; } .reason { color: #555; margin: .2rem 0 .6rem; }
.legend span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; vertical-align: middle; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="${report.drifted ? "bad" : "ok"}">${escapeHtml(summaryLine(report))}</p>
<p>${escapeHtml(thresholdsLine(report))}</p>
<p class="legend"><span style="background:${BASELINE_COLOR}"></span>baseline<span style="background:${RECENT_COLOR}"></span>recent</p>
<table>
<tr><th>feature</th><th>kind</th><th>verdict</th><th>PSI</th><th>p-value</th></tr>
${rows}
</table>
${report.features.map(featureSection).join("\n")}
</body>
</html>
`;
}

const BASELINE_COLOR = "#7a8bb0";
const RECENT_COLOR = "#e0703c";

function featureSection(f: FeatureDrift): string {
  const verdict = f.drifted ? '<span class="bad">drifted</span>' : '<span class="ok">stable</span>';
  return `<section class="feature">
<h2>${escapeHtml(f.name)} <small>(${f.kind})</small> ${verdict}</h2>
<p class="reason">${escapeHtml(f.reason)}</p>
${chart(f)}
</section>`;
}

/** Horizontal grouped bars: per bin, the baseline share above the recent share. */
function chart(f: FeatureDrift): string {
  const labelWidth = 170;
  const barsWidth = 320;
  const barHeight = 11;
  const rowHeight = 2 * barHeight + 10;
  const height = f.bins.length * rowHeight + 6;
  const width = labelWidth + barsWidth + 60;
  const max = Math.max(...f.bins.flatMap((b) => [b.baseline, b.recent]), Number.EPSILON);
  const rows = f.bins.map((b, i) => {
    const y = 4 + i * rowHeight;
    const bars = (
      [
        [b.baseline, BASELINE_COLOR, "baseline"],
        [b.recent, RECENT_COLOR, "recent"],
      ] as const
    ).map(([share, color, name], k) => {
      const w = (share / max) * barsWidth;
      const top = y + k * barHeight;
      return `<rect x="${labelWidth}" y="${top}" width="${w.toFixed(1)}" height="${barHeight - 1}" fill="${color}"><title>${escapeHtml(`${name} ${percent(share).trim()}`)}</title></rect><text x="${(labelWidth + w + 4).toFixed(1)}" y="${top + barHeight - 2}" font-size="10">${percent(share).trim()}</text>`;
    });
    return `<text x="${labelWidth - 6}" y="${y + barHeight + 3}" font-size="11" text-anchor="end">${escapeHtml(truncate(b.label, 28).trimEnd())}</text>${bars.join("")}`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`${f.name}: baseline and recent distributions`)}">${rows.join("")}</svg>`;
}

function summaryLine(report: DriftReport, title?: string): string {
  const drifted = report.features.filter((f) => f.drifted).length;
  const verdict = drifted ? `DRIFT in ${drifted} of ${report.features.length} features` : "no drift";
  return `${title ? `${title}: ` : ""}${verdict} (baseline ${report.baselineRows.toLocaleString("en")} rows, recent ${report.recentRows.toLocaleString("en")} rows)`;
}

function thresholdsLine(report: DriftReport): string {
  const t = report.thresholds;
  return `Drifted when PSI ≥ ${t.psi}, KS p-value < ${t.ksPValue} (numeric) or chi-square p-value < ${t.chi2PValue} (categorical)`;
}

function truncate(text: string, width: number): string {
  return (text.length > width ? `${text.slice(0, width - 1)}…` : text).padEnd(width);
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`.padStart(6);
}

function number(x: number): string {
  return Number.isInteger(x) ? String(x) : Math.abs(x) >= 1e-3 ? x.toFixed(4) : x.toExponential(2);
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}
