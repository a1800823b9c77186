import { createHmac, randomBytes } from "node:crypto";
import { type ArrowModule, loadArrow } from "../../data/arrow-loader.js";
import { ApiFault, invalidParameter, notFound } from "../errors.js";
import type { EmuRequest, EmuResponse } from "../router.js";
import { duckdbModulePath } from "../sql/duckdb-worker.js";
import { ThriftEndpoint, thriftModules } from "../sql/thrift.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import {
  type ResultColumn,
  type ResultSet,
  SqlEngine,
  SqlFailure,
  type StatementParameter,
} from "./sql-engine.js";
import {
  type Disposition,
  type Format,
  INLINE_LIMIT_BYTES,
  jsonBytes,
  type StoredChunk,
  storeResult,
} from "./sql-results.js";
import { type WarehousesEmulatorExports, warehousesService } from "./warehouses.js";

type StatementState = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELED" | "CLOSED";

export interface StatementRecord {
  statement_id: string;
  warehouse_id: string;
  statement: string;
  parameters: StatementParameter[];
  disposition: Disposition;
  format: Format;
  row_limit?: number;
  byte_limit?: number;
  state: StatementState;
  submitted_at: number;
  started_at?: number;
  duration_ms: number;
  ended_at?: number;
  error?: { error_code: string; message: string };
  sql_state?: string;
  manifest?: Record<string, unknown>;
}

export interface SqlState {
  statements: Record<string, StatementRecord>;
  /** Rows per result chunk. */
  chunk_rows: number;
  /** Key that signs external links (hex). */
  link_key: string;
}

/** What other emulator services (and tests) can do with the SQL warehouse's tables. */
export interface SqlEmulatorExports {
  /** False when the optional SQL engine (@duckdb/node-api) is not installed. */
  available(): boolean;
  /**
   * Creates `catalog.schema.table` when it is missing (columns with Databricks type names, e.g.
   * `BIGINT`, `STRING`, `DOUBLE`, `TIMESTAMP`) and appends the rows (arrays in column order, or
   * objects keyed by column name). Inference tables captured by serving land here.
   */
  registerTable(
    fullName: string,
    columns: Array<{ name: string; type: string }>,
    rows: Array<unknown[] | Record<string, unknown>>,
  ): void;
  /** Declared columns of a table, or undefined when it does not exist. */
  tableColumns(fullName: string): Array<{ name: string; type: string }> | undefined;
  /** Runs SQL at once (no warehouse, no clock); rows typed as `ResultSet` describes (bigint for LONG). */
  query(sql: string, parameters?: Record<string, unknown>): ResultSet;
  /** Rows per result chunk (default 20 000); small values let tests exercise multi-chunk results. */
  setChunkRows(rows: number): void;
}

const RESULTS_TTL_MS = 60 * 60_000;
const FORGET_AFTER_MS = 12 * 60 * 60_000;
const LINK_TTL_MS = 15 * 60_000;
const DEFAULT_DURATION_MS = 1000;
const TERMINAL = new Set<StatementState>(["SUCCEEDED", "FAILED", "CANCELED", "CLOSED"]);
const ENGINE_ERROR_CODE = "NOT_IMPLEMENTED";

// Engines and results live beside the JSON state (they are not plain data); results are lost when
// the emulator restarts from a data file, so those statements read as CLOSED.
const engines = new WeakMap<SqlState, SqlEngine>();
const results = new WeakMap<SqlState, Map<string, { columns: ResultColumn[]; chunks: StoredChunk[] }>>();
const thriftEndpoints = new WeakMap<SqlState, ThriftEndpoint>();
let arrowModule: ArrowModule | undefined;

/** The Thrift endpoint of `@databricks/sql` (statements run at once on the warehouse's engine). */
function thriftOf(ctx: EmulatorContext): ThriftEndpoint {
  const state = ctx.state<SqlState>("sql");
  let endpoint = thriftEndpoints.get(state);
  if (!endpoint) {
    const m = thriftModules();
    if (m instanceof Error) throw new ApiFault(501, ENGINE_ERROR_CODE, m.message);
    endpoint = new ThriftEndpoint(m, {
      execute: (sql, parameters) => engineOf(ctx).execute(sql, parameters),
    });
    thriftEndpoints.set(state, endpoint);
  }
  return endpoint;
}

