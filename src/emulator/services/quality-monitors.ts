import { randomUUID } from "node:crypto";
import { driftReport } from "../../data/drift.js";
import { ApiFault, alreadyExists, invalidParameter, notFound } from "../errors.js";
import type { EmuRequest } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import type { SqlEmulatorExports } from "./sql.js";

type RefreshState = "PENDING" | "RUNNING" | "SUCCESS" | "FAILED" | "CANCELED";

interface RefreshRecord {
  refresh_id: number;
  state: RefreshState;
  start_time_ms: number;
  end_time_ms?: number;
  message?: string;
  trigger: "MANUAL" | "SCHEDULE";
}

interface MonitorRecord {
  /** Configuration and table names, as the API returns them. */
  info: Record<string, unknown> & { table_name: string; output_schema_name: string };
  created_at: number;
  refreshes: RefreshRecord[];
}

export interface QualityMonitorsState {
  monitors: Record<string, MonitorRecord>;
}

// Creating the dashboard and metric tables takes a minute; a refresh queues, then computes.
const ACTIVATE_MS = 60_000;
const QUEUE_MS = 30_000;
const COMPUTE_MS = 3 * 60_000;
const GRANULARITY = /^(\d+) (minute|minutes|hour|hours|day|days|week|weeks|month|months|year|years)$/;
const PROFILE_FIELDS = ["inference_log", "time_series", "snapshot"] as const;
const CONFIG_FIELDS = [
  "assets_dir",
  "baseline_table_name",
  "custom_metrics",
  "data_classification_config",
  "notifications",
  "schedule",
  "skip_builtin_dashboard",
  "slicing_exprs",
  "warehouse_id",
  ...PROFILE_FIELDS,
] as const;

function sql(ctx: EmulatorContext): SqlEmulatorExports | undefined {
  const s = ctx.service<SqlEmulatorExports>("sql");
  return s?.available() ? s : undefined;
}

function find(req: EmuRequest): MonitorRecord {
  const m = req.ctx.state<QualityMonitorsState>("qualityMonitors").monitors[req.params.table_name!];
  if (!m) throw notFound(`Monitor for table '${req.params.table_name}' does not exist.`);
  return m;
}

/** Checks a monitor configuration like the service does; returns the fields to store. */
function configOf(
  req: EmuRequest,
  creating: boolean,
): Record<string, unknown> & { output_schema_name: string } {
  const b = (req.body ?? {}) as Record<string, unknown>;
  const table = req.params.table_name!;
  if (typeof b.output_schema_name !== "string" || !/^[^.]+\.[^.]+$/.test(b.output_schema_name)) {
    throw invalidParameter("output_schema_name must be a schema name like catalog.schema");
  }
  if (creating && (typeof b.assets_dir !== "string" || !b.assets_dir))
    throw invalidParameter("assets_dir is required");
  const profiles = PROFILE_FIELDS.filter((k) => b[k] !== undefined && b[k] !== null);
  if (profiles.length !== 1) {
    throw invalidParameter("Exactly one of inference_log, time_series or snapshot must be specified.");
  }
  const columns = sql(req.ctx)
    ?.tableColumns(table)
    ?.map((c) => c.name);
  const mustExist = (column: unknown, field: string) => {
    if (typeof column !== "string" || !column) throw invalidParameter(`${field} is required`);
    if (columns && !columns.includes(column)) {
      throw invalidParameter(`Column '${column}' (${field}) was not found in table '${table}'.`);
    }
  };
  const grains = (g: unknown) => {
    if (
      !Array.isArray(g) ||
      g.length === 0 ||
      !g.every((x) => typeof x === "string" && GRANULARITY.test(x))
    ) {
      throw invalidParameter('granularities must be a non-empty list like ["5 minutes", "1 hour", "1 day"]');
    }
  };
  if (profiles[0] === "inference_log") {
    const log = b.inference_log as Record<string, unknown>;
    if (
      log.problem_type !== "PROBLEM_TYPE_CLASSIFICATION" &&
      log.problem_type !== "PROBLEM_TYPE_REGRESSION"
    ) {
      throw invalidParameter(
        "inference_log.problem_type must be PROBLEM_TYPE_CLASSIFICATION or PROBLEM_TYPE_REGRESSION",
      );
    }
    for (const f of ["prediction_col", "timestamp_col", "model_id_col"])
      mustExist(log[f], `inference_log.${f}`);
    for (const f of ["label_col", "prediction_proba_col"])
      if (log[f] !== undefined) mustExist(log[f], `inference_log.${f}`);
    grains(log.granularities);
  } else if (profiles[0] === "time_series") {
    const ts = b.time_series as Record<string, unknown>;
    mustExist(ts.timestamp_col, "time_series.timestamp_col");
    grains(ts.granularities);
  }
  const out: Record<string, unknown> & { output_schema_name: string } = {
    output_schema_name: b.output_schema_name,
  };
  for (const f of CONFIG_FIELDS) if (b[f] !== undefined) out[f] = b[f];
  return out;
}

