import nock from "nock";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { encodeFilePath, encodeQuery } from "../../../src/core/http.js";
import {
  BrickmlError,
  Databricks,
  encodePath,
  isNotFound,
  requestIdOf,
  silentLogger,
} from "../../../src/index.js";
import { FakeClock } from "../../fake-clock.js";
import { rejection } from "../../helpers.js";
import { captureLogger } from "./capture-logger.js";

const HOST = "https://ws.example.com";

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  vi.restoreAllMocks();
});

const client = (extra: Record<string, unknown> = {}) =>
  new Databricks({ host: HOST, token: "t", env: {}, clock: new FakeClock(), ...extra });

describe("path parameters", () => {
  it("are encoded so they stay one segment", () => {
    expect(encodePath`/api/2.0/serving-endpoints/${"a/b"}`).toBe("/api/2.0/serving-endpoints/a%2Fb");
    expect(encodePath`/x/${"a b?c#d%"}/y/${42}`).toBe("/x/a%20b%3Fc%23d%25/y/42");
    expect(encodePath`/m/${"main.ml.churn"}/versions/${3n}`).toBe("/m/main.ml.churn/versions/3");
  });

  it.each(["", ".", ".."])("refuses %j", (bad) => {
    expect(() => encodePath`/x/${bad}`).toThrow(BrickmlError);
    expect(() => encodePath`/x/${bad}`).toThrow(/would change the request path/);
  });

  it("reach the server encoded", async () => {
    const scope = nock(HOST).get("/api/2.0/things/a%2Fb").reply(200, { ok: 1 });
    await client().request({ method: "GET", path: encodePath`/api/2.0/things/${"a/b"}` });
    expect(scope.isDone()).toBe(true);
  });

  it("file paths keep their slashes but encode each segment", () => {
    expect(encodeFilePath("/Volumes/main/x/my file#1.csv")).toBe("/Volumes/main/x/my%20file%231.csv");
  });
});

describe("query strings", () => {
  it("encode booleans, arrays and nested objects as the official SDKs do", () => {
    expect(
      encodeQuery({ a: true, b: [1, 2], c: { d: "x y", e: undefined }, f: null, g: undefined, h: 0 }),
    ).toBe("a=true&b=1&b=2&c.d=x+y&h=0");
  });

  it("are sent with the request", async () => {
    const scope = nock(HOST)
      .get("/api/2.2/jobs/runs/list")
      .query({ job_id: "7", active_only: "true" })
      .reply(200, {});
    await client().request({
      method: "GET",
      path: "/api/2.2/jobs/runs/list",
      query: { job_id: 7, active_only: true },
    });
    expect(scope.isDone()).toBe(true);
  });
});

describe("bodies and headers", () => {
  it("sends JSON, the workspace id, client headers and call headers", async () => {
    const scope = nock(HOST, {
      reqheaders: {
        "content-type": "application/json",
        accept: "application/json",
        "x-databricks-workspace-id": "12345",
        "x-team": "ml",
        "x-call": "1",
      },
    })
      .post("/api/2.1/clusters/create", { cluster_name: "c" })
      .reply(200, { cluster_id: "abc" });
    const db = client({ workspaceId: "12345" }).withOptions({ headers: { "x-team": "ml" } });
    const out = await db.request(
      { method: "POST", path: "/api/2.1/clusters/create", body: { cluster_name: "c" } },
      { headers: { "x-call": "1" } },
    );
    expect(out).toEqual({ cluster_id: "abc" });
    expect(scope.isDone()).toBe(true);
  });

  it("an empty success body is an empty object", async () => {
    nock(HOST).post("/api/2.1/clusters/delete").reply(200, "");
    expect(await client().request({ method: "POST", path: "/api/2.1/clusters/delete", body: {} })).toEqual(
      {},
    );
  });

  it("raw bodies and text responses", async () => {
    const scope = nock(HOST, { reqheaders: { "content-type": "application/octet-stream" } })
      .put("/api/2.0/fs/files/Volumes/a.bin", "bytes")
      .reply(204);
    await client().request({
      method: "PUT",
      path: "/api/2.0/fs/files/Volumes/a.bin",
      data: Buffer.from("bytes"),
    });
    expect(scope.isDone()).toBe(true);
    nock(HOST).get("/f").reply(200, "plain text");
    expect(await client().request({ method: "GET", path: "/f", responseType: "text" })).toBe("plain text");
  });
});

