import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isOperationFailed, isValidationError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";
import { HOST, testClient } from "../helpers.js";

const BASE = "/api/2.0/sql/warehouses";

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

describe("warehouses", () => {
  it("gets, lists across pages, starts and stops", async () => {
    const db = testClient();
    const scope = nock(HOST)
      .get(`${BASE}/w1`)
      .reply(200, { id: "w1", state: "RUNNING", health: { status: "HEALTHY" }, newer_field: 1 })
      .get(BASE)
      .query({ page_size: 1 })
      .reply(200, { warehouses: [{ id: "w1" }], next_page_token: "p2" })
      .get(BASE)
      .query({ page_size: 1, page_token: "p2" })
      .reply(200, { warehouses: [{ id: "w2" }] })
      .post(`${BASE}/w1/start`)
      .reply(200, {})
      .post(`${BASE}/w1/stop`)
      .reply(200, {});
    expect(await db.warehouses.get({ id: "w1" })).toEqual({
      id: "w1",
      state: "RUNNING",
      health: { status: "HEALTHY" },
      newer_field: 1,
    });
    expect((await db.warehouses.list({ page_size: 1 }).toArray({ limit: 10 })).map((w) => w.id)).toEqual([
      "w1",
      "w2",
    ]);
    await db.warehouses.start({ id: "w1" });
    await db.warehouses.stop({ id: "w1" });
    expect(scope.isDone()).toBe(true);
  });

  it("startAndWait follows STARTING to RUNNING; STOPPED on the way fails with the health summary", async () => {
    const db = testClient();
    nock(HOST)
      .post(`${BASE}/w1/start`)
      .reply(200, {})
      .get(`${BASE}/w1`)
      .reply(200, { id: "w1", state: "STARTING" })
      .get(`${BASE}/w1`)
      .reply(200, { id: "w1", state: "RUNNING" });
    const states: string[] = [];
    const w = await db.warehouses.startAndWait({ id: "w1" }, { onProgress: (e) => states.push(e.state) });
    expect(w.state).toBe("RUNNING");
    expect(states).toEqual(["STARTING", "RUNNING"]);

    nock(HOST)
      .post(`${BASE}/w2/start`)
      .reply(200, {})
      .get(`${BASE}/w2`)
      .reply(200, { id: "w2", state: "STOPPED", health: { summary: "Cloud provider capacity" } });
    const err = await rejection(db.warehouses.startAndWait({ id: "w2" }));
    expect(isOperationFailed(err)).toBe(true);
    expect(err.message).toContain("Cloud provider capacity");

    nock(HOST)
      .post(`${BASE}/w3/stop`)
      .reply(200, {})
      .get(`${BASE}/w3`)
      .reply(200, { id: "w3", state: "STOPPED" });
    expect((await db.warehouses.stopAndWait({ id: "w3" })).state).toBe("STOPPED");
  });

  it("rejects bad ids without a request", async () => {
    const db = testClient();
    for (const id of ["", "..", "a/b"]) {
      expect(isValidationError(await rejection(db.warehouses.get({ id })))).toBe(true);
    }
    expect(nock.pendingMocks()).toEqual([]);
  });
});
