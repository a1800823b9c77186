import { z } from "zod";
import { isNotFound } from "../core/errors.js";
import { encodePath, type RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, validate } from "../core/validation.js";
import { createOrFind } from "./ambiguous-failure.js";
import {
  aliasSchema,
  type RegisteredModelAlias,
  type RegisteredModelInfo,
  registeredModelInfoSchema,
} from "./uc-model-schemas.js";
import { ucFullName, ucName, versionNumber } from "./uc-names.js";

const BASE = "/api/2.1/unity-catalog/models";

const createRequest = z.looseObject({
  catalog_name: ucName,
  schema_name: ucName,
  name: ucName,
  comment: z.string().optional(),
  storage_location: z.string().optional(),
});
const getRequest = z.looseObject({
  full_name: ucFullName,
  include_aliases: z.boolean().optional(),
  include_browse: z.boolean().optional(),
});
const listRequest = z
  .looseObject({
    catalog_name: ucName.optional(),
    schema_name: ucName.optional(),
    max_results: z.number().int().min(0).optional(),
    include_browse: z.boolean().optional(),
  })
  .refine((r) => (r.catalog_name === undefined) === (r.schema_name === undefined), {
    message: "give both catalog_name and schema_name, or neither",
    path: ["schema_name"],
  });
const updateRequest = z.looseObject({
  full_name: ucFullName,
  new_name: ucName.optional(),
  owner: z.string().optional(),
  comment: z.string().optional(),
});
const deleteRequest = z.looseObject({ full_name: ucFullName });
const setAliasRequest = z.looseObject({ full_name: ucFullName, alias: ucName, version_num: versionNumber });
const deleteAliasRequest = z.looseObject({ full_name: ucFullName, alias: ucName });

const listResponse = z.looseObject({
  registered_models: z.array(registeredModelInfoSchema).optional(),
  next_page_token: z.string().optional(),
});

export type CreateRegisteredModelRequest = z.input<typeof createRequest>;
export type GetRegisteredModelRequest = z.input<typeof getRequest>;
export type ListRegisteredModelsRequest = z.input<typeof listRequest>;
export type UpdateRegisteredModelRequest = z.input<typeof updateRequest>;
export type DeleteRegisteredModelRequest = z.input<typeof deleteRequest>;
export type SetRegisteredModelAliasRequest = z.input<typeof setAliasRequest>;
export type DeleteRegisteredModelAliasRequest = z.input<typeof deleteAliasRequest>;

export interface GetOrCreateRegisteredModelResult {
  registered_model: RegisteredModelInfo;
  /** True when this call created it. */
  created: boolean;
}

/** Unity Catalog registered models (`/api/2.1/unity-catalog/models`) and their aliases. */
export class RegisteredModelsAPI extends Service {
  /** `POST /api/2.1/unity-catalog/models`. */
  async create(req: CreateRegisteredModelRequest, options?: RequestOptions): Promise<RegisteredModelInfo> {
    const body = validate(createRequest, req, "registeredModels.create request");
    const res = await this.request({ method: "POST", path: BASE, body }, options);
    return parseLenient(registeredModelInfoSchema, res);
  }

  /** `GET /api/2.1/unity-catalog/models/{full_name}`. */
  async get(req: GetRegisteredModelRequest, options?: RequestOptions): Promise<RegisteredModelInfo> {
    const { full_name, ...query } = validate(getRequest, req, "registeredModels.get request");
    const res = await this.request({ method: "GET", path: modelPath(full_name), query }, options);
    return parseLenient(registeredModelInfoSchema, res);
  }

  /** `GET /api/2.1/unity-catalog/models`, every page (a page may be empty; the token decides). */
  list(req: ListRegisteredModelsRequest = {}, options?: RequestOptions): Paginated<RegisteredModelInfo> {
    const query = validate(listRequest, req, "registeredModels.list request");
    return tokenPaginated<RegisteredModelInfo>(async (page_token) => {
      const res = await this.request({ method: "GET", path: BASE, query: { ...query, page_token } }, options);
      return parseLenient(listResponse, res);
    }, "registered_models");
  }

  /** `PATCH /api/2.1/unity-catalog/models/{full_name}`: rename, owner or comment. */
  async update(req: UpdateRegisteredModelRequest, options?: RequestOptions): Promise<RegisteredModelInfo> {
    const { full_name, ...body } = validate(updateRequest, req, "registeredModels.update request");
    const res = await this.request(
      { method: "PATCH", path: modelPath(full_name), body, idempotent: true },
      options,
    );
    return parseLenient(registeredModelInfoSchema, res);
  }

  /** `DELETE /api/2.1/unity-catalog/models/{full_name}`: the model, its versions and aliases. */
  async delete(req: DeleteRegisteredModelRequest, options?: RequestOptions): Promise<void> {
    const r = validate(deleteRequest, req, "registeredModels.delete request");
    await this.request({ method: "DELETE", path: modelPath(r.full_name) }, options);
  }

  /** `PUT …/aliases/{alias}`: points the alias at `version_num` (moving it if set). */
  async setAlias(
    req: SetRegisteredModelAliasRequest,
    options?: RequestOptions,
  ): Promise<RegisteredModelAlias> {
    const r = validate(setAliasRequest, req, "registeredModels.setAlias request");
    const res = await this.request(
      {
        method: "PUT",
        path: `${modelPath(r.full_name)}${encodePath`/aliases/${r.alias}`}`,
        body: { version_num: r.version_num },
      },
      options,
    );
    return parseLenient(aliasSchema, res);
  }

  /** `DELETE …/aliases/{alias}`. */
  async deleteAlias(req: DeleteRegisteredModelAliasRequest, options?: RequestOptions): Promise<void> {
    const r = validate(deleteAliasRequest, req, "registeredModels.deleteAlias request");
    await this.request(
      { method: "DELETE", path: `${modelPath(r.full_name)}${encodePath`/aliases/${r.alias}`}` },
      options,
    );
  }

  /**
   * The model, created when missing. A create that fails because the model now exists (another
   * caller, or our own attempt whose answer was lost) reads it instead; one lost before it was
   * applied is sent again.
   */
  async getOrCreate(
    req: CreateRegisteredModelRequest,
    options?: RequestOptions,
  ): Promise<GetOrCreateRegisteredModelResult> {
    const r = validate(createRequest, req, "registeredModels.getOrCreate request");
    const full_name = `${r.catalog_name}.${r.schema_name}.${r.name}`;
    const existing = await this.find(full_name, options);
    if (existing) return { registered_model: existing, created: false };
    const { value, created } = await createOrFind(
      () => this.create(r, options),
      () => this.find(full_name, options),
    );
    return { registered_model: value, created };
  }

  private async find(full_name: string, options?: RequestOptions): Promise<RegisteredModelInfo | undefined> {
    try {
      return await this.get({ full_name }, options);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

/** The REST path of a model; the full name stays one segment (its dots need no encoding). */
export function modelPath(fullName: string): string {
  return encodePath`/api/2.1/unity-catalog/models/${fullName}`;
}
