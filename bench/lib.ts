import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

/** One benchmark's outcome: a table for people, figures and ratios for the results file. */
export interface BenchResult {
  name: string;
  /** Rows of the printed table. */
  rows: Array<Record<string, string | number>>;
  /** Headline ratios (candidate / baseline, measured in the same run). */
  ratios: Record<string, number>;
  /** Target per ratio, e.g. `<= 1.10`; a missed target is reported, never hidden. */
  targets?: Record<string, string>;
  notes?: string[];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export const round = (n: number, digits = 2) => Number(n.toFixed(digits));

export function printTable(title: string, rows: Array<Record<string, string | number>>): void {
  console.log(`\n## ${title}`);
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(" | ")} |`;
  console.log(line(cols));
  console.log(line(width.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c] ?? ""))));
}

export function report(result: BenchResult): void {
  printTable(result.name, result.rows);
  for (const [k, v] of Object.entries(result.ratios)) {
    const target = result.targets?.[k];
    console.log(`  ${k}: ${v}${target ? ` (target ${target})` : ""}`);
  }
  for (const n of result.notes ?? []) console.log(`  note: ${n}`);
}

export function machine() {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
  };
}

/** Merges results into bench/results/latest.json (one entry per benchmark name). */
export function saveResults(results: BenchResult[]): string {
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "latest.json");
  let previous: { benchmarks?: Record<string, BenchResult> } = {};
  try {
    previous = JSON.parse(readFileSync(file, "utf8"));
  } catch {}
  const benchmarks = { ...(previous.benchmarks ?? {}) };
  for (const r of results) benchmarks[r.name] = r;
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), benchmarks }, null, 2)}\n`,
  );
  return file;
}

/** Whether `value` meets a target written as `< 0.5`, `<= 1.10`, `> 1` or `>= 2`. */
export function meetsTarget(value: number, target: string): boolean {
  const m = /^\s*(<=|>=|<|>)\s*(-?[\d.]+)\s*$/.exec(target);
  if (!m) throw new Error(`Unreadable target "${target}"`);
  const limit = Number(m[2]);
  switch (m[1]) {
    case "<":
      return value < limit;
    case "<=":
      return value <= limit;
    case ">":
      return value > limit;
    default:
      return value >= limit;
  }
}

/** True when run as `tsx bench/<file>.ts` rather than imported by another benchmark. */
export function isMain(moduleUrl: string): boolean {
  return moduleUrl === `file://${process.argv[1]}`;
}
