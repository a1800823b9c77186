import type { Table } from "apache-arrow";
import type { Databricks } from "../client.js";
import { fixCall } from "../core/call.js";
import { BrickmlError, isOperationFailed, ValidationError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { traceStep } from "../core/telemetry.js";
import type { WaitOptions } from "../core/wait.js";
import { joinPredictions } from "../data/arrow.js";
import { DEFAULT_BATCH_SIZE, dataframeSplitBatches, rowCount, type TabularInput } from "../data/dataframe.js";
import {
  type InferenceQueryOptions,
  inferenceTableOf,
  inferenceTableQuery,
  unpackInferenceTable,
} from "../data/inference-table.js";
import type { Int64Encoding } from "../data/json-values.js";
import type { ModelVersion } from "./model-version.js";
import { type TypedEndpoint, typedEndpoint } from "./typed-predict.js";
import { pickWarehouse } from "./warehouse.js";

type Endpoint = Awaited<ReturnType<Databricks["servingEndpoints"]["get"]>>;
type Metrics = Awaited<ReturnType<Databricks["servingEndpoints"]["exportMetrics"]>>;

export interface PredictOptions extends RequestOptions {
  /** Rows per request (default 1000). */
  batchSize?: number;
  /** Requests in flight (default 4). */
  concurrency?: number;
  /** `predictions` (default): one prediction per row; `arrow`: the input with a prediction column, as an Arrow Table. */
  as?: "predictions" | "arrow";
  /** Name of the prediction column with `as: "arrow"` (default `prediction`). */
  column?: string;
  /** Records go as `dataframe_records` (default) or `dataframe_split`; Arrow tables and columns always as `dataframe_split`. */
  format?: "records" | "split";
  /** 64-bit integers beyond ±(2^53 − 1) in Arrow tables or columns: an error (default) or exact digits as strings. */
  int64?: Int64Encoding;
  /** Inference parameters for the model. */
  params?: Record<string, unknown>;
  /** Query one served entity directly, bypassing the traffic split. */
  served_model_name?: string;
}

export interface InferenceTableOptions extends InferenceQueryOptions, RequestOptions {
  /** Warehouse to run the query on (default: the first RUNNING one, started if none runs). */
  warehouse_id?: string;
  /**
   * Unpack tabular requests into feature columns and a `prediction` column (default true); false
   * returns the table's own columns (request and response as JSON text).
   */
  unpack?: boolean;
  /** How long to wait for the statement, a warehouse start included (default 20 minutes). */
  waitTimeout?: number;
}

/** Rows of array values (sent as `instances`), or records. */
export type Rows = ReadonlyArray<Record<string, unknown> | unknown[]>;

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

  /**
   * Predictions for every input row, in input order, sent in batches with bounded concurrency.
   * Input: an apache-arrow Table or columns (sent as `dataframe_split`, converted one batch at a
   * time, so memory holds the batches in flight, not a JSON copy of the table), records (sent as
   * `dataframe_records`, or `dataframe_split` with `format: "split"`) or array rows (`instances`).
   * With `as: "arrow"` the result is the input with the predictions as one more column.
   */
  predict<P = unknown>(
    input: TabularInput | Rows,
    options?: PredictOptions & { as?: "predictions" },
  ): Promise<P[]>;
  predict(input: TabularInput, options: PredictOptions & { as: "arrow" }): Promise<Table>;
  async predict<P = unknown>(input: TabularInput | Rows, options: PredictOptions = {}): Promise<P[] | Table> {
    const { as = "predictions", column, format, int64, batchSize = DEFAULT_BATCH_SIZE, ...rest } = options;
    const rows = Array.isArray(input) ? (input as Rows) : undefined;
    if (as === "arrow" && rows && rows.some((r) => Array.isArray(r))) {
      throw new ValidationError("predict options", [
        { path: "as", message: "array rows have no column names; pass records, columns or an Arrow table" },
      ]);
    }
    let predictions: P[];
    if (rows) {
      const res = await this.db.servingEndpoints.predictBatched<P>(this.name, rows, {
        ...rest,
        batchSize,
        ...(format ? { format } : {}),
      });
      predictions = res.predictions;
    } else {
      const table = input as TabularInput;
      // Checks the shape and the options before anything is sent.
      const payloads = dataframeSplitBatches(table, { batchSize, ...(int64 ? { int64 } : {}) });
      const count = Math.ceil(rowCount(table) / batchSize);
      const res = await this.db.servingEndpoints.predictBatches<P>(
        this.name,
        count,
        () => {
          const next = payloads.next();
          if (next.done)
            throw new BrickmlError("The input yielded fewer batches than its row count promised");
          return { input: next.value, size: next.value.dataframe_split.data.length };
        },
        rest,
      );
      predictions = res.predictions;
    }
    if (as !== "arrow") return predictions;
    return joinPredictions(input as TabularInput, predictions, column ? { column } : {});
  }

  /**
   * A handle whose `predict` checks every row against the MLflow signatures of the served model
   * versions first (all of them during a canary) and sends nothing when one does not fit. Type it
   * with the types `brickml types` generates: `typed<ChurnInput, ChurnOutput, ChurnParams>()`.
   */
  async typed<I = Record<string, unknown>, O = unknown, P = Record<string, unknown>>(
    options?: RequestOptions,
  ): Promise<TypedEndpoint<I, O, P>> {
    return typedEndpoint<I, O, P>(this.db, this, options);
  }

  /**
   * The requests and responses the endpoint captured in its inference table, read with SQL as an
   * Arrow Table (Statement Execution API, ARROW_STREAM), oldest first. Tabular requests are
   * unpacked to one row per scored input row: `databricks_request_id`, `request_time`, the served
   * entity, the feature columns and `prediction` — ready for `driftReport`.
   */
  async inferenceTable(options: InferenceTableOptions = {}): Promise<Table> {
    const { warehouse_id, since, limit, unpack = true, waitTimeout, ...rest } = options;
    const requestOptions = fixCall(rest, this.db.ctx.clock);
    const endpoint = await this.refresh(requestOptions);
    const location = inferenceTableOf({
      name: this.name,
      ai_gateway: endpoint.ai_gateway,
      config: endpoint.config as { auto_capture_config?: Record<string, unknown> } | undefined,
    });
    if (!location) {
      throw new BrickmlError(
        `Serving endpoint ${this.name} does not capture requests: enable an inference table in its AI gateway (inference_table_config) first`,
      );
    }
    const { statement, parameters } = inferenceTableQuery(location, { since, limit });
    const warehouse = warehouse_id ?? (await pickWarehouse(this.db, requestOptions));
    let raw: Table;
    try {
      raw = await this.db.statements.query(statement, {
        ...requestOptions,
        warehouse_id: warehouse,
        parameters,
        format: "arrow",
        ...(waitTimeout !== undefined ? { waitTimeout } : {}),
      });
    } catch (e) {
      if (
        isOperationFailed(e) &&
        /TABLE_OR_VIEW_NOT_FOUND/.test(String(e.info?.error_message ?? e.message))
      ) {
        throw new BrickmlError(
          `The inference table ${location.table} of ${this.name} does not exist yet: Databricks creates it after the endpoint's first captured requests`,
          { cause: e },
        );
      }
      throw e;
    }
    if (!unpack) return raw;
    return (await unpackInferenceTable(raw, location.schema)) ?? raw;
  }

  /** Sends `percent` % of the traffic to `version`, next to the version serving now. */
  canary(version: ModelVersion, percent: number, options: RolloutStepOptions = {}): Promise<Endpoint> {
    const ids = { "brickml.model.name": version.fullName, "brickml.model.version": version.version };
    return traceStep(
      "canary",
      { ...ids, "brickml.endpoint.name": this.name, "brickml.canary.percent": percent },
      () => this.startCanary(version, percent, options),
    );
  }

  private async startCanary(
    version: ModelVersion,
    percent: number,
    options: RolloutStepOptions,
  ): Promise<Endpoint> {
    const requestOptions = fixCall(options.requestOptions, this.db.ctx.clock, options.waitOptions);
    const current = await this.refresh(requestOptions);
    const base = current.config?.served_entities?.[0];
    if (!base)
      throw new BrickmlError(`Serving endpoint ${this.name} serves nothing yet; deploy a version first`);
    const entity = version.servedEntity({
      workloadSize: base.workload_size ?? undefined,
      scaleToZero: base.scale_to_zero_enabled ?? undefined,
      workloadType: base.workload_type ?? undefined,
    });
    return this.db.servingEndpoints.canary(this.name, entity, percent, { ...options, requestOptions });
  }

  /** Gives the newest served entity (or `entityName`) all the traffic and drops the others. */
  async promote(entityName?: string, options: RolloutStepOptions = {}): Promise<Endpoint> {
    return traceStep("promote", { "brickml.endpoint.name": this.name }, () =>
      this.db.servingEndpoints.promote(this.name, entityName, options),
    );
  }

  /** Returns to the config the last rollout replaced. */
  async rollback(options: RolloutStepOptions = {}): Promise<Endpoint> {
    return traceStep("rollback", { "brickml.endpoint.name": this.name }, () =>
      this.db.servingEndpoints.rollback(this.name, options),
    );
  }

  /** Recent server logs of a served entity (default: the first one). */
  async logs(servedModelName?: string, options?: RequestOptions): Promise<string> {
    const call = fixCall(options, this.db.ctx.clock);
    const entity = servedModelName ?? (await this.firstEntity(call));
    return (await this.db.servingEndpoints.logs({ name: this.name, served_model_name: entity }, call)).logs;
  }

  async buildLogs(servedModelName?: string, options?: RequestOptions): Promise<string> {
    const call = fixCall(options, this.db.ctx.clock);
    const entity = servedModelName ?? (await this.firstEntity(call));
    return (await this.db.servingEndpoints.buildLogs({ name: this.name, served_model_name: entity }, call))
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
