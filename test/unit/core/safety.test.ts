// Redirect, TLS and redaction rules, checked against real local servers (no nock: the point is
// what actually goes over the wire).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import {
  createServer as createHttp,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, ConnectionError, Databricks, isConnectionError } from "../../../src/index.js";
import { FakeClock } from "../../fake-clock.js";
import { rejection } from "../../helpers.js";
import { captureLogger } from "./capture-logger.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

describe("redirects", () => {
  const seen: Array<{ server: string; path: string; headers: IncomingHttpHeaders }> = [];
  let a: Server;
  let b: Server;
  let aPort: number;
  let bPort: number;

  beforeAll(async () => {
    const record =
      (name: string, route: Handler): Handler =>
      (req, res) => {
        seen.push({ server: name, path: req.url ?? "", headers: req.headers });
        route(req, res);
      };
    a = createHttp(
      record("a", (req, res) => {
        if (req.url === "/to-other-host") {
          res.writeHead(302, { location: `http://localhost:${bPort}/landing` });
          return res.end();
        }
        if (req.url === "/to-same-host") {
          res.writeHead(307, { location: "/landing" });
          return res.end();
        }
        json(res, 200, { server: "a" });
      }),
    );
    b = createHttp(record("b", (_req, res) => json(res, 200, { server: "b" })));
    aPort = await listen(a, "127.0.0.1");
    bPort = await listen(b, "localhost");
  });
  afterAll(async () => {
    await close(a);
    await close(b);
  });

  const client = () =>
    new Databricks({
      host: `http://127.0.0.1:${aPort}`,
      token: "dapi-redirect-secret",
      workspaceId: "77",
      env: {},
    });

  it("never sends Authorization to another host", async () => {
    seen.length = 0;
    const out = await client().request({ method: "GET", path: "/to-other-host" });
    expect(out).toEqual({ server: "b" });
    expect(seen.map((s) => s.server)).toEqual(["a", "b"]);
    expect(seen[0]!.headers.authorization).toBe("Bearer dapi-redirect-secret");
    expect(seen[1]!.headers.authorization).toBeUndefined();
    expect(seen[1]!.headers["x-databricks-workspace-id"]).toBeUndefined();
    expect(JSON.stringify(seen[1]!.headers)).not.toContain("dapi-redirect-secret");
  });

  it("keeps it on a redirect within the same host", async () => {
    seen.length = 0;
    await client().request({ method: "GET", path: "/to-same-host" });
    expect(seen.map((s) => `${s.server}${s.path}`)).toEqual(["a/to-same-host", "a/landing"]);
    expect(seen[1]!.headers.authorization).toBe("Bearer dapi-redirect-secret");
  });
});

