import type { Readable } from "node:stream";
import { abortReason } from "../core/clock.js";
import {
  BrickmlError,
  isAlreadyExists,
  isNotFound,
  OperationFailedError,
  ValidationError,
} from "../core/errors.js";
import { encodePath, type RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, parseNeeded, validate } from "../core/validation.js";
import type { Outcome, PollSchedule, Waiter, WaitOptions } from "../core/wait.js";
import { configDifferences, subsetDifferences } from "./serving-deploy.js";
import {
  type AiGatewayConfig,
  type AiGatewayConfigOutput,
  aiGatewayConfig,
  type CreateServingEndpointRequest,
  createRequest,
  type EndpointCoreConfigInput,
  type EndpointTag,
  listResponse,
  logsResponse,
  nameRequest,
  type PatchTagsRequest,
  type PutAiGatewayRequest,
  type PutRateLimitsRequest,
  patchRequest,
  permissionLevelsResponse,
  permissionsIdRequest,
  permissionsRequest,
  permissionsResponse,
  putAiGatewayRequest,
  putRequest,
  rateLimitsResponse,
  type ServedEntityInput,
  type ServedEntityOutput,
  type ServedModelRequest,
  type ServingEndpoint,
  type ServingEndpointDetailed,
  type ServingEndpointPermissionLevels,
  type ServingEndpointPermissions,
  type ServingEndpointPermissionsRequest,
  servedEntityInput,
  servedModelRequest,
  servingEndpointDetailed,
  servingEndpointSummary,
  tagsResponse,
  type UpdateConfigRequest,
  updateConfigRequest,
} from "./serving-endpoints-schemas.js";
import { parsePrometheusText, type ServingMetrics } from "./serving-metrics.js";
import {
  batchRanges,
  parseEventStream,
  type QueryRequest,
  type QueryResponse,
  queryBody,
  queryRequest,
  runBounded,
  toQueryResponse,
} from "./serving-query.js";
import {
  decodePrevious,
  encodePrevious,
  type PlannedConfig,
  PREVIOUS_CONFIG_TAG,
  planCanary,
  planPromote,
  planRollback,
  planShift,
} from "./serving-rollouts.js";

/** Endpoint builds take minutes; the official SDKs wait 20 minutes by default. */
const DEFAULT_WAIT_MS = 20 * 60_000;
/** Deployments take minutes, config-only updates less: poll at once, after 3 s, then up to every 7.5 s. */
const ENDPOINT_SCHEDULE: PollSchedule = { minDelayMs: 3000, maxDelayMs: 7500, growth: 1.25, jitter: 0.1 };
/** Build log lines carried by a failed update's error. */
const BUILD_LOG_TAIL_LINES = 20;

export interface RolloutOptions {
  /** Wait until the new config serves (default true). */
  wait?: boolean;
  waitOptions?: WaitOptions<ServingEndpointDetailed>;
  requestOptions?: RequestOptions;
}

export interface CreateOrUpdateOptions extends RolloutOptions {
  /** Applied on create; on an existing endpoint, added when missing or different. */
  tags?: EndpointTag[];
  /** Applied on create; on an existing endpoint, put again when a field you give differs. */
  ai_gateway?: AiGatewayConfig;
  /** Create-only fields. */
  route_optimized?: boolean;
  description?: string;
  budget_policy_id?: string;
}

export interface DeployResult {
  action: "created" | "updated" | "unchanged";
  /** Why the config was updated (empty unless `updated`). */
  differences: string[];
  endpoint: ServingEndpointDetailed;
}

/** A stepwise shift of traffic towards one of two served entities. */
export interface TrafficSteps {
  to: string;
  /** Percentages for `to`, applied in order, e.g. `[25, 50, 100]`; the other entity gets the rest. */
  steps: number[];
  /** Pause between steps (ms of the client's clock). */
  pauseMs?: number;
  /** Called after each step has rolled out; throw to stop the shift. */
  onStep?: (endpoint: ServingEndpointDetailed, percent: number) => void | Promise<void>;
}

/** Either explicit routes (entity name → percent) or a stepwise shift towards one entity. */
export type TrafficShift = Record<string, number> | TrafficSteps;

export interface PredictBatchedOptions extends RequestOptions {
  /** Rows per request (default 1000). */
  batchSize?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Object rows go as `dataframe_records` (default) or the more compact `dataframe_split`. */
  format?: "records" | "split";
  params?: Record<string, unknown>;
  served_model_name?: string;
}

/** One batch of a batched prediction: exactly one input form, and how many rows it holds. */
export interface PredictionBatch {
  /** E.g. `{ dataframe_split: { columns, data } }` or `{ dataframe_records: [...] }`. */
  input: object;
  /** Rows in the batch; the answer must carry as many predictions. */
  size: number;
}