function metricTables(table: string, outputSchema: string) {
  const short = table.split(".").pop()!;
  return {
    profile_metrics_table_name: `${outputSchema}.${short}_profile_metrics`,
    drift_metrics_table_name: `${outputSchema}.${short}_drift_metrics`,
  };
}

function view(m: MonitorRecord, now: number): Record<string, unknown> {
  return {
    ...m.info,
    status: now >= m.created_at + ACTIVATE_MS ? "MONITOR_STATUS_ACTIVE" : "MONITOR_STATUS_PENDING",
  };
}

function refreshView(r: RefreshRecord): Record<string, unknown> {
  return { ...r };
}

/**
 * Computes the metric tables when a refresh succeeds: per column count, nulls, mean, min, max and
 * standard deviation over the monitored window (a simplified subset of the real profile table),
 * and, with a baseline table, PSI, KS and chi-square per column against it.
 */
function computeMetrics(ctx: EmulatorContext, m: MonitorRecord, at: number): string | undefined {
  const engine = sql(ctx);
  if (!engine) return undefined;
  const info = m.info;
  const table = info.table_name;
  if (!engine.tableColumns(table)) return `Table '${table}' does not exist.`;
  const data = engine.query(`SELECT * FROM ${table}`);
  const profile = (info.inference_log ?? info.time_series) as
    | { timestamp_col?: string; granularities?: string[] }
    | undefined;
  const granularity = profile?.granularities?.[0] ?? "N/A";
  const times = profile?.timestamp_col
    ? data.rows
        .map((r) =>
          Date.parse(String(r[data.columns.findIndex((c) => c.name === profile.timestamp_col)] ?? "")),
        )
        .filter((t) => !Number.isNaN(t))
    : [];
  const window = {
    window_start: new Date(times.length ? Math.min(...times) : at).toISOString(),
    window_end: new Date(times.length ? Math.max(...times) : at).toISOString(),
  };
  const names = metricTables(table, info.output_schema_name);
  engine.registerTable(
    names.profile_metrics_table_name,
    [
      { name: "window_start", type: "TIMESTAMP" },
      { name: "window_end", type: "TIMESTAMP" },
      { name: "granularity", type: "STRING" },
      { name: "column_name", type: "STRING" },
      { name: "count", type: "BIGINT" },
      { name: "num_nulls", type: "BIGINT" },
      { name: "avg", type: "DOUBLE" },
      { name: "min", type: "DOUBLE" },
      { name: "max", type: "DOUBLE" },
      { name: "stddev", type: "DOUBLE" },
      { name: "refresh_time", type: "TIMESTAMP" },
    ],
    data.columns.map((c, i) => {
      const values = data.rows.map((r) => r[i]);
      const nums = values.filter((v) => typeof v === "number" || typeof v === "bigint").map(Number);
      const mean = nums.length ? nums.reduce((s, v) => s + v, 0) / nums.length : null;
      const sd =
        mean !== null && nums.length > 1
          ? Math.sqrt(nums.reduce((s, v) => s + (v - mean) ** 2, 0) / (nums.length - 1))
          : null;
      return {
        ...window,
        granularity,
        column_name: c.name,
        count: values.filter((v) => v !== null).length,
        num_nulls: values.filter((v) => v === null).length,
        avg: mean,
        min: nums.length ? Math.min(...nums) : null,
        max: nums.length ? Math.max(...nums) : null,
        stddev: sd,
        refresh_time: new Date(at).toISOString(),
      };
    }),
  );
  const baseline = info.baseline_table_name;
  if (typeof baseline === "string") {
    if (!engine.tableColumns(baseline)) return `Baseline table '${baseline}' does not exist.`;
    const base = engine.query(`SELECT * FROM ${baseline}`);
    const records = (set: typeof data) =>
      set.rows.map((r) =>
        Object.fromEntries(
          set.columns.map((c, i) => [c.name, typeof r[i] === "bigint" ? Number(r[i]) : r[i]]),
        ),
      );
    const report = driftReport(records(base), records(data));
    engine.registerTable(
      names.drift_metrics_table_name,
      [
        { name: "window_start", type: "TIMESTAMP" },
        { name: "window_end", type: "TIMESTAMP" },
        { name: "granularity", type: "STRING" },
        { name: "column_name", type: "STRING" },
        { name: "drift_type", type: "STRING" },
        { name: "population_stability_index", type: "DOUBLE" },
        { name: "ks_statistic", type: "DOUBLE" },
        { name: "ks_pvalue", type: "DOUBLE" },
        { name: "chi_squared_statistic", type: "DOUBLE" },
        { name: "chi_squared_pvalue", type: "DOUBLE" },
        { name: "refresh_time", type: "TIMESTAMP" },
      ],
      report.features.map((f) => ({
        ...window,
        granularity,
        column_name: f.name,
        drift_type: "BASELINE",
        population_stability_index: f.psi,
        ks_statistic: f.ks?.statistic ?? null,
        ks_pvalue: f.ks?.pValue ?? null,
        chi_squared_statistic: f.chi2?.statistic ?? null,
        chi_squared_pvalue: f.chi2?.pValue ?? null,
        refresh_time: new Date(at).toISOString(),
      })),
    );
  }
  return undefined;
}

