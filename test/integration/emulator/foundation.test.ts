import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type FaultSpec, startEmulator } from "../../../src/emulator/index.js";
import { Databricks, isNotFound } from "../../../src/index.js";
import { realPayload } from "../../fixtures.js";
import { rejection } from "../../helpers.js";
import { STARTUP_MS, type Thing, thingsService } from "./things-service.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ extraServices: [thingsService], manualClock: true, token: "emu-token" });
});
afterAll(() => emu.close());
afterEach(() => emu.faults.clear());

/** A raw HTTP call, so tests see exactly what the emulator answers. */
async function call(method: string, path: string, body?: unknown, token: string | null = emu.token) {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const create = (name = "x") => call("POST", "/api/2.0/things/create", { name });
const things = async () => ((await call("GET", "/api/2.0/things/list")).body.things as Thing[]).length;

describe("requests", () => {
  it("checks the bearer token and answers 401 with the real body", async () => {
    const real = realPayload("errors.unauthenticated.1.json");
    for (const token of [null, "wrong"]) {
      const res = await call("GET", "/api/2.0/things/list", undefined, token);
      expect(res.status).toBe(real.http_status);
      expect(res.body).toEqual(real.body);
    }
    expect((await call("GET", "/api/2.0/things/list")).status).toBe(200);
  });

  it("answers an unknown path or method with 404 ENDPOINT_NOT_FOUND", async () => {
    const res = await call("GET", "/api/2.0/nothing/here");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error_code: "ENDPOINT_NOT_FOUND",
      message: "No API found for 'GET /api/2.0/nothing/here'",
    });
    expect((await call("DELETE", "/api/2.0/things/create")).status).toBe(404);
  });

  it("sends a request id with every answer", async () => {
    const a = await call("GET", "/api/2.0/things/list");
    const b = await call("GET", "/api/2.0/nothing");
    expect(a.headers.get("x-request-id")).toMatch(/^emu-[0-9a-f]{16}$/);
    expect(b.headers.get("x-request-id")).not.toBe(a.headers.get("x-request-id"));
  });

  it("decodes path parameters, keeping slashes in a trailing wildcard", async () => {
    const res = await call("GET", "/api/2.0/things/a%20b/files/dir/my%20file.txt");
    expect(res.body).toEqual({ id: "a b", path: "/dir/my file.txt" });
  });

  it("answers malformed JSON, handler faults and handler bugs in the real shapes", async () => {
    expect(await call("POST", "/api/2.0/things/create", "{not json")).toMatchObject({
      status: 400,
      body: { error_code: "MALFORMED_REQUEST" },
    });
    expect(await call("POST", "/api/2.0/things/create", {})).toMatchObject({
      status: 400,
      body: { error_code: "INVALID_PARAMETER_VALUE", message: "Missing required field: name" },
    });
    expect(await call("POST", "/api/2.0/things/crash", {})).toMatchObject({
      status: 500,
      body: { error_code: "INTERNAL_ERROR", message: "Emulator failure: a bug in a handler" },
    });
  });

  it("is usable from the client, including its error mapping", async () => {
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const { id } = await db.request<{ id: string }>({
      method: "POST",
      path: "/api/2.0/things/create",
      body: { name: "c" },
    });
    const thing = await db.request<Thing>({ method: "GET", path: "/api/2.0/things/get", query: { id } });
    expect(thing).toMatchObject({ id, name: "c", state: "PENDING" });
    const err = await rejection(
      db.request({ method: "GET", path: "/api/2.0/things/get", query: { id: "nope" } }),
    );
    expect(err.statusCode).toBe(400);
    expect(err.errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect(isNotFound(err)).toBe(false); // the quirk rewrite is for jobs and clusters only
    expect(emu.requestCount()).toBeGreaterThan(0);
  });
});