export type PredictBatchesOptions = Omit<PredictBatchedOptions, "batchSize" | "format">;

export interface PredictBatchedResult<P> {
  /** One per input row, in input order. */
  predictions: P[];
  /** Which served entity answered each batch. */
  batches: Array<{ offset: number; size: number; served_model_name?: string | undefined }>;
}

/** Model Serving endpoints: `/api/2.0/serving-endpoints` and queries at `/serving-endpoints/{name}/invocations`. */
export class ServingEndpointsAPI extends Service {
  // ------------------------------------------------------------------ endpoints

  async create(
    req: CreateServingEndpointRequest,
    options?: RequestOptions,
  ): Promise<ServingEndpointDetailed> {
    const body = validate(createRequest, req, "servingEndpoints.create request");
    return this.postCreate(body, options, false);
  }

  /** Creates the endpoint and waits until its config is deployed and it is READY. */
  async createAndWait(
    req: CreateServingEndpointRequest,
    waitOptions: WaitOptions<ServingEndpointDetailed> = {},
    requestOptions?: RequestOptions,
  ): Promise<ServingEndpointDetailed> {
    const call = this.call(requestOptions, waitOptions);
    const created = endpointRead(await this.create(req, call));
    return this.readyWait(req.name, waitOptions, created.pending_config?.config_version, call);
  }

  async get(req: { name: string }, options?: RequestOptions): Promise<ServingEndpointDetailed> {
    const { name } = validate(nameRequest, req, "servingEndpoints.get request");
    const raw = await this.request(
      { method: "GET", path: encodePath`/api/2.0/serving-endpoints/${name}` },
      options,
    );
    return parseLenient(servingEndpointDetailed, raw);
  }

  /** All endpoints of the workspace (the API returns them in one page). */
  list(options?: RequestOptions): Paginated<ServingEndpoint> {
    return tokenPaginated<ServingEndpoint>(async (pageToken) => {
      const raw = await this.request(
        { method: "GET", path: "/api/2.0/serving-endpoints", query: { page_token: pageToken } },
        options,
      );
      const parsed = parseNeeded(listResponse, raw, "serving endpoints list");
      return {
        ...parsed,
        endpoints: (parsed.endpoints ?? []).map((e) => parseLenient(servingEndpointSummary, e)),
      };
    }, "endpoints");
  }

  async delete(req: { name: string }, options?: RequestOptions): Promise<void> {
    const { name } = validate(nameRequest, req, "servingEndpoints.delete request");
    await this.request({ method: "DELETE", path: encodePath`/api/2.0/serving-endpoints/${name}` }, options);
  }

  /** Replaces the served entities and/or traffic routes; the new config rolls out in the background. */
  async updateConfig(req: UpdateConfigRequest, options?: RequestOptions): Promise<ServingEndpointDetailed> {
    const { name, ...body } = validate(updateConfigRequest, req, "servingEndpoints.updateConfig request");
    const raw = await this.request(
      { method: "PUT", path: encodePath`/api/2.0/serving-endpoints/${name}/config`, body },
      options,
    );
    return parseLenient(servingEndpointDetailed, raw);
  }

  /** Updates the config and waits until it serves; a failed update rejects with `OperationFailedError`. */
  async updateConfigAndWait(
    req: UpdateConfigRequest,
    waitOptions: WaitOptions<ServingEndpointDetailed> = {},
    requestOptions?: RequestOptions,
  ): Promise<ServingEndpointDetailed> {
    const call = this.call(requestOptions, waitOptions);
    const updated = endpointRead(await this.updateConfig(req, call));
    return this.readyWait(req.name, waitOptions, updated.pending_config?.config_version, call);
  }

  /** Adds and removes endpoint tags. */
  async patch(req: PatchTagsRequest, options?: RequestOptions): Promise<{ tags?: EndpointTag[] }> {
    const { name, ...body } = validate(patchRequest, req, "servingEndpoints.patch request");
    const raw = await this.request(
      { method: "PATCH", path: encodePath`/api/2.0/serving-endpoints/${name}/tags`, body, idempotent: true },
      options,
    );
    return parseLenient(tagsResponse, raw);
  }

  /** Replaces the AI gateway config (inference tables, usage tracking, rate limits, guardrails). */
  async putAiGateway(req: PutAiGatewayRequest, options?: RequestOptions): Promise<AiGatewayConfigOutput> {
    const { name, ...body } = validate(putAiGatewayRequest, req, "servingEndpoints.putAiGateway request");
    const raw = await this.request(
      { method: "PUT", path: encodePath`/api/2.0/serving-endpoints/${name}/ai-gateway`, body },
      options,
    );
    return parseLenient(aiGatewayConfig, raw);
  }

