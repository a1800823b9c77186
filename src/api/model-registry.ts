import { z } from "zod";
import { OperationFailedError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { openEnum, parseLenient, parseNeeded, validate } from "../core/validation.js";
import type { Waiter, WaitOptions } from "../core/wait.js";
import { keyValueInput, tagSchema } from "./mlflow-schemas.js";
import { versionNumber, wireVersion } from "./uc-names.js";

const BASE = "/api/2.0/mlflow";
const DEFAULT_WAIT_MS = 20 * 60_000;
export const STAGES = ["None", "Staging", "Production", "Archived"] as const;

const name = z.string().min(1);
const createModelRequest = z.looseObject({
  name,
  description: z.string().optional(),
  tags: z.array(keyValueInput).optional(),
});
const nameRequest = z.looseObject({ name });
const searchModelsRequest = z.looseObject({
  /** e.g. `name LIKE '%churn%'`. */
  filter: z.string().optional(),
  max_results: z.number().int().min(1).max(1000).optional(),
  order_by: z.array(z.string()).optional(),
});
const createVersionRequest = z.looseObject({
  name,
  /** Where the model files are, e.g. `runs:/<run_id>/model` or the run's artifact URI. */
  source: z.string().min(1),
  run_id: z.string().min(1).optional(),
  run_link: z.string().optional(),
  description: z.string().optional(),
  tags: z.array(keyValueInput).optional(),
});
const versionRequest = z.looseObject({ name, version: versionNumber });
const searchVersionsRequest = z.looseObject({
  /** e.g. `name='churn'` or `run_id='…'`. */
  filter: z.string().optional(),
  max_results: z.number().int().min(1).max(10_000).optional(),
  order_by: z.array(z.string()).optional(),
});
const transitionRequest = z.looseObject({
  name,
  version: versionNumber,
  stage: z.enum(STAGES),
  /** Move the versions now in `stage` to Archived. */
  archive_existing_versions: z.boolean(),
  comment: z.string().optional(),
});

export const legacyModelVersionSchema = z.looseObject({
  name: z.string().optional(),
  version: wireVersion,
  creation_timestamp: z.number().optional(),
  last_updated_timestamp: z.number().optional(),
  user_id: z.string().optional(),
  current_stage: openEnum(STAGES).optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  run_link: z.string().optional(),
  status: openEnum(["PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY"]).optional(),
  status_message: z.string().optional(),
  tags: z.array(tagSchema).optional(),
});
export const legacyRegisteredModelSchema = z.looseObject({
  name: z.string(),
  id: z.string().optional(),
  creation_timestamp: z.number().optional(),
  last_updated_timestamp: z.number().optional(),
  user_id: z.string().optional(),
  description: z.string().optional(),
  latest_versions: z.array(legacyModelVersionSchema).optional(),
  tags: z.array(tagSchema).optional(),
  permission_level: z.string().optional(),
});

const createModelResponse = z.looseObject({ registered_model: legacyRegisteredModelSchema });
const getModelResponse = z.looseObject({ registered_model_databricks: legacyRegisteredModelSchema });
const searchModelsResponse = z.looseObject({
  registered_models: z.array(legacyRegisteredModelSchema).optional(),
  next_page_token: z.string().optional(),
});
const versionResponse = z.looseObject({ model_version: legacyModelVersionSchema });
const transitionResponse = z.looseObject({ model_version_databricks: legacyModelVersionSchema });
const searchVersionsResponse = z.looseObject({
  model_versions: z.array(legacyModelVersionSchema).optional(),
  next_page_token: z.string().optional(),
});

export type LegacyRegisteredModel = z.output<typeof legacyRegisteredModelSchema>;
export type LegacyModelVersion = z.output<typeof legacyModelVersionSchema>;
export type Stage = (typeof STAGES)[number];
export type CreateModelRequest = z.input<typeof createModelRequest>;
export type SearchModelsRequest = z.input<typeof searchModelsRequest>;
export type CreateLegacyModelVersionRequest = z.input<typeof createVersionRequest>;
export type LegacyModelVersionRequest = z.input<typeof versionRequest>;
export type SearchModelVersionsRequest = z.input<typeof searchVersionsRequest>;
export type TransitionStageRequest = z.input<typeof transitionRequest>;
export type CreateModelResponse = z.output<typeof createModelResponse>;
export type GetModelResponse = z.output<typeof getModelResponse>;
export type LegacyModelVersionResponse = z.output<typeof versionResponse>;
export type TransitionStageResponse = z.output<typeof transitionResponse>;

/**
 * The workspace (pre-Unity Catalog) model registry, `/api/2.0/mlflow/registered-models` and
 * `model-versions`, for workspaces without Unity Catalog. Versions are numbers here too (the
 * wire carries strings). New work should prefer Unity Catalog (`db.registeredModels`).
 */
export class ModelRegistryAPI extends Service {
  /** `POST registered-models/create`. */
  async createModel(req: CreateModelRequest, options?: RequestOptions): Promise<CreateModelResponse> {
    const body = validate(createModelRequest, req, "modelRegistry.createModel request");
    const res = await this.request(
      { method: "POST", path: `${BASE}/registered-models/create`, body },
      options,
    );
    return parseLenient(createModelResponse, res);
  }

  /** `GET databricks/registered-models/get`: the model with its id and your permission level. */
  async getModel(req: { name: string }, options?: RequestOptions): Promise<GetModelResponse> {
    const query = validate(nameRequest, req, "modelRegistry.getModel request");
    const res = await this.request(
      { method: "GET", path: `${BASE}/databricks/registered-models/get`, query },
      options,
    );
    return parseLenient(getModelResponse, res);
  }

  /** `GET registered-models/search`, every page. */
  searchModels(req: SearchModelsRequest = {}, options?: RequestOptions): Paginated<LegacyRegisteredModel> {
    const query = validate(searchModelsRequest, req, "modelRegistry.searchModels request");
    return tokenPaginated<LegacyRegisteredModel>(async (page_token) => {
      const res = await this.request(
        { method: "GET", path: `${BASE}/registered-models/search`, query: { ...query, page_token } },
        options,
      );
      return parseLenient(searchModelsResponse, res);
    }, "registered_models");
  }

  /** `DELETE registered-models/delete`: the model and all its versions. */
  async deleteModel(req: { name: string }, options?: RequestOptions): Promise<void> {
    const query = validate(nameRequest, req, "modelRegistry.deleteModel request");
    await this.request({ method: "DELETE", path: `${BASE}/registered-models/delete`, query }, options);
  }

  /** `POST model-versions/create`: the server copies the files from `source` (PENDING_REGISTRATION, then READY). */
  async createModelVersion(
    req: CreateLegacyModelVersionRequest,
    options?: RequestOptions,
  ): Promise<LegacyModelVersionResponse> {
    const body = validate(createVersionRequest, req, "modelRegistry.createModelVersion request");
    const res = await this.request({ method: "POST", path: `${BASE}/model-versions/create`, body }, options);
    return parseLenient(versionResponse, res);
  }

  /** `createModelVersion`, then waits until READY; rejects with OperationFailedError on FAILED_REGISTRATION. */
  async createModelVersionAndWait(
    req: CreateLegacyModelVersionRequest,
    waitOptions: WaitOptions<LegacyModelVersion> = {},
    options?: RequestOptions,
  ): Promise<LegacyModelVersion> {
    const call = this.call(options, waitOptions);
    const res = await this.createModelVersion(req, call);
    const { model_version } = parseNeeded(versionResponse, res, "model-versions/create response");
    return this.waitUntilModelVersionReady(
      { name: req.name, version: model_version.version },
      waitOptions,
      call,
    );
  }

  /** `GET model-versions/get`. */
  async getModelVersion(
    req: LegacyModelVersionRequest,
    options?: RequestOptions,
  ): Promise<LegacyModelVersionResponse> {
    const r = validate(versionRequest, req, "modelRegistry.getModelVersion request");
    const res = await this.request(
      {
        method: "GET",
        path: `${BASE}/model-versions/get`,
        query: { ...r, version: String(r.version) },
      },
      options,
    );
    return parseLenient(versionResponse, res);
  }

  /** `GET model-versions/search`, every page. */
  searchModelVersions(
    req: SearchModelVersionsRequest = {},
    options?: RequestOptions,
  ): Paginated<LegacyModelVersion> {
    const query = validate(searchVersionsRequest, req, "modelRegistry.searchModelVersions request");
    return tokenPaginated<LegacyModelVersion>(async (page_token) => {
      const res = await this.request(
        { method: "GET", path: `${BASE}/model-versions/search`, query: { ...query, page_token } },
        options,
      );
      return parseLenient(searchVersionsResponse, res);
    }, "model_versions");
  }

  /** `POST databricks/model-versions/transition-stage`. Repeating it leaves the same stage, so it is retried. */
  async transitionStage(
    req: TransitionStageRequest,
    options?: RequestOptions,
  ): Promise<TransitionStageResponse> {
    const r = validate(transitionRequest, req, "modelRegistry.transitionStage request");
    const res = await this.request(
      {
        method: "POST",
        path: `${BASE}/databricks/model-versions/transition-stage`,
        body: { ...r, version: String(r.version) },
        idempotent: true,
      },
      options,
    );
    return parseLenient(transitionResponse, res);
  }

  /** Polls a version until READY; FAILED_REGISTRATION rejects with the server's status message. */
  waitUntilModelVersionReady(
    req: LegacyModelVersionRequest,
    waitOptions: WaitOptions<LegacyModelVersion> = {},
    options?: RequestOptions,
  ): Promise<LegacyModelVersion> {
    const r = validate(versionRequest, req, "modelRegistry.waitUntilModelVersionReady request");
    const call = this.call(options, waitOptions);
    const waiter: Waiter<LegacyModelVersion, LegacyModelVersion> = {
      what: `model version ${r.name}/${r.version} to be READY`,
      poll: async (signal) =>
        parseNeeded(
          versionResponse,
          await this.getModelVersion(r, { ...call, signal }),
          "model-versions/get response",
        ).model_version,
      state: (v) => String(v.status ?? "UNKNOWN"),
      message: (v) => v.status_message,
      outcome: (v) => {
        if (v.status === "READY") return { done: v };
        if (v.status !== "FAILED_REGISTRATION") return undefined;
        return {
          failed: new OperationFailedError(
            `Model version ${r.name}/${r.version} failed registration${v.status_message ? `: ${v.status_message}` : ""}`,
            v.status,
            { name: r.name, version: r.version, status_message: v.status_message, model_version: v },
          ),
        };
      },
    };
    return this.wait(waiter, waitOptions, DEFAULT_WAIT_MS, call);
  }
}
