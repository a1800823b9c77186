import { z } from "zod";
import { OperationFailedError } from "../core/errors.js";
import { encodePath, type RequestOptions } from "../core/http.js";
import { Service } from "../core/service.js";
import { openEnum, parseLenient, pathSegment, validate } from "../core/validation.js";
import type { Waiter, WaitOptions } from "../core/wait.js";

const DEFAULT_WAIT_MS = 60 * 60_000;

/** A full table name, `catalog.schema.table`. */
const tableName = pathSegment.refine(
  (s) => !s.includes("/"),
  "must be a table name like catalog.schema.table",
);

export const monitorInferenceLog = z.looseObject({
  problem_type: z.enum(["PROBLEM_TYPE_CLASSIFICATION", "PROBLEM_TYPE_REGRESSION"]),
  prediction_col: z.string().min(1),
  timestamp_col: z.string().min(1),
  /** e.g. `"5 minutes"`, `"1 hour"`, `"1 day"`, `"1 week"`, `"1 month"`. */
  granularities: z.array(z.string().min(1)).min(1, "needs at least one granularity"),
  model_id_col: z.string().min(1),
  label_col: z.string().optional(),
  prediction_proba_col: z.string().optional(),
});

const monitorTimeSeries = z.looseObject({
  timestamp_col: z.string().min(1),
  granularities: z.array(z.string().min(1)).min(1),
});

const monitorMetric = z.looseObject({
  name: z.string().min(1),
  definition: z.string().min(1),
  input_columns: z.array(z.string()),
  output_data_type: z.string().min(1),
  type: z.string().min(1),
});

const monitorConfig = {
  baseline_table_name: z.string().optional(),
  slicing_exprs: z.array(z.string()).optional(),
  custom_metrics: z.array(monitorMetric).optional(),
  schedule: z
    .looseObject({
      quartz_cron_expression: z.string().min(1),
      timezone_id: z.string().min(1),
      pause_status: z.string().optional(),
    })
    .optional(),
  notifications: z
    .looseObject({
      on_failure: z.looseObject({ email_addresses: z.array(z.string()).max(5).optional() }).optional(),
      on_new_classification_tag_detected: z
        .looseObject({ email_addresses: z.array(z.string()).max(5).optional() })
        .optional(),
    })
    .optional(),
  data_classification_config: z.looseObject({}).optional(),
  inference_log: monitorInferenceLog.optional(),
  time_series: monitorTimeSeries.optional(),
  snapshot: z.looseObject({}).optional(),
};

const oneProfile = (req: Record<string, unknown>, ctx: z.RefinementCtx, required: boolean) => {
  const kinds = ["inference_log", "time_series", "snapshot"].filter((k) => req[k] !== undefined);
  if (kinds.length > 1 || (required && kinds.length === 0)) {
    ctx.addIssue({
      code: "custom",
      path: kinds.length ? [kinds[1]!] : ["inference_log"],
      message: "exactly one of inference_log, time_series or snapshot is required",
    });
  }
};

const createMonitorRequest = z
  .looseObject({
    table_name: tableName,
    /** Schema for the metric tables, `catalog.schema`. */
    output_schema_name: z.string().min(1),
    /** Workspace folder for the dashboard and other assets. */
    assets_dir: z.string().min(1),
    skip_builtin_dashboard: z.boolean().optional(),
    warehouse_id: z.string().optional(),
    ...monitorConfig,
  })
  .superRefine((r, ctx) => oneProfile(r, ctx, true));

const updateMonitorRequest = z
  .looseObject({
    table_name: tableName,
    output_schema_name: z.string().min(1),
    dashboard_id: z.string().optional(),
    ...monitorConfig,
  })
  .superRefine((r, ctx) => oneProfile(r, ctx, false));

const tableRequest = z.looseObject({ table_name: tableName });
const refreshRequest = z.looseObject({
  table_name: tableName,
  refresh_id: z.union([z.number().int(), z.string().min(1)]),
});