  /** Replaces the (deprecated) endpoint rate limits; prefer `putAiGateway` rate limits. */
  async put(req: PutRateLimitsRequest, options?: RequestOptions): Promise<{ rate_limits?: unknown[] }> {
    const { name, ...body } = validate(putRequest, req, "servingEndpoints.put request");
    const raw = await this.request(
      { method: "PUT", path: encodePath`/api/2.0/serving-endpoints/${name}/rate-limits`, body },
      options,
    );
    return parseLenient(rateLimitsResponse, raw);
  }

  // ------------------------------------------------------------------ permissions (by endpoint id)

  async getPermissions(
    req: { serving_endpoint_id: string },
    options?: RequestOptions,
  ): Promise<ServingEndpointPermissions> {
    const { serving_endpoint_id: id } = validate(
      permissionsIdRequest,
      req,
      "servingEndpoints.getPermissions request",
    );
    const raw = await this.request(
      { method: "GET", path: encodePath`/api/2.0/permissions/serving-endpoints/${id}` },
      options,
    );
    return parseLenient(permissionsResponse, raw);
  }

  async getPermissionLevels(
    req: { serving_endpoint_id: string },
    options?: RequestOptions,
  ): Promise<ServingEndpointPermissionLevels> {
    const { serving_endpoint_id: id } = validate(
      permissionsIdRequest,
      req,
      "servingEndpoints.getPermissionLevels request",
    );
    const raw = await this.request(
      { method: "GET", path: encodePath`/api/2.0/permissions/serving-endpoints/${id}/permissionLevels` },
      options,
    );
    return parseLenient(permissionLevelsResponse, raw);
  }

  /** Replaces the endpoint's direct permissions. */
  async setPermissions(
    req: ServingEndpointPermissionsRequest,
    options?: RequestOptions,
  ): Promise<ServingEndpointPermissions> {
    return this.writePermissions("PUT", req, options);
  }

  /** Adds to the endpoint's direct permissions. */
  async updatePermissions(
    req: ServingEndpointPermissionsRequest,
    options?: RequestOptions,
  ): Promise<ServingEndpointPermissions> {
    return this.writePermissions("PATCH", req, options);
  }

  // ------------------------------------------------------------------ logs, metrics, schema

  /** Container build logs of one served entity. */
  async buildLogs(req: ServedModelRequest, options?: RequestOptions): Promise<{ logs: string }> {
    const { name, served_model_name } = validate(
      servedModelRequest,
      req,
      "servingEndpoints.buildLogs request",
    );
    const raw = await this.request(
      {
        method: "GET",
        path: encodePath`/api/2.0/serving-endpoints/${name}/served-models/${served_model_name}/build-logs`,
      },
      options,
    );
    return parseLenient(logsResponse, raw);
  }

  /** Recent server (model container) logs of one served entity. */
  async logs(req: ServedModelRequest, options?: RequestOptions): Promise<{ logs: string }> {
    const { name, served_model_name } = validate(servedModelRequest, req, "servingEndpoints.logs request");
    const raw = await this.request(
      {
        method: "GET",
        path: encodePath`/api/2.0/serving-endpoints/${name}/served-models/${served_model_name}/logs`,
      },
      options,
    );
    return parseLenient(logsResponse, raw);
  }

  /** Health metrics (Prometheus / OpenMetrics text), parsed into samples. */
  async exportMetrics(req: { name: string }, options?: RequestOptions): Promise<ServingMetrics> {
    const { name } = validate(nameRequest, req, "servingEndpoints.exportMetrics request");
    const text = await this.request<string>(
      {
        method: "GET",
        path: encodePath`/api/2.0/serving-endpoints/${name}/metrics`,
        headers: { Accept: "text/plain" },
        responseType: "text",
      },
      options,
    );
    return parsePrometheusText(String(text));
  }

  /** The OpenAPI document of the endpoint's query interface. */
  async getOpenApi(req: { name: string }, options?: RequestOptions): Promise<Record<string, unknown>> {
    const { name } = validate(nameRequest, req, "servingEndpoints.getOpenApi request");
    return this.request(
      { method: "GET", path: encodePath`/api/2.0/serving-endpoints/${name}/openapi` },
      options,
    );
  }

  // ------------------------------------------------------------------ waiting

  /**
   * Waits until no config update is in progress and the endpoint is READY. A failed or canceled
   * update rejects with `OperationFailedError` carrying the served entities' state messages and
   * the tail of their build logs. `configVersion`: also wait until at least that version serves.
   */
  waitUntilEndpointReady(
    req: { name: string },
    options: WaitOptions<ServingEndpointDetailed> = {},
    configVersion?: number,
  ): Promise<ServingEndpointDetailed> {
    const { name } = validate(nameRequest, req, "servingEndpoints.waitUntilEndpointReady request");
    return this.readyWait(name, options, configVersion, this.call(undefined, options));
  }

