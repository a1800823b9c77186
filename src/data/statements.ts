import type { Table } from "apache-arrow";
import {
  type ExecuteStatementRequest,
  type ExternalLink,
  type ResultData,
  StatementExecutionAPI,
  type StatementParameter,
  type StatementResponse,
} from "../api/statements.js";
import { ValidationError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import type { WaitOptions } from "../core/wait.js";
import { type ArrowModule, loadArrow } from "./arrow-loader.js";
import { mapConcurrent } from "./concurrency.js";
import { type DecodeOptions, decodeRows, type SqlColumn, tableFromSqlRows } from "./sql-types.js";

/** Options for reading the result of a statement. */
export interface ReadOptions extends DecodeOptions, RequestOptions {
  /** Chunks fetched at once (default 4). */
  concurrency?: number;
}

/** Parameters as `{ name: value }`, or in the API's own `[{ name, value, type }]` form. */
export type QueryParameters = Record<string, unknown> | StatementParameter[];

export interface QueryOptions<F extends "rows" | "arrow" = "rows" | "arrow"> extends ReadOptions {
  warehouse_id: string;
  /** `rows` (default): objects typed by the result schema; `arrow`: an apache-arrow Table. */
  format?: F;
  parameters?: QueryParameters;
  catalog?: string;
  schema?: string;
  row_limit?: number;
  byte_limit?: number;
  /** For `rows`: `INLINE` (default, results up to 25 MiB) or `EXTERNAL_LINKS` for larger ones. */
  disposition?: "INLINE" | "EXTERNAL_LINKS";
  /** How long to wait for the statement (default 20 minutes); it is cancelled when this passes. */
  waitTimeout?: number;
  onProgress?: WaitOptions<StatementResponse>["onProgress"];
}

/**
 * `db.statements`: the Statement Execution API plus result reading — every chunk, in order, as
 * typed rows or as an Arrow table; external links are fetched without the workspace credentials
 * (they are presigned), several at a time.
 */
export class StatementsAPI extends StatementExecutionAPI {
  /**
   * Runs SQL on a warehouse and returns the whole result: `format: "rows"` (default) gives objects
   * keyed by column name, `format: "arrow"` an Arrow Table fetched as ARROW_STREAM.
   */
  query(statement: string, options: QueryOptions<"rows">): Promise<Array<Record<string, unknown>>>;
  query(statement: string, options: QueryOptions<"arrow">): Promise<Table>;
  async query(statement: string, options: QueryOptions): Promise<Array<Record<string, unknown>> | Table> {
    const arrow = options.format === "arrow";
    const req: ExecuteStatementRequest = {
      statement,
      warehouse_id: options.warehouse_id,
      ...(options.catalog !== undefined ? { catalog: options.catalog } : {}),
      ...(options.schema !== undefined ? { schema: options.schema } : {}),
      ...(options.parameters !== undefined ? { parameters: toStatementParameters(options.parameters) } : {}),
      ...(options.row_limit !== undefined ? { row_limit: options.row_limit } : {}),
      ...(options.byte_limit !== undefined ? { byte_limit: options.byte_limit } : {}),
      disposition: arrow ? "EXTERNAL_LINKS" : (options.disposition ?? "INLINE"),
      format: arrow ? "ARROW_STREAM" : "JSON_ARRAY",
    };
    const response = await this.executeAndWait(
      req,
      { timeout: options.waitTimeout, signal: options.signal, onProgress: options.onProgress },
      requestOptionsOf(options),
    );
    return arrow ? this.fetchArrow(response, options) : this.fetchRows(response, options);
  }

  /** Every row of a SUCCEEDED `JSON_ARRAY` result (inline or external links), typed by its schema. */
  async fetchRows(
    response: StatementResponse,
    options: ReadOptions = {},
  ): Promise<Array<Record<string, unknown>>> {
    const format = response.manifest?.format ?? "JSON_ARRAY";
    if (format !== "JSON_ARRAY") {
      throw new ValidationError("statement result", [
        { path: "manifest.format", message: `${format} results are read with fetchArrow, not fetchRows` },
      ]);
    }
    const columns = columnsOf(response);
    const parts = await this.loadChunks(response, options, async (chunk, signal) => {
      const rows: Array<Record<string, unknown>> = [];
      for (const part of await this.chunkRows(response, chunk, options, signal)) {
        rows.push(...decodeRows(columns, part.rows, part.offset, options));
      }
      return rows;
    });
    return parts.flat();
  }

  /**
   * The result as an Arrow Table: `ARROW_STREAM` chunks are decoded and joined in chunk order;
   * `JSON_ARRAY` results are converted using the result schema's types.
   */
  async fetchArrow(response: StatementResponse, options: ReadOptions = {}): Promise<Table> {
    const arrow = await loadArrow();
    const format = response.manifest?.format ?? "JSON_ARRAY";
    const columns = columnsOf(response);
    if (format === "JSON_ARRAY") {
      const parts = await this.loadChunks(response, options, async (chunk, signal) =>
        (await this.chunkRows(response, chunk, options, signal)).flatMap((p) => p.rows),
      );
      return tableFromSqlRows(arrow, columns, parts.flat());
    }
    if (format !== "ARROW_STREAM") {
      throw new ValidationError("statement result", [
        { path: "manifest.format", message: `${format} results cannot be read as Arrow` },
      ]);
    }
    const parts = await this.loadChunks(response, options, (chunk, signal) =>
      this.chunkArrow(arrow, response, chunk, options, signal),
    );
    const batches = parts.flatMap((t) => t.batches);
    return batches.length ? new arrow.Table(batches) : tableFromSqlRows(arrow, columns, []);
  }

  /**
   * Every chunk of a SUCCEEDED result, in order. The first chunk comes from the response itself;
   * the others are requested by index, `concurrency` at a time, when the manifest says how many
   * there are, and one after another (`next_chunk_index`) otherwise.
   */
  private async loadChunks<T>(
    response: StatementResponse,
    options: ReadOptions,
    load: (chunk: ResultData, signal: AbortSignal) => Promise<T>,
  ): Promise<T[]> {
    if (response.status?.state !== undefined && response.status.state !== "SUCCEEDED") {
      throw new ValidationError("statement result", [
        {
          path: "status.state",
          message: `is ${response.status.state}; only SUCCEEDED statements have results`,
        },
      ]);
    }
    const statement_id = response.statement_id;
    const first = response.result;
    const total = response.manifest?.total_chunk_count;
    const fetchChunk = (chunk_index: number, signal: AbortSignal) => {
      if (
        chunk_index === (first?.chunk_index ?? firstLink(first)?.chunk_index ?? 0) &&
        first &&
        hasData(first)
      ) {
        return Promise.resolve(first);
      }
      if (!statement_id)
        throw new ValidationError("statement result", [{ path: "statement_id", message: "is missing" }]);
      return this.getStatementResultChunkN(
        { statement_id, chunk_index },
        { ...requestOptionsOf(options), signal },
      );
    };
    if (total !== undefined) {
      const indexes = Array.from({ length: total }, (_, i) => i);
      return mapConcurrent(
        indexes,
        options.concurrency ?? 4,
        async (i, _n, signal) => load(await fetchChunk(i, signal), signal),
        options.signal,
      );
    }
    // No chunk count: follow the chain.
    const out: T[] = [];
    const signal = options.signal ?? new AbortController().signal;
    let chunk: ResultData | undefined = first && hasData(first) ? first : undefined;
    while (chunk) {
      out.push(await load(chunk, signal));
      const next = chunk.next_chunk_index ?? lastLink(chunk)?.next_chunk_index;
      chunk = next === undefined ? undefined : await fetchChunk(next, signal);
    }
    return out;
  }

  /** Rows of one JSON_ARRAY chunk: inline, or downloaded from its links. */
  private async chunkRows(
    response: StatementResponse,
    chunk: ResultData,
    options: ReadOptions,
    signal: AbortSignal,
  ): Promise<Array<{ offset: number; rows: Array<Array<string | null>> }>> {
    if (!chunk.external_links?.length)
      return [{ offset: chunk.row_offset ?? 0, rows: chunk.data_array ?? [] }];
    const out: Array<{ offset: number; rows: Array<Array<string | null>> }> = [];
    for (const link of chunk.external_links) {
      const text = await this.download(response, link, "text", options, signal);
      out.push({ offset: link.row_offset ?? 0, rows: JSON.parse(String(text)) });
    }
    return out;
  }

  private async chunkArrow(
    arrow: ArrowModule,
    response: StatementResponse,
    chunk: ResultData,
    options: ReadOptions,
    signal: AbortSignal,
  ): Promise<Table> {
    const tables: Table[] = [];
    for (const link of chunk.external_links ?? []) {
      const bytes = await this.download(response, link, "arraybuffer", options, signal);
      tables.push(arrow.tableFromIPC(new Uint8Array(bytes as ArrayBuffer)));
    }
    return new arrow.Table(tables.flatMap((t) => t.batches));
  }

  /**
   * Downloads an external link without the workspace's Authorization header (the URL carries its
   * own short-lived credential) but with the link's own headers. An expired or refused link is
   * replaced once by a fresh one for the same chunk.
   */
  private async download(
    response: StatementResponse,
    link: ExternalLink,
    responseType: "text" | "arraybuffer",
    options: ReadOptions,
    signal: AbortSignal,
  ): Promise<unknown> {
    const get = (l: ExternalLink) =>
      this.request<unknown>(
        {
          method: "GET",
          path: l.external_link,
          anonymous: true,
          headers: l.http_headers,
          responseType,
          idempotent: true,
        },
        { ...requestOptionsOf(options), signal },
      );
    const expired = link.expiration !== undefined && Date.parse(link.expiration) <= this.ctx.clock.now();
    if (!expired) {
      try {
        return await get(link);
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === undefined || status < 400 || status >= 500 || link.chunk_index === undefined)
          throw error;
      }
    }
    if (!response.statement_id || link.chunk_index === undefined) {
      throw new ValidationError("statement result", [
        { path: "external_link", message: "expired and cannot be renewed" },
      ]);
    }
    const fresh = await this.getStatementResultChunkN(
      { statement_id: response.statement_id, chunk_index: link.chunk_index },
      { ...requestOptionsOf(options), signal },
    );
    const again =
      fresh.external_links?.find((l) => l.row_offset === link.row_offset) ?? fresh.external_links?.[0];
    if (!again)
      throw new ValidationError("statement result", [{ path: "external_link", message: "was not renewed" }]);
    return get(again);
  }
}

