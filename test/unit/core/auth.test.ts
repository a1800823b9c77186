import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Databricks, isAbortError, isUnauthenticated, VERSION } from "../../../src/index.js";
import { FakeClock } from "../../fake-clock.js";
import { rejection } from "../../helpers.js";

const HOST = "https://ws.example.com";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const get = (db: Databricks, signal?: AbortSignal) =>
  db.request({ method: "GET", path: "/api/2.0/clusters/list" }, signal ? { signal } : {});

describe("personal access token", () => {
  it("sends Bearer <token> and a User-Agent naming the auth type and product", async () => {
    const scope = nock(HOST, {
      reqheaders: {
        authorization: "Bearer dapi-123",
        "user-agent": `brickml/${VERSION} node/${process.versions.node} os/${process.platform} auth/pat myapp/1.2.3`,
      },
    })
      .get("/api/2.0/clusters/list")
      .reply(200, {});
    const db = new Databricks({
      host: HOST,
      token: "dapi-123",
      product: { name: "myapp", version: "1.2.3" },
      env: {},
    });
    await get(db);
    expect(scope.isDone()).toBe(true);
  });
});

describe("OAuth machine-to-machine", () => {
  const basic = `Basic ${Buffer.from("sp-id:sp-secret").toString("base64")}`;

  function tokenEndpoint(accessToken: string, expiresIn = 3600, delayMs = 0) {
    const seen: Array<{ auth: string | undefined; type: string | undefined; body: string }> = [];
    const scope = nock(HOST)
      .post("/oidc/v1/token")
      .delay(delayMs)
      .reply(function (_uri, body) {
        seen.push({
          auth: this.req.headers.authorization,
          type: this.req.headers["content-type"],
          body: String(typeof body === "string" ? body : new URLSearchParams(body as any)),
        });
        return [200, { access_token: accessToken, token_type: "Bearer", expires_in: expiresIn }];
      });
    return { scope, seen };
  }

  const api = (token: string, times = 1) =>
    nock(HOST, { reqheaders: { authorization: `Bearer ${token}` } })
      .get("/api/2.0/clusters/list")
      .times(times)
      .reply(200, {});

  it("asks /oidc/v1/token with Basic auth and a form body with scope all-apis", async () => {
    const { scope, seen } = tokenEndpoint("at-1");
    const call = api("at-1");
    const db = new Databricks({ host: HOST, clientId: "sp-id", clientSecret: "sp-secret", env: {} });
    await get(db);
    expect(scope.isDone() && call.isDone()).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.auth).toBe(basic);
    expect(seen[0]!.type).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({
      grant_type: "client_credentials",
      scope: "all-apis",
    });
  });

  it("joins custom scopes with spaces", async () => {
    const { seen } = tokenEndpoint("at-s");
    api("at-s");
    const db = new Databricks({
      host: HOST,
      clientId: "sp-id",
      clientSecret: "sp-secret",
      scopes: ["sql", "offline_access"],
      env: {},
    });
    await get(db);
    expect(new URLSearchParams(seen[0]!.body).get("scope")).toBe("sql offline_access");
  });

  it("caches the token and refreshes it 40 s before it expires", async () => {
    const clock = new FakeClock();
    const db = new Databricks({ host: HOST, clientId: "sp-id", clientSecret: "sp-secret", clock, env: {} });
    const first = tokenEndpoint("at-1", 3600);
    api("at-1", 2);
    await get(db);
    clock.advance(3600_000 - 41_000);
    await get(db); // 41 s left: still the cached token
    expect(first.seen).toHaveLength(1);

    const second = tokenEndpoint("at-2", 3600);
    const call = api("at-2");
    clock.advance(2_000); // 39 s left: refreshed first
    await get(db);
    expect(second.seen).toHaveLength(1);
    expect(call.isDone()).toBe(true);
  });

  it("reads expires_in sent as a string", async () => {
    const clock = new FakeClock();
    nock(HOST).post("/oidc/v1/token").reply(200, { access_token: "at-str", expires_in: "120" });
    nock(HOST).post("/oidc/v1/token").reply(200, { access_token: "at-next", expires_in: 3600 });
    api("at-str");
    const next = api("at-next");
    const db = new Databricks({ host: HOST, clientId: "sp-id", clientSecret: "sp-secret", clock, env: {} });
    await get(db);
    clock.advance(81_000); // 39 s left of 120 s: refreshed
    await get(db);
    expect(next.isDone()).toBe(true);
  });

  it("makes concurrent callers share one token request", async () => {
    const { seen } = tokenEndpoint("at-shared", 3600, 50);
    const calls = api("at-shared", 10);
    const db = new Databricks({ host: HOST, clientId: "sp-id", clientSecret: "sp-secret", env: {} });
    await Promise.all(Array.from({ length: 10 }, () => get(db)));
    expect(seen).toHaveLength(1);
    expect(calls.isDone()).toBe(true);
  });

  it("a caller that gives up while the token is fetched does not fail the others", async () => {
    const { seen } = tokenEndpoint("at-x", 3600, 80);
    api("at-x", 2);
    const db = new Databricks({ host: HOST, clientId: "sp-id", clientSecret: "sp-secret", env: {} });
    const quitter = new AbortController();
    const results = Promise.allSettled([get(db, quitter.signal), get(db), get(db)]);
    setTimeout(() => quitter.abort(), 10);
    const [a, b, c] = await results;
    expect(a.status === "rejected" && isAbortError(a.reason)).toBe(true);
    expect([b.status, c.status]).toEqual(["fulfilled", "fulfilled"]);
    expect(seen).toHaveLength(1);
  });

  it("a rejected client secret is an UnauthenticatedError without the secret in it", async () => {
    nock(HOST)
      .post("/oidc/v1/token")
      .reply(401, { error: "invalid_client", error_description: "Client authentication failed" });
    const db = new Databricks({ host: HOST, clientId: "sp-id", clientSecret: "sp-secret", env: {} });
    const err = await rejection(get(db));
    expect(isUnauthenticated(err)).toBe(true);
    expect(err.errorCode).toBe("INVALID_CLIENT");
    expect(err.message).toBe("Client authentication failed");
    expect(err.path).toBe("/oidc/v1/token");
    expect(JSON.stringify(err) + String(err.stack)).not.toContain("sp-secret");
  });

  it("a 503 from the token endpoint is retried like any other 503", async () => {
    nock(HOST).post("/oidc/v1/token").reply(503, "upstream busy");
    tokenEndpoint("at-r");
    const call = api("at-r");
    const clock = new FakeClock();
    const db = new Databricks({ host: HOST, clientId: "sp-id", clientSecret: "sp-secret", clock, env: {} });
    await get(db);
    expect(call.isDone()).toBe(true);
    expect(clock.sleeps).toHaveLength(1);
  });
});

