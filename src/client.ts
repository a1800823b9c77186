import { inspect } from "node:util";
import type { Table } from "apache-arrow";
import { ClustersAPI } from "./api/clusters.js";
import { CurrentUserAPI } from "./api/current-user.js";
import { DataQualityAPI } from "./api/data-quality.js";
import { ExperimentsAPI } from "./api/experiments.js";
import { FilesAPI } from "./api/files.js";
import { GrantsAPI } from "./api/grants.js";
import { JobsAPI } from "./api/jobs.js";
import { ModelRegistryAPI } from "./api/model-registry.js";
import { ModelVersionsAPI } from "./api/model-versions.js";
import { PermissionsAPI } from "./api/permissions.js";
import { QualityMonitorsAPI } from "./api/quality-monitors.js";
import { RegisteredModelsAPI } from "./api/registered-models.js";
import { RunsAPI } from "./api/runs.js";
import { ServicePrincipalsAPI, UsersAPI } from "./api/scim.js";
import { SecretsAPI } from "./api/secrets.js";
import { ServingEndpointsAPI } from "./api/serving-endpoints.js";
import { WarehousesAPI } from "./api/warehouses.js";
import { WorkspaceAPI } from "./api/workspace.js";
import { createCredentials } from "./core/auth/providers.js";
import { type Clock, systemClock } from "./core/clock.js";
import { type DatabricksOptions, type ResolvedConfig, resolveConfig } from "./core/config.js";
import {
  createAxios,
  type RequestEvent,
  type RequestOptions,
  type RequestSpec,
  Transport,
} from "./core/http.js";
import { loggerFromEnv } from "./core/logger.js";
import { defaultRetryPolicy } from "./core/retry.js";
import type { ServiceContext } from "./core/service.js";
import { userAgent } from "./core/user-agent.js";
import { type DriverQueryOptions, SqlDriver, type SqlDriverOptions } from "./data/sql-driver.js";
import { StatementsAPI } from "./data/statements.js";
import { Lifecycle, type LifecycleSpec } from "./workflows/lifecycle.js";
import { Notebook } from "./workflows/notebook.js";
import { RegisteredModel } from "./workflows/registered-model.js";
import { ServingEndpoint } from "./workflows/serving-endpoint.js";

export interface ClientOptions extends DatabricksOptions {
  /** Called after every attempt of every request (status, duration, retries); never sees headers. */
  onRequest?: (event: RequestEvent) => void;
  /** Source of randomness for jitter (tests make it deterministic). */
  random?: () => number;
}

/** Options a derived client may change: timeouts, retries, headers. */
export interface DerivedOptions {
  timeout?: number;
  queryTimeout?: number;
  deadline?: number;
  maxRetries?: number;
  headers?: Record<string, string>;
  onRequest?: (event: RequestEvent) => void;
}

/** What the client was configured with; secrets are never included. */
export interface PublicConfig {
  host: string;
  authType: string;
  profile?: string | undefined;
  configFile: string;
  workspaceId?: string | undefined;
}

/**
 * The Databricks client: one per workspace. Service clients are created on first use and share
 * one connection pool, credentials and retry policy.
 */
export class Databricks {
  readonly config: PublicConfig;
  /** @internal */
  readonly ctx: ServiceContext;
  readonly #services = new Map<string, unknown>();

