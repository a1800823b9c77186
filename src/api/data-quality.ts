import { z } from "zod";
import { encodePath, type RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, pathSegment, validate } from "../core/validation.js";

const BASE = "/api/data-quality/v1/monitors";

const objectType = z.enum(["table", "schema"]);
const objectId = pathSegment.refine((s) => !s.includes("/"), "must be the table or schema id (a UUID)");

export const inferenceLogConfig = z.looseObject({
  problem_type: z.enum(["INFERENCE_PROBLEM_TYPE_CLASSIFICATION", "INFERENCE_PROBLEM_TYPE_REGRESSION"]),
  timestamp_column: z.string().min(1),
  /** `AGGREGATION_GRANULARITY_5_MINUTES` … `AGGREGATION_GRANULARITY_1_YEAR`. */
  granularities: z
    .array(z.string().regex(/^AGGREGATION_GRANULARITY_/, "must be an AGGREGATION_GRANULARITY_* value"))
    .min(1),
  prediction_column: z.string().min(1),
  model_id_column: z.string().min(1),
  label_column: z.string().optional(),
  prediction_probability_column: z.string().optional(),
});

export const dataProfilingConfig = z.looseObject({
  /** The output schema's id (UUID), not its name. */
  output_schema_id: z.string().min(1),
  assets_dir: z.string().optional(),
  baseline_table_name: z.string().optional(),
  inference_log: inferenceLogConfig.optional(),
  time_series: z
    .looseObject({ timestamp_column: z.string().min(1), granularities: z.array(z.string()).min(1) })
    .optional(),
  snapshot: z.looseObject({}).optional(),
  slicing_exprs: z.array(z.string()).optional(),
  warehouse_id: z.string().optional(),
  skip_builtin_dashboard: z.boolean().optional(),
});

export const dataQualityMonitor = z
  .looseObject({
    object_type: objectType,
    /** The table's or schema's id (UUID), not its name. */
    object_id: objectId,
    data_profiling_config: dataProfilingConfig.optional(),
    anomaly_detection_config: z.looseObject({}).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.object_type === "table" && !m.data_profiling_config && !m.anomaly_detection_config) {
      ctx.addIssue({
        code: "custom",
        path: ["data_profiling_config"],
        message: "a table monitor needs data_profiling_config",
      });
    }
  });

const monitorRef = z.looseObject({ object_type: objectType, object_id: objectId });
const createMonitorRequest = z.looseObject({ monitor: dataQualityMonitor });
const updateMonitorRequest = z.looseObject({
  object_type: objectType,
  object_id: objectId,
  /** Comma-separated field paths to change, e.g. `data_profiling_config.schedule`. */
  update_mask: z.string().min(1),
  monitor: z.looseObject({}),
});
const listRequest = z.looseObject({
  page_size: z.number().int().positive().optional(),
  page_token: z.string().optional(),
});
const createRefreshRequest = z.looseObject({
  object_type: objectType,
  object_id: objectId,
  refresh: z.looseObject({}).optional(),
});
const refreshRef = z.looseObject({
  object_type: objectType,
  object_id: objectId,
  refresh_id: z.union([z.number().int(), z.string().min(1)]),
});

export const dataQualityMonitorInfo = z.looseObject({
  object_type: z.string().optional(),
  object_id: z.string().optional(),
  data_profiling_config: z.looseObject({}).optional(),
  anomaly_detection_config: z.looseObject({}).optional(),
});
export const dataQualityRefresh = z.looseObject({
  object_type: z.string().optional(),
  object_id: z.string().optional(),
  refresh_id: z.union([z.number(), z.string()]).optional(),
  state: z.string().optional(),
  start_time_ms: z.number().optional(),
  end_time_ms: z.number().optional(),
  message: z.string().optional(),
  trigger: z.string().optional(),
});

export type DataQualityMonitor = z.input<typeof dataQualityMonitor>;
export type CreateDataQualityMonitorRequest = z.input<typeof createMonitorRequest>;
export type UpdateDataQualityMonitorRequest = z.input<typeof updateMonitorRequest>;
export type DataQualityObjectRequest = z.input<typeof monitorRef>;
export type DataQualityRefreshRequest = z.input<typeof refreshRef>;
export type CreateDataQualityRefreshRequest = z.input<typeof createRefreshRequest>;
export type DataQualityMonitorInfo = z.output<typeof dataQualityMonitorInfo>;
export type DataQualityRefresh = z.output<typeof dataQualityRefresh>;

const objectPath = (type: string, id: string) => encodePath`/api/data-quality/v1/monitors/${type}/${id}`;

