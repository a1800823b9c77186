import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../../src/core/retry.js";
import {
  type ClientOptions,
  ConnectionError,
  Databricks,
  InternalError,
  isAbortError,
  isRateLimited,
  isTimeoutError,
  type RequestSpec,
  UnavailableError,
} from "../../../src/index.js";
import { FakeClock } from "../../fake-clock.js";
import { rejection } from "../../helpers.js";
import { captureLogger } from "./capture-logger.js";

const HOST = "https://ws.example.com";
const PATH = "/api/2.1/clusters/create";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

function client(options: ClientOptions = {}) {
  const clock = new FakeClock();
  const logger = captureLogger();
  const db = new Databricks({
    host: HOST,
    token: "t",
    env: {},
    clock,
    logger,
    random: () => 0.5,
    ...options,
  });
  return { db, clock, logger };
}

// nock needs an Error instance (a plain object never settles the request).
const netError = (code: string, message: string) => Object.assign(new Error(message), { code });

const post = (body: unknown = { cluster_name: "x" }): RequestSpec => ({ method: "POST", path: PATH, body });

describe("which failures are retried", () => {
  it("429 with Retry-After in seconds waits that long, for any method", async () => {
    const scope = nock(HOST)
      .post(PATH)
      .reply(429, { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow down" }, { "Retry-After": "3" })
      .post(PATH)
      .reply(200, { cluster_id: "c1" });
    const { db, clock } = client();
    expect(await db.request(post())).toEqual({ cluster_id: "c1" });
    expect(scope.isDone()).toBe(true);
    expect(clock.sleeps).toEqual([3000]);
  });

  it("429 with Retry-After as an HTTP date waits until then", async () => {
    const { db, clock } = client();
    const at = new Date(clock.now() + 7000).toUTCString();
    nock(HOST).get("/x").reply(429, "", { "Retry-After": at }).get("/x").reply(200, {});
    await db.request({ method: "GET", path: "/x" });
    expect(clock.sleeps).toEqual([7000]);
  });

  it("caps a long Retry-After at one minute", async () => {
    const { db, clock } = client();
    nock(HOST).get("/x").reply(429, "", { "Retry-After": "86400" }).get("/x").reply(200, {});
    await db.request({ method: "GET", path: "/x" });
    expect(clock.sleeps).toEqual([60_000]);
  });

  it("503 is retried for an unsafe POST, with growing jittered backoff", async () => {
    const scope = nock(HOST).post(PATH).times(3).reply(503, "no healthy upstream").post(PATH).reply(200, {});
    const { db, clock } = client();
    await db.request(post());
    expect(scope.isDone()).toBe(true);
    // Full jitter with random() = 0.5: half of 500, 1000, 2000 ms.
    expect(clock.sleeps).toEqual([250, 500, 1000]);
  });

  it("backoff is capped at maxDelay", async () => {
    nock(HOST).get("/x").times(7).reply(503, {}).get("/x").reply(200, {});
    const { db, clock } = client({ random: () => 0.999999, maxRetries: 8 });
    await db.request({ method: "GET", path: "/x" });
    expect(clock.sleeps).toEqual([499, 999, 1999, 3999, 7999, 9999, 9999]);
  });

  it("does not retry an unsafe POST on 500", async () => {
    const scope = nock(HOST).post(PATH).reply(500, { error_code: "INTERNAL_ERROR", message: "boom" });
    const { db, clock } = client();
    const err = await rejection(db.request(post()));
    expect(err).toBeInstanceOf(InternalError);
    expect(scope.isDone()).toBe(true);
    expect(clock.sleeps).toEqual([]);
  });

  it("retries a POST carrying an idempotency_token on 500", async () => {
    const bodies: unknown[] = [];
    nock(HOST)
      .post(PATH, (b) => bodies.push(b) > 0)
      .reply(500, {})
      .post(PATH, (b) => bodies.push(b) > 0)
      .reply(200, { run_id: 1 });
    const { db } = client();
    await db.request(post({ run_name: "r", idempotency_token: "tok-1" }));
    expect(bodies).toEqual([
      { run_name: "r", idempotency_token: "tok-1" },
      { run_name: "r", idempotency_token: "tok-1" },
    ]);
  });

  it("retries a POST marked idempotent, and GET, PUT, DELETE, on 5xx", async () => {
    nock(HOST).post("/a").reply(502, "bad gateway").post("/a").reply(200, {});
    nock(HOST).get("/b").reply(500, {}).get("/b").reply(200, {});
    nock(HOST).put("/c").reply(504, {}).put("/c").reply(200, {});
    nock(HOST).delete("/d").reply(500, {}).delete("/d").reply(200, {});
    const { db, clock } = client();
    await db.request({ method: "POST", path: "/a", body: {}, idempotent: true });
    await db.request({ method: "GET", path: "/b" });
    await db.request({ method: "PUT", path: "/c", body: {} });
    await db.request({ method: "DELETE", path: "/d" });
    expect(clock.sleeps).toHaveLength(4);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("does not retry 4xx other than 429", async () => {
    nock(HOST).get("/x").reply(400, { error_code: "INVALID_PARAMETER_VALUE", message: "bad" });
    nock(HOST).get("/y").reply(409, { error_code: "RESOURCE_ALREADY_EXISTS", message: "exists" });
    const { db, clock } = client();
    await rejection(db.request({ method: "GET", path: "/x" }));
    await rejection(db.request({ method: "GET", path: "/y" }));
    expect(clock.sleeps).toEqual([]);
  });

  it("retries the transient messages the official SDKs know, whatever the status", async () => {
    nock(HOST)
      .post(PATH)
      .reply(400, { error_code: "INVALID_STATE", message: "ClusterNotReadyException: not yet" })
      .post(PATH)
      .reply(200, {});
    const { db, clock } = client();
    await db.request(post());
    expect(clock.sleeps).toHaveLength(1);
  });

  it("retries connect-phase errors for any method", async () => {
    nock(HOST)
      .post(PATH)
      .replyWithError(netError("ECONNREFUSED", "connect ECONNREFUSED"))
      .post(PATH)
      .reply(200, { ok: true });
    const { db, logger } = client();
    expect(await db.request(post())).toEqual({ ok: true });
    expect(logger.text()).toContain("connect failed: ECONNREFUSED");
  });

  it("retries a reset connection only when the request is safe to repeat", async () => {
    nock(HOST).get("/x").replyWithError(netError("ECONNRESET", "socket hang up")).get("/x").reply(200, {});
    const { db } = client();
    await db.request({ method: "GET", path: "/x" });

    nock(HOST).post(PATH).replyWithError(netError("ECONNRESET", "socket hang up"));
    const err = await rejection(db.request(post()));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toContain("socket hang up");
    expect(err.cause).toEqual({ code: "ECONNRESET" });
  });

  it("sends the retry count on retries", async () => {
    const counts: Array<string | undefined> = [];
    const record = function (this: any) {
      counts.push(this.req.headers["x-brickml-retry-count"]);
      return [counts.length < 3 ? 503 : 200, {}] as [number, object];
    };
    nock(HOST).get("/x").times(3).reply(record);
    const { db } = client();
    await db.request({ method: "GET", path: "/x" });
    expect(counts).toEqual([undefined, "1", "2"]);
  });
});

describe("retry limits", () => {
  it("maxRetries per call", async () => {
    const scope = nock(HOST).get("/x").times(3).reply(503, {});
    const { db } = client();
    const err = await rejection(db.request({ method: "GET", path: "/x" }, { maxRetries: 2 }));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("maxRetries 0 disables retrying", async () => {
    nock(HOST).get("/x").reply(429, {}).get("/x").reply(200, {});
    const { db } = client();
    expect(isRateLimited(await rejection(db.request({ method: "GET", path: "/x" }, { maxRetries: 0 })))).toBe(
      true,
    );
    expect(nock.pendingMocks()).toHaveLength(1);
  });

  it("maxRetries per client, and a derived client with its own", async () => {
    const { db } = client({ maxRetries: 1 });
    nock(HOST).get("/x").times(2).reply(503, {});
    await rejection(db.request({ method: "GET", path: "/x" }));
    expect(nock.pendingMocks()).toEqual([]);

    const patient = db.withOptions({ maxRetries: 3 });
    nock(HOST).get("/x").times(3).reply(503, {}).get("/x").reply(200, {});
    await patient.request({ method: "GET", path: "/x" });
    expect(nock.pendingMocks()).toEqual([]);

    // The original keeps its own limit.
    nock(HOST).get("/x").times(2).reply(503, {});
    await rejection(db.request({ method: "GET", path: "/x" }));
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("never sleeps past the deadline: a Retry-After beyond it ends the call at once", async () => {
    nock(HOST).get("/x").reply(429, {}, { "Retry-After": "10" });
    const { db, clock } = client();
    const start = clock.now();
    const err = await rejection(db.request({ method: "GET", path: "/x" }, { deadline: 5000 }));
    expect(isRateLimited(err)).toBe(true);
    expect(clock.sleeps).toEqual([]);
    expect(clock.now() - start).toBe(0);
  });

  it("backoff stops before the deadline", async () => {
    nock(HOST).get("/x").times(20).reply(503, {});
    const { db, clock } = client({ random: () => 0.999999, maxRetries: 20 });
    const start = clock.now();
    await rejection(db.request({ method: "GET", path: "/x" }, { deadline: 5000 }));
    expect(clock.now() - start).toBeLessThanOrEqual(5000);
    // 499 + 999 + 1999 = 3497; the next (3999) would pass the deadline.
    expect(clock.sleeps).toEqual([499, 999, 1999]);
  });

  it("a deadline given as a Date", async () => {
    nock(HOST).get("/x").times(5).reply(503, {});
    const { db, clock } = client();
    await rejection(db.request({ method: "GET", path: "/x" }, { deadline: new Date(clock.now() + 800) }));
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it("the client default deadline, also per derived client", async () => {
    nock(HOST).get("/x").times(5).reply(503, {});
    const { db, clock } = client({ deadline: 300 });
    await rejection(db.request({ method: "GET", path: "/x" }));
    expect(clock.sleeps).toEqual([250]);
    nock.cleanAll();
    nock(HOST).get("/x").times(5).reply(503, {});
    await rejection(db.withOptions({ deadline: 800 }).request({ method: "GET", path: "/x" }));
    expect(clock.sleeps).toEqual([250, 250, 500]);
  });
});

describe("every retry is logged with its reason", () => {
  it("names the method, path, delay and reason", async () => {
    nock(HOST)
      .get("/x")
      .reply(429, { error_code: "REQUEST_LIMIT_EXCEEDED", message: "m" }, { "Retry-After": "2" })
      .get("/x")
      .reply(503, "down")
      .get("/x")
      .reply(200, {});
    const events: unknown[] = [];
    const { db, logger } = client({ onRequest: (e) => events.push(e) });
    await db.request({ method: "GET", path: "/x" });
    const retries = logger.lines.filter((l) => l.level === "info");
    expect(retries.map((l) => l.message)).toEqual([
      "retrying GET /x in 2000 ms (HTTP 429 REQUEST_LIMIT_EXCEEDED)",
      "retrying GET /x in 500 ms (HTTP 503 TEMPORARILY_UNAVAILABLE)",
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({
        attempt: 1,
        retryInMs: 2000,
        retryReason: "HTTP 429 REQUEST_LIMIT_EXCEEDED",
      }),
    );
  });
});

describe("per-attempt timeout", () => {
  it("fires when the server does not answer in time", async () => {
    nock(HOST).get("/slow").delay(2000).reply(200, {});
    const db = new Databricks({ host: HOST, token: "t", env: {}, timeout: 50, maxRetries: 0 });
    const started = Date.now();
    const err = await rejection(db.request({ method: "GET", path: "/slow" }));
    expect(isTimeoutError(err)).toBe(true);
    expect(err.message).toBe("GET /slow: no answer within 50 ms (attempt 1)");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("a timed-out safe request is retried; an unsafe one is not", async () => {
    nock(HOST).get("/slow").delay(2000).reply(200, {}).get("/slow").reply(200, { second: true });
    const { db } = client({ timeout: 50 });
    expect(await db.request({ method: "GET", path: "/slow" })).toEqual({ second: true });

    nock(HOST).post(PATH).delay(2000).reply(200, {});
    const err = await rejection(db.request(post(), { timeout: 30 }));
    expect(isTimeoutError(err)).toBe(true);
  });

  it("is shortened to what is left of the deadline", async () => {
    nock(HOST).get("/slow").delay(2000).reply(200, {});
    const db = new Databricks({ host: HOST, token: "t", env: {}, timeout: 60_000 });
    const started = Date.now();
    const err = await rejection(db.request({ method: "GET", path: "/slow" }, { deadline: 80 }));
    expect(isTimeoutError(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("model queries use the longer query timeout unless the call sets one", async () => {
    nock(HOST)
      .post("/serving-endpoints/e/invocations")
      .delay(150)
      .reply(200, { predictions: [1] });
    const db = new Databricks({ host: HOST, token: "t", env: {}, timeout: 50, queryTimeout: 5000 });
    const spec: RequestSpec = {
      method: "POST",
      path: "/serving-endpoints/e/invocations",
      body: {},
      kind: "query",
    };
    expect(await db.request(spec)).toEqual({ predictions: [1] });
    nock(HOST).post("/serving-endpoints/e/invocations").delay(500).reply(200, {});
    expect(isTimeoutError(await rejection(db.request(spec, { timeout: 40 })))).toBe(true);
  });
});

describe("cancellation", () => {
  it("an AbortSignal cancels the request in flight", async () => {
    nock(HOST).get("/slow").delay(5000).reply(200, {});
    const db = new Databricks({ host: HOST, token: "t", env: {} });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    const err = await rejection(db.request({ method: "GET", path: "/slow" }, { signal: controller.signal }));
    expect(isAbortError(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("an AbortSignal cancels the backoff sleep", async () => {
    const scope = nock(HOST).get("/x").reply(503, {}).get("/x").reply(200, {});
    const { db, clock } = client();
    const controller = new AbortController();
    clock.onSleep = () => controller.abort(new Error("user pressed stop"));
    const err = await rejection(db.request({ method: "GET", path: "/x" }, { signal: controller.signal }));
    expect(isAbortError(err)).toBe(true);
    expect(err.cause.message).toBe("user pressed stop");
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it("an AbortSignal cancels a real Retry-After sleep", async () => {
    nock(HOST).get("/x").reply(429, {}, { "Retry-After": "30" });
    const db = new Databricks({ host: HOST, token: "t", env: {} });
    const started = Date.now();
    const err = await rejection(
      db.request({ method: "GET", path: "/x" }, { signal: AbortSignal.timeout(30) }),
    );
    expect(isAbortError(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("an already aborted signal sends nothing", async () => {
    const db = new Databricks({ host: HOST, token: "t", env: {} });
    const err = await rejection(db.request({ method: "GET", path: "/x" }, { signal: AbortSignal.abort() }));
    expect(isAbortError(err)).toBe(true);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it.each([
    [{ "retry-after": "5" }, 5000],
    [{ "retry-after": "0" }, 0],
    [{ "retry-after": "1.5" }, 1500],
    [{ "retry-after-ms": "250" }, 250],
    [{ "retry-after": "Wed, 01 Jan 2025 00:00:09 GMT" }, 9000],
    [{ "retry-after": "Tue, 31 Dec 2024 23:00:00 GMT" }, 0],
    [{ "retry-after": "soon" }, undefined],
    [{ "retry-after": "-3" }, undefined],
    [{}, undefined],
  ])("%j → %s", (headers, expected) => {
    expect(parseRetryAfter(headers, now)).toBe(expected);
  });
});
