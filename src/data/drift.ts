import type { Vector } from "apache-arrow";
import { ValidationError } from "../core/errors.js";
import { type ArrowTable, isArrowTable } from "./arrow-loader.js";
import type { Columns, Records, TabularInput } from "./dataframe.js";
import { scaleDecimal } from "./json-values.js";
import { chiSquareSurvival, ksTwoSample, quantile } from "./stats.js";

export interface DriftThresholds {
  /** Population stability index at or above which a feature has drifted (default 0.2). */
  psi?: number;
  /** KS p-value below which a numeric feature has drifted (default 0.05). */
  ksPValue?: number;
  /** Chi-square p-value below which a categorical feature has drifted (default 0.05). */
  chi2PValue?: number;
}

export interface DriftOptions {
  /** Features to compare (default: every column both inputs have). */
  features?: string[];
  /** Features to treat as categories even though their values are numbers (e.g. codes). */
  categorical?: string[];
  thresholds?: DriftThresholds;
  /** Quantile bins of the baseline for numeric PSI (default 10). */
  bins?: number;
  /** Proportion used in place of an empty bin, so PSI stays finite (default 1e-4). */
  epsilon?: number;
  /** Categories beyond the baseline's most frequent ones are pooled as "(other)" (default 50). */
  maxCategories?: number;
}

export interface SampleSummary {
  count: number;
  nulls: number;
  mean?: number;
}

/** One bar of a feature's distribution: the share of each sample in a bin or category. */
export interface DriftBin {
  label: string;
  baseline: number;
  recent: number;
}

export interface FeatureDrift {
  name: string;
  kind: "numeric" | "categorical";
  psi: number;
  ks?: { statistic: number; pValue: number };
  chi2?: { statistic: number; dof: number; pValue: number };
  drifted: boolean;
  /** Why the feature did or did not drift, with the numbers and thresholds. */
  reason: string;
  baseline: SampleSummary;
  recent: SampleSummary;
  bins: DriftBin[];
}

export interface DriftReport {
  /** True when any feature drifted. */
  drifted: boolean;
  features: FeatureDrift[];
  thresholds: Required<DriftThresholds>;
  baselineRows: number;
  recentRows: number;
}

const NULL_LABEL = "(null)";
const OTHER_LABEL = "(other)";

/**
 * Compares a baseline (e.g. training data) and recent data (e.g. an inference table) feature by
 * feature. Numeric features: population stability index over quantile bins of the baseline and
 * the two-sample Kolmogorov–Smirnov test. Categorical features (strings, booleans, or listed in
 * `categorical`): PSI over categories and the chi-square test of homogeneity. Nulls count as a
 * bin of their own in PSI.
 */
export function driftReport(
  baseline: TabularInput,
  recent: TabularInput,
  options: DriftOptions = {},
): DriftReport {
  const thresholds = {
    psi: options.thresholds?.psi ?? 0.2,
    ksPValue: options.thresholds?.ksPValue ?? 0.05,
    chi2PValue: options.thresholds?.chi2PValue ?? 0.05,
  };
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 2) {
    throw new ValidationError("drift options", [{ path: "bins", message: "must be an integer ≥ 2" }]);
  }
  const epsilon = options.epsilon ?? 1e-4;
  const base = readColumns(baseline);
  const now = readColumns(recent);
  const scalar = (n: string) => [base, now].every((d) => d.columns.get(n)!.every(isScalar));
  const names = options.features ?? [...base.columns.keys()].filter((n) => now.columns.has(n) && scalar(n));
  const missing = names.filter((n) => !base.columns.has(n) || !now.columns.has(n));
  if (missing.length) {
    throw new ValidationError("drift options", [
      { path: "features", message: `${missing.join(", ")} missing from the baseline or the recent data` },
    ]);
  }
  const nested = names.filter((n) => !scalar(n));
  if (nested.length) {
    throw new ValidationError("drift options", [
      { path: "features", message: `${nested.join(", ")} hold lists or objects; compare scalar features` },
    ]);
  }
  const categorical = new Set(options.categorical ?? []);
  const features = names.map((name) => {
    const a = base.columns.get(name)!;
    const b = now.columns.get(name)!;
    const numeric = !categorical.has(name) && [...a, ...b].every((v) => v === null || typeof v === "number");
    return numeric
      ? numericDrift(name, a as Array<number | null>, b as Array<number | null>, bins, epsilon, thresholds)
      : categoricalDrift(name, a, b, options.maxCategories ?? 50, epsilon, thresholds);
  });
  return {
    drifted: features.some((f) => f.drifted),
    features,
    thresholds,
    baselineRows: base.rows,
    recentRows: now.rows,
  };
}