export const MONITOR_REFRESH_STATES = [
  "PENDING",
  "RUNNING",
  "SUCCESS",
  "FAILED",
  "CANCELED",
  "UNKNOWN",
] as const;

export const monitorInfo = z.looseObject({
  table_name: z.string().optional(),
  status: openEnum([
    "MONITOR_STATUS_PENDING",
    "MONITOR_STATUS_ACTIVE",
    "MONITOR_STATUS_DELETE_PENDING",
    "MONITOR_STATUS_ERROR",
    "MONITOR_STATUS_FAILED",
  ]).optional(),
  monitor_version: z.union([z.number(), z.string()]).optional(),
  output_schema_name: z.string().optional(),
  assets_dir: z.string().optional(),
  profile_metrics_table_name: z.string().optional(),
  drift_metrics_table_name: z.string().optional(),
  dashboard_id: z.string().optional(),
  latest_monitor_failure_msg: z.string().optional(),
  baseline_table_name: z.string().optional(),
  inference_log: z.looseObject({}).optional(),
  time_series: z.looseObject({}).optional(),
  snapshot: z.looseObject({}).optional(),
});

export const monitorRefreshInfo = z.looseObject({
  refresh_id: z.union([z.number(), z.string()]).optional(),
  state: openEnum(MONITOR_REFRESH_STATES).optional(),
  start_time_ms: z.number().optional(),
  end_time_ms: z.number().optional(),
  message: z.string().optional(),
  trigger: z.string().optional(),
});

export type CreateMonitorRequest = z.input<typeof createMonitorRequest>;
export type UpdateMonitorRequest = z.input<typeof updateMonitorRequest>;
export type MonitorTableRequest = z.input<typeof tableRequest>;
export type MonitorRefreshRequest = z.input<typeof refreshRequest>;
export type MonitorInferenceLog = z.input<typeof monitorInferenceLog>;
export type MonitorInfo = z.output<typeof monitorInfo>;
export type MonitorRefreshInfo = z.output<typeof monitorRefreshInfo>;

const monitorPath = (table: string) => encodePath`/api/2.1/unity-catalog/tables/${table}/monitor`;

/**
 * Lakehouse (data quality) monitors on Unity Catalog tables, through the `/api/2.1/unity-catalog/
 * tables/{table_name}/monitor` API — deprecated by Databricks in favour of `dataQuality`, still
 * served. An inference-log monitor profiles a model's inference table and its drift per window.
 */
export class QualityMonitorsAPI extends Service {
  async create(req: CreateMonitorRequest, options?: RequestOptions): Promise<MonitorInfo> {
    const { table_name, ...body } = validate(createMonitorRequest, req, "qualityMonitors.create request");
    const res = await this.request<unknown>({ method: "POST", path: monitorPath(table_name), body }, options);
    return parseLenient(monitorInfo, res);
  }

  async get(req: MonitorTableRequest, options?: RequestOptions): Promise<MonitorInfo> {
    const { table_name } = validate(tableRequest, req, "qualityMonitors.get request");
    return parseLenient(
      monitorInfo,
      await this.request<unknown>({ method: "GET", path: monitorPath(table_name) }, options),
    );
  }

  /** Replaces the monitor's configuration (PUT): fields left out are reset. */
  async update(req: UpdateMonitorRequest, options?: RequestOptions): Promise<MonitorInfo> {
    const { table_name, ...body } = validate(updateMonitorRequest, req, "qualityMonitors.update request");
    const res = await this.request<unknown>({ method: "PUT", path: monitorPath(table_name), body }, options);
    return parseLenient(monitorInfo, res);
  }

  /** Deletes the monitor; its metric tables and dashboard are kept. */
  async delete(req: MonitorTableRequest, options?: RequestOptions): Promise<void> {
    const { table_name } = validate(tableRequest, req, "qualityMonitors.delete request");
    await this.request({ method: "DELETE", path: monitorPath(table_name) }, options);
  }

