import * as arrow from "apache-arrow";
import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { statementResponse } from "../../../src/api/statements-schemas.js";
import { parseLenient } from "../../../src/core/validation.js";
import { isAbortError, isOperationFailed, isValidationError, isWaitTimeout } from "../../../src/index.js";
import { realPayload, realPayloads } from "../../fixtures.js";
import { rejection } from "../../helpers.js";
import { fakeClock, HOST, testClient } from "../helpers.js";

const BASE = "/api/2.0/sql/statements";
const STORAGE = "https://storage.example.com";

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

const columns = [
  { name: "id", type_name: "LONG", position: 0 },
  { name: "name", type_name: "STRING", position: 1 },
];

describe("statements: requests", () => {
  it("executes with the REST body as given and parses the response", async () => {
    const db = testClient();
    const scope = nock(HOST)
      .post(BASE, {
        statement: "SELECT * FROM main.default.t WHERE id = :id",
        warehouse_id: "abc123",
        parameters: [{ name: "id", value: "7", type: "INT" }],
        wait_timeout: "30s",
        on_wait_timeout: "CANCEL",
        disposition: "EXTERNAL_LINKS",
        format: "ARROW_STREAM",
        row_limit: 10,
      })
      .reply(200, { statement_id: "s-1", status: { state: "PENDING" }, extra: 1 });
    const res = await db.statements.executeStatement({
      statement: "SELECT * FROM main.default.t WHERE id = :id",
      warehouse_id: "abc123",
      parameters: [{ name: "id", value: "7", type: "INT" }],
      wait_timeout: "30s",
      on_wait_timeout: "CANCEL",
      disposition: "EXTERNAL_LINKS",
      format: "ARROW_STREAM",
      row_limit: 10,
    });
    expect(res).toEqual({ statement_id: "s-1", status: { state: "PENDING" }, extra: 1 });
    expect(scope.isDone()).toBe(true);
  });

  it("gets, reads a chunk and cancels on the real paths", async () => {
    const db = testClient();
    const scope = nock(HOST)
      .get(`${BASE}/s-1x`)
      .reply(200, { statement_id: "s-1x", status: { state: "RUNNING" } })
      .get(`${BASE}/s%201`)
      .reply(200, { statement_id: "s 1" })
      .get(`${BASE}/s-1x/result/chunks/3`)
      .reply(200, { chunk_index: 3, data_array: [["1"]] })
      .post(`${BASE}/s-1x/cancel`)
      .reply(200, {});
    expect((await db.statements.getStatement({ statement_id: "s-1x" })).status?.state).toBe("RUNNING");
    expect((await db.statements.getStatement({ statement_id: "s 1" })).statement_id).toBe("s 1");
    expect(
      (await db.statements.getStatementResultChunkN({ statement_id: "s-1x", chunk_index: 3 })).data_array,
    ).toEqual([["1"]]);
    await db.statements.cancelExecution({ statement_id: "s-1x" });
    expect(scope.isDone()).toBe(true);
  });

  it("rejects bad requests before sending anything", async () => {
    const db = testClient();
    const bad = [
      { statement: "", warehouse_id: "w" },
      { statement: "SELECT 1" },
      { statement: "SELECT 1", warehouse_id: "w", wait_timeout: "60s" },
      { statement: "SELECT 1", warehouse_id: "w", wait_timeout: "3s" },
      { statement: "SELECT 1", warehouse_id: "w", format: "ARROW_STREAM" },
      { statement: "SELECT 1", warehouse_id: "w", parameters: [{ value: "1" }] },
      { statement: "SELECT 1", warehouse_id: "a/b" },
    ];
    for (const req of bad) {
      const err = await rejection(db.statements.executeStatement(req as any));
      expect(isValidationError(err), JSON.stringify(req)).toBe(true);
    }
    const err = await rejection(
      db.statements.executeStatement({ statement: "x", warehouse_id: "w", format: "CSV" }),
    );
    expect(err.issues[0].path).toBe("format");
    expect(isValidationError(await rejection(db.statements.getStatement({ statement_id: ".." })))).toBe(true);
    expect(
      isValidationError(
        await rejection(db.statements.getStatementResultChunkN({ statement_id: "s", chunk_index: -1 })),
      ),
    ).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("accepts the real request bodies and keeps every field of the real responses", async () => {
    const db = testClient();
    for (const p of realPayloads("sql.statements.")) {
      if (p.kind === "request") {
        const scope = nock(HOST)
          .post(BASE, p.body)
          .reply(200, { statement_id: "x", status: { state: "PENDING" } });
        await db.statements.executeStatement(p.body);
        expect(scope.isDone(), p.file).toBe(true);
      } else {
        expect(statementResponse.safeParse(p.body).success, p.file).toBe(true);
        expect(parseLenient(statementResponse, p.body), p.file).toEqual(p.body);
      }
    }
  });
});

describe("statements: waiting", () => {
  it("polls until SUCCEEDED", async () => {
    const db = testClient();
    nock(HOST)
      .post(BASE)
      .reply(200, { statement_id: "s-2", status: { state: "PENDING" } })
      .get(`${BASE}/s-2`)
      .reply(200, { statement_id: "s-2", status: { state: "RUNNING" } })
      .get(`${BASE}/s-2`)
      .reply(200, { statement_id: "s-2", status: { state: "SUCCEEDED" }, manifest: { total_row_count: 0 } });
    const states: string[] = [];
    const res = await db.statements.executeAndWait(
      { statement: "SELECT 1", warehouse_id: "w" },
      { onProgress: (e) => states.push(e.state) },
    );
    expect(res.status?.state).toBe("SUCCEEDED");
    expect(states).toEqual(["RUNNING", "SUCCEEDED"]);
  });

  it("turns FAILED (HTTP 200 with status.error) into OperationFailedError, also on the first answer", async () => {
    const db = testClient();
    const failed = realPayload("sql.statements.execute.response.5.json").body;
    nock(HOST).post(BASE).reply(200, failed);
    const err = await rejection(db.statements.executeAndWait({ statement: "SELECT 1", warehouse_id: "w" }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.state).toBe("FAILED");
    expect(err.info).toMatchObject({
      statement_id: "bcd",
      error_code: "RESOURCE_EXHAUSTED",
      error_message: "...",
    });
    expect(err.message).toContain("RESOURCE_EXHAUSTED");

    nock(HOST)
      .post(BASE)
      .reply(200, { statement_id: "s-3", status: { state: "RUNNING" } })
      .get(`${BASE}/s-3`)
      .reply(200, {
        statement_id: "s-3",
        status: {
          state: "FAILED",
          sql_state: "42P01",
          error: {
            error_code: "BAD_REQUEST",
            message: "[TABLE_OR_VIEW_NOT_FOUND] The table `x` cannot be found.",
          },
        },
      });
    const err2 = await rejection(
      db.statements.executeAndWait({ statement: "SELECT * FROM x", warehouse_id: "w" }),
    );
    expect(err2.info).toMatchObject({ error_code: "BAD_REQUEST", sql_state: "42P01" });
    expect(err2.message).toContain("TABLE_OR_VIEW_NOT_FOUND");

    for (const state of ["CANCELED", "CLOSED"]) {
      nock(HOST).post(BASE).reply(200, { statement_id: "s-4", status: { state } });
      const e = await rejection(db.statements.executeAndWait({ statement: "SELECT 1", warehouse_id: "w" }));
      expect(e.state).toBe(state);
    }
  });

  it("cancels the statement on the server when the caller aborts, and submits with wait_timeout 0s", async () => {
    const controller = new AbortController();
    const clock = fakeClock(() => controller.abort());
    const db = testClient(clock);
    const scope = nock(HOST)
      .post(BASE, (b) => b.wait_timeout === "0s")
      .reply(200, { statement_id: "s-5", status: { state: "PENDING" } })
      .get(`${BASE}/s-5`)
      .reply(200, { statement_id: "s-5", status: { state: "RUNNING" } })
      .post(`${BASE}/s-5/cancel`)
      .reply(200, {});
    const err = await rejection(
      db.statements.executeAndWait(
        { statement: "SELECT 1", warehouse_id: "w" },
        {},
        { signal: controller.signal },
      ),
    );
    expect(isAbortError(err)).toBe(true);
    expect(scope.isDone()).toBe(true);
  });

  it("cancels the statement when the wait times out", async () => {
    const db = testClient();
    const scope = nock(HOST)
      .post(BASE, (b) => b.wait_timeout === undefined)
      .reply(200, { statement_id: "s-6", status: { state: "RUNNING" } })
      .get(`${BASE}/s-6`)
      .times(20)
      .reply(200, { statement_id: "s-6", status: { state: "RUNNING" } })
      .post(`${BASE}/s-6/cancel`)
      .reply(200, {});
    const err = await rejection(
      db.statements.executeAndWait({ statement: "SELECT 1", warehouse_id: "w" }, { timeout: 2000 }),
    );
    expect(isWaitTimeout(err)).toBe(true);
    expect(err.lastState.status.state).toBe("RUNNING");
    expect(scope.pendingMocks().filter((m) => m.includes("cancel"))).toEqual([]);
  });
});

describe("statements: reading results", () => {
  it("reads every INLINE chunk, in order, typed by the schema", async () => {
    const db = testClient();
    nock(HOST)
      .post(BASE)
      .reply(200, {
        statement_id: "s-7",
        status: { state: "SUCCEEDED" },
        manifest: {
          format: "JSON_ARRAY",
          schema: { column_count: 2, columns },
          total_chunk_count: 3,
          total_row_count: 5,
        },
        result: {
          chunk_index: 0,
          row_offset: 0,
          row_count: 2,
          data_array: [
            ["1", "a"],
            ["2", null],
          ],
          next_chunk_index: 1,
        },
      })
      .get(`${BASE}/s-7/result/chunks/1`)
      .delay(30)
      .reply(200, {
        chunk_index: 1,
        row_offset: 2,
        data_array: [
          ["3", "c"],
          ["4", "d"],
        ],
        next_chunk_index: 2,
      })
      .get(`${BASE}/s-7/result/chunks/2`)
      .reply(200, { chunk_index: 2, row_offset: 4, data_array: [["9007199254740993", "e"]] });
    const rows = await db.statements.query("SELECT id, name FROM t", { warehouse_id: "w", int64: "bigint" });
    expect(rows).toEqual([
      { id: 1n, name: "a" },
      { id: 2n, name: null },
      { id: 3n, name: "c" },
      { id: 4n, name: "d" },
      { id: 9007199254740993n, name: "e" },
    ]);
  });

  it("sends { name: value } parameters with SQL types", async () => {
    const db = testClient();
    nock(HOST)
      .post(BASE, (b) => {
        expect(b.parameters).toEqual([
          { name: "s", value: "x", type: "STRING" },
          { name: "n", value: "3", type: "BIGINT" },
          { name: "f", value: "0.5", type: "DOUBLE" },
          { name: "b", value: "true", type: "BOOLEAN" },
          { name: "t", value: "2024-01-01T00:00:00.000Z", type: "TIMESTAMP" },
          { name: "z", value: null },
        ]);
        return true;
      })
      .reply(200, {
        statement_id: "s-8",
        status: { state: "SUCCEEDED" },
        manifest: { schema: { columns: [] } },
      });
    const rows = await db.statements.query("SELECT 1", {
      warehouse_id: "w",
      parameters: { s: "x", n: 3, f: 0.5, b: true, t: new Date(Date.UTC(2024, 0, 1)), z: null },
    });
    expect(rows).toEqual([]);
    const err = await rejection(
      db.statements.query("SELECT 1", { warehouse_id: "w", parameters: { o: {} } }),
    );
    expect(isValidationError(err)).toBe(true);
  });

  it("downloads ARROW_STREAM links without Authorization, with the link's headers, in parallel and in order", async () => {
    const db = testClient();
    const chunk = (from: number) =>
      Buffer.from(
        arrow.tableToIPC(
          new arrow.Table({ id: arrow.vectorFromArray([BigInt(from), BigInt(from + 1)], new arrow.Int64()) }),
          "stream",
        ),
      );
    const link = (i: number) => ({
      chunk_index: i,
      row_offset: i * 2,
      row_count: 2,
      external_link: `${STORAGE}/results/${i}?sig=abc`,
      expiration: "2999-01-01T00:00:00Z",
      http_headers: { "x-amz-server-side-encryption-customer-key": `k${i}` },
      ...(i < 2 ? { next_chunk_index: i + 1 } : {}),
    });
    nock(HOST)
      .post(BASE, (b) => b.disposition === "EXTERNAL_LINKS" && b.format === "ARROW_STREAM")
      .reply(200, {
        statement_id: "s-9",
        status: { state: "SUCCEEDED" },
        manifest: {
          format: "ARROW_STREAM",
          schema: { columns: [columns[0]] },
          total_chunk_count: 3,
          total_row_count: 6,
        },
        result: { external_links: [link(0)] },
      })
      .get(`${BASE}/s-9/result/chunks/1`)
      .reply(200, { external_links: [link(1)] })
      .get(`${BASE}/s-9/result/chunks/2`)
      .reply(200, { external_links: [link(2)] });
    let inFlight = 0;
    let maxInFlight = 0;
    const storage = nock(STORAGE, { badheaders: ["authorization"] });
    for (const i of [0, 1, 2]) {
      storage
        .get(`/results/${i}`)
        .query({ sig: "abc" })
        .matchHeader("x-amz-server-side-encryption-customer-key", `k${i}`)
        .reply(() => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          return new Promise((resolve) =>
            setTimeout(
              () => {
                inFlight--;
                resolve([200, chunk(i * 2), { "content-type": "application/vnd.apache.arrow.stream" }]);
              },
              30 - i * 10,
            ),
          ) as any;
        });
    }
    const table = await db.statements.query("SELECT id FROM t", { warehouse_id: "w", format: "arrow" });
    expect(table.numRows).toBe(6);
    expect([...table.getChild("id")!]).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(storage.isDone()).toBe(true);
  });

  it("renews an expired or refused link once", async () => {
    const db = testClient();
    const ipc = Buffer.from(arrow.tableToIPC(new arrow.Table({ x: arrow.vectorFromArray([1.5]) }), "stream"));
    nock(HOST)
      .get(`${BASE}/s-10/result/chunks/0`)
      .reply(200, { external_links: [{ chunk_index: 0, external_link: `${STORAGE}/fresh` }] });
    nock(STORAGE)
      .get("/stale")
      .reply(403, "<Error><Code>AccessDenied</Code></Error>")
      .get("/fresh")
      .reply(200, ipc);
    const table = await db.statements.fetchArrow({
      statement_id: "s-10",
      status: { state: "SUCCEEDED" },
      manifest: {
        format: "ARROW_STREAM",
        total_chunk_count: 1,
        schema: { columns: [{ name: "x", type_name: "DOUBLE" }] },
      },
      result: { external_links: [{ chunk_index: 0, external_link: `${STORAGE}/stale` }] },
    });
    expect([...table.getChild("x")!]).toEqual([1.5]);
  });

  it("reads JSON_ARRAY external links as rows and as Arrow, and refuses results of other states", async () => {
    const db = testClient();
    const response = {
      statement_id: "s-11",
      status: { state: "SUCCEEDED" as const },
      manifest: { format: "JSON_ARRAY", total_chunk_count: 1, schema: { columns } },
      result: { external_links: [{ chunk_index: 0, row_offset: 0, external_link: `${STORAGE}/j0` }] },
    };
    nock(STORAGE)
      .get("/j0")
      .times(2)
      .reply(200, JSON.stringify([["5", "x"]]));
    expect(await db.statements.fetchRows(response)).toEqual([{ id: 5, name: "x" }]);
    const t = await db.statements.fetchArrow(response);
    expect(t.schema.fields.map((f) => String(f.type))).toEqual(["Int64", "Utf8"]);
    expect(t.getChild("id")!.get(0)).toBe(5n);
    const err = await rejection(db.statements.fetchRows({ ...response, status: { state: "RUNNING" } }));
    expect(isValidationError(err)).toBe(true);
    const csv = await rejection(db.statements.fetchRows({ ...response, manifest: { format: "CSV" } }));
    expect(isValidationError(csv)).toBe(true);
  });

  it("gives an empty table with the result schema when there are no rows", async () => {
    const db = testClient();
    const t = await db.statements.fetchArrow({
      statement_id: "s-12",
      status: { state: "SUCCEEDED" },
      manifest: { format: "ARROW_STREAM", total_chunk_count: 0, schema: { columns } },
    });
    expect(t.numRows).toBe(0);
  });
});
