import { afterAll, describe, expect, it } from "vitest";
import { SqlEngine, type SqlFailure } from "../../../src/emulator/services/sql-engine.js";
import { toDuckDb } from "../../../src/emulator/sql/dialect.js";
import { duckdbModulePath } from "../../../src/emulator/sql/duckdb-worker.js";
import { duckTypeText } from "../../../src/emulator/sql/types.js";

const NOW = Date.UTC(2024, 0, 1);

describe("Databricks SQL to DuckDB", () => {
  it("quotes three-part names as one identifier and leaves literals, comments and parameters alone", () => {
    const to = (sql: string) => toDuckDb(sql, { now: NOW });
    expect(to("SELECT a.x, t.y FROM main.ml.t AS t JOIN `main`.`ml`.`u` a ON a.id = t.id")).toBe(
      'SELECT a.x, t.y FROM "main.ml.t" AS t JOIN "main.ml.u" a ON a.id = t.id',
    );
    expect(to("SELECT 'main.ml.t', x FROM c.s.t -- from c.s.t\nWHERE id = :id")).toBe(
      "SELECT 'main.ml.t', x FROM \"c.s.t\" -- from c.s.t\nWHERE id = $id",
    );
    expect(to("SELECT c.s.t.col FROM c.s.t")).toBe('SELECT "c.s.t".col FROM "c.s.t"');
    expect(to("CREATE TABLE c.s.t (a STRING, b ARRAY<STRING>, m MAP<STRING, INT>) USING DELTA")).toBe(
      'CREATE TABLE "c.s.t" (a STRING, b STRING[], m MAP(STRING, INT)) ',
    );
    expect(to("SELECT 'it''s a.b.c' AS s, x::INT AS i")).toBe("SELECT 'it''s a.b.c' AS s, x::INT AS i");
    expect(toDuckDb("SELECT :n", { now: NOW, parameterTypes: { n: "DECIMAL(10,2)" } })).toBe(
      "SELECT CAST($n AS DECIMAL(10,2))",
    );
  });

  it("translates Databricks type texts, nested ones too", () => {
    expect(duckTypeText("STRUCT<a: INT, `b c`: ARRAY<MAP<STRING, DOUBLE>>>")).toBe(
      'STRUCT("a" INT, "b c" MAP(STRING, DOUBLE)[])',
    );
    expect(duckTypeText("long")).toBe("BIGINT");
    expect(duckTypeText("decimal(10, 2)")).toBe("DECIMAL(10,2)");
  });
});