  /** `waitUntilEndpointReady` within a call whose options are fixed. */
  private readyWait(
    name: string,
    options: WaitOptions<ServingEndpointDetailed>,
    configVersion: number | undefined,
    call: RequestOptions,
  ): Promise<ServingEndpointDetailed> {
    return this.wait(
      this.readyWaiter(name, configVersion, call),
      options,
      DEFAULT_WAIT_MS,
      call,
      ENDPOINT_SCHEDULE,
    );
  }

  private readyWaiter(
    name: string,
    configVersion: number | undefined,
    call: RequestOptions,
  ): Waiter<ServingEndpointDetailed, ServingEndpointDetailed> {
    return {
      what: `serving endpoint ${name} to be READY`,
      poll: (signal) => this.read(name, { ...call, signal }),
      state: (e) => `${e.state?.ready ?? "UNKNOWN"}/${e.state?.config_update ?? "UNKNOWN"}`,
      message: (e) => describeEntities(e),
      url: () => `${this.ctx.host}/ml/endpoints/${encodeURIComponent(name)}`,
      outcome: async (e): Promise<Outcome<ServingEndpointDetailed>> => {
        const update = e.state?.config_update;
        if (update === "UPDATE_FAILED" || update === "UPDATE_CANCELED") {
          // A read from before our update took effect still shows an earlier update's failure.
          const failedVersion = e.pending_config?.config_version;
          if (configVersion !== undefined && failedVersion !== undefined && failedVersion < configVersion) {
            return undefined;
          }
          return { failed: await this.updateFailure(name, e, call) };
        }
        if (update !== "NOT_UPDATING") return undefined;
        if (e.state?.ready === "READY") {
          const version = e.config?.config_version;
          return configVersion === undefined || version === undefined || version >= configVersion
            ? { done: e }
            : undefined;
        }
        if (!e.config && !e.pending_config) {
          return {
            failed: new OperationFailedError(
              `Serving endpoint ${name} has no config to serve; give it served entities with updateConfig`,
              update,
              { endpoint: name },
            ),
          };
        }
        return undefined;
      },
    };
  }

  /** The error for a failed update: each failing entity's state message and build log tail. */
  private async updateFailure(
    name: string,
    e: ServingEndpointDetailed,
    call: RequestOptions,
  ): Promise<OperationFailedError> {
    const entities = (e.pending_config?.served_entities ??
      e.config?.served_entities ??
      []) as ServedEntityOutput[];
    const failing = entities.filter((s) => s.state?.deployment === "DEPLOYMENT_FAILED");
    const shown = failing.length
      ? failing
      : entities.filter((s) => s.state?.deployment !== "DEPLOYMENT_READY");
    const details = await Promise.all(
      shown.map(async (s) => {
        const served = String(s.name);
        const logs = await this.buildLogs({ name, served_model_name: served }, call).catch(() => undefined);
        const tail = logs?.logs.trimEnd().split("\n").slice(-BUILD_LOG_TAIL_LINES).join("\n");
        return {
          name: served,
          deployment: s.state?.deployment,
          message: s.state?.deployment_state_message,
          buildLogTail: tail || undefined,
        };
      }),
    );
    const update = e.state?.config_update;
    const lines = [`Serving endpoint ${name} config update ended in ${update}`];
    for (const d of details) {
      lines.push(`  ${d.name}: ${d.deployment ?? "unknown state"}${d.message ? ` - ${d.message}` : ""}`);
      if (d.buildLogTail)
        lines.push(`  build log of ${d.name} (last lines):`, indent(d.buildLogTail, "    "));
    }
    return new OperationFailedError(lines.join("\n"), update, { endpoint: name, servedEntities: details });
  }

  /** Waits until no update is in progress, whatever its outcome (someone else's update). */
  private waitUntilIdle(
    name: string,
    options: WaitOptions<ServingEndpointDetailed>,
    call: RequestOptions,
  ): Promise<ServingEndpointDetailed> {
    return this.wait(
      {
        what: `serving endpoint ${name} to finish its config update`,
        poll: (signal) => this.read(name, { ...call, signal }),
        state: (e) => `${e.state?.ready ?? "UNKNOWN"}/${e.state?.config_update ?? "UNKNOWN"}`,
        outcome: (e) => (e.state?.config_update === "IN_PROGRESS" ? undefined : { done: e }),
      },
      options,
      DEFAULT_WAIT_MS,
      call,
      ENDPOINT_SCHEDULE,
    );
  }