function engineOf(ctx: EmulatorContext): SqlEngine {
  const state = ctx.state<SqlState>("sql");
  let engine = engines.get(state);
  if (!engine) {
    const modulePath = duckdbModulePath();
    if (modulePath instanceof Error) throw new ApiFault(501, ENGINE_ERROR_CODE, modulePath.message);
    engine = new SqlEngine(modulePath, () => ctx.clock.now());
    engines.set(state, engine);
  }
  return engine;
}

function resultsOf(state: SqlState) {
  let map = results.get(state);
  if (!map) {
    map = new Map();
    results.set(state, map);
  }
  return map;
}

function warehouses(ctx: EmulatorContext): WarehousesEmulatorExports {
  return ctx.service<WarehousesEmulatorExports>("warehouses")!;
}

/** `-- brickml-emulator: {"durationMs": 60000}` at the top of a statement sets how long it runs. */
function scriptedDuration(sql: string): number {
  const m = /^\s*(?:--|\/\*)\s*brickml-emulator:\s*(\{.*?\})/.exec(sql);
  if (!m) return DEFAULT_DURATION_MS;
  try {
    const d = Number((JSON.parse(m[1]!) as { durationMs?: unknown }).durationMs);
    return Number.isFinite(d) && d >= 0 ? d : DEFAULT_DURATION_MS;
  } catch {
    return DEFAULT_DURATION_MS;
  }
}

