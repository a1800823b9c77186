import type { Table } from "apache-arrow";
import type { Credentials } from "../core/auth/types.js";
import { abortReason, untilAborted } from "../core/clock.js";
import {
  ConfigError,
  ConnectionError,
  isBrickmlError,
  OperationFailedError,
  ValidationError,
} from "../core/errors.js";
import { VERSION } from "../version.js";
import { loadArrow } from "./arrow-loader.js";
import { type DecodeOptions, decodeValue, type SqlColumn, tableFromSqlRows } from "./sql-types.js";

/** The parts of `@databricks/sql` used here (kept structural: the driver is an optional peer). */
interface DriverModule {
  DBSQLClient: new (options?: Record<string, unknown>) => DriverClient;
}
interface DriverClient {
  connect(options: Record<string, unknown>): Promise<unknown>;
  openSession(request?: Record<string, unknown>): Promise<DriverSession>;
  close(): Promise<void>;
}
interface DriverSession {
  executeStatement(statement: string, options?: Record<string, unknown>): Promise<DriverOperation>;
  close(): Promise<unknown>;
}
interface DriverOperation {
  fetchAll(options?: Record<string, unknown>): Promise<object[]>;
  getSchema(): Promise<ThriftSchema | null>;
  cancel(): Promise<unknown>;
  close(): Promise<unknown>;
}
interface ThriftSchema {
  columns: Array<{
    columnName: string;
    position?: number;
    typeDesc?: {
      types?: Array<{
        primitiveEntry?: {
          type: number;
          typeQualifiers?: { qualifiers?: Record<string, { i32Value?: number }> };
        };
      }>;
    };
  }>;
}

export interface SqlDriverOptions {
  /** HTTP path of the SQL warehouse (`/sql/1.0/warehouses/<id>`) or cluster, from its connection details. */
  httpPath: string;
  /** Session defaults. */
  catalog?: string;
  schema?: string;
  /** More options for `DBSQLClient.connect` (e.g. `socketTimeout`, `telemetryEnabled`, `proxy`). */
  connectOptions?: Record<string, unknown>;
}

export interface DriverQueryOptions<F extends "rows" | "arrow" = "rows" | "arrow"> extends DecodeOptions {
  /** `rows` (default): objects keyed by column name; `arrow`: an apache-arrow Table. */
  format?: F;
  /** Named (`:name`) parameters as an object, or ordinal (`?`) parameters as an array. */
  parameters?: Record<string, unknown> | unknown[];
  /** Cancels the statement and closes its operation and session. */
  signal?: AbortSignal;
  /** Most rows to fetch. */
  maxRows?: number;
  /** Server-side timeout in seconds (clusters; warehouses use STATEMENT_TIMEOUT). */
  queryTimeout?: number;
}

/** What the driver needs from the Databricks client. */
export interface DriverConnection {
  host: string;
  authType: string;
  credentials: Credentials;
}

// TTypeId of the Thrift protocol → the Statement Execution API's type names.
const THRIFT_TYPES = [
  "BOOLEAN",
  "BYTE",
  "SHORT",
  "INT",
  "LONG",
  "FLOAT",
  "DOUBLE",
  "STRING",
  "TIMESTAMP",
  "BINARY",
  "ARRAY",
  "MAP",
  "STRUCT",
  "STRING",
  "USER_DEFINED_TYPE",
  "DECIMAL",
  "NULL",
  "DATE",
  "STRING",
  "CHAR",
  "INTERVAL",
  "INTERVAL",
];

let driverModule: Promise<DriverModule> | undefined;
/** Held in a variable so neither the type checker nor bundlers require the optional package. */
const DRIVER_PACKAGE = "@databricks/sql";

function loadDriver(): Promise<DriverModule> {
  driverModule ??= import(DRIVER_PACKAGE).then(
    // A CommonJS package: its exports are named exports, or sit on `default` depending on the loader.
    (m) => {
      const mod = m as unknown as DriverModule & { default: DriverModule };
      return typeof mod.DBSQLClient === "function" ? mod : mod.default;
    },
    (e: Error) => {
      driverModule = undefined;
      throw new ConfigError(
        `SQL through a warehouse HTTP path needs the optional package @databricks/sql (npm install @databricks/sql): ${e.message.split("\n")[0]}`,
      );
    },
  );
  return driverModule;
}