  // ------------------------------------------------------------------ idempotent deploy

  /**
   * Makes the endpoint serve `config`: creates it when absent, updates the config when a field
   * you give differs, does nothing when it matches. A create that is retried (or races another
   * deploy) and meets RESOURCE_ALREADY_EXISTS re-reads the endpoint and compares. Waits until the
   * config serves unless `wait: false`.
   */
  async createOrUpdate(
    name: string,
    config: EndpointCoreConfigInput,
    options: CreateOrUpdateOptions = {},
  ): Promise<DeployResult> {
    const { wait = true, waitOptions = {}, requestOptions, tags, ai_gateway, ...createOnly } = options;
    const call = this.call(requestOptions, waitOptions);
    const createBody = validate(
      createRequest,
      { name, config, ...(tags ? { tags } : {}), ...(ai_gateway ? { ai_gateway } : {}), ...createOnly },
      "servingEndpoints.createOrUpdate request",
    );
    const wanted = createBody.config!;

    let endpoint = await this.read(name, call).catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    if (!endpoint) {
      try {
        // Safe to repeat: a repeat that finds the endpoint is handled below like any existing one.
        const created = endpointRead(await this.postCreate(createBody, call, true));
        const ready = wait
          ? await this.readyWait(name, waitOptions, created.pending_config?.config_version, call)
          : created;
        return { action: "created", differences: [], endpoint: ready };
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        endpoint = await this.read(name, call);
      }
    }

    if (endpoint.state?.config_update === "IN_PROGRESS") {
      if (configDifferences(wanted, endpoint.pending_config).length === 0) {
        await this.converge(endpoint, { tags, ai_gateway }, call);
        const ready = wait ? await this.readyWait(name, waitOptions, undefined, call) : endpoint;
        return { action: "unchanged", differences: [], endpoint: ready };
      }
      // Another update is rolling out; a PUT now would be rejected.
      endpoint = await this.waitUntilIdle(name, waitOptions, call);
    }

    const differences = configDifferences(wanted, endpoint.config);
    await this.converge(endpoint, { tags, ai_gateway }, call);
    if (differences.length === 0) {
      const ready =
        wait && endpoint.state?.ready !== "READY"
          ? await this.readyWait(name, waitOptions, undefined, call)
          : endpoint;
      return { action: "unchanged", differences, endpoint: ready };
    }
    await this.recordPrevious(endpoint, call);
    const updated = endpointRead(await this.updateConfig({ name, ...wanted }, call));
    const ready = wait
      ? await this.readyWait(name, waitOptions, updated.pending_config?.config_version, call)
      : updated;
    return { action: "updated", differences, endpoint: ready };
  }

  /** Brings tags and AI gateway settings in line with what a deploy asked for. */
  private async converge(
    endpoint: ServingEndpointDetailed,
    wanted: { tags?: EndpointTag[] | undefined; ai_gateway?: AiGatewayConfig | undefined },
    options: RequestOptions | undefined,
  ): Promise<void> {
    const name = String(endpoint.name);
    if (wanted.tags?.length) {
      const have = new Map((endpoint.tags ?? []).map((t) => [t.key, t.value ?? ""]));
      const add = wanted.tags.filter((t) => have.get(t.key) !== (t.value ?? ""));
      if (add.length) await this.patch({ name, add_tags: add }, options);
    }
    if (wanted.ai_gateway) {
      const diffs: string[] = [];
      subsetDifferences(wanted.ai_gateway, endpoint.ai_gateway ?? {}, "ai_gateway", diffs);
      if (diffs.length) await this.putAiGateway({ name, ...wanted.ai_gateway }, options);
    }
  }

  // ------------------------------------------------------------------ rollouts

  /** Serves `candidate` next to the stable entity with `percent` % of the traffic. */
  async canary(
    name: string,
    candidate: ServedEntityInput,
    percent: number,
    options: RolloutOptions = {},
  ): Promise<ServingEndpointDetailed> {
    const entity = validate(servedEntityInput, candidate, "servingEndpoints.canary entity");
    if (!Number.isInteger(percent) || percent <= 0 || percent >= 100) {
      throw new ValidationError("servingEndpoints.canary", [
        { path: "percent", message: "must be a whole number between 1 and 99" },
      ]);
    }
    const call = this.rolloutCall(options);
    const endpoint = await this.settled(name, call);
    return this.applyPlan(endpoint, planCanary(endpoint.config!, entity, percent), true, call);
  }

