import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { ADMIN, type Caller, Principals } from "./access/principals.js";
import { DEFAULT_IDLE_TIMING, EmulatorClock } from "./clock.js";
import { ApiFault } from "./errors.js";
import { FaultInjector, type FaultSpec, SeededRandom } from "./faults.js";
import { choosePython } from "./local/interpreter.js";
import { type LocalMode, LocalRuntime, localService } from "./local/runtime.js";
import { loadSnapshot, saveSnapshot } from "./persistence.js";
import { type EmuResponse, Router } from "./router.js";
import { SERVICES } from "./services/index.js";
import type { EmulatorContext, EmulatorService } from "./types.js";

export interface EmulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  hostname?: string;
  /** Bearer token clients must send (default: a random one, returned as `token`). */
  token?: string;
  /** Emulator time runs this many times faster than wall time (default 600: a 5-minute cluster start takes 0.5 s). */
  timeScale?: number;
  /**
   * Idle timers (cluster auto-termination, warehouse auto-stop, serving scale-to-zero) run this
   * many times faster than wall time (default 10: ten idle minutes take one minute).
   */
  idleTimeScale?: number;
  /** …and never end sooner than this many wall-clock seconds (default 60), so a client polling in real time sees the state first. */
  idleFloorSeconds?: number;
  /** Time moves only when the test calls `clock.advance(ms)`. */
  manualClock?: boolean;
  /** Faults to inject from the start. */
  faults?: FaultSpec;
  /** Keep state in this JSON file, across restarts. */
  dataFile?: string;
  /** Seed of ids and other random choices. */
  seed?: number;
  /** OAuth machine-to-machine credentials the emulator accepts at `/oidc/v1/token`. */
  oauthClients?: Record<string, string>;
  /**
   * Users besides the admin (email addresses), each with a token of its own (`tokenFor(user)`);
   * objects, ACLs, grants and secret scopes are then checked per user. `token` stays the admin's.
   */
  users?: string[];
  /** Services served in addition to the built-in ones (e.g. a test double); a name may not repeat. */
  extraServices?: EmulatorService<any, any>[];
  /**
   * Local mode: the Python interpreter that runs notebooks for real and serves pickled models (used
   * exactly as given), or `false` for scripted notebooks only. Default: `BRICKML_EMULATOR_PYTHON`,
   * else `python3` on PATH when it has pandas.
   */
  python?: string | false;
}

const OPTION_NAMES = new Set<string>([
  "port",
  "hostname",
  "token",
  "timeScale",
  "manualClock",
  "faults",
  "dataFile",
  "seed",
  "oauthClients",
  "extraServices",
  "python",
  "users",
] satisfies Array<keyof EmulatorOptions>);

export interface Emulator {
  /** Base URL to use as the Databricks host, e.g. `http://127.0.0.1:54321`. */
  url: string;
  /** The workspace admin's token. */
  token: string;
  /** The token of one of `users`. */
  tokenFor(user: string): string;
  clock: EmulatorClock;
  faults: FaultInjector;
  /** The workspace state and service functions, for tests and scripted behaviour. */
  context: EmulatorContext;
  /** Requests served so far. */
  requestCount(): number;
  /** Local mode: which interpreter runs notebooks and serves models (undefined: scripted only), and why. */
  localMode: LocalMode;
  close(): Promise<void>;
}

