import { createRequire } from "node:module";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

/** A DuckDB type as `columnTypesJson()` describes it. */
export interface DuckType {
  typeId: number;
  width?: number;
  scale?: number;
  valueType?: DuckType;
  keyType?: DuckType;
  entryNames?: string[];
  entryTypes?: DuckType[];
}

/** What one statement gave: rows column by column, or a count of changed rows, or nothing. */
export interface DuckResult {
  kind: "rows" | "changes" | "none";
  names: string[];
  types: DuckType[];
  /**
   * One entry per column: fixed-width values as the typed array DuckDB stores them in (`nulls[i]`
   * is 1 for a null), other values as an array (null for null).
   */
  columns: Array<{ values: ArrayLike<unknown>; nulls?: Uint8Array }>;
  changes: number;
}

interface Reply {
  result?: DuckResult;
  error?: string;
}

/**
 * The worker: it owns one in-memory DuckDB database and runs one request at a time. Values are
 * read from DuckDB's vectors directly (typed arrays for fixed-width types, which is several
 * times faster than DuckDB's per-value JS conversion); DECIMAL as exact text, complex types as
 * JSON-able values.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const duck = require(workerData.modulePath);
const { port, flag } = workerData;
const FIXED = new Set([2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 20, 21, 22, 31]);
const COMPLEX = new Set([24, 25, 26, 33]);
let connection;
function readColumn(chunk, index, type, out) {
  const vector = chunk.getColumnVector(index);
  const n = chunk.rowCount;
  if (COMPLEX.has(type.typeId)) {
    for (const v of chunk.convertColumnValues(index, duck.JsonDuckDBValueConverter)) out.values.push(v);
    return;
  }
  const allValid = !vector.validity.data;
  const items = FIXED.has(type.typeId) ? vector.items : undefined;
  if (items) {
    // Fixed-width values are copied as typed arrays, and sent without per-value cloning.
    out.parts.push(items.slice(0, n));
    const nulls = new Uint8Array(n);
    if (!allValid) for (let i = 0; i < n; i++) nulls[i] = vector.validity.itemValid(i) ? 0 : 1;
    out.nulls.push(nulls);
    return;
  }
  for (let i = 0; i < n; i++) {
    if (!allValid && !vector.validity.itemValid(i)) out.values.push(null);
    else {
      const v = vector.getItem(i);
      out.values.push(typeof v === "object" && v !== null ? (v.bytes instanceof Uint8Array ? v.bytes : String(v)) : v);
    }
  }
}
function concat(parts, Type) {
  const all = new Type(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return all;
}
function finish(out) {
  if (!out.parts.length) return { values: out.values };
  return { values: concat(out.parts, out.parts[0].constructor), nulls: concat(out.nulls, Uint8Array) };
}
async function run(request) {
  connection ??= await (await duck.DuckDBInstance.create(":memory:")).connect();
  // The answer is that of the last step with one (a COMMIT after an INSERT answers nothing).
  let result;
  for (const step of request.steps) {
    const r = await connection.run(step.sql, step.params);
    if (!result || r.returnType !== duck.ResultReturnType.NOTHING) result = r;
  }
  const types = result.columnTypesJson();
  const out = { kind: "rows", names: result.columnNames(), types, columns: [], changes: Number(result.rowsChanged) };
  if (result.returnType === duck.ResultReturnType.CHANGED_ROWS) return { ...out, kind: "changes", names: [], types: [] };
  if (result.returnType !== duck.ResultReturnType.QUERY_RESULT) return { ...out, kind: "none", names: [], types: [] };
  const reading = types.map(() => ({ values: [], parts: [], nulls: [] }));
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    types.forEach((t, i) => readColumn(chunk, i, t, reading[i]));
  }
  out.columns = reading.map(finish);
  return out;
}
port.on("message", async (request) => {
  let reply;
  try {
    reply = { result: await run(request) };
  } catch (e) {
    reply = { error: String(e && e.message ? e.message : e) };
  }
  const buffers = (reply.result?.columns ?? []).flatMap((c) => (c.nulls ? [c.values.buffer, c.nulls.buffer] : []));
  port.postMessage(reply, buffers);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

export interface DuckStep {
  sql: string;
  params?: Record<string, string | null>;
}

const STATEMENT_TIMEOUT_MS = 10 * 60_000;

/**
 * DuckDB's Node API is asynchronous; the emulator's SQL warehouse is synchronous (its services
 * run statements inside a tick and expect their effects at once). DuckDB therefore runs in a
 * worker thread and each call waits for it with `Atomics.wait`, like a synchronous driver would.
 */
export class DuckDbWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));

  constructor(modulePath: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { modulePath, port: port2, flag: this.flag },
      transferList: [port2],
    });
    // The database lives as long as the emulator that holds it; it never keeps a process alive.
    this.worker.unref();
    this.port.unref();
  }

  /**
   * Runs the steps in order on one connection (so a transaction spans them) and returns the
   * result of the last step that has one.
   */
  run(steps: DuckStep[]): DuckResult {
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ steps });
    if (Atomics.wait(this.flag, 0, 0, STATEMENT_TIMEOUT_MS) === "timed-out") {
      throw new Error(`The SQL engine did not answer within ${STATEMENT_TIMEOUT_MS / 60_000} minutes.`);
    }
    const reply = receiveMessageOnPort(this.port)?.message as Reply | undefined;
    if (!reply) throw new Error("The SQL engine answered nothing.");
    if (reply.error !== undefined) throw new Error(reply.error);
    return reply.result!;
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

let resolved: string | Error | undefined;

/**
 * Where `@duckdb/node-api` is installed, or an Error saying how to install it. It is an optional
 * peer: only the emulator's SQL warehouse needs it, so a library user never installs it.
 */
export function duckdbModulePath(): string | Error {
  if (resolved === undefined) {
    try {
      const require = createRequire(typeof __filename === "string" ? __filename : import.meta.url);
      resolved = require.resolve("@duckdb/node-api");
    } catch (e) {
      resolved = new Error(
        `The emulator's SQL warehouse needs the optional package @duckdb/node-api, which could not be found (${(e as Error).message.split("\n")[0]}). Install it with \`npm install --save-dev @duckdb/node-api\`.`,
      );
    }
  }
  return resolved;
}