/**
 * The Data Quality Monitoring API (`/api/data-quality/v1/monitors`), successor of the
 * table-monitor API: monitors are addressed by object type and id (a UUID), not by name.
 */
export class DataQualityAPI extends Service {
  async createMonitor(
    req: CreateDataQualityMonitorRequest,
    options?: RequestOptions,
  ): Promise<DataQualityMonitorInfo> {
    const { monitor } = validate(createMonitorRequest, req, "dataQuality.createMonitor request");
    return parseLenient(
      dataQualityMonitorInfo,
      await this.request<unknown>({ method: "POST", path: BASE, body: monitor }, options),
    );
  }

  async getMonitor(req: DataQualityObjectRequest, options?: RequestOptions): Promise<DataQualityMonitorInfo> {
    const { object_type, object_id } = validate(monitorRef, req, "dataQuality.getMonitor request");
    const res = await this.request<unknown>(
      { method: "GET", path: objectPath(object_type, object_id) },
      options,
    );
    return parseLenient(dataQualityMonitorInfo, res);
  }

  async updateMonitor(
    req: UpdateDataQualityMonitorRequest,
    options?: RequestOptions,
  ): Promise<DataQualityMonitorInfo> {
    const { object_type, object_id, update_mask, monitor } = validate(
      updateMonitorRequest,
      req,
      "dataQuality.updateMonitor request",
    );
    const res = await this.request<unknown>(
      { method: "PATCH", path: objectPath(object_type, object_id), query: { update_mask }, body: monitor },
      options,
    );
    return parseLenient(dataQualityMonitorInfo, res);
  }

  async deleteMonitor(req: DataQualityObjectRequest, options?: RequestOptions): Promise<void> {
    const { object_type, object_id } = validate(monitorRef, req, "dataQuality.deleteMonitor request");
    await this.request({ method: "DELETE", path: objectPath(object_type, object_id) }, options);
  }

  listMonitor(
    req: z.input<typeof listRequest> = {},
    options?: RequestOptions,
  ): Paginated<DataQualityMonitorInfo> {
    const query = validate(listRequest, req, "dataQuality.listMonitor request");
    return tokenPaginated<DataQualityMonitorInfo>(
      (page_token) =>
        this.request(
          { method: "GET", path: BASE, query: { ...query, ...(page_token ? { page_token } : {}) } },
          options,
        ),
      "monitors",
    );
  }

  async createRefresh(
    req: CreateDataQualityRefreshRequest,
    options?: RequestOptions,
  ): Promise<DataQualityRefresh> {
    const { object_type, object_id, refresh } = validate(
      createRefreshRequest,
      req,
      "dataQuality.createRefresh request",
    );
    const res = await this.request<unknown>(
      {
        method: "POST",
        path: `${objectPath(object_type, object_id)}/refreshes`,
        body: { object_type, object_id, ...refresh },
      },
      options,
    );
    return parseLenient(dataQualityRefresh, res);
  }

  async getRefresh(req: DataQualityRefreshRequest, options?: RequestOptions): Promise<DataQualityRefresh> {
    const { object_type, object_id, refresh_id } = validate(
      refreshRef,
      req,
      "dataQuality.getRefresh request",
    );
    const res = await this.request<unknown>(
      { method: "GET", path: `${objectPath(object_type, object_id)}${encodePath`/refreshes/${refresh_id}`}` },
      options,
    );
    return parseLenient(dataQualityRefresh, res);
  }

  listRefresh(
    req: DataQualityObjectRequest & z.input<typeof listRequest>,
    options?: RequestOptions,
  ): Paginated<DataQualityRefresh> {
    const { object_type, object_id, ...query } = validate(
      monitorRef.extend(listRequest.shape),
      req,
      "dataQuality.listRefresh request",
    );
    return tokenPaginated<DataQualityRefresh>(
      (page_token) =>
        this.request(
          {
            method: "GET",
            path: `${objectPath(object_type, object_id)}/refreshes`,
            query: { ...query, ...(page_token ? { page_token } : {}) },
          },
          options,
        ),
      "refreshes",
    );
  }

  async cancelRefresh(req: DataQualityRefreshRequest, options?: RequestOptions): Promise<void> {
    const { object_type, object_id, refresh_id } = validate(
      refreshRef,
      req,
      "dataQuality.cancelRefresh request",
    );
    await this.request(
      {
        method: "POST",
        path: `${objectPath(object_type, object_id)}${encodePath`/refreshes/${refresh_id}/cancel`}`,
        idempotent: true,
      },
      options,
    );
  }
}