  /** Changes the traffic split: explicit routes, or steps towards one entity (e.g. 25 → 50 → 100 %). */
  async shiftTraffic(
    name: string,
    shift: TrafficShift,
    options: RolloutOptions = {},
  ): Promise<ServingEndpointDetailed> {
    const call = this.rolloutCall(options);
    let endpoint = await this.settled(name, call);
    if (!("steps" in shift && Array.isArray(shift.steps))) {
      return this.applyPlan(
        endpoint,
        planShift(endpoint.config!, shift as Record<string, number>),
        false,
        call,
      );
    }
    const { to, steps, pauseMs = 0, onStep } = shift as TrafficSteps;
    const bad = steps.find((p) => !Number.isInteger(p) || p < 0 || p > 100);
    if (bad !== undefined || steps.length === 0) {
      throw new ValidationError("servingEndpoints.shiftTraffic", [
        { path: "steps", message: "must be one or more whole percentages between 0 and 100" },
      ]);
    }
    const names = (endpoint.config?.served_entities ?? []).map((e) => String(e.name));
    const others = names.filter((n) => n !== to);
    if (others.length !== 1 || !names.includes(to)) {
      throw new BrickmlError(
        `Stepwise shifts need exactly two served entities, one named "${to}" (serves ${names.join(", ")})`,
      );
    }
    for (const [i, percent] of steps.entries()) {
      const routes = { [to]: percent, [others[0]!]: 100 - percent };
      endpoint = await this.applyPlan(endpoint, planShift(endpoint.config!, routes), false, {
        ...call,
        wait: true,
      });
      await onStep?.(endpoint, percent);
      if (pauseMs > 0 && i < steps.length - 1) {
        await this.ctx.clock.sleep(pauseMs, call.requestOptions?.signal);
      }
    }
    return endpoint;
  }

  /** Gives `entityName` (default: the newest entity) all the traffic and drops the others. */
  async promote(
    name: string,
    entityName?: string,
    options: RolloutOptions = {},
  ): Promise<ServingEndpointDetailed> {
    const call = this.rolloutCall(options);
    const endpoint = await this.settled(name, call);
    return this.applyPlan(endpoint, planPromote(endpoint.config!, entityName), true, call);
  }

  /**
   * Goes back to the config the last rollout replaced (recorded in the endpoint tag
   * `brickml_previous_config`); with no record, ends a running canary by keeping the oldest entity.
   * The config rolled back from is recorded in turn, so a second rollback undoes the first.
   */
  async rollback(name: string, options: RolloutOptions = {}): Promise<ServingEndpointDetailed> {
    const call = this.rolloutCall(options);
    const endpoint = await this.settled(name, call);
    const tag = endpoint.tags?.find((t) => t.key === PREVIOUS_CONFIG_TAG)?.value;
    return this.applyPlan(endpoint, planRollback(endpoint.config!, decodePrevious(tag)), true, call);
  }

  /** A rollout's options with the call's options fixed once for all its steps. */
  private rolloutCall(options: RolloutOptions): RolloutOptions {
    return { ...options, requestOptions: this.call(options.requestOptions, options.waitOptions) };
  }

  /** The endpoint, once no update is rolling out; rollouts start from a served config. */
  private async settled(name: string, options: RolloutOptions): Promise<ServingEndpointDetailed> {
    const call = options.requestOptions ?? {};
    let endpoint = await this.read(name, call);
    if (endpoint.state?.config_update === "IN_PROGRESS")
      endpoint = await this.waitUntilIdle(name, options.waitOptions ?? {}, call);
    if (!endpoint.config) throw new BrickmlError(`Serving endpoint ${name} serves no config yet`);
    return endpoint;
  }

  private async applyPlan(
    endpoint: ServingEndpointDetailed,
    plan: PlannedConfig,
    changesEntities: boolean,
    options: RolloutOptions,
  ): Promise<ServingEndpointDetailed> {
    const name = String(endpoint.name);
    if (changesEntities) await this.recordPrevious(endpoint, options.requestOptions);
    const req = { name, ...plan } as UpdateConfigRequest;
    return options.wait === false
      ? this.updateConfig(req, options.requestOptions)
      : this.updateConfigAndWait(req, options.waitOptions, options.requestOptions);
  }

  /** Records the served config in the endpoint tag, before it is replaced, so it can be rolled back to. */
  private async recordPrevious(
    endpoint: ServingEndpointDetailed,
    options: RequestOptions | undefined,
  ): Promise<void> {
    const value = encodePrevious(endpoint.config);
    if (value === undefined) {
      if (endpoint.config) {
        this.ctx.transport.settings.logger.warn(
          `Serving endpoint ${endpoint.name}: its config cannot be recorded for rollback (external models or too long)`,
        );
      }
      return;
    }
    await this.patch(
      { name: String(endpoint.name), add_tags: [{ key: PREVIOUS_CONFIG_TAG, value }] },
      options,
    );
  }

