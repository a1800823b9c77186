import * as arrow from "apache-arrow";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Databricks, isAbortError, isOperationFailed, isValidationError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";

/** A stand-in for @databricks/sql that records what is opened, run and closed. */
const driver = vi.hoisted(() => {
  const log: string[] = [];
  const state = {
    log,
    connectOptions: undefined as any,
    rows: [] as object[],
    schema: null as any,
    executeOptions: undefined as any,
    fail: undefined as "execute" | "fetch" | undefined,
    hangFetch: false,
  };
  class DBSQLClient {
    async connect(options: any) {
      state.connectOptions = options;
      log.push("connect");
      return this;
    }
    async openSession(request: any) {
      log.push(`openSession ${JSON.stringify(request)}`);
      return {
        executeStatement: async (sql: string, options: any) => {
          state.executeOptions = options;
          log.push(`execute ${sql}`);
          if (state.fail === "execute")
            throw Object.assign(new Error("[PARSE_SYNTAX_ERROR] near x"), { name: "OperationStateError" });
          return {
            fetchAll: () => {
              log.push("fetchAll");
              if (state.fail === "fetch") return Promise.reject(new Error("connection reset"));
              return state.hangFetch ? new Promise(() => undefined) : Promise.resolve(state.rows);
            },
            getSchema: async () => state.schema,
            cancel: async () => log.push("operation.cancel"),
            close: async () => log.push("operation.close"),
          };
        },
        close: async () => log.push("session.close"),
      };
    }
    async close() {
      log.push("client.close");
    }
  }
  return { state, DBSQLClient };
});

vi.mock("@databricks/sql", () => ({ DBSQLClient: driver.DBSQLClient }));

const col = (columnName: string, type: number, qualifiers?: Record<string, { i32Value: number }>) => ({
  columnName,
  typeDesc: {
    types: [{ primitiveEntry: { type, ...(qualifiers ? { typeQualifiers: { qualifiers } } : {}) } }],
  },
});

const db = () =>
  new Databricks({ host: "https://adb-1.2.azuredatabricks.net", token: "dapi-secret", env: {} });
const HTTP_PATH = "/sql/1.0/warehouses/abc";

afterEach(() => {
  const s = driver.state;
  s.log.length = 0;
  s.fail = undefined;
  s.hangFetch = false;
  s.rows = [];
  s.schema = null;
});

describe("SQL through @databricks/sql", () => {
  it("connects with the client's host and token, runs one statement per session and closes in order", async () => {
    driver.state.schema = {
      columns: [
        col("id", 4),
        col("name", 7),
        col("ts", 8),
        col("amount", 15, { precision: { i32Value: 10 }, scale: { i32Value: 2 } }),
      ],
    };
    driver.state.rows = [{ id: 1n, name: "a", ts: new Date(Date.UTC(2024, 0, 1)), amount: "12.30" }];
    const sql = db().sqlDriver({ httpPath: HTTP_PATH, catalog: "main", schema: "ml" });
    const rows = await sql.sql("SELECT * FROM t WHERE id = :id", { parameters: { id: 1 } });
    expect(rows).toEqual([{ id: 1, name: "a", ts: "2024-01-01T00:00:00.000Z", amount: 12.3 }]);
    expect(driver.state.connectOptions).toMatchObject({
      host: "adb-1.2.azuredatabricks.net",
      path: HTTP_PATH,
      authType: "access-token",
      token: "dapi-secret",
      preserveBigNumericPrecision: true,
    });
    expect(driver.state.connectOptions.userAgentEntry).toMatch(/^brickml\//);
    expect(driver.state.executeOptions).toEqual({ namedParameters: { id: 1 } });
    await sql.sql("SELECT 1", { parameters: [1] });
    expect(driver.state.executeOptions).toEqual({ ordinalParameters: [1] });
    await sql.close();
    expect(driver.state.log).toEqual([
      "connect",
      'openSession {"initialCatalog":"main","initialSchema":"ml"}',
      "execute SELECT * FROM t WHERE id = :id",
      "fetchAll",
      "operation.close",
      "session.close",
      'openSession {"initialCatalog":"main","initialSchema":"ml"}',
      "execute SELECT 1",
      "fetchAll",
      "operation.close",
      "session.close",
      "client.close",
    ]);
  });

  it("never returns a wrong number for BIGINT, and gives Arrow with the result schema's types", async () => {
    driver.state.schema = { columns: [col("id", 4), col("x", 6)] };
    driver.state.rows = [{ id: 2n ** 60n, x: 0.5 }];
    const err = await rejection(db().sql("SELECT id, x", { httpPath: HTTP_PATH }));
    expect(isValidationError(err)).toBe(true);
    expect(err.issues[0].path).toBe("id[0]");
    expect(await db().sql("SELECT id, x", { httpPath: HTTP_PATH, int64: "bigint" })).toEqual([
      { id: 2n ** 60n, x: 0.5 },
    ]);
    const table = await db().sql("SELECT id, x", { httpPath: HTTP_PATH, format: "arrow" });
    expect(table).toBeInstanceOf(arrow.Table);
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(["Int64", "Float64"]);
    expect(table.getChild("id")!.get(0)).toBe(2n ** 60n);
    // every one-shot call closed what it opened
    expect(driver.state.log.filter((l) => l === "session.close").length).toBe(3);
    expect(driver.state.log.filter((l) => l === "client.close").length).toBe(3);
  });

  it("closes the session when the statement fails, and the operation too when fetching fails", async () => {
    driver.state.fail = "execute";
    const err = await rejection(db().sql("SELEC x", { httpPath: HTTP_PATH }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.message).toContain("PARSE_SYNTAX_ERROR");
    expect(driver.state.log.slice(-2)).toEqual(["session.close", "client.close"]);
    expect(driver.state.log).not.toContain("operation.close");

    driver.state.log.length = 0;
    driver.state.fail = "fetch";
    await rejection(db().sql("SELECT 1", { httpPath: HTTP_PATH }));
    expect(driver.state.log.slice(-3)).toEqual(["operation.close", "session.close", "client.close"]);
  });

  it("cancels and closes everything when the caller aborts", async () => {
    driver.state.hangFetch = true;
    const controller = new AbortController();
    const sql = db().sqlDriver({ httpPath: HTTP_PATH });
    const pending = sql.sql("SELECT sleep()", { signal: controller.signal });
    await vi.waitFor(() => expect(driver.state.log).toContain("fetchAll"));
    controller.abort();
    expect(isAbortError(await rejection(pending))).toBe(true);
    await sql.close();
    expect(driver.state.log.slice(-4)).toEqual([
      "operation.cancel",
      "operation.close",
      "session.close",
      "client.close",
    ]);
    const already = await rejection(sql.sql("SELECT 1", { signal: controller.signal }));
    expect(isAbortError(already)).toBe(true);
  });

  it("asks the client's credentials for a token when they are not a PAT", async () => {
    let calls = 0;
    const oauth = new Databricks({
      host: "https://adb-1.2.azuredatabricks.net",
      tokenProvider: async () => `oauth-${++calls}`,
      env: {},
    });
    await oauth.sql("SELECT 1", { httpPath: HTTP_PATH });
    expect(driver.state.connectOptions.authType).toBe("external-token");
    expect(await driver.state.connectOptions.getToken()).toMatch(/^oauth-\d+$/);
    expect(() => oauth.sqlDriver({ httpPath: "sql/1.0/warehouses/x" })).toThrow(/HTTP path/);
  });
});
