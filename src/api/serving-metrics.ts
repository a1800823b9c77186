/** One sample line of a Prometheus / OpenMetrics exposition. */
export interface MetricSample {
  /** Sample name as written, e.g. `request_latency_ms_bucket`. */
  name: string;
  labels: Record<string, string>;
  /** `NaN`, `+Inf` and `-Inf` are parsed to the matching numbers. */
  value: number;
  /** Epoch milliseconds (Prometheus) or seconds (OpenMetrics), as written; absent when not given. */
  timestamp?: number;
}

/** What `# HELP`, `# TYPE` and `# UNIT` lines say about a metric family. */
export interface MetricMetadata {
  type?: string;
  help?: string;
  unit?: string;
}

export interface ServingMetrics {
  samples: MetricSample[];
  /** By family name (e.g. `request_latency_ms`, not `request_latency_ms_bucket`). */
  metadata: Record<string, MetricMetadata>;
  /** The exposition text as the server sent it. */
  text: string;
}

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(\S+))?\s*$/;

/** Parses the text exposition format (Prometheus 0.0.4 and OpenMetrics). Lines it cannot read are skipped. */
export function parsePrometheusText(text: string): ServingMetrics {
  const samples: MetricSample[] = [];
  const metadata: Record<string, MetricMetadata> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE|UNIT)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) continue;
      metadata[m[2]!] ??= {};
      const entry = metadata[m[2]!]!;
      const rest = m[3] ?? "";
      if (m[1] === "HELP") entry.help = unescapeHelp(rest);
      else if (m[1] === "TYPE") entry.type = rest;
      else entry.unit = rest;
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels = m[2] ? parseLabels(m[2].slice(1, -1)) : {};
    if (!labels) continue;
    const value = parseValue(m[3]!);
    if (value === undefined) continue;
    const sample: MetricSample = { name: m[1]!, labels, value };
    if (m[4] !== undefined) {
      const ts = Number(m[4]);
      if (Number.isFinite(ts)) sample.timestamp = ts;
    }
    samples.push(sample);
  }
  return { samples, metadata, text };
}

function parseValue(s: string): number | undefined {
  if (/^[+]?inf$/i.test(s)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(s)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(s)) return Number.NaN;
  const n = Number(s);
  return s.trim() === "" || Number.isNaN(n) ? undefined : n;
}

/** `a="x",b="y\"z"` → `{a: "x", b: 'y"z'}`; undefined when malformed. */
function parseLabels(body: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    while (body[i] === " " || body[i] === ",") i++;
    if (i >= body.length) break;
    const eq = body.indexOf("=", i);
    if (eq < 0 || body[eq + 1] !== '"') return undefined;
    const key = body.slice(i, eq).trim();
    let value = "";
    let j = eq + 2;
    for (; j < body.length && body[j] !== '"'; j++) {
      if (body[j] === "\\" && j + 1 < body.length) {
        j++;
        value += body[j] === "n" ? "\n" : body[j];
      } else value += body[j];
    }
    if (j >= body.length) return undefined;
    labels[key] = value;
    i = j + 1;
  }
  return labels;
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(n|\\)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
}