  // ------------------------------------------------------------------ queries

  /**
   * Queries the endpoint. Not retried on 5xx (a query is not idempotent), only on 429/503 and
   * failed connects; uses the client's query timeout unless `options.timeout` says otherwise.
   */
  async query<P = unknown>(req: QueryRequest, options?: RequestOptions): Promise<QueryResponse<P>> {
    return this.sendQuery<P>(req, options, false);
  }

  /** `repeatable`: the query may be sent again after a 5xx or a broken connection. */
  private async sendQuery<P>(
    req: QueryRequest,
    options: RequestOptions | undefined,
    repeatable: boolean,
  ): Promise<QueryResponse<P>> {
    const valid = validate(queryRequest, req, "servingEndpoints.query request");
    if (valid.stream) {
      throw new ValidationError("servingEndpoints.query request", [
        { path: "stream", message: "use queryStream for streaming responses" },
      ]);
    }
    const res = await this.ctx.transport.send(
      {
        method: "POST",
        path: invocationsPath(valid),
        body: queryBody(valid),
        kind: "query",
        idempotent: repeatable,
      },
      options,
    );
    return toQueryResponse<P>(res.data, res.headers["served-model-name"]);
  }

  /**
   * Queries with `stream: true` and yields each parsed `data:` chunk until `[DONE]`. Stopping the
   * loop early closes the connection.
   */
  queryStream<C = unknown>(req: QueryRequest, options: RequestOptions = {}): AsyncIterable<C> {
    const valid = validate(queryRequest, { ...req, stream: true }, "servingEndpoints.queryStream request");
    const transport = this.ctx.transport;
    return {
      async *[Symbol.asyncIterator]() {
        const res = await transport.send<Readable>(
          {
            method: "POST",
            path: invocationsPath(valid),
            body: queryBody(valid),
            kind: "query",
            idempotent: false,
            responseType: "stream",
            headers: { Accept: "text/event-stream" },
          },
          options,
        );
        const stream = res.data;
        const signal = options.signal;
        const onAbort = () => stream.destroy(abortReason(signal!));
        signal?.addEventListener("abort", onAbort, { once: true });
        try {
          for await (const chunk of parseEventStream(stream)) yield chunk as C;
        } finally {
          signal?.removeEventListener("abort", onAbort);
          stream.destroy();
        }
      },
    };
  }

  /**
   * Predicts many rows: splits them into batches sent with bounded concurrency and returns the
   * predictions in input order. Object rows go as dataframe records (or split), array rows as
   * instances. Unlike `query`, a batch is retried after a 5xx or a broken connection.
   */
  async predictBatched<P = unknown>(
    name: string,
    rows: ReadonlyArray<Record<string, unknown> | unknown[]>,
    options: PredictBatchedOptions = {},
  ): Promise<PredictBatchedResult<P>> {
    const {
      batchSize = 1000,
      concurrency = 4,
      format = "records",
      params,
      served_model_name,
      ...requestOptions
    } = options;
    const issues = [
      ...(Array.isArray(rows) ? [] : [{ path: "rows", message: "must be an array" }]),
      ...(Number.isInteger(batchSize) && batchSize > 0
        ? []
        : [{ path: "batchSize", message: "must be a whole number above 0" }]),
      ...(Number.isInteger(concurrency) && concurrency > 0
        ? []
        : [{ path: "concurrency", message: "must be a whole number above 0" }]),
    ];
    if (issues.length) throw new ValidationError("servingEndpoints.predictBatched", issues);
    validate(nameRequest, { name }, "servingEndpoints.predictBatched request");
    const ranges = batchRanges(rows.length, batchSize);
    return this.predictBatches<P>(
      name,
      ranges.length,
      (i) => {
        const [offset, size] = ranges[i]!;
        return { input: batchInput(rows.slice(offset, offset + size), format), size };
      },
      {
        concurrency,
        ...(params ? { params } : {}),
        ...(served_model_name ? { served_model_name } : {}),
        ...requestOptions,
      },
    );
  }

