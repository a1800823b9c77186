/**
 * Health metrics of a serving endpoint in the Prometheus text format, as the metrics export API
 * serves them: gauges over the last minute per served entity, and a latency histogram.
 */

/** One served request: [virtual epoch ms, served entity name, HTTP status, execution ms]. */
export type RequestEvent = [number, string, number, number];

export const METRICS_WINDOW_MS = 60_000;
const LATENCY_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
const PROVISIONED: Record<string, number> = { Small: 4, Medium: 16, Large: 64 };

export interface EntityForMetrics {
  name: string;
  workload_size?: string | undefined;
  /** Scaled to zero: scale-to-zero is on and the entity has been idle long enough. */
  scaled_to_zero: boolean;
}

export function renderMetrics(entities: EntityForMetrics[], events: RequestEvent[], now: number): string {
  const recent = events.filter(([t]) => t > now - METRICS_WINDOW_MS && t <= now);
  const per = new Map(entities.map((e) => [e.name, recent.filter(([, n]) => n === e.name)]));
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: (e: EntityForMetrics, ev: RequestEvent[]) => number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const e of entities)
      lines.push(`${name}{${label(e.name)}} ${fmt(value(e, per.get(e.name)!))} ${now}`);
  };
  gauge(
    "cpu_usage_percentage",
    "Average CPU utilization used across all replicas during the last minute",
    (_, ev) => Math.min(100, 2 + ev.length * 0.5),
  );
  gauge(
    "mem_usage_percentage",
    "Average memory utilization used across all replicas during the last minute",
    (_, ev) => Math.min(100, 12 + ev.length * 0.05),
  );
  gauge(
    "provisioned_concurrent_requests_total",
    "Number of provisioned concurrency during the last minute",
    (e) => (e.scaled_to_zero ? 0 : (PROVISIONED[e.workload_size ?? "Small"] ?? 4)),
  );
  gauge(
    "request_4xx_count_total",
    "Number of 4xx errors during the last minute",
    (_, ev) => ev.filter(([, , s]) => s >= 400 && s < 500).length,
  );
  gauge(
    "request_5xx_count_total",
    "Number of 5xx errors during the last minute",
    (_, ev) => ev.filter(([, , s]) => s >= 500).length,
  );
  gauge("request_count_total", "Number of requests during the last minute", (_, ev) => ev.length);

  lines.push(
    "# HELP request_latency_ms Round-trip latency of requests in milliseconds during the last minute",
    "# TYPE request_latency_ms histogram",
  );
  for (const e of entities) {
    const ms = per.get(e.name)!.map(([, , , d]) => d);
    for (const le of LATENCY_BUCKETS) {
      lines.push(
        `request_latency_ms_bucket{${label(e.name)},le="${le}"} ${ms.filter((d) => d <= le).length} ${now}`,
      );
    }
    lines.push(`request_latency_ms_bucket{${label(e.name)},le="+Inf"} ${ms.length} ${now}`);
    lines.push(`request_latency_ms_sum{${label(e.name)}} ${fmt(ms.reduce((s, d) => s + d, 0))} ${now}`);
    lines.push(`request_latency_ms_count{${label(e.name)}} ${ms.length} ${now}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Records a served request and drops events too old to matter for any metric (in place). */
export function recordEvent(events: RequestEvent[], event: RequestEvent, max = 10_000): void {
  events.push(event);
  let stale = 0;
  while (stale < events.length && events[stale]![0] <= event[0] - METRICS_WINDOW_MS) stale++;
  const drop = Math.max(stale, events.length - max);
  if (drop > 0) events.splice(0, drop);
}

function label(entity: string): string {
  return `served_entity="${entity.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}
