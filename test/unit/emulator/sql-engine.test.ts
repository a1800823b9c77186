import { describe, expect, it } from "vitest";
import {
  SqlEngine,
  type SqlFailure,
  sqliteDriver,
  toSqlite,
} from "../../../src/emulator/services/sql-engine.js";

describe("Databricks SQL to SQLite", () => {
  it("quotes three-part names as one identifier and leaves literals, comments and parameters alone", () => {
    expect(toSqlite("SELECT a.x, t.y FROM main.ml.t AS t JOIN `main`.`ml`.`u` a ON a.id = t.id")).toBe(
      'SELECT a.x, t.y FROM "main.ml.t" AS t JOIN "main.ml.u" a ON a.id = t.id',
    );
    expect(toSqlite("SELECT 'main.ml.t', x FROM c.s.t -- from c.s.t\nWHERE id = :id")).toBe(
      "SELECT 'main.ml.t', x FROM \"c.s.t\" -- from c.s.t\nWHERE id = :id",
    );
    expect(toSqlite("SELECT c.s.t.col FROM c.s.t")).toBe('SELECT "c.s.t".col FROM "c.s.t"');
    expect(toSqlite("CREATE TABLE c.s.t (a STRING, b BIGINT) USING DELTA")).toBe(
      'CREATE TABLE "c.s.t" (a TEXT, b BIGINT) ',
    );
    expect(toSqlite("SELECT 'it''s a.b.c' AS s")).toBe("SELECT 'it''s a.b.c' AS s");
  });

  it("runs statements and reports SQL errors with Databricks error classes", () => {
    const Driver = sqliteDriver();
    if (Driver instanceof Error) throw Driver;
    const engine = new SqlEngine(
      Driver,
      () => Date.UTC(2024, 0, 1),
      () => 0.25,
    );
    try {
      expect(engine.execute("USE CATALOG main").columns).toEqual([]);
      engine.execute("CREATE TABLE c.s.t (id BIGINT, v DOUBLE)");
      engine.execute("CREATE OR REPLACE TABLE c.s.t (id BIGINT, name STRING)");
      engine.execute("INSERT INTO c.s.t VALUES (1, '007')");
      const r = engine.execute(
        "SELECT *, current_timestamp() AS now, rand() AS r, CURRENT_DATE AS d FROM c.s.t",
      );
      expect(r.rows).toEqual([[1n, "007", "2024-01-01T00:00:00.000Z", 0.25, "2024-01-01"]]);
      expect(r.columns.map((c) => c.type_name)).toEqual(["LONG", "STRING", "STRING", "DOUBLE", "STRING"]);
      const fail = (sql: string, params: Parameters<SqlEngine["execute"]>[1] = []) => {
        try {
          engine.execute(sql, params);
        } catch (e) {
          return e as SqlFailure;
        }
        throw new Error("expected a failure");
      };
      expect(fail("SELECT * FROM c.s.nope").message).toBe(
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `c`.`s`.`nope` cannot be found. Verify the spelling and correctness of the schema and catalog.",
      );
      expect(fail("SELECT nope FROM c.s.t").sqlState).toBe("42703");
      expect(fail("CREATE TABLE c.s.t (a INT)").sqlState).toBe("42P07");
      expect(fail("SELECT 1; SELECT 2").sqlState).toBe("42601");
      expect(fail("SELECT :p").message).toContain("UNBOUND_SQL_PARAMETER");
      expect(fail("SELECT nofn(1)").message).toContain("UNRESOLVED_ROUTINE");
      expect(
        engine.execute("SELECT :n + 1 AS n, :b AS b", [
          { name: "n", value: "41", type: "INT" },
          { name: "b", value: "true", type: "BOOLEAN" },
        ]).rows,
      ).toEqual([[42n, 1n]]);
      expect(fail("SELECT :n", [{ name: "n", value: "x", type: "INT" }]).message).toContain(
        "INVALID_PARAMETER_MARKER_VALUE",
      );
    } finally {
      engine.close();
    }
  });
});
