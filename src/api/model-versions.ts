import { z } from "zod";
import { OperationFailedError } from "../core/errors.js";
import { encodePath, type RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, parseNeeded, validate } from "../core/validation.js";
import type { Waiter, WaitOptions } from "../core/wait.js";
import { keyValueInput } from "./mlflow-schemas.js";
import { ModelVersionRegistration } from "./model-version-registration.js";
import { modelPath } from "./registered-models.js";
import { type ModelVersionInfo, modelVersionInfoSchema } from "./uc-model-schemas.js";
import { parseFullName, ucFullName, ucName, versionNumber } from "./uc-names.js";

/** Registration normally takes seconds to minutes; waits give up after this unless told otherwise. */
const DEFAULT_WAIT_MS = 20 * 60_000;

const versionRequest = z.looseObject({
  full_name: ucFullName,
  version: versionNumber,
  include_aliases: z.boolean().optional(),
  include_browse: z.boolean().optional(),
});
const listRequest = z.looseObject({
  full_name: ucFullName,
  max_results: z.number().int().min(0).optional(),
  include_browse: z.boolean().optional(),
});
const updateRequest = z.looseObject({
  full_name: ucFullName,
  version: versionNumber,
  comment: z.string().optional(),
});
const versionRef = z.looseObject({ full_name: ucFullName, version: versionNumber });
const byAliasRequest = z.looseObject({
  full_name: ucFullName,
  alias: ucName,
  include_aliases: z.boolean().optional(),
});
const createRequest = z.looseObject({
  /** Full name of the registered model, `catalog.schema.model` (it must exist). */
  name: ucFullName,
  /** `runs:/<run_id>/<path>`, a `dbfs:/databricks/mlflow-tracking/…` artifact URI, or a `/Volumes/…` folder. */
  source: z.string().min(1),
  run_id: z.string().min(1).optional(),
  description: z.string().optional(),
  tags: z.array(keyValueInput).optional(),
  /** Same id → same version, across retries, processes and racing callers (see `create`). */
  registration_id: z.string().min(1).max(250).optional(),
});

const findRequest = z.looseObject({
  name: ucFullName,
  registration_id: z.string().min(1),
  run_id: z.string().min(1).optional(),
});

const listResponse = z.looseObject({
  model_versions: z.array(modelVersionInfoSchema).optional(),
  next_page_token: z.string().optional(),
});
const mlflowGetResponse = z.looseObject({
  model_version: z.looseObject({ status_message: z.string().optional() }).optional(),
});

export type GetModelVersionRequest = z.input<typeof versionRequest>;
export type ListModelVersionsRequest = z.input<typeof listRequest>;
export type UpdateModelVersionRequest = z.input<typeof updateRequest>;
export type DeleteModelVersionRequest = z.input<typeof versionRef>;
export type GetModelVersionByAliasRequest = z.input<typeof byAliasRequest>;
export type CreateModelVersionRequest = z.input<typeof createRequest>;

/**
 * Unity Catalog model versions (`/api/2.1/unity-catalog/models/{full_name}/versions`), plus
 * `create`, which registers a new version through MLflow's Unity Catalog protocol. Version
 * numbers are always numbers here, whatever type the endpoint behind a call uses.
 */
export class ModelVersionsAPI extends Service {
  /** `GET …/versions/{version}`. */
  async get(req: GetModelVersionRequest, options?: RequestOptions): Promise<ModelVersionInfo> {
    const { full_name, version, ...query } = validate(versionRequest, req, "modelVersions.get request");
    const res = await this.request({ method: "GET", path: versionPath(full_name, version), query }, options);
    return parseLenient(modelVersionInfoSchema, res);
  }

  /** `GET …/versions`, every page. List entries carry no aliases. */
  list(req: ListModelVersionsRequest, options?: RequestOptions): Paginated<ModelVersionInfo> {
    const { full_name, ...query } = validate(listRequest, req, "modelVersions.list request");
    return tokenPaginated<ModelVersionInfo>(async (page_token) => {
      const res = await this.request(
        { method: "GET", path: `${modelPath(full_name)}/versions`, query: { ...query, page_token } },
        options,
      );
      return parseLenient(listResponse, res);
    }, "model_versions");
  }

  /** `PATCH …/versions/{version}`: the comment is the one updatable field. */
  async update(req: UpdateModelVersionRequest, options?: RequestOptions): Promise<ModelVersionInfo> {
    const { full_name, version, ...body } = validate(updateRequest, req, "modelVersions.update request");
    const res = await this.request(
      { method: "PATCH", path: versionPath(full_name, version), body, idempotent: true },
      options,
    );
    return parseLenient(modelVersionInfoSchema, res);
  }

  /** `DELETE …/versions/{version}`: also removes its aliases. */
  async delete(req: DeleteModelVersionRequest, options?: RequestOptions): Promise<void> {
    const r = validate(versionRef, req, "modelVersions.delete request");
    await this.request({ method: "DELETE", path: versionPath(r.full_name, r.version) }, options);
  }