  constructor(options?: ClientOptions);
  /** @internal `withOptions` shares the connection pool and credentials of its parent. */
  constructor(options: ClientOptions, derived: { ctx: ServiceContext; config: PublicConfig });
  constructor(options: ClientOptions = {}, derived?: { ctx: ServiceContext; config: PublicConfig }) {
    if (derived) {
      this.ctx = derived.ctx;
      this.config = derived.config;
      return;
    }
    const resolved: ResolvedConfig = resolveConfig(options);
    const clock: Clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    const axios = createAxios(options.ca);
    const timeoutMs = options.timeout ?? 60_000;
    const credentials = createCredentials(resolved, { http: createAxios(options.ca), clock, timeoutMs });
    const transport = new Transport(axios, {
      host: resolved.host,
      credentials,
      userAgent: userAgent(resolved.authType, options.product),
      timeoutMs,
      queryTimeoutMs: options.queryTimeout ?? 300_000,
      deadlineMs: options.deadline ?? 300_000,
      retry: {
        ...defaultRetryPolicy,
        ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      },
      clock,
      logger: options.logger ?? loggerFromEnv(options.env ?? process.env),
      random,
      workspaceId: resolved.workspaceId,
      onRequest: options.onRequest,
    });
    this.ctx = { transport, clock, random, host: resolved.host };
    this.config = Object.freeze({
      host: resolved.host,
      authType: resolved.authType,
      profile: resolved.profile,
      configFile: resolved.configFile,
      workspaceId: resolved.workspaceId,
    });
  }

