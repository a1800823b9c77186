import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { SqlEmulatorExports } from "../../src/emulator/services/sql.js";
import { STARTER_WAREHOUSE_ID } from "../../src/emulator/services/warehouses.js";
import {
  Databricks,
  isAbortError,
  isNotFound,
  isOperationFailed,
  isValidationError,
  type StatementResponse,
} from "../../src/index.js";
import { realPayloads } from "../fixtures.js";
import { rejection } from "../helpers.js";

const W = STARTER_WAREHOUSE_ID;
const client = (emu: Emulator) => new Databricks({ host: emu.url, token: emu.token, env: {} });

describe("SQL warehouse on a manual clock", () => {
  let emu: Emulator;
  let db: Databricks;
  beforeAll(async () => {
    emu = await startEmulator({ manualClock: true });
    db = client(emu);
  });
  afterAll(() => emu.close());

  it("starts and stops warehouses through STARTING and STOPPING", async () => {
    const all = await db.warehouses.list().toArray({ limit: 10 });
    expect(all.map((w) => w.id)).toContain(W);
    expect((await db.warehouses.get({ id: W })).state).toBe("STOPPED");
    await db.warehouses.start({ id: W });
    const starting = await db.warehouses.get({ id: W });
    expect(starting.state).toBe("STARTING");
    expect(starting.odbc_params?.path).toBe(`/sql/1.0/warehouses/${W}`);
    emu.clock.advance(10_000);
    expect((await db.warehouses.get({ id: W })).state).toBe("RUNNING");
    await db.warehouses.stop({ id: W });
    expect((await db.warehouses.get({ id: W })).state).toBe("STOPPING");
    emu.clock.advance(30_000);
    expect((await db.warehouses.get({ id: W })).state).toBe("STOPPED");
    expect(isNotFound(await rejection(db.warehouses.get({ id: "0000000000000000" })))).toBe(true);
  });

  it("queues a statement while the warehouse starts, runs it, and closes its results after an hour", async () => {
    const submitted = await db.statements.executeStatement({
      statement: "SELECT 1 AS one, 'a' AS letter",
      warehouse_id: W,
      wait_timeout: "10s",
    });
    expect(submitted.status?.state).toBe("PENDING");
    expect((await db.warehouses.get({ id: W })).state).toBe("STARTING");
    const id = submitted.statement_id!;
    emu.clock.advance(10_000);
    expect((await db.statements.getStatement({ statement_id: id })).status?.state).toBe("RUNNING");
    emu.clock.advance(1_000);
    const done = await db.statements.getStatement({ statement_id: id });
    expect(done.status?.state).toBe("SUCCEEDED");
    expect(done.manifest).toMatchObject({
      format: "JSON_ARRAY",
      schema: {
        column_count: 2,
        columns: [
          { name: "one", position: 0, type_name: "INT", type_text: "INT" },
          { name: "letter", position: 1, type_name: "STRING" },
        ],
      },
      total_chunk_count: 1,
      total_row_count: 1,
      truncated: false,
    });
    expect(done.result).toMatchObject({
      chunk_index: 0,
      row_offset: 0,
      row_count: 1,
      data_array: [["1", "a"]],
    });
    expect(await db.statements.fetchRows(done)).toEqual([{ one: 1, letter: "a" }]);

    emu.clock.advance(60 * 60_000);
    expect((await db.statements.getStatement({ statement_id: id })).status?.state).toBe("CLOSED");
    const err = await rejection(db.statements.getStatementResultChunkN({ statement_id: id, chunk_index: 0 }));
    expect(err.statusCode).toBe(400);
    emu.clock.advance(12 * 60 * 60_000);
    expect(isNotFound(await rejection(db.statements.getStatement({ statement_id: id })))).toBe(true);
  });

  it("answers wait_timeout 0s at once and cancels on request", async () => {
    await db.warehouses.start({ id: W });
    emu.clock.advance(10_000);
    const s = await db.statements.executeStatement({
      statement: "SELECT 1",
      warehouse_id: W,
      wait_timeout: "0s",
    });
    expect(s.status?.state).toBe("RUNNING");
    await db.statements.cancelExecution({ statement_id: s.statement_id! });
    expect((await db.statements.getStatement({ statement_id: s.statement_id! })).status?.state).toBe(
      "CANCELED",
    );
    emu.clock.advance(5_000);
    expect((await db.statements.getStatement({ statement_id: s.statement_id! })).status?.state).toBe(
      "CANCELED",
    );
  });

  it("fails statements when their warehouse is stopped under them, and stops idle warehouses", async () => {
    const s = await db.statements.executeStatement({
      statement: '-- brickml-emulator: {"durationMs": 600000}\nSELECT 1',
      warehouse_id: W,
      wait_timeout: "0s",
    });
    expect(s.status?.state).toBe("RUNNING");
    await db.warehouses.stop({ id: W });
    const failed = await db.statements.getStatement({ statement_id: s.statement_id! });
    expect(failed.status?.state).toBe("FAILED");
    expect(failed.status?.error?.message).toContain("stopped");
    emu.clock.advance(30_000);
    await db.warehouses.start({ id: W });
    emu.clock.advance(10_000);
    expect((await db.warehouses.get({ id: W })).state).toBe("RUNNING");
    emu.clock.advance(10 * 60_000 + 30_000);
    expect((await db.warehouses.get({ id: W })).state).toBe("STOPPED");
  });
});