  /** Queues a refresh of the metric tables. */
  async runRefresh(req: MonitorTableRequest, options?: RequestOptions): Promise<MonitorRefreshInfo> {
    const { table_name } = validate(tableRequest, req, "qualityMonitors.runRefresh request");
    const res = await this.request<unknown>(
      { method: "POST", path: `${monitorPath(table_name)}/refreshes` },
      options,
    );
    return parseLenient(monitorRefreshInfo, res);
  }

  async getRefresh(req: MonitorRefreshRequest, options?: RequestOptions): Promise<MonitorRefreshInfo> {
    const { table_name, refresh_id } = validate(refreshRequest, req, "qualityMonitors.getRefresh request");
    const res = await this.request<unknown>(
      { method: "GET", path: `${monitorPath(table_name)}${encodePath`/refreshes/${refresh_id}`}` },
      options,
    );
    return parseLenient(monitorRefreshInfo, res);
  }

  /** The most recent refreshes (the API returns at most 25). */
  async listRefreshes(req: MonitorTableRequest, options?: RequestOptions): Promise<MonitorRefreshInfo[]> {
    const { table_name } = validate(tableRequest, req, "qualityMonitors.listRefreshes request");
    const res = await this.request<{ refreshes?: unknown[] }>(
      { method: "GET", path: `${monitorPath(table_name)}/refreshes` },
      options,
    );
    return (res.refreshes ?? []).map((r) => parseLenient(monitorRefreshInfo, r));
  }

  async cancelRefresh(req: MonitorRefreshRequest, options?: RequestOptions): Promise<void> {
    const { table_name, refresh_id } = validate(refreshRequest, req, "qualityMonitors.cancelRefresh request");
    await this.request(
      {
        method: "POST",
        path: `${monitorPath(table_name)}${encodePath`/refreshes/${refresh_id}/cancel`}`,
        idempotent: true,
      },
      options,
    );
  }

  /** Runs a refresh and waits until it succeeds (default timeout one hour). */
  async runRefreshAndWait(
    req: MonitorTableRequest,
    waitOptions?: WaitOptions<MonitorRefreshInfo>,
    requestOptions?: RequestOptions,
  ): Promise<MonitorRefreshInfo> {
    const call = this.call(requestOptions, waitOptions);
    const refresh = await this.runRefresh(req, call);
    if (refresh.refresh_id === undefined) {
      throw new OperationFailedError("The refresh was queued without a refresh_id to follow", refresh.state, {
        refresh,
      });
    }
    return this.waitUntilRefreshSucceeded(
      { table_name: req.table_name, refresh_id: refresh.refresh_id },
      waitOptions,
      call,
    );
  }

  /** Polls a refresh until SUCCESS; FAILED or CANCELED reject with OperationFailedError carrying its message. */
  waitUntilRefreshSucceeded(
    req: MonitorRefreshRequest,
    waitOptions: WaitOptions<MonitorRefreshInfo> = {},
    requestOptions?: RequestOptions,
  ): Promise<MonitorRefreshInfo> {
    const { table_name, refresh_id } = validate(refreshRequest, req, "qualityMonitors wait request");
    const call = this.call(requestOptions, waitOptions);
    const waiter: Waiter<MonitorRefreshInfo, MonitorRefreshInfo> = {
      what: `refresh ${refresh_id} of the monitor on ${table_name}`,
      poll: (signal) => this.getRefresh({ table_name, refresh_id }, { ...call, signal }),
      state: (r) => r.state ?? "UNKNOWN",
      message: (r) => r.message,
      outcome: (r) => {
        if (r.state === "SUCCESS") return { done: r };
        if (r.state === "FAILED" || r.state === "CANCELED") {
          return {
            failed: new OperationFailedError(
              `Monitor refresh ${refresh_id} on ${table_name} ${r.state}${r.message ? `: ${r.message}` : ""}`,
              r.state,
              { table_name, refresh_id, message: r.message },
            ),
          };
        }
        return undefined;
      },
    };
    return this.wait(waiter, waitOptions, DEFAULT_WAIT_MS, call);
  }
}