function numericDrift(
  name: string,
  baseline: Array<number | null>,
  recent: Array<number | null>,
  bins: number,
  epsilon: number,
  t: Required<DriftThresholds>,
): FeatureDrift {
  const a = sortedValues(baseline);
  const b = sortedValues(recent);
  // Bin edges at the baseline's quantiles; repeated edges (many equal values) collapse.
  const edges = [...new Set(Array.from({ length: bins - 1 }, (_, k) => quantile(a, (k + 1) / bins)))].filter(
    Number.isFinite,
  );
  const withNulls = baseline.length !== a.length || recent.length !== b.length;
  const countInto = (sorted: number[], nulls: number) => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    let bin = 0;
    for (const v of sorted) {
      while (bin < edges.length && v > edges[bin]!) bin++;
      counts[bin]!++;
    }
    return withNulls ? [...counts, nulls] : counts;
  };
  const ca = countInto(a, baseline.length - a.length);
  const cb = countInto(b, recent.length - b.length);
  const edge = edgeFormat(a);
  const labels = edges.map((e, k) => `${k === 0 ? "(-∞" : `(${edge(edges[k - 1]!)}`}, ${edge(e)}]`);
  labels.push(edges.length ? `(${edge(edges[edges.length - 1]!)}, ∞)` : "all");
  if (ca.length > labels.length) labels.push(NULL_LABEL);
  const psi = populationStability(ca, cb, epsilon);
  const ks = ksTwoSample(a, b);
  const byPsi = psi >= t.psi;
  const byKs = ks.pValue < t.ksPValue;
  return {
    name,
    kind: "numeric",
    psi,
    ks,
    drifted: byPsi || byKs,
    reason: `${byPsi || byKs ? "drifted" : "stable"}: PSI ${fmt(psi)} ${byPsi ? "≥" : "<"} ${t.psi}, KS p-value ${fmt(ks.pValue)} ${byKs ? "<" : "≥"} ${t.ksPValue} (D = ${fmt(ks.statistic)})`,
    baseline: summary(baseline, a),
    recent: summary(recent, b),
    bins: shares(labels, ca, cb),
  };
}

function categoricalDrift(
  name: string,
  baseline: unknown[],
  recent: unknown[],
  maxCategories: number,
  epsilon: number,
  t: Required<DriftThresholds>,
): FeatureDrift {
  const label = (v: unknown) => (v === null || v === undefined ? NULL_LABEL : String(v));
  const freq = (values: unknown[]) => {
    const m = new Map<string, number>();
    for (const v of values) m.set(label(v), (m.get(label(v)) ?? 0) + 1);
    return m;
  };
  const fa = freq(baseline);
  const fb = freq(recent);
  // The baseline's most frequent categories keep their own bin; the long tail is pooled.
  const ranked = [...new Set([...fa.keys(), ...fb.keys()])].sort(
    (x, y) => (fa.get(y) ?? 0) - (fa.get(x) ?? 0) || (fb.get(y) ?? 0) - (fb.get(x) ?? 0) || (x < y ? -1 : 1),
  );
  const kept = ranked.slice(0, maxCategories);
  const labels = ranked.length > maxCategories ? [...kept, OTHER_LABEL] : kept;
  const countInto = (f: Map<string, number>) => {
    const counts = kept.map((k) => f.get(k) ?? 0);
    if (ranked.length > maxCategories)
      counts.push(ranked.slice(maxCategories).reduce((n, k) => n + (f.get(k) ?? 0), 0));
    return counts;
  };
  const ca = countInto(fa);
  const cb = countInto(fb);
  const psi = populationStability(ca, cb, epsilon);
  const chi2 = chiSquareHomogeneity(ca, cb);
  const byPsi = psi >= t.psi;
  const byChi2 = chi2.pValue < t.chi2PValue;
  const count = (values: unknown[]) => values.filter((v) => v !== null && v !== undefined).length;
  return {
    name,
    kind: "categorical",
    psi,
    chi2,
    drifted: byPsi || byChi2,
    reason: `${byPsi || byChi2 ? "drifted" : "stable"}: PSI ${fmt(psi)} ${byPsi ? "≥" : "<"} ${t.psi}, chi-square p-value ${fmt(chi2.pValue)} ${byChi2 ? "<" : "≥"} ${t.chi2PValue} (χ² = ${fmt(chi2.statistic)}, ${chi2.dof} dof)`,
    baseline: { count: count(baseline), nulls: baseline.length - count(baseline) },
    recent: { count: count(recent), nulls: recent.length - count(recent) },
    bins: shares(labels, ca, cb),
  };
}

/** PSI = Σ (r − b) · ln(r / b) over bins, with empty bins counted as `epsilon`. */
export function populationStability(baseline: number[], recent: number[], epsilon = 1e-4): number {
  const na = baseline.reduce((s, c) => s + c, 0);
  const nb = recent.reduce((s, c) => s + c, 0);
  if (na === 0 || nb === 0) return 0;
  let psi = 0;
  for (let i = 0; i < baseline.length; i++) {
    const pa = Math.max(baseline[i]! / na, epsilon);
    const pb = Math.max(recent[i]! / nb, epsilon);
    psi += (pb - pa) * Math.log(pb / pa);
  }
  return psi;
}

