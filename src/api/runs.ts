import { z } from "zod";
import { BrickmlError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, parseNeeded, validate } from "../core/validation.js";
import { filesPathOfArtifactUri, relativePathProblem } from "./artifact-location.js";
import { type FileDownload, FilesAPI, type UploadContents } from "./files.js";
import { splitBatch } from "./log-batch.js";
import {
  type FileInfo,
  fileInfoSchema,
  keyValueInput,
  type Metric,
  metricInput,
  metricSchema,
  mlflowKey,
  paramInput,
  paramValue,
  RUN_STATUSES,
  type Run,
  runInfoSchema,
  runSchema,
  tagValue,
  VIEW_TYPES,
} from "./mlflow-schemas.js";

const BASE = "/api/2.0/mlflow";
const runId = z.string().min(1);
const artifactPath = z.string().superRefine((s, ctx) => {
  const problem = relativePathProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const createRequest = z.looseObject({
  experiment_id: z.string().min(1),
  run_name: z.string().optional(),
  /** Epoch ms; the server uses the current time when omitted. */
  start_time: z.number().int().optional(),
  tags: z.array(keyValueInput).optional(),
  user_id: z.string().optional(),
});
const getRequest = z.looseObject({ run_id: runId });
const updateRequest = z.looseObject({
  run_id: runId,
  status: z.enum(RUN_STATUSES).optional(),
  end_time: z.number().int().optional(),
  run_name: z.string().optional(),
});
const searchRequest = z.looseObject({
  experiment_ids: z.array(z.string().min(1)).min(1),
  /** e.g. `metrics.rmse < 1 AND params.model = 'gbm' AND tags.team = 'ml'`. */
  filter: z.string().optional(),
  run_view_type: z.enum(VIEW_TYPES).optional(),
  max_results: z.number().int().min(1).max(50_000).optional(),
  order_by: z.array(z.string()).optional(),
});
const setTagRequest = z.looseObject({ run_id: runId, key: mlflowKey, value: tagValue });
const logMetricRequest = z.looseObject({
  run_id: runId,
  key: mlflowKey,
  value: metricInput.shape.value,
  /** Epoch ms; defaults to now. */
  timestamp: z.number().int().optional(),
  step: z.number().int().optional(),
});
const logParamRequest = z.looseObject({ run_id: runId, key: mlflowKey, value: paramValue });
const logBatchRequest = z.looseObject({
  run_id: runId,
  metrics: z.array(metricInput).optional(),
  params: z.array(paramInput).optional(),
  tags: z.array(keyValueInput).optional(),
});
const metricHistoryRequest = z.looseObject({
  run_id: runId,
  metric_key: z.string().min(1),
  max_results: z.number().int().min(1).optional(),
});
const listArtifactsRequest = z.looseObject({ run_id: runId, path: artifactPath.optional() });
const artifactRequest = z.looseObject({ run_id: runId, path: artifactPath });
const uploadArtifactRequest = z.looseObject({
  run_id: runId,
  path: artifactPath,
  contents: z.custom<UploadContents>(
    (v) => typeof v === "string" || v instanceof Uint8Array || typeof v === "function",
    "must be a Buffer, Uint8Array, string, or a function returning a Readable stream",
  ),
  overwrite: z.boolean().optional(),
});

const runResponse = z.looseObject({ run: runSchema });
/** What reading a run's artifacts needs from `runs/get`. */
export const runArtifactUri = z.looseObject({
  run: z.looseObject({ info: z.looseObject({ artifact_uri: z.string().optional() }) }),
});
const updateResponse = z.looseObject({ run_info: runInfoSchema });
const searchResponse = z.looseObject({
  runs: z.array(runSchema).optional(),
  next_page_token: z.string().optional(),
});
const historyResponse = z.looseObject({
  metrics: z.array(metricSchema).optional(),
  next_page_token: z.string().optional(),
});
const artifactsResponse = z.looseObject({
  root_uri: z.string().optional(),
  files: z.array(fileInfoSchema).optional(),
  next_page_token: z.string().optional(),
});

export type CreateRunRequest = z.input<typeof createRequest>;
export type GetRunRequest = z.input<typeof getRequest>;
export type UpdateRunRequest = z.input<typeof updateRequest>;
export type SearchRunsRequest = z.input<typeof searchRequest>;
export type SetRunTagRequest = z.input<typeof setTagRequest>;
export type LogMetricRequest = z.input<typeof logMetricRequest>;
export type LogParamRequest = z.input<typeof logParamRequest>;
export type LogBatchRequest = z.input<typeof logBatchRequest>;
export type GetMetricHistoryRequest = z.input<typeof metricHistoryRequest>;
export type ListArtifactsRequest = z.input<typeof listArtifactsRequest>;
export type ArtifactRequest = z.input<typeof artifactRequest>;
export type UploadArtifactRequest = z.input<typeof uploadArtifactRequest>;
export type RunResponse = z.output<typeof runResponse>;
export type UpdateRunResponse = z.output<typeof updateResponse>;

/**
 * MLflow runs (`/api/2.0/mlflow/runs/…`, `metrics/get-history`, `artifacts/list`) and their
 * artifacts. Logging calls are marked safe to retry: params may be re-logged with the same value,
 * tags overwrite, and a metric point (key, value, timestamp, step) is stored once.
 */
export class RunsAPI extends Service {
  private get files(): FilesAPI {
    return new FilesAPI(this.ctx);
  }

  /** `POST runs/create`: starts a RUNNING run. Not retried once sent: a repeat would start a second run. */
  async create(req: CreateRunRequest, options?: RequestOptions): Promise<RunResponse> {
    const body = validate(createRequest, req, "runs.create request");
    const res = await this.request({ method: "POST", path: `${BASE}/runs/create`, body }, options);
    return parseLenient(runResponse, res);
  }

  /** `GET runs/get`: info, latest metrics, params and tags. */
  async get(req: GetRunRequest, options?: RequestOptions): Promise<RunResponse> {
    const r = validate(getRequest, req, "runs.get request");
    const res = await this.request(
      { method: "GET", path: `${BASE}/runs/get`, query: { run_id: r.run_id } },
      options,
    );
    return parseLenient(runResponse, res);
  }

  /** `POST runs/update`: status, end time or name. */
  async update(req: UpdateRunRequest, options?: RequestOptions): Promise<UpdateRunResponse> {
    const body = validate(updateRequest, req, "runs.update request");
    const res = await this.request(
      { method: "POST", path: `${BASE}/runs/update`, body, idempotent: true },
      options,
    );
    return parseLenient(updateResponse, res);
  }

  /** `POST runs/search`, every page. */
  search(req: SearchRunsRequest, options?: RequestOptions): Paginated<Run> {
    const r = validate(searchRequest, req, "runs.search request");
    return tokenPaginated<Run>(async (page_token) => {
      const res = await this.request(
        { method: "POST", path: `${BASE}/runs/search`, body: { ...r, page_token }, idempotent: true },
        options,
      );
      return parseLenient(searchResponse, res);
    }, "runs");
  }

  /** `POST runs/delete`: marks the run deleted. */
  async delete(req: GetRunRequest, options?: RequestOptions): Promise<void> {
    const body = validate(getRequest, req, "runs.delete request");
    await this.request({ method: "POST", path: `${BASE}/runs/delete`, body, idempotent: true }, options);
  }

  /** `POST runs/set-tag`. */
  async setTag(req: SetRunTagRequest, options?: RequestOptions): Promise<void> {
    const body = validate(setTagRequest, req, "runs.setTag request");
    await this.request({ method: "POST", path: `${BASE}/runs/set-tag`, body, idempotent: true }, options);
  }

  /** `POST runs/log-metric`; `timestamp` defaults to now and is fixed before the first attempt. */
  async logMetric(req: LogMetricRequest, options?: RequestOptions): Promise<void> {
    const r = validate(logMetricRequest, req, "runs.logMetric request");
    const body = { ...r, timestamp: r.timestamp ?? this.ctx.clock.now() };
    await this.request({ method: "POST", path: `${BASE}/runs/log-metric`, body, idempotent: true }, options);
  }

  /** `POST runs/log-parameter`; a param cannot change once logged (same value is fine). */
  async logParam(req: LogParamRequest, options?: RequestOptions): Promise<void> {
    const body = validate(logParamRequest, req, "runs.logParam request");
    await this.request(
      { method: "POST", path: `${BASE}/runs/log-parameter`, body, idempotent: true },
      options,
    );
  }

  /**
   * `POST runs/log-batch`, split into as many requests as the limits need (1000 metrics,
   * 100 params, 100 tags, 1000 entries in total per request), sent in order.
   */
  async logBatch(req: LogBatchRequest, options?: RequestOptions): Promise<void> {
    const r = validate(logBatchRequest, req, "runs.logBatch request");
    const { run_id, metrics = [], params = [], tags = [], ...extra } = r;
    for (const chunk of splitBatch({ metrics, params, tags })) {
      await this.request(
        {
          method: "POST",
          path: `${BASE}/runs/log-batch`,
          body: { ...extra, run_id, ...chunk },
          idempotent: true,
        },
        options,
      );
    }
  }

  /** `GET metrics/get-history`: every logged point of one metric, page by page. */
  getMetricHistory(req: GetMetricHistoryRequest, options?: RequestOptions): Paginated<Metric> {
    const r = validate(metricHistoryRequest, req, "runs.getMetricHistory request");
    return tokenPaginated<Metric>(async (page_token) => {
      const res = await this.request(
        { method: "GET", path: `${BASE}/metrics/get-history`, query: { ...r, page_token } },
        options,
      );
      return parseLenient(historyResponse, res);
    }, "metrics");
  }

  /** `GET artifacts/list`: the entries directly under `path` (the artifact root when omitted). */
  listArtifacts(req: ListArtifactsRequest, options?: RequestOptions): Paginated<FileInfo> {
    const r = validate(listArtifactsRequest, req, "runs.listArtifacts request");
    return tokenPaginated<FileInfo>(async (page_token) => {
      const res = await this.request(
        { method: "GET", path: `${BASE}/artifacts/list`, query: { ...r, page_token } },
        options,
      );
      return parseLenient(artifactsResponse, res);
    }, "files");
  }

  /**
   * The Files API path of a run artifact (where MLflow itself reads and writes it on
   * Databricks), for use with `db.files`.
   */
  async artifactFilePath(req: ArtifactRequest, options?: RequestOptions): Promise<string> {
    const r = validate(artifactRequest, req, "runs.artifactFilePath request");
    return `${await this.artifactRoot(r.run_id, options)}/${r.path}`;
  }

  /** Uploads one artifact file, streamed when `contents` is a stream factory. */
  async uploadArtifact(req: UploadArtifactRequest, options?: RequestOptions): Promise<void> {
    const r = validate(uploadArtifactRequest, req, "runs.uploadArtifact request");
    const file_path = `${await this.artifactRoot(r.run_id, options)}/${r.path}`;
    await this.files.upload({ file_path, contents: r.contents, overwrite: r.overwrite ?? true }, options);
  }

  /** Downloads one artifact file as a stream. */
  async downloadArtifact(req: ArtifactRequest, options?: RequestOptions): Promise<FileDownload> {
    const r = validate(artifactRequest, req, "runs.downloadArtifact request");
    const file_path = `${await this.artifactRoot(r.run_id, options)}/${r.path}`;
    return this.files.download({ file_path }, options);
  }

  /** The Files API folder holding a run's artifacts. */
  private async artifactRoot(run_id: string, options?: RequestOptions): Promise<string> {
    const res = await this.get({ run_id }, options);
    const uri = parseNeeded(runArtifactUri, res, "runs.get response").run.info.artifact_uri ?? "";
    const root = filesPathOfArtifactUri(uri);
    if (!root) {
      throw new BrickmlError(
        `The artifacts of run ${run_id} live at ${JSON.stringify(uri)}, which the Files API cannot reach ` +
          "(expected dbfs:/databricks/mlflow-tracking/… or a /Volumes/… location).",
      );
    }
    return root;
  }
}