  /**
   * Sends `count` batches with at most `concurrency` requests in flight and returns the
   * predictions in batch order. `batchAt(i)` makes batch `i` when a request slot frees up, in
   * batch order, so only the batches in flight exist at once: a generator of payloads can back it
   * (see `dataframeSplitBatches`). Each answer must carry one prediction per row of its batch; the
   * first failing batch rejects the call and stops the others. Unlike `query`, a batch is retried
   * after a 5xx or a broken connection.
   */
  async predictBatches<P = unknown>(
    name: string,
    count: number,
    batchAt: (index: number) => PredictionBatch,
    options: PredictBatchesOptions = {},
  ): Promise<PredictBatchedResult<P>> {
    const { concurrency = 4, params, served_model_name, ...rest } = options;
    const requestOptions = this.call(rest);
    const issues = [
      ...(Number.isInteger(count) && count >= 0
        ? []
        : [{ path: "count", message: "must be a whole number" }]),
      ...(Number.isInteger(concurrency) && concurrency > 0
        ? []
        : [{ path: "concurrency", message: "must be a whole number above 0" }]),
    ];
    if (issues.length) throw new ValidationError("servingEndpoints.predictBatches", issues);
    validate(nameRequest, { name }, "servingEndpoints.predictBatches request");
    const batches: PredictBatchedResult<P>["batches"] = [];
    let rowsSoFar = 0;
    const answers = await runBounded(
      count,
      concurrency,
      async (i, signal) => {
        // Slots ask in batch order, so offsets can be counted as batches are made.
        const { input, size } = batchAt(i);
        const offset = rowsSoFar;
        rowsSoFar += size;
        // Predicting rows changes nothing on the server (a repeat only logs one more inference
        // record), so a batch lost to a 5xx or a broken connection is sent again.
        const res = await this.sendQuery<P>(
          {
            name,
            ...(served_model_name ? { served_model_name } : {}),
            ...(params ? { params } : {}),
            ...input,
          } as QueryRequest,
          { ...requestOptions, signal },
          true,
        );
        if (!Array.isArray(res.predictions) || res.predictions.length !== size) {
          throw new BrickmlError(
            `Rows ${offset}-${offset + size - 1}: expected ${size} predictions, got ${
              Array.isArray(res.predictions) ? res.predictions.length : "no predictions list"
            }; cannot keep row order`,
          );
        }
        batches[i] = { offset, size, served_model_name: res.served_model_name };
        return res.predictions as P[];
      },
      requestOptions.signal,
    );
    return { predictions: answers.flat() as P[], batches };
  }

  // ------------------------------------------------------------------ internals

  /** `get`, for the client's own decisions: an answer it cannot read is an UnexpectedResponseError. */
  private async read(name: string, options?: RequestOptions): Promise<ServingEndpointDetailed> {
    return endpointRead(await this.get({ name }, options));
  }

  private async postCreate(
    body: Record<string, unknown>,
    options: RequestOptions | undefined,
    retrySafe: boolean,
  ): Promise<ServingEndpointDetailed> {
    const raw = await this.request(
      { method: "POST", path: "/api/2.0/serving-endpoints", body, idempotent: retrySafe },
      options,
    );
    return parseLenient(servingEndpointDetailed, raw);
  }

  private async writePermissions(
    method: "PUT" | "PATCH",
    req: ServingEndpointPermissionsRequest,
    options: RequestOptions | undefined,
  ): Promise<ServingEndpointPermissions> {
    const verb = method === "PUT" ? "setPermissions" : "updatePermissions";
    const { serving_endpoint_id: id, ...body } = validate(
      permissionsRequest,
      req,
      `servingEndpoints.${verb} request`,
    );
    const raw = await this.request(
      { method, path: encodePath`/api/2.0/permissions/serving-endpoints/${id}`, body, idempotent: true },
      options,
    );
    return parseLenient(permissionsResponse, raw);
  }
}

function invocationsPath(req: { name: string; served_model_name?: string | undefined }): string {
  return req.served_model_name
    ? encodePath`/serving-endpoints/${req.name}/served-models/${req.served_model_name}/invocations`
    : encodePath`/serving-endpoints/${req.name}/invocations`;
}

function batchInput(rows: ReadonlyArray<Record<string, unknown> | unknown[]>, format: "records" | "split") {
  if (Array.isArray(rows[0])) return { instances: rows as unknown[] };
  const records = rows as Array<Record<string, unknown>>;
  if (format === "records") return { dataframe_records: records };
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return { dataframe_split: { columns, data: records.map((r) => columns.map((c) => r[c] ?? null)) } };
}

function describeEntities(e: ServingEndpointDetailed): string | undefined {
  const entities = (e.pending_config?.served_entities ??
    e.config?.served_entities ??
    []) as ServedEntityOutput[];
  if (!entities.length) return undefined;
  return entities
    .map((s) => {
      const msg = s.state?.deployment_state_message;
      return `${s.name}: ${s.state?.deployment ?? "UNKNOWN"}${msg ? ` (${msg})` : ""}`;
    })
    .join("; ");
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}

export { PREVIOUS_CONFIG_TAG } from "./serving-rollouts.js";

function endpointRead(raw: unknown): ServingEndpointDetailed {
  return parseNeeded(servingEndpointDetailed, raw, "serving endpoint response");
}