  /** A client sharing this one's connections and credentials, with other defaults. */
  withOptions(options: DerivedOptions): Databricks {
    const t = this.ctx.transport;
    const s = t.settings;
    const transport = t.with({
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
      ...(options.queryTimeout !== undefined ? { queryTimeoutMs: options.queryTimeout } : {}),
      ...(options.deadline !== undefined ? { deadlineMs: options.deadline } : {}),
      ...(options.maxRetries !== undefined ? { retry: { ...s.retry, maxRetries: options.maxRetries } } : {}),
      ...(options.headers ? { headers: { ...s.headers, ...options.headers } } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
    return new Databricks({}, { ctx: { ...this.ctx, transport }, config: this.config });
  }

  /** The identity of the client's credentials: `db.currentUser.me()`. */
  get currentUser(): CurrentUserAPI {
    return this.service("currentUser", (c) => new CurrentUserAPI(c));
  }

  /** Workspace users (SCIM), e.g. looked up by name with a filter. */
  get users(): UsersAPI {
    return this.service("users", (c) => new UsersAPI(c));
  }

  /** Workspace service principals (SCIM). */
  get servicePrincipals(): ServicePrincipalsAPI {
    return this.service("servicePrincipals", (c) => new ServicePrincipalsAPI(c));
  }

  /** Permissions API 2.0: object ACLs of jobs, clusters, experiments, models, endpoints, notebooks, folders. */
  get permissions(): PermissionsAPI {
    return this.service("permissions", (c) => new PermissionsAPI(c));
  }

  /** Unity Catalog grants on catalogs, schemas, models, tables and volumes. */
  get grants(): GrantsAPI {
    return this.service("grants", (c) => new GrantsAPI(c));
  }

  /** Secret scopes, secrets and their ACLs. */
  get secrets(): SecretsAPI {
    return this.service("secrets", (c) => new SecretsAPI(c));
  }

  /** Files API: files and directories in volumes (streamed uploads and downloads). */
  get files(): FilesAPI {
    return this.service("files", (c) => new FilesAPI(c));
  }

  /** MLflow experiments. */
  get experiments(): ExperimentsAPI {
    return this.service("experiments", (c) => new ExperimentsAPI(c));
  }

  /** MLflow runs: logging, search, metric history and artifacts. */
  get runs(): RunsAPI {
    return this.service("runs", (c) => new RunsAPI(c));
  }

  /** Unity Catalog registered models and aliases. */
  get registeredModels(): RegisteredModelsAPI {
    return this.service("registeredModels", (c) => new RegisteredModelsAPI(c));
  }

  /** Unity Catalog model versions, including registering new ones. */
  get modelVersions(): ModelVersionsAPI {
    return this.service("modelVersions", (c) => new ModelVersionsAPI(c));
  }

  /** The workspace (non-Unity Catalog) model registry. */
  get modelRegistry(): ModelRegistryAPI {
    return this.service("modelRegistry", (c) => new ModelRegistryAPI(c));
  }

  /** Model Serving endpoints: deploy, roll out, query, logs and metrics. */
  get servingEndpoints(): ServingEndpointsAPI {
    return this.service("servingEndpoints", (c) => new ServingEndpointsAPI(c));
  }

  /** Clusters API 2.1: all-purpose compute. */
  get clusters(): ClustersAPI {
    return this.service("clusters", (c) => new ClustersAPI(c));
  }

  /** Jobs API 2.2: jobs, job runs and one-time runs. */
  get jobs(): JobsAPI {
    return this.service("jobs", (c) => new JobsAPI(c));
  }

  /** Workspace API 2.0: notebooks, files and folders. */
  get workspace(): WorkspaceAPI {
    return this.service("workspace", (c) => new WorkspaceAPI(c));
  }

  /** A notebook in the workspace, to upload and run. */
  notebook(path: string): Notebook {
    return new Notebook(this, path);
  }

  /** A Unity Catalog model `catalog.schema.model`, its versions and aliases. */
  model(fullName: string): RegisteredModel {
    return new RegisteredModel(this, fullName);
  }

  /** A Model Serving endpoint, to wait on, query and roll out. */
  endpoint(name: string): ServingEndpoint {
    return new ServingEndpoint(this, name);
  }

  /** The whole life cycle from one spec: `plan()` and an idempotent `apply()`. */
  lifecycle(spec: LifecycleSpec): Lifecycle {
    return new Lifecycle(this, spec);
  }

  /** Any REST call, with the client's auth, retries, timeouts and error mapping. */
  request<T = unknown>(spec: RequestSpec, options?: RequestOptions): Promise<T> {
    return this.ctx.transport.request<T>(spec, options);
  }

  /** @internal Creates a service client once and caches it. */
  protected service<T>(name: string, make: (ctx: ServiceContext) => T): T {
    let s = this.#services.get(name) as T | undefined;
    if (!s) {
      s = make(this.ctx);
      this.#services.set(name, s);
    }
    return s;
  }

  /** SQL Statement Execution API, with result reading as rows or Arrow. */
  get statements(): StatementsAPI {
    return this.service("statements", (c) => new StatementsAPI(c));
  }

  /** SQL warehouses. */
  get warehouses(): WarehousesAPI {
    return this.service("warehouses", (c) => new WarehousesAPI(c));
  }

  /** Table monitors (`/api/2.1/unity-catalog/tables/{table_name}/monitor`). */
  get qualityMonitors(): QualityMonitorsAPI {
    return this.service("qualityMonitors", (c) => new QualityMonitorsAPI(c));
  }

  /** Data Quality Monitoring API (`/api/data-quality/v1/monitors`). */
  get dataQuality(): DataQualityAPI {
    return this.service("dataQuality", (c) => new DataQualityAPI(c));
  }

  /**
   * SQL through the official `@databricks/sql` driver (an optional peer, loaded on first use) on
   * a warehouse's HTTP path, with this client's host and credentials. Close it when done.
   */
  sqlDriver(options: SqlDriverOptions): SqlDriver {
    const credentials = this.ctx.transport.settings.credentials;
    return new SqlDriver({ host: this.config.host, authType: this.config.authType, credentials }, options);
  }

  /** One statement through `@databricks/sql`: connects, runs, and closes everything it opened. */
  sql(
    statement: string,
    options: SqlDriverOptions & DriverQueryOptions<"rows">,
  ): Promise<Array<Record<string, unknown>>>;
  sql(statement: string, options: SqlDriverOptions & DriverQueryOptions<"arrow">): Promise<Table>;
  async sql(statement: string, options: SqlDriverOptions & DriverQueryOptions): Promise<unknown> {
    const driver = this.sqlDriver(options);
    try {
      return await driver.sql(statement, options as DriverQueryOptions<"rows">);
    } finally {
      await driver.close();
    }
  }

  toJSON(): PublicConfig {
    return this.config;
  }

  [inspect.custom](): string {
    return `Databricks { host: ${this.config.host}, authType: ${this.config.authType} }`;
  }
}