function newStatementId(ctx: EmulatorContext): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(ctx.random() * 16).toString(16)).join("");
  return `01ef${hex.slice(4, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function finish(
  st: StatementRecord,
  state: StatementState,
  at: number,
  error?: SqlFailure | { code: string; message: string },
) {
  st.state = state;
  st.ended_at = at;
  if (error instanceof SqlFailure) {
    st.error = { error_code: error.errorCode, message: error.message };
    st.sql_state = error.sqlState;
  } else if (error) st.error = { error_code: error.code, message: error.message };
}

/** Runs the SQL of a statement whose time has come and stores its result. */
function execute(ctx: EmulatorContext, st: StatementRecord, at: number): void {
  const state = ctx.state<SqlState>("sql");
  let result: ResultSet & { truncated: boolean };
  try {
    result = engineOf(ctx).execute(st.statement, st.parameters, st.row_limit);
  } catch (e) {
    if (!(e instanceof SqlFailure || e instanceof ApiFault)) throw e;
    finish(st, "FAILED", at, e instanceof SqlFailure ? e : { code: "INTERNAL_ERROR", message: e.message });
    return;
  }
  let truncated = result.truncated;
  if (st.disposition === "INLINE" || st.byte_limit !== undefined) {
    const bytes = jsonBytes(result);
    if (
      st.disposition === "INLINE" &&
      bytes > Math.min(INLINE_LIMIT_BYTES, st.byte_limit ?? Number.POSITIVE_INFINITY)
    ) {
      finish(st, "FAILED", at, {
        code: "BAD_REQUEST",
        message: `The result (${bytes} bytes) exceeds the ${st.byte_limit ?? INLINE_LIMIT_BYTES} byte limit of INLINE results; use disposition EXTERNAL_LINKS.`,
      });
      return;
    }
    if (st.byte_limit !== undefined && bytes > st.byte_limit) {
      // Keep the rows that fit, like the warehouse truncates at byte_limit.
      const perRow = bytes / Math.max(1, result.rows.length);
      result.rows = result.rows.slice(0, Math.floor(st.byte_limit / perRow));
      truncated = true;
    }
  }
  const chunks = storeResult(result, st.disposition, st.format, state.chunk_rows, arrowModule);
  resultsOf(state).set(st.statement_id, { columns: result.columns, chunks });
  const external = st.disposition === "EXTERNAL_LINKS";
  st.manifest = {
    format: st.format,
    schema: { column_count: result.columns.length, columns: result.columns },
    total_chunk_count: chunks.length,
    chunks: chunks.map((c, i) => ({
      chunk_index: i,
      row_offset: c.row_offset,
      row_count: c.row_count,
      ...(external ? { byte_count: c.bytes!.length } : {}),
    })),
    total_row_count: result.rows.length,
    ...(external ? { total_byte_count: chunks.reduce((n, c) => n + c.bytes!.length, 0) } : {}),
    truncated,
  };
  finish(st, "SUCCEEDED", at);
}

function advance(ctx: EmulatorContext, st: StatementRecord, now: number): void {
  const state = ctx.state<SqlState>("sql");
  if (st.state === "PENDING" || st.state === "RUNNING") {
    const w = warehouses(ctx).get(st.warehouse_id);
    if (!w || (st.state === "RUNNING" && w.state !== "RUNNING") || w.state === "STOPPING") {
      finish(st, "FAILED", now, {
        code: "CANCELLED",
        message: `The SQL warehouse ${st.warehouse_id} was stopped while the statement was ${st.state.toLowerCase()}.`,
      });
      return;
    }
    if (st.state === "PENDING" && w.state === "RUNNING") {
      st.state = "RUNNING";
      st.started_at = Math.max(st.submitted_at, w.running_since ?? now);
    }
    if (st.state === "RUNNING") {
      w.last_activity = Math.max(w.last_activity, Math.min(now, st.started_at! + st.duration_ms));
      if (now >= st.started_at! + st.duration_ms) execute(ctx, st, st.started_at! + st.duration_ms);
    }
  }
  if (st.state === "SUCCEEDED" && now >= st.ended_at! + RESULTS_TTL_MS) {
    st.state = "CLOSED";
    resultsOf(state).delete(st.statement_id);
  }
  if (TERMINAL.has(st.state) && now >= st.ended_at! + FORGET_AFTER_MS) {
    delete state.statements[st.statement_id];
    resultsOf(state).delete(st.statement_id);
  }
}

function tickAll(ctx: EmulatorContext): void {
  warehousesService.tick?.(ctx);
  sqlService.tick?.(ctx);
}

function find(req: EmuRequest): StatementRecord {
  const st = req.ctx.state<SqlState>("sql").statements[req.params.statement_id!];
  if (!st) throw notFound(`Statement ${req.params.statement_id} does not exist or has expired.`);
  return st;
}

function sign(state: SqlState, statementId: string, chunk: number, expires: number): string {
  return createHmac("sha256", Buffer.from(state.link_key, "hex"))
    .update(`${statementId}/${chunk}/${expires}`)
    .digest("hex");
}

function chunkView(ctx: EmulatorContext, st: StatementRecord, index: number): Record<string, unknown> {
  const stored = resultsOf(ctx.state<SqlState>("sql")).get(st.statement_id)!;
  const chunk = stored.chunks[index]!;
  const more = index + 1 < stored.chunks.length;
  const next = more
    ? {
        next_chunk_index: index + 1,
        next_chunk_internal_link: `/api/2.0/sql/statements/${st.statement_id}/result/chunks/${index + 1}`,
      }
    : {};
  const base = { chunk_index: index, row_offset: chunk.row_offset, row_count: chunk.row_count };
  if (st.disposition === "INLINE") return { ...base, data_array: chunk.data_array, ...next };
  const expires = ctx.clock.now() + LINK_TTL_MS;
  const sig = sign(ctx.state<SqlState>("sql"), st.statement_id, index, expires);
  return {
    external_links: [
      {
        ...base,
        byte_count: chunk.bytes!.length,
        external_link: `${ctx.url}/emulator-storage/sql-results/${st.statement_id}/${index}?expires=${expires}&sig=${sig}`,
        expiration: new Date(expires).toISOString(),
        ...next,
      },
    ],
  };
}

function statementView(ctx: EmulatorContext, st: StatementRecord): Record<string, unknown> {
  const stored = resultsOf(ctx.state<SqlState>("sql")).get(st.statement_id);
  // Results lost in a restart read as CLOSED.
  const state = st.state === "SUCCEEDED" && !stored ? "CLOSED" : st.state;
  const status = {
    state,
    ...(st.error ? { error: st.error } : {}),
    ...(st.sql_state ? { sql_state: st.sql_state } : {}),
  };
  if (state !== "SUCCEEDED") return { statement_id: st.statement_id, status };
  return {
    statement_id: st.statement_id,
    status,
    manifest: st.manifest,
    ...(stored!.chunks.length ? { result: chunkView(ctx, st, 0) } : {}),
  };
}

function parseWaitTimeout(value: unknown): number {
  if (value === undefined) return 10_000;
  const m = typeof value === "string" ? /^(\d+)s$/.exec(value) : null;
  const s = m ? Number(m[1]) : Number.NaN;
  if (!(s === 0 || (s >= 5 && s <= 50))) {
    throw invalidParameter(`wait_timeout must be 0s or between 5s and 50s, got ${JSON.stringify(value)}`);
  }
  return s * 1000;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    throw invalidParameter(`${field} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function parseParameters(value: unknown): StatementParameter[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidParameter("parameters must be a list");
  return value.map((p, i) => {
    if (!p || typeof p !== "object" || typeof p.name !== "string" || !p.name) {
      throw invalidParameter(`parameters[${i}].name is required`);
    }
    if (p.value !== undefined && p.value !== null && typeof p.value !== "string") {
      throw invalidParameter(`parameters[${i}].value must be a string`);
    }
    return { name: p.name, value: p.value, type: typeof p.type === "string" ? p.type : undefined };
  });
}