/** `{ name: value }` parameters in the API's form, with SQL types chosen from the JavaScript values. */
export function toStatementParameters(parameters: QueryParameters): StatementParameter[] {
  if (Array.isArray(parameters)) return parameters;
  return Object.entries(parameters).map(([name, value]) => {
    if (value === null || value === undefined) return { name, value: null };
    if (typeof value === "string") return { name, value, type: "STRING" };
    if (typeof value === "boolean") return { name, value: String(value), type: "BOOLEAN" };
    if (typeof value === "bigint") return { name, value: String(value), type: "BIGINT" };
    if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        throw new ValidationError("query parameters", [
          { path: name, message: `${value} cannot be a parameter` },
        ]);
      }
      return { name, value: String(value), type: Number.isSafeInteger(value) ? "BIGINT" : "DOUBLE" };
    }
    if (value instanceof Date) return { name, value: value.toISOString(), type: "TIMESTAMP" };
    throw new ValidationError("query parameters", [
      {
        path: name,
        message: `a ${typeof value} cannot be a parameter; pass a string, number, boolean, bigint or Date`,
      },
    ]);
  });
}

function columnsOf(response: StatementResponse): SqlColumn[] {
  return response.manifest?.schema?.columns ?? [];
}

function hasData(r: ResultData): boolean {
  return r.data_array !== undefined || (r.external_links?.length ?? 0) > 0;
}

function firstLink(r: ResultData | undefined): ExternalLink | undefined {
  return r?.external_links?.[0];
}

function lastLink(r: ResultData): ExternalLink | undefined {
  return r.external_links?.[r.external_links.length - 1];
}

function requestOptionsOf(o: RequestOptions): RequestOptions {
  const { timeout, deadline, signal, maxRetries, headers } = o;
  return { timeout, deadline, signal, maxRetries, headers };
}