/**
 * SQL through the official `@databricks/sql` driver (Thrift over HTTP to a warehouse's HTTP path),
 * with the client's host and credentials. One connection is opened on first use and reused; every
 * statement gets its own session, and its operation and session are closed whatever happens —
 * success, error or abort. Call `close()` when done.
 */
export class SqlDriver {
  #client: Promise<DriverClient> | undefined;
  /** Closes still running after an abort; `close()` lets them finish before closing the connection. */
  readonly #closing = new Set<Promise<void>>();

  /** @internal Created by `db.sqlDriver(...)`, which supplies the connection. */
  constructor(
    private readonly connection: DriverConnection,
    private readonly options: SqlDriverOptions,
  ) {
    if (!options.httpPath?.startsWith("/")) {
      throw new ValidationError("sqlDriver options", [
        { path: "httpPath", message: "must be the warehouse's HTTP path, e.g. /sql/1.0/warehouses/<id>" },
      ]);
    }
  }

  /** Runs one statement and returns all its rows (or an Arrow Table with `format: "arrow"`). */
  sql(statement: string, options?: DriverQueryOptions<"rows">): Promise<Array<Record<string, unknown>>>;
  sql(statement: string, options: DriverQueryOptions<"arrow">): Promise<Table>;
  async sql(
    statement: string,
    options: DriverQueryOptions = {},
  ): Promise<Array<Record<string, unknown>> | Table> {
    const { signal } = options;
    if (signal?.aborted) throw abortReason(signal);
    const client = await this.client();
    let session: Promise<DriverSession> | undefined;
    let operation: Promise<DriverOperation> | undefined;
    try {
      session = client.openSession({
        ...(this.options.catalog ? { initialCatalog: this.options.catalog } : {}),
        ...(this.options.schema ? { initialSchema: this.options.schema } : {}),
      });
      const opened = await untilAborted(session, signal);
      operation = opened.executeStatement(statement, executeOptions(options));
      const op = await untilAborted(operation, signal);
      const cancel = () => void op.cancel().catch(() => undefined);
      signal?.addEventListener("abort", cancel, { once: true });
      try {
        const rows = await untilAborted(
          op.fetchAll(options.maxRows ? { maxRows: options.maxRows } : {}),
          signal,
        );
        const columns = columnsOf(await untilAborted(op.getSchema(), signal));
        return options.format === "arrow"
          ? tableFromSqlRows(
              await loadArrow(),
              columns,
              rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c.name])),
            )
          : typedRows(columns, rows as Array<Record<string, unknown>>, options);
      } finally {
        signal?.removeEventListener("abort", cancel);
      }
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      if (isBrickmlError(error)) throw error;
      throw new OperationFailedError(`SQL statement failed: ${(error as Error).message}`, "FAILED", {
        error: (error as Error).name,
        sql_state: sqlStateOf(error),
      });
    } finally {
      // Close the operation before its session; after an abort this runs on while the caller moves on.
      const closing = closeAll(operation, session);
      this.#closing.add(closing);
      void closing.then(() => this.#closing.delete(closing));
      if (!signal?.aborted) await closing;
    }
  }

  /** Closes the driver's connection. */
  async close(): Promise<void> {
    await Promise.all(this.#closing);
    const client = this.#client;
    this.#client = undefined;
    if (client) await (await client.catch(() => undefined))?.close();
  }

  private client(): Promise<DriverClient> {
    this.#client ??= this.connect().catch((e) => {
      this.#client = undefined;
      throw e;
    });
    return this.#client;
  }

  private async connect(): Promise<DriverClient> {
    const { DBSQLClient } = await loadDriver();
    const url = new URL(this.connection.host);
    const client = url.protocol === "http:" ? plainHttp(new DBSQLClient()) : new DBSQLClient();
    const bearer = async () => {
      const h = await this.connection.credentials.headers();
      return (h.Authorization ?? h.authorization ?? "").replace(/^Bearer\s+/i, "");
    };
    // A PAT goes as the driver's access token; other credentials (OAuth) are asked for a token
    // whenever the driver needs one, so refreshes are the client's.
    const auth =
      this.connection.authType === "pat"
        ? { authType: "access-token", token: await bearer() }
        : { authType: "external-token", getToken: bearer };
    try {
      await client.connect({
        host: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: this.options.httpPath,
        userAgentEntry: `brickml/${VERSION}`,
        preserveBigNumericPrecision: true,
        ...this.options.connectOptions,
        ...auth,
      });
    } catch (e) {
      throw new ConnectionError(
        `Could not connect to ${url.hostname}${this.options.httpPath}: ${(e as Error).message}`,
        "CONNECT",
        this.options.httpPath,
        { cause: e },
      );
    }
    return client;
  }
}

