import type { Databricks } from "../client.js";
import { BrickmlError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import type { WaitOptions } from "../core/wait.js";
import type { ModelVersion } from "./model-version.js";

type Endpoint = Awaited<ReturnType<Databricks["servingEndpoints"]["get"]>>;
type Metrics = Awaited<ReturnType<Databricks["servingEndpoints"]["exportMetrics"]>>;

export interface PredictOptions extends RequestOptions {
  /** Rows per request (default 1000). */
  batchSize?: number;
  /** Requests in flight (default 4). */
  concurrency?: number;
}

export interface RolloutStepOptions {
  /** Return once the update is accepted instead of when it serves. */
  wait?: boolean;
  waitOptions?: WaitOptions<Endpoint>;
  requestOptions?: RequestOptions;
}

/** A Model Serving endpoint, by name. */
export class ServingEndpoint {
  constructor(
    private readonly db: Databricks,
    readonly name: string,
  ) {}

  /** The endpoint's page in the workspace UI. */
  get url(): string {
    return `${this.db.config.host}/ml/endpoints/${encodeURIComponent(this.name)}`;
  }

  async refresh(options?: RequestOptions): Promise<Endpoint> {
    return this.db.servingEndpoints.get({ name: this.name }, options);
  }

  async waitUntilReady(options: WaitOptions<Endpoint> = {}): Promise<Endpoint> {
    return this.db.servingEndpoints.waitUntilEndpointReady({ name: this.name }, options);
  }

  /** Predictions for `rows` in input order, sent in batches with bounded concurrency. */
  async predict<P = unknown>(
    rows: ReadonlyArray<Record<string, unknown> | unknown[]>,
    options: PredictOptions = {},
  ): Promise<P[]> {
    const res = await this.db.servingEndpoints.predictBatched<P>(this.name, rows, options);
    return res.predictions;
  }

  /** Sends `percent` % of the traffic to `version`, next to the version serving now. */
  async canary(version: ModelVersion, percent: number, options: RolloutStepOptions = {}): Promise<Endpoint> {
    const current = await this.refresh(options.requestOptions);
    const base = current.config?.served_entities?.[0];
    if (!base)
      throw new BrickmlError(`Serving endpoint ${this.name} serves nothing yet; deploy a version first`);
    const entity = version.servedEntity({
      workloadSize: base.workload_size ?? undefined,
      scaleToZero: base.scale_to_zero_enabled ?? undefined,
      workloadType: base.workload_type ?? undefined,
    });
    return this.db.servingEndpoints.canary(this.name, entity, percent, options);
  }

  /** Gives the newest served entity (or `entityName`) all the traffic and drops the others. */
  async promote(entityName?: string, options: RolloutStepOptions = {}): Promise<Endpoint> {
    return this.db.servingEndpoints.promote(this.name, entityName, options);
  }

  /** Returns to the config the last rollout replaced. */
  async rollback(options: RolloutStepOptions = {}): Promise<Endpoint> {
    return this.db.servingEndpoints.rollback(this.name, options);
  }

  /** Recent server logs of a served entity (default: the first one). */
  async logs(servedModelName?: string, options?: RequestOptions): Promise<string> {
    const entity = servedModelName ?? (await this.firstEntity(options));
    return (await this.db.servingEndpoints.logs({ name: this.name, served_model_name: entity }, options))
      .logs;
  }

  async buildLogs(servedModelName?: string, options?: RequestOptions): Promise<string> {
    const entity = servedModelName ?? (await this.firstEntity(options));
    return (await this.db.servingEndpoints.buildLogs({ name: this.name, served_model_name: entity }, options))
      .logs;
  }

  /** Prometheus metrics, parsed. */
  async metrics(options?: RequestOptions): Promise<Metrics> {
    return this.db.servingEndpoints.exportMetrics({ name: this.name }, options);
  }

  async delete(options?: RequestOptions): Promise<void> {
    await this.db.servingEndpoints.delete({ name: this.name }, options);
  }

  private async firstEntity(options?: RequestOptions): Promise<string> {
    const e = await this.refresh(options);
    const name = e.config?.served_entities?.[0]?.name ?? e.pending_config?.served_entities?.[0]?.name;
    if (!name) throw new BrickmlError(`Serving endpoint ${this.name} has no served entity`);
    return String(name);
  }
}