const PUBLIC_PATHS = new Set(["/oidc/v1/token", "/oidc/.well-known/oauth-authorization-server"]);

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const unknown = Object.keys(options).filter((k) => !OPTION_NAMES.has(k));
  if (unknown.length) {
    throw new TypeError(
      `Unknown startEmulator option ${unknown.map((k) => `"${k}"`).join(", ")}; the options are ${[...OPTION_NAMES].join(", ")}`,
    );
  }
  if (
    options.python !== undefined &&
    options.python !== false &&
    (typeof options.python !== "string" || !options.python)
  ) {
    throw new TypeError(
      `python must be the path of a Python interpreter, or false; got ${JSON.stringify(options.python)}`,
    );
  }
  const token = options.token ?? `dapi-emulator-${randomBytes(12).toString("hex")}`;
  const timeScale = options.timeScale ?? 600;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be above 0, got ${timeScale}`);
  const idleTimeScale = options.idleTimeScale ?? DEFAULT_IDLE_TIMING.timeScale;
  if (!(idleTimeScale > 0)) throw new RangeError(`idleTimeScale must be above 0, got ${idleTimeScale}`);
  const idleFloorSeconds = options.idleFloorSeconds ?? DEFAULT_IDLE_TIMING.floorMs / 1000;
  if (!(idleFloorSeconds >= 0))
    throw new RangeError(`idleFloorSeconds must be 0 or more, got ${idleFloorSeconds}`);
  const snapshot = options.dataFile ? loadSnapshot(options.dataFile) : undefined;
  const clock = new EmulatorClock(timeScale, options.manualClock ?? false, snapshot?.clock, {
    timeScale: idleTimeScale,
    floorMs: idleFloorSeconds * 1000,
  });
  const faults = new FaultInjector(options.faults);
  // Ids are drawn from the random source, so its position is saved with the state: a restart
  // continues the sequence instead of drawing the same ids again. A data file from before the
  // position was saved continues from an unpredictable one.
  const random = new SeededRandom(
    snapshot ? (snapshot.random ?? randomBytes(4).readUInt32LE()) : (options.seed ?? 42),
  );
  // The interpreter is looked for while the server starts.
  const pythonChoice = choosePython(options.python);
  pythonChoice.catch(() => undefined);
  const local = new LocalRuntime(token);
  const all = [...SERVICES, localService(local), ...(options.extraServices ?? [])];
  const services = new Map<string, EmulatorService<any, any>>();
  for (const s of all) {
    if (services.has(s.name)) throw new Error(`Two emulator services are named "${s.name}"`);
    services.set(s.name, s);
  }
  const states: Record<string, unknown> = {};
  for (const s of all) states[s.name] = snapshot?.services[s.name] ?? s.init();
  let nextId = snapshot?.nextId ?? 1;
  const issuedTokens = new Map<string, number>();
  const principals = new Principals(token, options.users ?? []);
  let requests = 0;

  const router = new Router();
  const ctx: EmulatorContext = {
    clock,
    state: <S>(name: string) => states[name] as S,
    service: <T>(name: string) => exported.get(name) as T | undefined,
    nextId: () => nextId++,
    random: () => random.next(),
    url: "",
    principals,
  };
  for (const s of all) s.routes(router);
  const exported = new Map<string, unknown>();
  for (const s of all) if (s.exports) exported.set(s.name, s.exports(ctx));
  const tick = () => {
    for (const s of services.values()) s.tick?.(ctx);
  };
  clock.onAdvance(tick);
  const persist = () => {
    if (options.dataFile) {
      saveSnapshot(options.dataFile, {
        version: 1,
        clock: clock.now(),
        nextId,
        random: random.state,
        services: states,
      });
    }
  };

  oauthRoutes(router, options.oauthClients ?? {}, issuedTokens, clock);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const url = new URL(req.url ?? "/", "http://emulator");
    const method = req.method ?? "GET";
    const requestId = `emu-${randomBytes(8).toString("hex")}`;
    res.setHeader("x-request-id", requestId);
    const { route, params } = router.match(method, url.pathname);
    const caller = callerOf(req.headers.authorization, principals, issuedTokens, clock);
    if (!PUBLIC_PATHS.has(url.pathname) && !route?.public && !caller) {
      await drain(req);
      return send(res, 401, {
        error_code: "UNAUTHENTICATED",
        message: "the request does not have valid authentication (AuthN) credentials for the operation",
      });
    }
    if (!route) {
      await drain(req);
      return send(res, 404, {
        error_code: "ENDPOINT_NOT_FOUND",
        message: `No API found for '${method} ${url.pathname}'`,
      });
    }
    const fault = faults.draw(method, url.pathname);
    if (fault === "reset-before") return void req.socket.destroy();
    if (fault === "429" || fault === "500" || fault === "503") {
      await drain(req);
      const bodies = {
        "429": {
          error_code: "REQUEST_LIMIT_EXCEEDED",
          message: "Too many requests; the emulator is injecting rate limits.",
        },
        "500": { error_code: "INTERNAL_ERROR", message: "Injected internal error." },
        "503": {
          error_code: "TEMPORARILY_UNAVAILABLE",
          message: "The service is temporarily unavailable (injected).",
        },
      };
      if (fault === "429") res.setHeader("Retry-After", String(faults.retryAfterSeconds));
      return send(res, Number(fault), bodies[fault]);
    }
    if (fault === "delay") await new Promise((r) => setTimeout(r, faults.delayMs));

    const raw = route.stream ? Buffer.alloc(0) : await readBody(req);
    let body: unknown;
    if (raw.length && /json|^$/.test(String(req.headers["content-type"] ?? ""))) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return send(res, 400, {
          error_code: "MALFORMED_REQUEST",
          message: "Invalid JSON given in the body of the request",
        });
      }
    }
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(key);
      query[key] = all.length > 1 ? all : all[0]!;
    }
    let out: EmuResponse;
    try {
      tick();
      out = await route.handler({
        method,
        path: url.pathname,
        params,
        query,
        headers: req.headers,
        body,
        raw,
        incoming: req,
        ctx,
        caller: caller ?? ADMIN,
      });
      if (route.mutates) persist();
    } catch (e) {
      if (e instanceof ApiFault) return send(res, e.status, e.body());
      return send(res, 500, {
        error_code: "INTERNAL_ERROR",
        message: `Emulator failure: ${(e as Error).message}`,
      });
    }
    if (fault === "reset-after") return void req.socket.destroy();
    return respond(res, out);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, { error_code: "INTERNAL_ERROR", message: String(e) });
      else res.destroy();
    });
  });
  // Longer than any client's idle keep-alive, so a reused connection is not closed under a request.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.hostname ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  ctx.url = `http://${host}:${addr.port}`;
  try {
    local.start(await pythonChoice, ctx.url);
  } catch (e) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw e;
  }
  return {
    url: ctx.url,
    token,
    tokenFor: (user) => principals.tokenFor(user),
    clock,
    faults,
    context: ctx,
    requestCount: () => requests,
    localMode: {
      python: local.python,
      reason: local.reason,
      notebookLogs: (taskRunId) => local.notebookLogs(taskRunId),
    },
    close: async () => {
      await local.close();
      await new Promise<void>((resolve, reject) => {
        server.close(() => {
          // State machines may have moved since the last change: keep where they are now.
          try {
            tick();
            persist();
            resolve();
          } catch (e) {
            reject(e);
          }
        });
        server.closeAllConnections();
      });
    },
  };
}