/**
 * The driver always speaks HTTPS; a workspace at an `http:` URL (the local emulator) is spoken to
 * over plain HTTP by turning off the `https` flag of the driver's connection options.
 */
function plainHttp(client: DriverClient): DriverClient {
  const withOptions = client as DriverClient & {
    getConnectionOptions?: (o: Record<string, unknown>) => Record<string, unknown>;
  };
  const original = withOptions.getConnectionOptions?.bind(client);
  if (!original) {
    throw new ConfigError(
      "This version of @databricks/sql cannot connect to an http:// host; use an https:// host or @databricks/sql 1.x–2.x.",
    );
  }
  withOptions.getConnectionOptions = (o) => ({ ...original(o), https: false });
  return client;
}

/** The SQLSTATE of a driver error: on the operation status (failed statements) or on its TStatus. */
function sqlStateOf(error: unknown): string | undefined {
  const response = (error as { response?: { sqlState?: string; status?: { sqlState?: string } } }).response;
  return response?.sqlState ?? response?.status?.sqlState ?? undefined;
}

function executeOptions(options: DriverQueryOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(options.parameters)) out.ordinalParameters = options.parameters;
  else if (options.parameters) out.namedParameters = options.parameters;
  if (options.maxRows !== undefined) out.maxRows = options.maxRows;
  if (options.queryTimeout !== undefined) out.queryTimeout = options.queryTimeout;
  return out;
}

async function closeAll(
  operation?: Promise<DriverOperation>,
  session?: Promise<DriverSession>,
): Promise<void> {
  await operation?.then((op) => op.close()).catch(() => undefined);
  await session?.then((s) => s.close()).catch(() => undefined);
}

function columnsOf(schema: ThriftSchema | null): SqlColumn[] {
  return (schema?.columns ?? []).map((c) => {
    const entry = c.typeDesc?.types?.[0]?.primitiveEntry;
    const type_name = (entry ? THRIFT_TYPES[entry.type] : undefined) ?? "STRING";
    const q = entry?.typeQualifiers?.qualifiers;
    return {
      name: c.columnName,
      position: c.position,
      type_name,
      ...(type_name === "DECIMAL"
        ? { type_precision: q?.precision?.i32Value ?? 10, type_scale: q?.scale?.i32Value ?? 0 }
        : {}),
    };
  });
}

/**
 * Driver rows with the same value conventions as Statement Execution rows: LONG and wide DECIMAL
 * per `int64` (never a wrong number), TIMESTAMP as an ISO string, DATE as `YYYY-MM-DD`.
 */
function typedRows(columns: SqlColumn[], rows: Array<Record<string, unknown>>, options: DecodeOptions) {
  const int64 = options.int64 ?? "error";
  return rows.map((r, row) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) {
      const v = r[c.name];
      if (v === null || v === undefined) out[c.name] = null;
      else if (c.type_name === "LONG" || c.type_name === "DECIMAL")
        out[c.name] = decodeValue(String(v), c, row, int64);
      else if (v instanceof Date)
        out[c.name] = c.type_name === "DATE" ? v.toISOString().slice(0, 10) : v.toISOString();
      else if (c.type_name === "TIMESTAMP" && typeof v === "string") out[c.name] = isoTimestamp(v);
      else out[c.name] = v;
    }
    return out;
  });
}

/** A column-based TIMESTAMP ("2024-01-02 03:04:05.678", UTC) as ISO-8601. */
function isoTimestamp(text: string): string {
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString();
}