describe("SQL statements against the emulator", () => {
  let emu: Emulator;
  let db: Databricks;
  let sql: SqlEmulatorExports;
  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 2000 });
    db = client(emu);
    sql = emu.context.service<SqlEmulatorExports>("sql")!;
    await db.statements.query(
      "CREATE TABLE main.ml.customers (id BIGINT, name STRING, score DOUBLE, joined TIMESTAMP, active BOOLEAN, zip STRING, amount DECIMAL(10,2))",
      { warehouse_id: W },
    );
  });
  afterAll(() => emu.close());
  afterEach(() => {
    emu.faults.clear();
    sql.setChunkRows(20_000);
  });

  it("creates, inserts with named parameters and reads typed rows", async () => {
    const inserted = await db.statements.query(
      "INSERT INTO main.ml.customers VALUES (:id, :name, :score, :joined, :active, :zip, :amount)",
      {
        warehouse_id: W,
        parameters: [
          { name: "id", value: "9007199254740993", type: "BIGINT" },
          { name: "name", value: "Ada" },
          { name: "score", value: "0.75", type: "DOUBLE" },
          { name: "joined", value: "2024-03-01T10:00:00Z", type: "TIMESTAMP" },
          { name: "active", value: "true", type: "BOOLEAN" },
          { name: "zip", value: "00501" },
          { name: "amount", value: "12.30", type: "DECIMAL(10,2)" },
        ],
      },
    );
    expect(inserted).toEqual([{ num_affected_rows: 1, num_inserted_rows: 1 }]);
    await db.statements.query("INSERT INTO main.ml.customers (id, name, score) VALUES (2, 'Bo', 2)", {
      warehouse_id: W,
    });

    const query = "SELECT * FROM main.ml.customers ORDER BY name";
    const err = await rejection(db.statements.query(query, { warehouse_id: W }));
    expect(isValidationError(err)).toBe(true);
    expect(err.issues[0].path).toBe("id[0]");
    const rows = await db.statements.query(query, { warehouse_id: W, int64: "bigint" });
    expect(rows).toEqual([
      {
        id: 9007199254740993n,
        name: "Ada",
        score: 0.75,
        joined: "2024-03-01T10:00:00.000Z",
        active: true,
        zip: "00501",
        amount: 12.3,
      },
      { id: 2n, name: "Bo", score: 2, joined: null, active: null, zip: null, amount: null },
    ]);

    const raw = await db.statements.executeAndWait({ statement: query, warehouse_id: W });
    expect(raw.result?.data_array?.[0]).toEqual([
      "9007199254740993",
      "Ada",
      "0.75",
      "2024-03-01T10:00:00.000Z",
      "true",
      "00501",
      "12.30",
    ]);
    expect(raw.result?.data_array?.[1]?.[2]).toBe("2.0");

    const table = await db.statements.query(query, { warehouse_id: W, format: "arrow" });
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      "id:Int64",
      "name:Utf8",
      "score:Float64",
      "joined:Timestamp<MICROSECOND, Etc/UTC>",
      "active:Bool",
      "zip:Utf8",
      "amount:Decimal[10e+2]",
    ]);
    expect(table.getChild("id")!.get(0)).toBe(9007199254740993n);
    expect(table.getChild("joined")!.get(0)).toBe(Date.UTC(2024, 2, 1, 10));
    expect(table.getChild("zip")!.get(0)).toBe("00501");
  });

  it("reports SQL errors as FAILED with HTTP 200, and the client turns them into OperationFailedError", async () => {
    const res = await db.request<StatementResponse>({
      method: "POST",
      path: "/api/2.0/sql/statements",
      body: { statement: "SELECT * FROM main.ml.nope", warehouse_id: W, wait_timeout: "30s" },
    });
    expect(res.status).toMatchObject({
      state: "FAILED",
      sql_state: "42P01",
      error: { error_code: "BAD_REQUEST", message: expect.stringContaining("[TABLE_OR_VIEW_NOT_FOUND]") },
    });
    const err = await rejection(db.statements.query("SELECT :missing AS x", { warehouse_id: W }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.info.error_code).toBe("BAD_REQUEST");
    expect(err.message).toContain("UNBOUND_SQL_PARAMETER");
    const syntax = await rejection(db.statements.query("SELEC 1", { warehouse_id: W }));
    expect(syntax.info.sql_state).toBe("42601");
  });

  it("splits results into chunks and reads them all, INLINE and as ARROW_STREAM external links", async () => {
    sql.setChunkRows(7);
    await db.statements.query(
      "CREATE TABLE main.ml.seq AS WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 99) SELECT x, x * 0.5 AS half, 'r' || x AS label FROM n",
      { warehouse_id: W },
    );
    const first = await db.statements.executeAndWait({
      statement: "SELECT * FROM main.ml.seq ORDER BY x",
      warehouse_id: W,
    });
    expect(first.manifest?.total_chunk_count).toBe(15);
    expect(first.result?.next_chunk_index).toBe(1);
    const rows = await db.statements.fetchRows(first, { concurrency: 3 });
    expect(rows.map((r) => r.x)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(rows[99]).toEqual({ x: 99, half: 49.5, label: "r99" });

    const table = await db.statements.query("SELECT * FROM main.ml.seq ORDER BY x", {
      warehouse_id: W,
      format: "arrow",
      concurrency: 4,
    });
    expect(table.numRows).toBe(100);
    expect([...table.getChild("x")!].map(Number)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(table.getChild("label")!.get(57)).toBe("r57");

    const limited = await db.statements.executeAndWait({
      statement: "SELECT * FROM main.ml.seq",
      warehouse_id: W,
      row_limit: 10,
    });
    expect(limited.manifest).toMatchObject({ total_row_count: 10, truncated: true });
  });

  it("serves external links only without the Authorization header, and only while they are valid", async () => {
    const res = await db.statements.executeAndWait({
      statement: "SELECT 1 AS a",
      warehouse_id: W,
      disposition: "EXTERNAL_LINKS",
      format: "ARROW_STREAM",
    });
    const link = res.result!.external_links![0]!;
    expect(link.expiration).toBeDefined();
    const withToken = await fetch(link.external_link, { headers: { Authorization: `Bearer ${emu.token}` } });
    expect(withToken.status).toBe(400);
    const plain = await fetch(link.external_link);
    expect(plain.status).toBe(200);
    // Only routes registered as public skip the bearer token.
    expect((await fetch(`${emu.url}/api/2.0/sql/warehouses`)).status).toBe(401);
    expect(plain.headers.get("content-type")).toBe("application/vnd.apache.arrow.stream");
    const tampered = await fetch(link.external_link.replace(/sig=[0-9a-f]/, "sig=x"));
    expect(tampered.status).toBe(403);
    const json = await db.statements.executeAndWait({
      statement: "SELECT 1 AS a, NULL AS b",
      warehouse_id: W,
      disposition: "EXTERNAL_LINKS",
      format: "JSON_ARRAY",
    });
    expect(await (await fetch(json.result!.external_links![0]!.external_link)).json()).toEqual([["1", null]]);
    expect(await db.statements.fetchRows(json)).toEqual([{ a: 1, b: null }]);
  });

  it("honours wait_timeout with on_wait_timeout CANCEL and CONTINUE", async () => {
    const slow = '-- brickml-emulator: {"durationMs": 3600000}\nSELECT 1';
    const cancelled = await db.statements.executeStatement({
      statement: slow,
      warehouse_id: W,
      wait_timeout: "5s",
      on_wait_timeout: "CANCEL",
    });
    expect(cancelled.status?.state).toBe("CANCELED");
    const continued = await db.statements.executeStatement({
      statement: slow,
      warehouse_id: W,
      wait_timeout: "5s",
    });
    expect(continued.status?.state).toBe("RUNNING");
    await db.statements.cancelExecution({ statement_id: continued.statement_id! });
  });

  it("cancels the statement on the warehouse when the caller aborts", async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const err = await rejection(
      db.statements.executeAndWait(
        { statement: '-- brickml-emulator: {"durationMs": 3600000}\nSELECT 1', warehouse_id: W },
        {
          onProgress: (e) => {
            seen.push((e.resource as StatementResponse).statement_id!);
            controller.abort();
          },
        },
        { signal: controller.signal },
      ),
    );
    expect(isAbortError(err)).toBe(true);
    const after = await db.statements.getStatement({ statement_id: seen[0]! });
    expect(after.status?.state).toBe("CANCELED");
  });

  it("keeps working under injected 429/503 faults and 5xx on reads", async () => {
    emu.faults.set({ rate: 0.3, kinds: ["429", "503"], seed: 7, retryAfterSeconds: 0 });
    const rows = await db.statements.query("SELECT count(*) AS n FROM main.ml.seq", { warehouse_id: W });
    expect(rows).toEqual([{ n: 100 }]);
    emu.faults.set({ rate: 0.3, kinds: ["500", "reset-after"], seed: 3, methods: ["GET"] });
    const t = await db.statements.query("SELECT x FROM main.ml.seq", { warehouse_id: W, format: "arrow" });
    expect(t.numRows).toBe(100);
    expect(Object.values(emu.faults.counts()).some((n) => n > 0)).toBe(true);
  });

  it("lets other services register tables that SQL then reads", async () => {
    sql.registerTable(
      "main.serving.churn_payload",
      [
        { name: "request_time", type: "TIMESTAMP" },
        { name: "status_code", type: "INT" },
        { name: "request", type: "STRING" },
      ],
      [
        ["2024-05-01T00:00:00.000Z", 200, '{"x":1}'],
        { request_time: "2024-05-01T00:01:00.000Z", status_code: 500, request: '{"x":2}' },
      ],
    );
    expect(sql.tableColumns("main.serving.churn_payload")?.map((c) => c.name)).toEqual([
      "request_time",
      "status_code",
      "request",
    ]);
    expect(sql.tableColumns("main.serving.nope")).toBeUndefined();
    const rows = await db.statements.query(
      "SELECT status_code, request FROM `main`.`serving`.`churn_payload` WHERE status_code = :code",
      { warehouse_id: W, parameters: { code: 500 } },
    );
    expect(rows).toEqual([{ status_code: 500, request: '{"x":2}' }]);
    expect(sql.query("SELECT count(*) AS n FROM main.serving.churn_payload").rows).toEqual([[2n]]);
  });

  it("accepts the real request bodies (placeholder warehouse replaced by a real one)", async () => {
    for (const p of realPayloads("sql.statements.").filter((p) => p.kind === "request")) {
      const res = await db.request<StatementResponse>({
        method: "POST",
        path: "/api/2.0/sql/statements",
        body: { ...p.body, warehouse_id: W },
      });
      expect(res.statement_id, p.file).toBeDefined();
      expect(["SUCCEEDED", "FAILED"]).toContain(res.status?.state);
    }
  });

  it("rejects malformed requests with 400 INVALID_PARAMETER_VALUE and unknown warehouses with 404", async () => {
    const post = (body: unknown) =>
      rejection(db.request({ method: "POST", path: "/api/2.0/sql/statements", body }));
    for (const body of [
      { warehouse_id: W },
      { statement: "SELECT 1", warehouse_id: W, wait_timeout: "51s" },
      { statement: "SELECT 1", warehouse_id: W, format: "ARROW_STREAM" },
      { statement: "SELECT 1", warehouse_id: W, disposition: "SIDEWAYS" },
      { statement: "SELECT 1", warehouse_id: W, parameters: [{ value: "x" }] },
    ]) {
      const err = await post(body);
      expect(err.errorCode, JSON.stringify(body)).toBe("INVALID_PARAMETER_VALUE");
    }
    expect(isNotFound(await post({ statement: "SELECT 1", warehouse_id: "ffffffffffffffff" }))).toBe(true);
  });
});
