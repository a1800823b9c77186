import type { Databricks } from "../client.js";
import { fixCall } from "../core/call.js";
import { ValidationError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { traceStep } from "../core/telemetry.js";
import type { WaitOptions } from "../core/wait.js";
import { batchScoringSource } from "./batch-scoring.js";
import { Notebook } from "./notebook.js";
import { ServingEndpoint } from "./serving-endpoint.js";
import type { TrainingRun } from "./training-run.js";
import { type TypedModelVersion, typedModelVersion } from "./typed-predict.js";

type VersionInfo = Awaited<ReturnType<Databricks["modelVersions"]["get"]>>;
type Endpoint = Awaited<ReturnType<Databricks["servingEndpoints"]["get"]>>;

export interface DeployOptions {
  /** Provisioned concurrency: `Small` (default), `Medium` or `Large`. */
  workloadSize?: string;
  /** Scale to zero when idle (default true: cheapest for a first deployment). */
  scaleToZero?: boolean;
  workloadType?: string;
  /** Record requests and responses in `catalog.schema.<prefix>_payload`. */
  inferenceTable?: { catalog_name: string; schema_name: string; table_name_prefix?: string };
  tags?: Array<{ key: string; value?: string }>;
  /** Return as soon as the update is accepted (default: wait until the endpoint serves it). */
  wait?: boolean;
  waitOptions?: WaitOptions<Endpoint>;
  requestOptions?: RequestOptions;
}

export interface BatchScoreOptions {
  /** Table to score, `catalog.schema.table`. */
  inputTable: string;
  /** Table the predictions are written to (replaced). */
  outputTable: string;
  /** A new cluster for the scoring job, or `clusterId` for an existing one. */
  cluster?: Record<string, unknown>;
  clusterId?: string;
  /** Where the scoring notebook is kept (default `/Shared/brickml/batch_score`). */
  notebookPath?: string;
  /** Name of the prediction column (default `prediction`). */
  resultColumn?: string;
  requestOptions?: RequestOptions;
}

/** One version of a Unity Catalog model. */
export class ModelVersion {
  constructor(
    private readonly db: Databricks,
    readonly fullName: string,
    readonly version: number,
    private info?: VersionInfo,
  ) {}

  /** The served-entity name this version gets on an endpoint: `<model>-<version>`. */
  get entityName(): string {
    return `${this.fullName.split(".").pop()}-${this.version}`;
  }

  /** The MLflow run the version was registered from, as last read. */
  get runId(): string | undefined {
    return this.info?.run_id ?? undefined;
  }

  /** Status as last read (`READY`, `PENDING_REGISTRATION`, …). */
  get status(): string | undefined {
    return this.info?.status ?? undefined;
  }

  async refresh(options?: RequestOptions): Promise<VersionInfo> {
    this.info = await this.db.modelVersions.get({ full_name: this.fullName, version: this.version }, options);
    return this.info;
  }

  async setAlias(alias: string, options?: RequestOptions): Promise<this> {
    await this.db.registeredModels.setAlias(
      { full_name: this.fullName, alias, version_num: this.version },
      options,
    );
    return this;
  }

  async waitUntilReady(options: WaitOptions<VersionInfo> = {}): Promise<this> {
    this.info = await this.db.modelVersions.waitUntilModelVersionReady(
      { full_name: this.fullName, version: this.version },
      options,
    );
    return this;
  }

  /** This version's MLflow signature, to check rows with or to predict on an endpoint serving it. */
  async typed<I = Record<string, unknown>, O = unknown, P = Record<string, unknown>>(
    options?: RequestOptions,
  ): Promise<TypedModelVersion<I, O, P>> {
    return typedModelVersion<I, O, P>(this.db, this.fullName, this.version, options);
  }

  /** The served entity for this version, as endpoint configs take it. */
  servedEntity(options: Pick<DeployOptions, "workloadSize" | "scaleToZero" | "workloadType"> = {}) {
    return {
      name: this.entityName,
      entity_name: this.fullName,
      entity_version: String(this.version),
      workload_size: options.workloadSize ?? "Small",
      scale_to_zero_enabled: options.scaleToZero ?? true,
      ...(options.workloadType ? { workload_type: options.workloadType } : {}),
    };
  }

  /**
   * Serves this version on an endpoint with all the traffic: creates the endpoint, or updates it when
   * it serves something else, or does nothing when it already serves exactly this.
   */
  deploy(endpointName: string, options: DeployOptions = {}): Promise<ServingEndpoint> {
    return traceStep("deploy", { ...this.ids, "brickml.endpoint.name": endpointName }, () =>
      this.deployNow(endpointName, options),
    );
  }

  private get ids() {
    return { "brickml.model.name": this.fullName, "brickml.model.version": this.version };
  }

  private async deployNow(endpointName: string, options: DeployOptions): Promise<ServingEndpoint> {
    const entity = this.servedEntity(options);
    await this.db.servingEndpoints.createOrUpdate(
      endpointName,
      {
        served_entities: [entity],
        traffic_config: { routes: [{ served_entity_name: entity.name, traffic_percentage: 100 }] },
      },
      {
        wait: options.wait ?? true,
        ...(options.waitOptions ? { waitOptions: options.waitOptions } : {}),
        ...(options.requestOptions ? { requestOptions: options.requestOptions } : {}),
        ...(options.tags ? { tags: options.tags } : {}),
        ...(options.inferenceTable
          ? { ai_gateway: { inference_table_config: { ...options.inferenceTable, enabled: true } } }
          : {}),
      },
    );
    return new ServingEndpoint(this.db, endpointName);
  }

  /**
   * Scores a table with this version on a Databricks cluster (a Spark job, so it scales past one
   * machine) and returns the run without waiting.
   */
  async batchScore(options: BatchScoreOptions): Promise<TrainingRun> {
    const notebook = new Notebook(this.db, options.notebookPath ?? "/Shared/brickml/batch_score");
    if (!options.cluster === !options.clusterId) {
      throw new ValidationError("batchScore options", [
        { path: "cluster", message: "give exactly one of cluster or clusterId" },
      ]);
    }
    const call = fixCall(options.requestOptions, this.db.ctx.clock);
    await notebook.upload({ content: batchScoringSource(), language: "PYTHON" }, call);
    return notebook.run({
      ...(options.cluster ? { cluster: options.cluster } : { clusterId: options.clusterId! }),
      parameters: {
        model_uri: `models:/${this.fullName}/${this.version}`,
        input_table: options.inputTable,
        output_table: options.outputTable,
        result_column: options.resultColumn ?? "prediction",
      },
      runName: `brickml batch score ${this.fullName}/${this.version}`,
      requestOptions: call,
    });
  }
}