/** Chi-square test of homogeneity of two samples over the same categories (a 2 × k table). */
export function chiSquareHomogeneity(
  a: number[],
  b: number[],
): { statistic: number; dof: number; pValue: number } {
  const na = a.reduce((s, c) => s + c, 0);
  const nb = b.reduce((s, c) => s + c, 0);
  const n = na + nb;
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < a.length; i++) {
    const total = a[i]! + b[i]!;
    if (total === 0) continue;
    categories++;
    for (const [observed, rowTotal] of [
      [a[i]!, na],
      [b[i]!, nb],
    ] as const) {
      const expected = (rowTotal * total) / n;
      if (expected > 0) statistic += (observed - expected) ** 2 / expected;
    }
  }
  const dof = na > 0 && nb > 0 ? Math.max(0, categories - 1) : 0;
  return { statistic, dof, pValue: chiSquareSurvival(statistic, dof) };
}

function sortedValues(values: Array<number | null>): number[] {
  return values.filter((v): v is number => v !== null && !Number.isNaN(v)).sort((x, y) => x - y);
}

function summary(all: Array<number | null>, values: number[]): SampleSummary {
  const mean = values.length ? values.reduce((s, v) => s + v, 0) / values.length : undefined;
  return { count: values.length, nulls: all.length - values.length, ...(mean !== undefined ? { mean } : {}) };
}

function shares(labels: string[], a: number[], b: number[]): DriftBin[] {
  const na = a.reduce((s, c) => s + c, 0) || 1;
  const nb = b.reduce((s, c) => s + c, 0) || 1;
  return labels.map((label, i) => ({ label, baseline: a[i]! / na, recent: b[i]! / nb }));
}

/**
 * Formats bin edges at the precision of the data: one decimal more than its most precise value
 * (edges interpolate between two values), trailing zeros dropped, so integer data gives `(5.9, 11.8]`.
 */
function edgeFormat(sorted: number[]): (edge: number) => string {
  let dataDecimals = 0;
  for (const v of sorted) {
    dataDecimals = Math.max(dataDecimals, decimalPlaces(v));
    if (dataDecimals >= MAX_EDGE_DECIMALS) break;
  }
  const decimals = Math.min(MAX_EDGE_DECIMALS, dataDecimals + 1);
  return (edge) =>
    Math.abs(edge) >= 1e15 || (edge !== 0 && Math.abs(edge) < 10 ** -decimals)
      ? edge.toExponential(2)
      : String(Number(edge.toFixed(decimals)));
}

const MAX_EDGE_DECIMALS = 6;

function decimalPlaces(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return 0;
  const [digits, exponent] = x.toExponential().split("e");
  const fraction = digits!.split(".")[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

function fmt(x: number): string {
  return Number.isInteger(x)
    ? String(x)
    : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6
      ? x.toFixed(4)
      : x.toExponential(2);
}

/**
 * Columns of tabular input as plain values for statistics: numbers (integers, floats, decimals,
 * timestamps and dates as epoch ms), strings, booleans or null.
 */
function readColumns(input: TabularInput): { columns: Map<string, unknown[]>; rows: number } {
  if (isArrowTable(input)) return arrowColumns(input);
  const out = new Map<string, unknown[]>();
  if (Array.isArray(input)) {
    const records = input as Records;
    for (const r of records) for (const k of Object.keys(r)) if (!out.has(k)) out.set(k, []);
    for (const [k, values] of out) for (const r of records) values.push(plain(r[k]));
    return { columns: out, rows: records.length };
  }
  if (typeof input !== "object" || input === null) {
    throw new ValidationError("drift input", [
      { path: "", message: "expected an Arrow Table, records or columns" },
    ]);
  }
  let rows = 0;
  for (const [k, values] of Object.entries(input as Columns)) {
    out.set(k, Array.from(values, plain));
    rows = Math.max(rows, values.length);
  }
  return { columns: out, rows };
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean";
}

function plain(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.getTime();
  return v;
}

function arrowColumns(table: ArrowTable): { columns: Map<string, unknown[]>; rows: number } {
  const out = new Map<string, unknown[]>();
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name) as Vector | null;
    if (!vector) continue;
    const t = field.type as { typeId: number; scale?: number };
    const decimal = t.typeId === 7;
    const values: unknown[] = new Array(vector.length);
    for (let i = 0; i < vector.length; i++) {
      const v = vector.get(i);
      values[i] = decimal && v !== null ? Number(scaleDecimal(String(v), t.scale ?? 0)) : plain(v);
    }
    out.set(field.name, values);
  }
  return { columns: out, rows: table.numRows };
}
