import { randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { type ArrowModule, loadArrow } from "../../data/arrow-loader.js";
import { tableFromSqlRows } from "../../data/sql-types.js";
import type { ResultColumn, ResultSet, SqlFailure, StatementParameter } from "../services/sql-engine.js";

/**
 * The warehouse's Thrift endpoint (TCLIService over HTTP, binary protocol), as `@databricks/sql`
 * speaks it on a warehouse's HTTP path. The service definitions and the codec are the driver's
 * own: its generated `thrift/TCLIService.js` and the `thrift` package it depends on. So the
 * endpoint exists only where the driver is installed — exactly where a client can call it.
 */

/** What the endpoint needs from the SQL warehouse. */
export interface ThriftBackend {
  /** Runs one statement now, or throws SqlFailure. */
  execute(sql: string, parameters: StatementParameter[]): ResultSet;
}

interface Operation {
  result?: ResultSet;
  error?: SqlFailure;
  offset: number;
  /** Results as Arrow IPC batches (when the client can read them), else column-based. */
  arrow: boolean;
}

interface Session {
  operations: Map<string, Operation>;
}

type Any = any;
interface Modules {
  thrift: Any;
  service: Any;
  types: Any;
  Int64: Any;
}

let modules: Modules | Error | undefined;

/** The driver's Thrift modules, or an Error saying what to install. */
export function thriftModules(): Modules | Error {
  if (modules === undefined) {
    try {
      const here = createRequire(typeof __filename === "string" ? __filename : import.meta.url);
      const driver = createRequire(here.resolve("@databricks/sql"));
      const thriftRequire = createRequire(driver.resolve("thrift"));
      modules = {
        thrift: driver("thrift"),
        service: driver("../thrift/TCLIService"),
        types: driver("../thrift/TCLIService_types"),
        Int64: thriftRequire("node-int64"),
      };
    } catch (e) {
      modules = new Error(
        `The emulator's Thrift endpoint uses the service definitions of @databricks/sql, which could not be loaded (${(e as Error).message.split("\n")[0]}). Install it with \`npm install @databricks/sql\`.`,
      );
    }
  }
  return modules;
}

/** Sessions and operations of one emulator. */
export class ThriftEndpoint {
  private readonly sessions = new Map<string, Session>();
  private readonly processor: Any;
  private arrowModule: ArrowModule | undefined;

  constructor(
    private readonly m: Modules,
    private readonly backend: ThriftBackend,
  ) {
    this.processor = new m.service.Processor(this.handler());
  }

  /** Answers one HTTP request body (a binary-protocol message) with the reply's bytes. */
  async handle(body: Buffer): Promise<Buffer> {
    this.arrowModule ??= await loadArrow();
    const { TBufferedTransport, TBinaryProtocol } = this.m.thrift;
    return new Promise((resolve, reject) => {
      TBufferedTransport.receiver((transport: Any) => {
        const output = new TBinaryProtocol(
          new TBufferedTransport(undefined, (reply: Buffer) => resolve(reply)),
        );
        try {
          this.processor.process(new TBinaryProtocol(transport), output);
        } catch (e) {
          reject(e);
        }
      })(body);
    });
  }

  private handler(): Record<string, (req: Any) => unknown> {
    const t = this.m.types;
    const ok = () => new t.TStatus({ statusCode: t.TStatusCode.SUCCESS_STATUS });
    const invalid = (message: string) =>
      new t.TStatus({ statusCode: t.TStatusCode.ERROR_STATUS, errorMessage: message, sqlState: "HY000" });
    const session = (handle: Any) => this.sessions.get(key(handle?.sessionId));
    const operation = (handle: Any) => {
      for (const s of this.sessions.values()) {
        const op = s.operations.get(key(handle?.operationId));
        if (op) return { session: s, op };
      }
      return undefined;
    };
    const noSession = () => invalid("Invalid SessionHandle: the session does not exist or was closed.");
    const noOperation = () => invalid("Invalid OperationHandle: the operation does not exist or was closed.");
    // Handle ids are UUIDs: the driver prints them as such.
    const handleId = () =>
      new t.THandleIdentifier({
        guid: Buffer.from(randomUUID().replace(/-/g, ""), "hex"),
        secret: randomBytes(16),
      });

    // Every method takes its request: the generated processor treats one-argument methods as
    // returning their response (zero-argument ones would be called with a callback).
    return {
      OpenSession: (_req) => {
        const sessionHandle = new t.TSessionHandle({ sessionId: handleId() });
        this.sessions.set(key(sessionHandle.sessionId), { operations: new Map() });
        return new t.TOpenSessionResp({
          status: ok(),
          serverProtocolVersion: t.TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8,
          sessionHandle,
          configuration: {},
        });
      },
      CloseSession: (req) => {
        const found = this.sessions.delete(key(req.sessionHandle?.sessionId));
        return new t.TCloseSessionResp({ status: found ? ok() : noSession() });
      },
      GetInfo: (req) =>
        session(req.sessionHandle)
          ? new t.TGetInfoResp({
              status: ok(),
              infoValue: new t.TGetInfoValue({ stringValue: INFO[req.infoType] ?? "" }),
            })
          : new t.TGetInfoResp({ status: noSession(), infoValue: new t.TGetInfoValue({}) }),
      ExecuteStatement: (req) => {
        const s = session(req.sessionHandle);
        if (!s) return new t.TExecuteStatementResp({ status: noSession() });
        const op: Operation = { offset: 0, arrow: req.canReadArrowResult === true };
        try {
          op.result = this.backend.execute(req.statement, parameters(req.parameters));
        } catch (e) {
          if (!(e instanceof Error && "sqlState" in e)) throw e;
          op.error = e as SqlFailure;
        }
        const operationHandle = new t.TOperationHandle({
          operationId: handleId(),
          operationType: t.TOperationType.EXECUTE_STATEMENT,
          hasResultSet: true,
        });
        s.operations.set(key(operationHandle.operationId), op);
        return new t.TExecuteStatementResp({ status: ok(), operationHandle });
      },
      GetOperationStatus: (req) => {
        const found = operation(req.operationHandle);
        if (!found) return new t.TGetOperationStatusResp({ status: noOperation() });
        const { error } = found.op;
        return new t.TGetOperationStatusResp({
          status: ok(),
          operationState: error ? t.TOperationState.ERROR_STATE : t.TOperationState.FINISHED_STATE,
          hasResultSet: !error,
          ...(error
            ? { errorMessage: error.message, displayMessage: error.message, sqlState: error.sqlState }
            : {}),
        });
      },
      GetResultSetMetadata: (req) => {
        const op = operation(req.operationHandle)?.op;
        if (!op?.result) return new t.TGetResultSetMetadataResp({ status: noOperation() });
        const { columns } = op.result;
        return new t.TGetResultSetMetadataResp({
          status: ok(),
          schema: new t.TTableSchema({ columns: columns.map((c) => this.columnDesc(c)) }),
          resultFormat: op.arrow ? t.TSparkRowSetType.ARROW_BASED_SET : t.TSparkRowSetType.COLUMN_BASED_SET,
          lz4Compressed: false,
          ...(op.arrow ? { arrowSchema: this.arrowIpc(columns, []).schema } : {}),
        });
      },
      FetchResults: (req) => {
        const op = operation(req.operationHandle)?.op;
        if (!op?.result) return new t.TFetchResultsResp({ status: noOperation() });
        const { rows, columns } = op.result;
        const max = Math.max(1, Number(req.maxRows?.toNumber?.() ?? req.maxRows ?? 10_000));
        const start = op.offset;
        const slice = rows.slice(start, start + max);
        op.offset = start + slice.length;
        const results = op.arrow
          ? {
              arrowBatches: slice.length
                ? [
                    new t.TSparkArrowBatch({
                      batch: this.arrowIpc(columns, slice).batches,
                      rowCount: new this.m.Int64(slice.length),
                    }),
                  ]
                : [],
            }
          : {
              columns: columns.map((c, i) =>
                this.column(
                  c,
                  slice.map((r) => r[i]),
                ),
              ),
            };
        return new t.TFetchResultsResp({
          status: ok(),
          hasMoreRows: op.offset < rows.length,
          results: new t.TRowSet({ startRowOffset: new this.m.Int64(start), rows: [], ...results }),
        });
      },
      CancelOperation: (req) =>
        new t.TCancelOperationResp({ status: operation(req.operationHandle) ? ok() : noOperation() }),
      CloseOperation: (req) => {
        const found = operation(req.operationHandle);
        found?.session.operations.delete(key(req.operationHandle.operationId));
        return new t.TCloseOperationResp({ status: found ? ok() : noOperation() });
      },
    };
  }

  /**
   * Rows as Arrow IPC stream bytes, split as the protocol carries them: the schema message
   * (`arrowSchema`) apart from the record-batch messages (`arrowBatches`), without the end marker.
   */
  private arrowIpc(columns: ResultColumn[], rows: unknown[][]): { schema: Buffer; batches: Buffer } {
    const arrow = this.arrowModule!;
    const cells = rows.map((r) =>
      // ARRAY, MAP and STRUCT travel as JSON text, as in the Statement Execution API's Arrow results.
      r.map((v) => (v !== null && typeof v === "object" && !(v instanceof Uint8Array) ? json(v) : v)),
    );
    const table = tableFromSqlRows(arrow, columns, cells);
    const empty = arrow.tableToIPC(new arrow.Table(table.schema), "stream");
    const full = arrow.tableToIPC(table, "stream");
    const schemaEnd = empty.length - END_OF_STREAM_BYTES;
    return {
      schema: Buffer.from(empty.subarray(0, schemaEnd)),
      batches: Buffer.from(full.subarray(schemaEnd, full.length - END_OF_STREAM_BYTES)),
    };
  }

  private columnDesc(c: ResultColumn): Any {
    const t = this.m.types;
    const qualifiers =
      c.type_name === "DECIMAL"
        ? new t.TTypeQualifiers({
            qualifiers: {
              precision: new t.TTypeQualifierValue({ i32Value: c.type_precision }),
              scale: new t.TTypeQualifierValue({ i32Value: c.type_scale }),
            },
          })
        : undefined;
    return new t.TColumnDesc({
      columnName: c.name,
      position: c.position + 1,
      comment: "",
      typeDesc: new t.TTypeDesc({
        types: [
          new t.TTypeEntry({
            primitiveEntry: new t.TPrimitiveTypeEntry({
              type: t.TTypeId[THRIFT_TYPE[c.type_name] ?? "STRING_TYPE"],
              ...(qualifiers ? { typeQualifiers: qualifiers } : {}),
            }),
          }),
        ],
      }),
    });
  }

  /** One column of a column-based row set: typed values with a null bitmap (bit set = null). */
  private column(c: ResultColumn, values: unknown[]): Any {
    const t = this.m.types;
    const nulls = Buffer.alloc(Math.ceil(values.length / 8));
    values.forEach((v, i) => {
      if (v === null || v === undefined) nulls[i >> 3]! |= 1 << (i & 7);
    });
    const fill = <T>(convert: (v: unknown) => T, empty: T) =>
      values.map((v) => (v === null || v === undefined ? empty : convert(v)));
    switch (c.type_name) {
      case "BOOLEAN":
        return new t.TColumn({ boolVal: new t.TBoolColumn({ values: fill(Boolean, false), nulls }) });
      case "BYTE":
        return new t.TColumn({ byteVal: new t.TByteColumn({ values: fill(Number, 0), nulls }) });
      case "SHORT":
        return new t.TColumn({ i16Val: new t.TI16Column({ values: fill(Number, 0), nulls }) });
      case "INT":
        return new t.TColumn({ i32Val: new t.TI32Column({ values: fill(Number, 0), nulls }) });
      case "LONG":
        return new t.TColumn({
          i64Val: new t.TI64Column({ values: fill((v) => this.int64(v), this.int64(0)), nulls }),
        });
      case "FLOAT":
      case "DOUBLE":
        return new t.TColumn({ doubleVal: new t.TDoubleColumn({ values: fill(Number, 0), nulls }) });
      case "BINARY":
        return new t.TColumn({
          binaryVal: new t.TBinaryColumn({
            values: fill((v) => Buffer.from(v as Uint8Array), Buffer.alloc(0)),
            nulls,
          }),
        });
      default:
        return new t.TColumn({
          stringVal: new t.TStringColumn({ values: fill((v) => text(c, v), ""), nulls }),
        });
    }
  }

  private int64(v: unknown): Any {
    const bytes = Buffer.alloc(8);
    bytes.writeBigInt64BE(BigInt(v as number | bigint));
    return new this.m.Int64(bytes);
  }
}

const END_OF_STREAM_BYTES = 8;

// Spark's TGetInfoType values the driver may ask for.
const INFO: Record<number, string> = {
  20: "Databricks SQL (brickml emulator)",
  18: "Spark SQL",
  19: "3.5.0",
};

const THRIFT_TYPE: Record<string, string> = {
  BOOLEAN: "BOOLEAN_TYPE",
  BYTE: "TINYINT_TYPE",
  SHORT: "SMALLINT_TYPE",
  INT: "INT_TYPE",
  LONG: "BIGINT_TYPE",
  FLOAT: "FLOAT_TYPE",
  DOUBLE: "DOUBLE_TYPE",
  STRING: "STRING_TYPE",
  TIMESTAMP: "TIMESTAMP_TYPE",
  BINARY: "BINARY_TYPE",
  ARRAY: "ARRAY_TYPE",
  MAP: "MAP_TYPE",
  STRUCT: "STRUCT_TYPE",
  DECIMAL: "DECIMAL_TYPE",
  NULL: "NULL_TYPE",
  DATE: "DATE_TYPE",
  CHAR: "CHAR_TYPE",
  INTERVAL: "INTERVAL_DAY_TIME_TYPE",
};

/** Values that travel as text, as Spark's Thrift server writes them. */
function text(c: ResultColumn, v: unknown): string {
  if (c.type_name === "TIMESTAMP") return String(v).replace("T", " ").replace(/Z$/, "");
  return typeof v === "object" ? json(v) : String(v);
}

function json(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));
}

function key(id: Any): string {
  return id?.guid ? Buffer.from(id.guid).toString("hex") : "";
}

/** The driver's TSparkParameter list as named statement parameters (ordinal ones are not supported). */
function parameters(list: Any[] | null | undefined): StatementParameter[] {
  return (list ?? [])
    .filter((p) => p.name)
    .map((p) => ({
      name: p.name,
      value: p.value?.stringValue ?? null,
      type: p.type ?? "STRING",
    }));
}
