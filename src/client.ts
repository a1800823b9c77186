import { inspect } from "node:util";
import type { Table } from "apache-arrow";
import { DataQualityAPI } from "./api/data-quality.js";
import { QualityMonitorsAPI } from "./api/quality-monitors.js";
import { WarehousesAPI } from "./api/warehouses.js";
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
    const credentials = createCredentials(resolved, { http: createAxios(options.ca), clock });
    const transport = new Transport(axios, {
      host: resolved.host,
      credentials,
      userAgent: userAgent(resolved.authType, options.product),
      timeoutMs: options.timeout ?? 60_000,
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