describe("the SQL engine", () => {
  const modulePath = duckdbModulePath();
  if (modulePath instanceof Error) throw modulePath;
  const engine = new SqlEngine(modulePath, () => NOW);
  afterAll(() => engine.close());
  const fail = (sql: string, params: Parameters<SqlEngine["execute"]>[1] = []) => {
    try {
      engine.execute(sql, params);
    } catch (e) {
      return e as SqlFailure;
    }
    throw new Error("expected a failure");
  };

  it("types results as Databricks SQL does", () => {
    const r = engine.execute(
      `SELECT 1 AS i, CAST(7 AS BIGINT) AS l, true AS b, 'a' AS s, 2.5D AS d, CAST(1.5 AS DOUBLE) AS d2,
              CAST(3.10 AS DECIMAL(10,2)) AS dec, DATE '2024-02-29' AS dt,
              TIMESTAMP '2024-01-02 03:04:05.678' AS ts, NULL AS n, [1, 2] AS arr,
              MAP {'k': 1.5::DOUBLE} AS m, {'x': 1, 'y': 'z'} AS st, count(*) AS c`,
    );
    expect(r.columns.map((c) => [c.name, c.type_name, c.type_text])).toEqual([
      ["i", "INT", "INT"],
      ["l", "LONG", "BIGINT"],
      ["b", "BOOLEAN", "BOOLEAN"],
      ["s", "STRING", "STRING"],
      ["d", "DOUBLE", "DOUBLE"],
      ["d2", "DOUBLE", "DOUBLE"],
      ["dec", "DECIMAL", "DECIMAL(10,2)"],
      ["dt", "DATE", "DATE"],
      ["ts", "TIMESTAMP", "TIMESTAMP"],
      ["n", expect.any(String), expect.any(String)],
      ["arr", "ARRAY", "ARRAY<INT>"],
      ["m", "MAP", "MAP<STRING, DOUBLE>"],
      ["st", "STRUCT", "STRUCT<x: INT, y: STRING>"],
      ["c", "LONG", "BIGINT"],
    ]);
    expect(r.columns[6]).toMatchObject({ type_precision: 10, type_scale: 2 });
    expect(r.rows).toEqual([
      [
        1,
        7n,
        true,
        "a",
        2.5,
        1.5,
        "3.10",
        "2024-02-29",
        "2024-01-02T03:04:05.678Z",
        null,
        [1, 2],
        { k: 1.5 },
        { x: 1, y: "z" },
        1n,
      ],
    ]);
  });

  it("runs DDL and DML with Databricks names, the emulator clock and INSERT OVERWRITE", () => {
    expect(engine.execute("USE CATALOG main").columns).toEqual([]);
    engine.execute("CREATE TABLE c.s.t (id BIGINT, v DOUBLE)");
    engine.execute("CREATE OR REPLACE TABLE c.s.t (id BIGINT, name STRING)");
    expect(engine.execute("INSERT INTO c.s.t VALUES (1, '007'), (2, 'b')").rows).toEqual([[2n, 2n]]);
    const r = engine.execute(
      "SELECT *, current_timestamp() AS now, CURRENT_DATE AS d FROM c.s.t ORDER BY id",
    );
    expect(r.rows[0]).toEqual([1n, "007", "2024-01-01T00:00:00.000Z", "2024-01-01"]);
    expect(r.columns.map((c) => c.type_text)).toEqual(["BIGINT", "STRING", "TIMESTAMP", "DATE"]);
    expect(engine.execute("INSERT OVERWRITE TABLE c.s.t VALUES (3, 'c')").rows).toEqual([[1n, 1n]]);
    expect(engine.execute("SELECT id FROM c.s.t").rows).toEqual([[3n]]);
    expect(engine.execute("UPDATE c.s.t SET name = 'd'").rows).toEqual([[1n]]);
  });

  it("creates tables from Databricks column types and appends JavaScript values", () => {
    engine.createTable("c.s.cap", [
      { name: "id", type: "BIGINT" },
      { name: "at", type: "TIMESTAMP" },
      { name: "tags", type: "ARRAY<STRING>" },
      { name: "meta", type: "MAP<STRING, STRING>" },
      { name: "ok", type: "BOOLEAN" },
    ]);
    engine.insertRows(
      "c.s.cap",
      ["id", "at", "tags", "meta", "ok"],
      [[1, "2024-03-01T10:00:00.000Z", ["a", "it's"], { k: "v" }, true]],
    );
    expect(engine.tableColumns("c.s.cap")).toEqual([
      { name: "id", type: "BIGINT" },
      { name: "at", type: "TIMESTAMP" },
      { name: "tags", type: "ARRAY<STRING>" },
      { name: "meta", type: "MAP<STRING, STRING>" },
      { name: "ok", type: "BOOLEAN" },
    ]);
    expect(engine.tableColumns("c.s.nope")).toBeUndefined();
    expect(engine.execute("SELECT * FROM c.s.cap").rows).toEqual([
      [1n, "2024-03-01T10:00:00.000Z", ["a", "it's"], { k: "v" }, true],
    ]);
  });

  it("binds named parameters with their declared types", () => {
    const r = engine.execute("SELECT :n + 1 AS n, :b AS b, :d AS d, :s AS s", [
      { name: "n", value: "41", type: "INT" },
      { name: "b", value: "true", type: "BOOLEAN" },
      { name: "d", value: "1.25", type: "DECIMAL(5,2)" },
      { name: "s", value: "x" },
    ]);
    expect(r.rows).toEqual([[42, true, "1.25", "x"]]);
    expect(r.columns.map((c) => c.type_name)).toEqual(["INT", "BOOLEAN", "DECIMAL", "STRING"]);
    expect(fail("SELECT :n", [{ name: "n", value: "x", type: "INT" }]).message).toContain(
      "INVALID_PARAMETER_MARKER_VALUE",
    );
  });

  it("reports SQL errors with Databricks error classes", () => {
    expect(fail("SELECT * FROM c.s.nope").message).toBe(
      "[TABLE_OR_VIEW_NOT_FOUND] The table or view `c`.`s`.`nope` cannot be found. Verify the spelling and correctness of the schema and catalog.",
    );
    expect(fail("SELECT nope FROM c.s.t").sqlState).toBe("42703");
    expect(fail("CREATE TABLE c.s.t (a INT)").sqlState).toBe("42P07");
    expect(fail("SELECT 1; SELECT 2").sqlState).toBe("42601");
    expect(fail("SELEC 1").sqlState).toBe("42601");
    expect(fail("SELECT :p").message).toContain("UNBOUND_SQL_PARAMETER");
    expect(fail("SELECT nofn(1)").message).toContain("UNRESOLVED_ROUTINE");
    expect(fail("SELECT CAST('x' AS INT)").sqlState).toBe("22018");
  });
});