describe("request ids", () => {
  it("are captured on results, without becoming a field", async () => {
    nock(HOST).get("/x").reply(200, { a: 1 }, { "x-request-id": "req-1" });
    const out = await client().request<{ a: number }>({ method: "GET", path: "/x" });
    expect(requestIdOf(out)).toBe("req-1");
    expect(JSON.stringify(out)).toBe('{"a":1}');
    expect(Object.keys(out)).toEqual(["a"]);
  });

  it("are captured on errors, also from x-databricks-request-id", async () => {
    nock(HOST)
      .get("/x")
      .reply(404, { error_code: "NOT_FOUND", message: "gone" }, { "x-databricks-request-id": "req-2" });
    const err = await rejection(client().request({ method: "GET", path: "/x" }));
    expect(isNotFound(err)).toBe(true);
    expect(err.requestId).toBe("req-2");
    expect(err.toJSON().requestId).toBe("req-2");
  });

  it("survive a service's response parsing", async () => {
    nock(HOST)
      .get("/api/2.1/clusters/get")
      .query({ cluster_id: "c1" })
      .reply(200, { cluster_id: "c1", state: "RUNNING" }, { "x-request-id": "req-3" });
    const cluster = await client().clusters.get({ cluster_id: "c1" });
    expect(cluster.state).toBe("RUNNING");
    expect(requestIdOf(cluster)).toBe("req-3");
    expect(Object.keys(cluster)).not.toContain("requestId");
  });

  it("are undefined when the server sent none", async () => {
    nock(HOST).get("/x").reply(200, { a: 1 });
    expect(requestIdOf(await client().request({ method: "GET", path: "/x" }))).toBeUndefined();
    expect(requestIdOf(undefined)).toBeUndefined();
  });
});

describe("logging", () => {
  it("one line per request with method, path, status, attempt and duration", async () => {
    nock(HOST)
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(503, {})
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, {});
    const logger = captureLogger();
    await client({ logger }).request({
      method: "GET",
      path: "/api/2.1/clusters/get",
      query: { cluster_id: "c" },
    });
    const requests = logger.lines.filter((l) => l.level === "debug");
    expect(requests).toHaveLength(2);
    expect(requests[1]!.message).toMatch(/^GET \/api\/2\.1\/clusters\/get 200 \(attempt 2, \d+ ms\)$/);
    expect(requests[0]!.message).toMatch(/^GET \/api\/2\.1\/clusters\/get 503: .* \(attempt 1, \d+ ms\)$/);
    expect(requests[1]!.fields).toMatchObject({
      method: "GET",
      path: "/api/2.1/clusters/get",
      status: 200,
      attempt: 2,
    });
    expect(typeof requests[1]!.fields!.durationMs).toBe("number");
  });

  it("BRICKML_LOG=debug writes those lines to stderr; silent by default", async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: any) => {
      writes.push(String(chunk));
      return true;
    });
    nock(HOST).get("/x").times(2).reply(200, {});
    await client({ env: {} }).request({ method: "GET", path: "/x" });
    expect(writes).toEqual([]);
    await client({ env: { BRICKML_LOG: "debug" } }).request({ method: "GET", path: "/x" });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^\[brickml\] debug GET \/x 200 \(attempt 1, \d+ ms\) \{.*"status":200.*\}\n$/);
  });

  it("an explicit logger wins over BRICKML_LOG", async () => {
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    nock(HOST).get("/x").reply(200, {});
    await client({ env: { BRICKML_LOG: "debug" }, logger: silentLogger }).request({
      method: "GET",
      path: "/x",
    });
    expect(spy).not.toHaveBeenCalled();
  });
});

describe("derived clients", () => {
  it("share credentials and config, and change only what they set", async () => {
    const db = client({ timeout: 1234 });
    const derived = db.withOptions({ maxRetries: 0 });
    expect(derived.config).toBe(db.config);
    expect(derived.ctx.transport.settings.timeoutMs).toBe(1234);
    expect(derived.ctx.transport.settings.retry.maxRetries).toBe(0);
    expect(db.ctx.transport.settings.retry.maxRetries).toBe(6);
    expect(derived.ctx.transport.axios).toBe(db.ctx.transport.axios);
  });
});