async function executeRoute(req: EmuRequest): Promise<EmuResponse> {
  const { ctx } = req;
  const b = (req.body ?? {}) as Record<string, unknown>;
  if (typeof b.statement !== "string" || !b.statement.trim()) throw invalidParameter("statement is required");
  if (typeof b.warehouse_id !== "string" || !b.warehouse_id)
    throw invalidParameter("warehouse_id is required");
  const disposition = oneOf(b.disposition, "disposition", ["INLINE", "EXTERNAL_LINKS"] as const, "INLINE");
  const format = oneOf(b.format, "format", ["JSON_ARRAY", "ARROW_STREAM", "CSV"] as const, "JSON_ARRAY");
  if (disposition === "INLINE" && format !== "JSON_ARRAY") {
    throw invalidParameter(`The INLINE disposition supports only the JSON_ARRAY format, not ${format}.`);
  }
  const onWaitTimeout = oneOf(
    b.on_wait_timeout,
    "on_wait_timeout",
    ["CONTINUE", "CANCEL"] as const,
    "CONTINUE",
  );
  const waitMs = parseWaitTimeout(b.wait_timeout);
  const limit = (field: string) => {
    const v = b[field];
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || (v as number) <= 0)
      throw invalidParameter(`${field} must be a positive integer`);
    return v as number;
  };
  const row_limit = limit("row_limit");
  const byte_limit = limit("byte_limit");
  const parameters = parseParameters(b.parameters);
  engineOf(ctx); // answers 501 at once when the SQL engine is not installed
  if (format === "ARROW_STREAM") arrowModule ??= await loadArrow();
  const w = warehouses(ctx).use(b.warehouse_id);
  if (!w) throw notFound(`SQL warehouse ${b.warehouse_id} does not exist.`);

  const state = ctx.state<SqlState>("sql");
  const now = ctx.clock.now();
  const st: StatementRecord = {
    statement_id: newStatementId(ctx),
    warehouse_id: b.warehouse_id,
    statement: b.statement,
    parameters,
    disposition,
    format,
    ...(row_limit !== undefined ? { row_limit } : {}),
    ...(byte_limit !== undefined ? { byte_limit } : {}),
    state: "PENDING",
    submitted_at: now,
    duration_ms: scriptedDuration(b.statement),
  };
  state.statements[st.statement_id] = st;
  tickAll(ctx);
  // The server holds the request up to wait_timeout (emulator time); a manual clock does not move
  // while a request waits, so it answers at once.
  if (waitMs > 0 && !ctx.clock.manual) {
    const deadline = now + waitMs;
    while (!TERMINAL.has(st.state) && ctx.clock.now() < deadline) {
      await new Promise((r) =>
        setTimeout(r, Math.max(1, Math.min(20, ctx.clock.toRealMs(deadline - ctx.clock.now())))),
      );
      tickAll(ctx);
    }
    if (!TERMINAL.has(st.state) && onWaitTimeout === "CANCEL") finish(st, "CANCELED", ctx.clock.now());
  }
  return { body: statementView(ctx, st) };
}