  /** `GET /api/2.1/unity-catalog/models/{full_name}/aliases/{alias}`: the version an alias points at. */
  async getByAlias(req: GetModelVersionByAliasRequest, options?: RequestOptions): Promise<ModelVersionInfo> {
    const { full_name, alias, ...query } = validate(byAliasRequest, req, "modelVersions.getByAlias request");
    const res = await this.request(
      { method: "GET", path: `${modelPath(full_name)}${encodePath`/aliases/${alias}`}`, query },
      options,
    );
    return parseLenient(modelVersionInfoSchema, res);
  }

  /**
   * Registers a new version of an existing Unity Catalog model from a logged MLflow model and
   * returns it as Unity Catalog reports it after finalizing (usually still
   * PENDING_REGISTRATION; use `createAndWait` to wait for READY).
   *
   * Checks first, before anything is created, that the model's MLmodel declares a signature with
   * inputs and outputs (Unity Catalog requires one) and throws a ValidationError otherwise. A
   * retried call never yields two versions: the create carries a unique
   * `brickml.registration_id` tag, and when its answer is lost the version is looked up by that
   * tag before the create is sent again.
   *
   * With a `registration_id`, registration is keyed: a version registered under that id before is
   * returned instead of a new one — finished first (files uploaded again, then finalized) when an
   * earlier call was interrupted while it was PENDING_REGISTRATION, replaced when it ended
   * FAILED_REGISTRATION. Callers that race with the same id end with one version.
   */
  async create(req: CreateModelVersionRequest, options?: RequestOptions): Promise<ModelVersionInfo> {
    const r = validate(createRequest, req, "modelVersions.create request");
    const call = this.call(options);
    const registered = await new ModelVersionRegistration(this.ctx).register(r, call);
    return this.get({ full_name: r.name, version: registered.version }, call);
  }

  /**
   * The version registered under `registration_id` (the oldest one that did not fail
   * registration), as MLflow reports it with its status; undefined when there is none.
   */
  async findRegistration(
    req: { name: string; registration_id: string; run_id?: string },
    options?: RequestOptions,
  ): Promise<{ version: number; status?: string | undefined } | undefined> {
    const r = validate(findRequest, req, "modelVersions.findRegistration request");
    return new ModelVersionRegistration(this.ctx).findRegistration(
      r.name,
      r.registration_id,
      r.run_id,
      options,
    );
  }

  /** `create`, then waits until the version is READY; rejects with OperationFailedError on FAILED_REGISTRATION. */
  async createAndWait(
    req: CreateModelVersionRequest,
    waitOptions: WaitOptions<ModelVersionInfo> = {},
    options?: RequestOptions,
  ): Promise<ModelVersionInfo> {
    const call = this.call(options, waitOptions);
    const created = await this.create(req, call);
    return this.waitUntilModelVersionReady(
      { full_name: req.name, version: created.version },
      waitOptions,
      call,
    );
  }

  /** Polls the version until READY; FAILED_REGISTRATION rejects with the server's status message. */
  waitUntilModelVersionReady(
    req: DeleteModelVersionRequest,
    waitOptions: WaitOptions<ModelVersionInfo> = {},
    options?: RequestOptions,
  ): Promise<ModelVersionInfo> {
    const r = validate(versionRef, req, "modelVersions.waitUntilModelVersionReady request");
    const name = parseFullName(r.full_name)!;
    const call = this.call(options, waitOptions);
    const waiter: Waiter<ModelVersionInfo, ModelVersionInfo> = {
      what: `model version ${r.full_name}/${r.version} to be READY`,
      poll: async (signal) =>
        parseNeeded(
          modelVersionInfoSchema,
          await this.get({ full_name: r.full_name, version: r.version }, { ...call, signal }),
          "model version response",
        ),
      state: (v) => String(v.status ?? "MODEL_VERSION_STATUS_UNKNOWN"),
      outcome: async (v) => {
        if (v.status === "READY") return { done: v };
        if (v.status !== "FAILED_REGISTRATION") return undefined;
        const reason = await this.statusMessage(r.full_name, r.version, call);
        return {
          failed: new OperationFailedError(
            `Model version ${r.full_name}/${r.version} failed registration${reason ? `: ${reason}` : ""}`,
            v.status,
            { full_name: r.full_name, version: r.version, status_message: reason, model_version: v },
          ),
        };
      },
      url: () =>
        `${this.ctx.host}/explore/data/models/${name.catalog}/${name.schema}/${name.model}/version/${r.version}`,
    };
    return this.wait(waiter, waitOptions, DEFAULT_WAIT_MS, call);
  }

  /** Why registration failed: only the MLflow endpoint reports it. Best effort. */
  private async statusMessage(full_name: string, version: number, options?: RequestOptions) {
    try {
      const res = await this.request(
        {
          method: "GET",
          path: "/api/2.0/mlflow/unity-catalog/model-versions/get",
          query: { name: full_name, version: String(version) },
        },
        options,
      );
      return parseLenient(mlflowGetResponse, res).model_version?.status_message;
    } catch {
      return undefined;
    }
  }
}

function versionPath(fullName: string, version: number): string {
  return `${modelPath(fullName)}${encodePath`/versions/${version}`}`;
}