const base = "/api/2.1/unity-catalog/tables/:table_name/monitor";

export const qualityMonitorsService: EmulatorService<QualityMonitorsState> = {
  name: "qualityMonitors",
  init: () => ({ monitors: {} }),

  routes(router) {
    router.post(base, (req) => {
      const table = req.params.table_name!;
      const state = req.ctx.state<QualityMonitorsState>("qualityMonitors");
      const engine = sql(req.ctx);
      if (engine && !engine.tableColumns(table)) {
        throw new ApiFault(404, "TABLE_DOES_NOT_EXIST", `Table '${table}' does not exist.`);
      }
      if (state.monitors[table]) throw alreadyExists(`Monitor already exists for table '${table}'.`);
      const config = configOf(req, true);
      state.monitors[table] = {
        info: {
          table_name: table,
          monitor_version: 0,
          dashboard_id: randomUUID().replace(/-/g, ""),
          ...metricTables(table, config.output_schema_name),
          ...config,
        },
        created_at: req.ctx.clock.now(),
        refreshes: [],
      };
      return { body: view(state.monitors[table]!, req.ctx.clock.now()) };
    });
    router.get(base, (req) => ({ body: view(find(req), req.ctx.clock.now()) }));
    router.put(base, (req) => {
      const m = find(req);
      const config = configOf(req, false);
      const keep = {
        table_name: m.info.table_name,
        dashboard_id: m.info.dashboard_id,
        assets_dir: m.info.assets_dir,
      };
      m.info = {
        ...keep,
        monitor_version: Number(m.info.monitor_version ?? 0) + 1,
        ...metricTables(m.info.table_name, config.output_schema_name),
        ...config,
      };
      return { body: view(m, req.ctx.clock.now()) };
    });
    router.delete(base, (req) => {
      find(req);
      delete req.ctx.state<QualityMonitorsState>("qualityMonitors").monitors[req.params.table_name!];
      return { body: {} };
    });
    router.post(`${base}/refreshes`, (req) => {
      const m = find(req);
      const refresh: RefreshRecord = {
        refresh_id: req.ctx.nextId(),
        state: "PENDING",
        start_time_ms: req.ctx.clock.now(),
        trigger: "MANUAL",
      };
      m.refreshes.push(refresh);
      return { body: refreshView(refresh) };
    });
    router.get(`${base}/refreshes`, (req) => ({
      body: { refreshes: find(req).refreshes.slice(-25).reverse().map(refreshView) },
    }));
    const findRefresh = (req: EmuRequest) => {
      const r = find(req).refreshes.find((x) => String(x.refresh_id) === req.params.refresh_id);
      if (!r) throw notFound(`Refresh ${req.params.refresh_id} does not exist.`);
      return r;
    };
    router.get(`${base}/refreshes/:refresh_id`, (req) => ({ body: refreshView(findRefresh(req)) }));
    router.post(`${base}/refreshes/:refresh_id/cancel`, (req) => {
      const r = findRefresh(req);
      if (r.state === "PENDING" || r.state === "RUNNING") {
        r.state = "CANCELED";
        r.end_time_ms = req.ctx.clock.now();
      }
      return { body: {} };
    });
  },

  tick(ctx) {
    const now = ctx.clock.now();
    for (const m of Object.values(ctx.state<QualityMonitorsState>("qualityMonitors").monitors)) {
      // One refresh at a time, in order.
      const active = m.refreshes.find((r) => r.state === "PENDING" || r.state === "RUNNING");
      if (!active) continue;
      const queuedUntil = Math.max(active.start_time_ms, m.created_at + ACTIVATE_MS) + QUEUE_MS;
      if (active.state === "PENDING" && now >= queuedUntil) active.state = "RUNNING";
      if (active.state === "RUNNING" && now >= queuedUntil + COMPUTE_MS) {
        const at = queuedUntil + COMPUTE_MS;
        const failure = computeMetrics(ctx, m, at);
        active.state = failure ? "FAILED" : "SUCCESS";
        active.end_time_ms = at;
        if (failure) {
          active.message = failure;
          m.info.latest_monitor_failure_msg = failure;
        }
      }
    }
  },
};