export const sqlService: EmulatorService<SqlState, SqlEmulatorExports> = {
  name: "sql",
  init: () => ({ statements: {}, chunk_rows: 20_000, link_key: randomBytes(16).toString("hex") }),

  routes(router) {
    router.post("/api/2.0/sql/statements", executeRoute);
    router.get("/api/2.0/sql/statements/:statement_id", (req) => ({
      body: statementView(req.ctx, find(req)),
    }));
    router.post("/api/2.0/sql/statements/:statement_id/cancel", (req) => {
      const st = find(req);
      if (!TERMINAL.has(st.state)) finish(st, "CANCELED", req.ctx.clock.now());
      return { body: {} };
    });
    router.get("/api/2.0/sql/statements/:statement_id/result/chunks/:chunk_index", (req) => {
      const st = find(req);
      const stored = resultsOf(req.ctx.state<SqlState>("sql")).get(st.statement_id);
      if (st.state !== "SUCCEEDED" || !stored) {
        throw new ApiFault(
          400,
          "BAD_REQUEST",
          `Statement ${st.statement_id} is ${st.state === "SUCCEEDED" ? "CLOSED" : st.state}; results can be fetched only after it SUCCEEDED and for one hour after.`,
        );
      }
      const index = Number(req.params.chunk_index);
      if (!Number.isInteger(index) || index < 0 || index >= stored.chunks.length) {
        throw invalidParameter(
          `chunk_index ${req.params.chunk_index} is out of range (the result has ${stored.chunks.length} chunks)`,
        );
      }
      return { body: chunkView(req.ctx, st, index) };
    });
    // The HTTP path warehouses advertise (odbc_params.path), where the SQL driver speaks Thrift.
    router.post("/sql/1.0/warehouses/:warehouse_id", async (req) => {
      const endpoint = thriftOf(req.ctx);
      engineOf(req.ctx);
      if (!warehouses(req.ctx).use(req.params.warehouse_id!)) {
        throw notFound(`SQL warehouse ${req.params.warehouse_id} does not exist.`);
      }
      return { raw: await endpoint.handle(req.raw), contentType: "application/x-thrift" };
    });
    // Presigned result files: no bearer token (a token is refused, as cloud storage does).
    router.get(
      "/emulator-storage/sql-results/:statement_id/:chunk_index",
      (req) => {
        const storageError = (status: number, code: string, message: string): EmuResponse => ({
          status,
          raw: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
          contentType: "application/xml",
        });
        if (req.headers.authorization) {
          return storageError(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; the URL is presigned, send no Authorization header",
          );
        }
        const state = req.ctx.state<SqlState>("sql");
        const id = req.params.statement_id!;
        const index = Number(req.params.chunk_index);
        const expires = Number(req.query.expires);
        if (req.query.sig !== sign(state, id, index, expires)) {
          return storageError(403, "AccessDenied", "The request signature does not match");
        }
        if (!(req.ctx.clock.now() < expires)) return storageError(403, "AccessDenied", "Request has expired");
        const chunk = resultsOf(state).get(id)?.chunks[index];
        if (!chunk?.bytes) return storageError(404, "NoSuchKey", "The specified key does not exist.");
        const contentType = {
          JSON_ARRAY: "application/json",
          ARROW_STREAM: "application/vnd.apache.arrow.stream",
          CSV: "text/csv",
        }[state.statements[id]!.format];
        return { raw: chunk.bytes, contentType };
      },
      { public: true },
    );
  },

  tick(ctx) {
    const now = ctx.clock.now();
    const all = Object.values(ctx.state<SqlState>("sql").statements);
    // Statements finish in the order their time runs out, so DDL before DML works as submitted.
    all.sort(
      (a, b) =>
        (a.started_at ?? a.submitted_at) + a.duration_ms - ((b.started_at ?? b.submitted_at) + b.duration_ms),
    );
    for (const st of all) advance(ctx, st, now);
  },

  exports(ctx) {
    return {
      available: () => !(duckdbModulePath() instanceof Error),
      registerTable(fullName, columns, rows) {
        const engine = engineOf(ctx);
        engine.createTable(fullName, columns);
        const names = columns.map((c) => c.name);
        engine.insertRows(
          fullName,
          names,
          rows.map((r) => (Array.isArray(r) ? r : names.map((n) => (r as Record<string, unknown>)[n]))),
        );
      },
      tableColumns: (fullName) => engineOf(ctx).tableColumns(fullName),
      query(sql, parameters = {}) {
        const params = Object.entries(parameters).map(([name, v]) => ({
          name,
          value: v === null || v === undefined ? null : String(v),
          type: typeof v === "number" ? "DOUBLE" : typeof v === "bigint" ? "BIGINT" : "STRING",
        }));
        const { columns, rows } = engineOf(ctx).execute(sql, params);
        return { columns, rows };
      },
      setChunkRows(rows) {
        if (!Number.isInteger(rows) || rows < 1)
          throw new RangeError(`chunk rows must be an integer ≥ 1, got ${rows}`);
        ctx.state<SqlState>("sql").chunk_rows = rows;
      },
    };
  },
};