describe("clock", () => {
  it("moves a manual clock only on advance(), and state machines follow", async () => {
    const { body } = await create("slow");
    const start = emu.clock.now();
    const state = async () => (await call("GET", `/api/2.0/things/get?id=${body.id}`)).body.state;
    expect(await state()).toBe("PENDING");
    expect(emu.clock.now()).toBe(start);
    emu.clock.advance(STARTUP_MS - 1);
    expect(await state()).toBe("PENDING");
    emu.clock.advance(1);
    // advance() ticks the services at once, before any request arrives.
    expect(emu.context.state<{ things: Record<string, Thing> }>("things").things[body.id]!.state).toBe(
      "READY",
    );
    expect(await state()).toBe("READY");
    expect(emu.clock.toRealMs(1000)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("faults", () => {
  const statuses = async (n: number, path = "/api/2.0/things/list", method = "GET") => {
    const out: number[] = [];
    for (let i = 0; i < n; i++)
      out.push((await call(method, path, method === "POST" ? { name: "f" } : undefined)).status);
    return out;
  };

  it("429 carries Retry-After and the real rate-limit error", async () => {
    emu.faults.set({ rate: 1, kinds: ["429"], retryAfterSeconds: 3 });
    const res = await call("GET", "/api/2.0/things/list");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(res.body.error_code).toBe("REQUEST_LIMIT_EXCEEDED");
  });

  it("500 and 503 answer with their error codes", async () => {
    emu.faults.set({ rate: 1, kinds: ["500"] });
    expect((await call("GET", "/api/2.0/things/list")).body.error_code).toBe("INTERNAL_ERROR");
    emu.faults.set({ rate: 1, kinds: ["503"] });
    const res = await call("GET", "/api/2.0/things/list");
    expect(res.status).toBe(503);
    expect(res.body.error_code).toBe("TEMPORARILY_UNAVAILABLE");
  });

  it("an answered fault does not apply the request", async () => {
    const before = await things();
    emu.faults.set({ rate: 1, kinds: ["500"], methods: ["POST"] });
    expect((await create()).status).toBe(500);
    emu.faults.clear();
    expect(await things()).toBe(before);
  });

  it("reset-before drops the connection before the handler runs: state unchanged", async () => {
    const before = await things();
    emu.faults.set({ rate: 1, kinds: ["reset-before"], methods: ["POST"] });
    await expect(create()).rejects.toThrow();
    emu.faults.clear();
    expect(await things()).toBe(before);
  });

  it("reset-after applies the request, then drops the connection: state changed", async () => {
    const before = await things();
    emu.faults.set({ rate: 1, kinds: ["reset-after"], methods: ["POST"] });
    await expect(create()).rejects.toThrow();
    emu.faults.clear();
    expect(await things()).toBe(before + 1);
  });

  it("delay slows the answer down", async () => {
    emu.faults.set({ rate: 1, kinds: ["delay"], delayMs: 120 });
    const started = performance.now();
    expect((await call("GET", "/api/2.0/things/list")).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("the same seed gives the same faults; another seed other faults", async () => {
    const spec: FaultSpec = { rate: 0.5, kinds: ["429", "500", "503"], seed: 7 };
    emu.faults.set(spec);
    const first = await statuses(30);
    emu.faults.set(spec);
    const second = await statuses(30);
    emu.faults.set({ ...spec, seed: 8 });
    const other = await statuses(30);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(5);
    expect(first.filter((s) => s !== 200).length).toBeGreaterThan(5);
  });

  it("filters by method and by path (substring or regular expression)", async () => {
    emu.faults.set({ rate: 1, kinds: ["503"], methods: ["POST"] });
    expect(await statuses(3)).toEqual([200, 200, 200]);
    expect(await statuses(2, "/api/2.0/things/create", "POST")).toEqual([503, 503]);
    emu.faults.set({ rate: 1, kinds: ["503"], path: "/things/get" });
    expect(await statuses(2)).toEqual([200, 200]);
    expect((await call("GET", "/api/2.0/things/get?id=x")).status).toBe(503);
    emu.faults.set({ rate: 1, kinds: ["503"], path: /list$/ });
    expect(await statuses(1)).toEqual([503]);
  });

  it("set and clear at run time, and counts what was injected", async () => {
    const before = emu.faults.counts();
    emu.faults.set({ rate: 1, kinds: ["429"], retryAfterSeconds: 0 });
    await statuses(2);
    emu.faults.set({ rate: 1, kinds: ["503"] });
    await statuses(1);
    emu.faults.clear();
    expect(await statuses(2)).toEqual([200, 200]);
    const after = emu.faults.counts();
    expect(after["429"] - before["429"]).toBe(2);
    expect(after["503"] - before["503"]).toBe(1);
    expect(Object.keys(after).sort()).toEqual(["429", "500", "503", "delay", "reset-after", "reset-before"]);
  });

  it("rejects a spec that cannot work", () => {
    expect(() => emu.faults.set({ rate: 2 })).toThrow(/between 0 and 1/);
    expect(() => emu.faults.set({ rate: 0.1, kinds: ["418" as never] })).toThrow(/Unknown fault kind "418"/);
  });

  it("the client's retries ride through injected faults", async () => {
    emu.faults.set({
      rate: 0.3,
      kinds: ["429", "503", "500", "reset-before"],
      seed: 3,
      retryAfterSeconds: 0,
    });
    const db = new Databricks({ host: emu.url, token: emu.token, env: {}, random: () => 0.01 });
    for (let i = 0; i < 20; i++) {
      await db.request({ method: "GET", path: "/api/2.0/things/list" });
    }
    const c = emu.faults.counts();
    expect(c["429"] + c["503"] + c["500"] + c["reset-before"]).toBeGreaterThan(0);
  });

  it("can be given at start, and apply to real routes only", async () => {
    const e = await startEmulator({ extraServices: [thingsService], faults: { rate: 1, kinds: ["503"] } });
    try {
      const get = (path: string) =>
        fetch(`${e.url}${path}`, { headers: { authorization: `Bearer ${e.token}` } });
      expect((await get("/api/2.0/things/list")).status).toBe(503);
      expect((await get("/api/2.0/anything")).status).toBe(404);
      expect(e.faults.counts()["503"]).toBe(1);
    } finally {
      await e.close();
    }
  });
});

describe("services", () => {
  it("refuses two services with one name", async () => {
    await expect(startEmulator({ extraServices: [thingsService, thingsService] })).rejects.toThrow(
      'Two emulator services are named "things"',
    );
  });
});

describe("OAuth", () => {
  it("publishes the discovery document and accepts Basic or form client credentials", async () => {
    const e = await startEmulator({ oauthClients: { app: "s:1" } });
    try {
      const discovery = (await (
        await fetch(`${e.url}/oidc/.well-known/oauth-authorization-server`)
      ).json()) as any;
      expect(discovery.token_endpoint).toBe(`${e.url}/oidc/v1/token`);
      const token = async (init: RequestInit) => {
        const res = await fetch(discovery.token_endpoint, { method: "POST", ...init });
        return { status: res.status, body: (await res.json()) as any };
      };
      const form = { "content-type": "application/x-www-form-urlencoded" };
      const basic = await token({
        headers: { ...form, authorization: `Basic ${Buffer.from("app:s:1").toString("base64")}` },
        body: "grant_type=client_credentials&scope=all-apis",
      });
      expect(basic.status).toBe(200);
      expect(basic.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "all-apis" });
      const posted = await token({
        headers: form,
        body: "grant_type=client_credentials&client_id=app&client_secret=s%3A1",
      });
      expect(posted.status).toBe(200);
      const api = await fetch(`${e.url}/api/2.0/x`, {
        headers: { authorization: `Bearer ${posted.body.access_token}` },
      });
      expect(api.status).toBe(404); // authenticated; no such API
      const wrong = await token({
        headers: form,
        body: "grant_type=client_credentials&client_id=app&client_secret=no",
      });
      expect(wrong).toEqual({
        status: 401,
        body: { error: "invalid_client", error_description: "Client authentication failed" },
      });
    } finally {
      await e.close();
    }
  });
});
