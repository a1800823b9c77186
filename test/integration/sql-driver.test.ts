import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks, isOperationFailed } from "../../src/index.js";
import { rejection } from "../helpers.js";

// The official @databricks/sql driver (a devDependency) against the emulator's Thrift endpoint.
describe("db.sql() through the real @databricks/sql driver", () => {
  let emu: Emulator;
  let db: Databricks;
  let httpPath: string;
  beforeAll(async () => {
    emu = await startEmulator();
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const [w] = await db.warehouses.list().toArray({ limit: 1 });
    httpPath = w!.odbc_params!.path!;
  });
  afterAll(() => emu.close());

  it("runs SELECTs with typed results", async () => {
    const rows = await db.sql(
      `SELECT 1 AS i, CAST(7 AS BIGINT) AS l, true AS b, 2.5D AS d, CAST(12.30 AS DECIMAL(10,2)) AS dec,
              'a' AS s, DATE '2024-02-29' AS dt, TIMESTAMP '2024-01-02 03:04:05.678' AS ts,
              CAST(NULL AS INT) AS n, CAST(NULL AS STRING) AS ns`,
      { httpPath },
    );
    expect(rows).toEqual([
      {
        i: 1,
        l: 7,
        b: true,
        d: 2.5,
        dec: 12.3,
        s: "a",
        dt: "2024-02-29",
        ts: "2024-01-02T03:04:05.678Z",
        n: null,
        ns: null,
      },
    ]);
  });

  it("keeps 64-bit integers exact with int64: bigint, and reads many rows in several fetches", async () => {
    const big = await db.sql("SELECT CAST(9007199254740993 AS BIGINT) AS id", { httpPath, int64: "bigint" });
    expect(big).toEqual([{ id: 9007199254740993n }]);
    const many = await db.sql("SELECT range AS id FROM range(25000)", { httpPath });
    expect(many).toHaveLength(25_000);
    expect(many[24_999]).toEqual({ id: 24_999 });
  });

  it("creates, writes with named parameters and reads back through one reused connection", async () => {
    const sql = db.sqlDriver({ httpPath });
    try {
      await sql.sql("CREATE TABLE main.drv.t (id BIGINT, name STRING, score DOUBLE)");
      await sql.sql("INSERT INTO main.drv.t VALUES (:id, :name, :score)", {
        parameters: { id: 1n, name: "ada", score: 0.5 },
      });
      expect(
        await sql.sql("SELECT * FROM main.drv.t WHERE name = :name", { parameters: { name: "ada" } }),
      ).toEqual([{ id: 1, name: "ada", score: 0.5 }]);
      const table = await sql.sql("SELECT id, score FROM main.drv.t", { format: "arrow" });
      expect(table.numRows).toBe(1);
      expect(String(table.schema.fields.map((f) => f.type))).toBe("Int64,Float64");
      // The same table is seen by the Statement Execution API.
      const [w] = await db.warehouses.list().toArray({ limit: 1 });
      expect(await db.statements.query("SELECT name FROM main.drv.t", { warehouse_id: w!.id! })).toEqual([
        { name: "ada" },
      ]);
    } finally {
      await sql.close();
    }
  });

  it("turns SQL errors into OperationFailedError with the SQLSTATE", async () => {
    const err = await rejection(db.sql("SELECT * FROM main.drv.nope", { httpPath }));
    expect(isOperationFailed(err)).toBe(true);
    expect(String((err as Error).message)).toContain("TABLE_OR_VIEW_NOT_FOUND");
    expect((err as { info?: { sql_state?: string } }).info?.sql_state).toBe("42P01");
  });

  it("serves column-based results to a driver that does not read Arrow", async () => {
    const { DBSQLClient } = (await import("@databricks/sql")) as unknown as {
      DBSQLClient: new () => any;
    };
    const client = new DBSQLClient();
    client.getConfig().arrowEnabled = false;
    const connectionOptions = client.getConnectionOptions.bind(client);
    client.getConnectionOptions = (o: unknown) => ({ ...connectionOptions(o), https: false });
    const url = new URL(emu.url);
    await client.connect({ host: url.hostname, port: Number(url.port), path: httpPath, token: emu.token });
    const session = await client.openSession();
    try {
      const op = await session.executeStatement(
        "SELECT 1 AS i, true AS b, 'x' AS s, CAST(NULL AS DOUBLE) AS n, DATE '2024-01-02' AS d",
      );
      expect(await op.fetchAll()).toEqual([{ i: 1, b: true, s: "x", n: null, d: "2024-01-02" }]);
      const schema = await op.getSchema();
      expect(schema.columns.map((c: any) => c.typeDesc.types[0].primitiveEntry.type)).toEqual([
        3, 0, 7, 6, 17,
      ]);
      await op.close();
    } finally {
      await session.close();
      await client.close();
    }
  });

  it("answers 404 on the HTTP path of a warehouse that does not exist", async () => {
    const err = await rejection(db.sql("SELECT 1", { httpPath: "/sql/1.0/warehouses/nope" }));
    expect(String((err as Error).message)).toMatch(/404|does not exist/);
  });
});