describe("TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "brickml-tls-"));
  let server: Server;
  let port: number;
  let cert: string;
  let requests = 0;

  beforeAll(async () => {
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"],
        ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    cert = readFileSync(join(dir, "cert.pem"), "utf8");
    server = createHttps({ key: readFileSync(join(dir, "key.pem")), cert }, (req, res) => {
      requests++;
      if (req.url === "/oidc/v1/token") return json(res, 200, { access_token: "at", expires_in: 3600 });
      if (req.url === "/downgrade") {
        res.writeHead(302, { location: "http://files.example.com/x" });
        return res.end();
      }
      json(res, 200, { ok: true });
    });
    port = await listen(server, "127.0.0.1");
  });
  afterAll(async () => {
    await close(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it("rejects a self-signed certificate, at once and without sending the token", async () => {
    const clock = new FakeClock();
    const db = new Databricks({ host: `https://127.0.0.1:${port}`, token: "dapi-tls", env: {}, clock });
    const err = await rejection(db.request({ method: "GET", path: "/api/2.1/clusters/list" }));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toContain("self-signed certificate");
    expect(err.message).toContain("pass its CA certificate as { ca }");
    expect(err.cause).toEqual({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    expect(clock.sleeps).toEqual([]); // not retried
    expect(requests).toBe(0);
  });

  it("refuses a redirect from https to plain http, without retrying", async () => {
    const clock = new FakeClock();
    const db = new Databricks({
      host: `https://127.0.0.1:${port}`,
      token: "dapi-tls",
      ca: cert,
      env: {},
      clock,
    });
    const err = await rejection(db.request({ method: "GET", path: "/downgrade" }));
    expect(err.message).toContain("Refusing a redirect from https to plain http (files.example.com)");
    expect(clock.sleeps).toEqual([]);
  });

  it("accepts it when its CA is passed as `ca`, for API and token requests", async () => {
    const db = new Databricks({ host: `https://127.0.0.1:${port}`, token: "dapi-tls", ca: cert, env: {} });
    expect(await db.request({ method: "GET", path: "/api/2.1/clusters/list" })).toEqual({ ok: true });
    const m2m = new Databricks({
      host: `https://localhost:${port}`,
      clientId: "id",
      clientSecret: "secret",
      ca: [Buffer.from(cert)],
      env: {},
    });
    expect(await m2m.request({ method: "GET", path: "/api/2.1/clusters/list" })).toEqual({ ok: true });
  });
});

describe("redaction: secrets never appear in errors, logs or inspection", () => {
  const TOKEN = "dapi-SUPERSECRET-0123456789";
  const CLIENT_SECRET = "cs-SUPERSECRET-9876543210";
  let server: Server;
  let url: string;
  let closedPortUrl: string;

  beforeAll(async () => {
    server = createHttp((req, res) => {
      if (req.url === "/oidc/v1/token")
        return json(res, 401, { error: "invalid_client", error_description: "bad client" });
      if (req.url === "/401")
        return json(res, 401, { error_code: "UNAUTHENTICATED", message: "Invalid access token." });
      if (req.url === "/500") return json(res, 500, { error_code: "INTERNAL_ERROR", message: "boom" });
      if (req.url === "/reset") return req.socket.destroy();
      if (req.url === "/slow") return; // never answers
      json(res, 200, { ok: true });
    });
    url = `http://127.0.0.1:${await listen(server, "127.0.0.1")}`;
    const closed = createHttp();
    closedPortUrl = `http://127.0.0.1:${await listen(closed, "127.0.0.1")}`;
    await close(closed);
  });
  afterAll(() => close(server));

  function exposures(value: unknown): string[] {
    const texts = [inspect(value, { depth: Infinity, showHidden: true })];
    try {
      texts.push(JSON.stringify(value) ?? "");
    } catch {
      // circular: inspect covers it
    }
    if (value instanceof Error)
      texts.push(value.message, String(value.stack), inspect(value.cause, { depth: Infinity }));
    return texts;
  }

  function expectClean(value: unknown) {
    for (const text of exposures(value)) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(CLIENT_SECRET);
      expect(text).not.toContain(Buffer.from(`sp:${CLIENT_SECRET}`).toString("base64"));
    }
  }

  it("in every kind of error, every log line and every request event", async () => {
    const logger = captureLogger();
    const events: unknown[] = [];
    const common = {
      env: { BRICKML_LOG: "debug" },
      logger,
      onRequest: (e: unknown) => events.push(e),
      clock: new FakeClock(),
    };
    // Long enough for a loaded machine to answer; /slow never answers and still times out.
    const pat = new Databricks({ host: url, token: TOKEN, timeout: 2000, ...common });
    const errors: unknown[] = [];
    for (const path of ["/401", "/500", "/reset", "/slow"]) {
      errors.push(await rejection(pat.request({ method: "POST", path, body: { token: "fine-to-send" } })));
    }
    const unreachable = new Databricks({ host: closedPortUrl, token: TOKEN, maxRetries: 1, ...common });
    errors.push(await rejection(unreachable.request({ method: "GET", path: "/x" })));
    const m2m = new Databricks({ host: url, clientId: "sp", clientSecret: CLIENT_SECRET, ...common });
    errors.push(await rejection(m2m.request({ method: "GET", path: "/x" })));
    const m2mUnreachable = new Databricks({
      host: closedPortUrl,
      clientId: "sp",
      clientSecret: CLIENT_SECRET,
      maxRetries: 0,
      ...common,
    });
    errors.push(await rejection(m2mUnreachable.request({ method: "GET", path: "/x" })));
    errors.push(
      (() => {
        try {
          new Databricks({ host: url, token: TOKEN, clientId: "sp", clientSecret: CLIENT_SECRET, env: {} });
        } catch (e) {
          return e;
        }
      })(),
    );
    expect(errors.map((e) => (e as Error).name)).toEqual([
      "UnauthenticatedError",
      "InternalError",
      "ConnectionError",
      "TimeoutError",
      "ConnectionError",
      "UnauthenticatedError",
      "ConnectionError",
      "ConfigError",
    ]);
    expect(isConnectionError(errors[4])).toBe(true);
    expect(errors[7]).toBeInstanceOf(ConfigError);
    for (const e of errors) expectClean(e);
    expect(logger.lines.length).toBeGreaterThan(8);
    expect(logger.text()).not.toContain(TOKEN);
    expect(logger.text()).not.toContain(CLIENT_SECRET);
    expectClean(events);
  });

  it("in inspection and serialisation of the client, even after requests", async () => {
    const db = new Databricks({ host: url, token: TOKEN, env: {} });
    await db.request({ method: "GET", path: "/ok" });
    const m2m = new Databricks({ host: url, clientId: "sp", clientSecret: CLIENT_SECRET, env: {} });
    for (const client of [db, m2m, db.withOptions({ maxRetries: 1 })]) {
      expectClean(client);
      expectClean(client.config);
      // Also what the client holds: the keep-alive pool remembers each socket's last request.
      expectClean(client.ctx);
      expect(inspect(client)).toMatch(
        /^Databricks \{ host: http:\/\/127\.0\.0\.1:\d+, authType: (pat|oauth-m2m) \}$/,
      );
      expect(JSON.parse(JSON.stringify(client))).toMatchObject({ host: url });
    }
  });
});