/** The user a bearer token belongs to; OAuth machine-to-machine tokens act as the admin. */
function callerOf(
  header: string | undefined,
  principals: Principals,
  issued: Map<string, number>,
  clock: EmulatorClock,
): Caller | undefined {
  const m = /^Bearer (.+)$/.exec(header ?? "");
  if (!m) return undefined;
  const user = principals.byToken(m[1]!);
  if (user) return user;
  const exp = issued.get(m[1]!);
  return exp !== undefined && exp > clock.now() ? ADMIN : undefined;
}

function oauthRoutes(
  router: Router,
  clients: Record<string, string>,
  issued: Map<string, number>,
  clock: EmulatorClock,
) {
  // Discovery document: the official SDKs read the token endpoint from it before asking for a token.
  router.get("/oidc/.well-known/oauth-authorization-server", (req) => ({
    body: {
      issuer: `${req.ctx.url}/oidc`,
      authorization_endpoint: `${req.ctx.url}/oidc/v1/authorize`,
      token_endpoint: `${req.ctx.url}/oidc/v1/token`,
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      scopes_supported: ["all-apis", "offline_access"],
    },
  }));
  router.post(
    "/oidc/v1/token",
    (req) => {
      const form = new URLSearchParams(req.raw.toString("utf8"));
      const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ""));
      // RFC 7617: the id ends at the first colon; the secret may contain colons.
      const pair = basic ? Buffer.from(basic[1]!, "base64").toString("utf8") : "";
      const colon = pair.indexOf(":");
      const [id, secret] = basic
        ? colon < 0
          ? []
          : [pair.slice(0, colon), pair.slice(colon + 1)]
        : [form.get("client_id") ?? undefined, form.get("client_secret") ?? undefined];
      if (
        !id ||
        clients[id] === undefined ||
        clients[id] !== secret ||
        form.get("grant_type") !== "client_credentials"
      ) {
        return {
          status: 401,
          body: { error: "invalid_client", error_description: "Client authentication failed" },
        };
      }
      const accessToken = `emu-oauth-${randomBytes(16).toString("hex")}`;
      issued.set(accessToken, clock.now() + 3600_000);
      return {
        body: { access_token: accessToken, token_type: "Bearer", expires_in: 3600, scope: form.get("scope") },
      };
    },
    { mutates: false },
  );
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function respond(res: ServerResponse, out: EmuResponse): void {
  const status = out.status ?? 200;
  for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
  if (out.raw === undefined) {
    send(res, status, out.body ?? {});
    return;
  }
  res.statusCode = status;
  res.setHeader("content-type", out.contentType ?? "application/octet-stream");
  if (typeof out.raw === "string" || Buffer.isBuffer(out.raw)) {
    res.setHeader("content-length", Buffer.byteLength(out.raw));
    res.end(out.raw);
  } else {
    (out.raw as Readable).pipe(res);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  await readBody(req).catch(() => undefined);
}
