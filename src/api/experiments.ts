import { z } from "zod";
import { BrickmlError, isNotFound } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, parseNeeded, validate } from "../core/validation.js";
import { createOrFind } from "./ambiguous-failure.js";
import {
  type Experiment,
  experimentSchema,
  keyValueInput,
  mlflowKey,
  tagValue,
  VIEW_TYPES,
} from "./mlflow-schemas.js";

const BASE = "/api/2.0/mlflow/experiments";
const id = z.string().min(1);

const createRequest = z.looseObject({
  /** On Databricks, an absolute workspace path such as `/Users/me@example.com/churn`. */
  name: z.string().min(1),
  artifact_location: z.string().min(1).optional(),
  tags: z.array(keyValueInput).optional(),
});
const getRequest = z.looseObject({ experiment_id: id });
const getByNameRequest = z.looseObject({ experiment_name: z.string().min(1) });
const searchRequest = z.looseObject({
  /** e.g. `name LIKE '/Users/me%'` or `tags.team = 'ml'`. */
  filter: z.string().optional(),
  max_results: z.number().int().min(1).max(3000).optional(),
  order_by: z.array(z.string()).optional(),
  view_type: z.enum(VIEW_TYPES).optional(),
});
const setTagRequest = z.looseObject({ experiment_id: id, key: mlflowKey, value: tagValue });

const createResponse = z.looseObject({ experiment_id: z.string() });
const getResponse = z.looseObject({ experiment: experimentSchema });
const searchResponse = z.looseObject({
  experiments: z.array(experimentSchema).optional(),
  next_page_token: z.string().optional(),
});

export type CreateExperimentRequest = z.input<typeof createRequest>;
export type GetExperimentRequest = z.input<typeof getRequest>;
export type GetExperimentByNameRequest = z.input<typeof getByNameRequest>;
export type SearchExperimentsRequest = z.input<typeof searchRequest>;
export type SetExperimentTagRequest = z.input<typeof setTagRequest>;
export type CreateExperimentResponse = z.output<typeof createResponse>;
export type GetExperimentResponse = z.output<typeof getResponse>;

export interface GetOrCreateExperimentResult {
  experiment: Experiment;
  /** True when this call created it. */
  created: boolean;
}

/**
 * MLflow experiments (`/api/2.0/mlflow/experiments/…`). The official SDKs keep experiments and
 * runs in one `ExperimentsAPI`; here runs have their own client, `db.runs`, so each method reads
 * as what it acts on (`db.experiments.create`, `db.runs.create`).
 */
export class ExperimentsAPI extends Service {
  /** `POST experiments/create`; fails with AlreadyExistsError when the name is taken. */
  async create(req: CreateExperimentRequest, options?: RequestOptions): Promise<CreateExperimentResponse> {
    const body = validate(createRequest, req, "experiments.create request");
    const res = await this.request({ method: "POST", path: `${BASE}/create`, body }, options);
    return parseLenient(createResponse, res);
  }

  /** `GET experiments/get` (also returns deleted experiments). */
  async get(req: GetExperimentRequest, options?: RequestOptions): Promise<GetExperimentResponse> {
    const r = validate(getRequest, req, "experiments.get request");
    const res = await this.request(
      { method: "GET", path: `${BASE}/get`, query: { experiment_id: r.experiment_id } },
      options,
    );
    return parseLenient(getResponse, res);
  }

  /** `GET experiments/get-by-name`; prefers the active experiment when a deleted one shares the name. */
  async getByName(req: GetExperimentByNameRequest, options?: RequestOptions): Promise<GetExperimentResponse> {
    const r = validate(getByNameRequest, req, "experiments.getByName request");
    const res = await this.request(
      { method: "GET", path: `${BASE}/get-by-name`, query: { experiment_name: r.experiment_name } },
      options,
    );
    return parseLenient(getResponse, res);
  }

  /**
   * The experiment with this name, created when missing. Safe under concurrency and retries: a
   * create that fails because the name was just taken (by another caller, or by our own attempt
   * whose answer was lost) re-reads the experiment by name.
   */
  async getOrCreate(
    req: CreateExperimentRequest,
    options?: RequestOptions,
  ): Promise<GetOrCreateExperimentResult> {
    const r = validate(createRequest, req, "experiments.getOrCreate request");
    const existing = await this.findByName(r.name, options);
    if (existing) return { experiment: existing, created: false };
    const { value, created } = await createOrFind(
      async () => {
        const { experiment_id } = await this.create(r, options);
        return (await this.get({ experiment_id }, options)).experiment;
      },
      () => this.findByName(r.name, options),
    );
    return { experiment: value, created };
  }

  /** `POST experiments/search`, every page. */
  search(req: SearchExperimentsRequest = {}, options?: RequestOptions): Paginated<Experiment> {
    const r = validate(searchRequest, req, "experiments.search request");
    return tokenPaginated<Experiment>(async (page_token) => {
      const res = await this.request(
        { method: "POST", path: `${BASE}/search`, body: { ...r, page_token }, idempotent: true },
        options,
      );
      return parseLenient(searchResponse, res);
    }, "experiments");
  }

  /** `POST experiments/delete`: marks it deleted (restorable); its runs go with it. */
  async delete(req: GetExperimentRequest, options?: RequestOptions): Promise<void> {
    const body = validate(getRequest, req, "experiments.delete request");
    await this.request({ method: "POST", path: `${BASE}/delete`, body, idempotent: true }, options);
  }

  /** `POST experiments/set-experiment-tag`. */
  async setTag(req: SetExperimentTagRequest, options?: RequestOptions): Promise<void> {
    const body = validate(setTagRequest, req, "experiments.setTag request");
    await this.request(
      { method: "POST", path: `${BASE}/set-experiment-tag`, body, idempotent: true },
      options,
    );
  }

  private async findByName(name: string, options?: RequestOptions): Promise<Experiment | undefined> {
    try {
      const res = await this.getByName({ experiment_name: name }, options);
      const { experiment } = parseNeeded(getResponse, res, "experiments.getByName response");
      if (experiment.lifecycle_stage === "deleted") {
        throw new BrickmlError(
          `The experiment ${JSON.stringify(name)} (id ${experiment.experiment_id}) is deleted; ` +
            "restore it or choose another name.",
        );
      }
      return experiment;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}