describe("custom token provider", () => {
  it("asks for a bare-string token on every request", async () => {
    let calls = 0;
    const signals: unknown[] = [];
    nock(HOST).get("/api/2.0/clusters/list").reply(200, {});
    nock(HOST, { reqheaders: { authorization: "Bearer tok-2" } })
      .get("/api/2.0/clusters/list")
      .reply(200, {});
    const db = new Databricks({
      host: HOST,
      tokenProvider: async (signal) => {
        signals.push(signal);
        return `tok-${++calls}`;
      },
      env: {},
    });
    expect(db.config.authType).toBe("custom");
    await get(db);
    await get(db);
    expect(calls).toBe(2);
    expect(signals.every((s) => s instanceof AbortSignal)).toBe(true);
  });

  it("reuses a token with an expiry until 40 s before it", async () => {
    const clock = new FakeClock();
    let calls = 0;
    nock(HOST).get("/api/2.0/clusters/list").times(3).reply(200, {});
    const db = new Databricks({
      host: HOST,
      clock,
      tokenProvider: async () => ({ token: `t${++calls}`, expiresAt: new Date(clock.now() + 60_000) }),
      env: {},
    });
    await get(db);
    clock.advance(19_000);
    await get(db);
    expect(calls).toBe(1);
    clock.advance(2_000);
    await get(db);
    expect(calls).toBe(2);
  });

  it("a failing provider is reported as such and not retried as a connection error", async () => {
    let calls = 0;
    const db = new Databricks({
      host: HOST,
      clock: new FakeClock(),
      tokenProvider: async () => {
        calls++;
        throw new Error("vault unreachable");
      },
      env: {},
    });
    const err = await rejection(get(db));
    expect(err.message).toBe("The token provider failed: vault unreachable");
    expect(err.cause.message).toBe("vault unreachable");
    expect(calls).toBe(1);
  });
});
