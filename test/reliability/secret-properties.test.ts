// Property test: for arbitrary secret values, a token or a client secret never shows in an error
// (message, stack, cause, JSON.stringify, util.inspect), a log line or a request event — whatever
// the server answers, even when it echoes the credentials back.
//
// Secret shape: 16 to 80 characters from the token alphabet (letters, digits, -._~+/=), with
// letters and digits and at least six distinct characters. Real tokens and secrets look like that
// (dapi… hex, base64url; 32 characters and more). Shorter or word-like values would "appear" in
// ordinary text by coincidence (an 8-letter secret "property" is in every stack trace), which says
// nothing about a leak.
import { inspect } from "node:util";
import fc from "fast-check";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Databricks } from "../../src/index.js";
import { FakeClock } from "../fake-clock.js";
import { captureLogger } from "../unit/core/capture-logger.js";

const HOST = "https://secrets.example.com";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=";
const secret = fc
  .string({ unit: fc.constantFrom(...ALPHABET), minLength: 16, maxLength: 80 })
  .filter((s) => /[0-9]/.test(s) && /[A-Za-z]/.test(s) && new Set(s).size >= 6);

type Answer = (req: {
  authorization: string;
  path: string;
}) => { status: number; body: string; headers?: Record<string, string> } | { error: string };

/** What the server does; several echo the credentials they received. */
const ANSWERS: Record<string, Answer> = {
  "401 JSON": () => ({ status: 401, body: JSON.stringify({ error_code: "UNAUTHENTICATED", message: "no" }) }),
  "500 then retried": () => ({
    status: 500,
    body: JSON.stringify({ error_code: "INTERNAL_ERROR", message: "x" }),
  }),
  "429 with Retry-After": () => ({ status: 429, body: "{}", headers: { "retry-after": "0" } }),
  "connection reset": () => ({ error: "ECONNRESET" }),
  "echo in message": ({ authorization }) => ({
    status: 400,
    body: JSON.stringify({
      error_code: "BAD_REQUEST",
      message: `bad header Authorization: ${authorization}`,
    }),
  }),
  "echo in details": ({ authorization }) => ({
    status: 403,
    body: JSON.stringify({
      error_code: "PERMISSION_DENIED",
      message: "denied",
      details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", metadata: { header: authorization } }],
    }),
  }),
  "echo as text": ({ authorization }) => ({
    status: 502,
    body: `<html><pre>upstream saw ${authorization}</pre></html>`,
  }),
  "echo the raw credential": ({ authorization }) => ({
    status: 400,
    body: JSON.stringify({ message: `token ${authorization.replace(/^\S+ /, "")} is not valid` }),
  }),
};

function reply(answer: Answer) {
  return function (
    this: nock.ReplyFnContext,
    uri: string,
    _body: unknown,
    cb: (err: NodeJS.ErrnoException | null, result: nock.ReplyFnResult) => void,
  ) {
    const a = answer({ authorization: String(this.req.headers.authorization ?? ""), path: uri });
    if ("error" in a) return cb(Object.assign(new Error(`socket ${a.error}`), { code: a.error }), [0, ""]);
    cb(null, [a.status, a.body, { "content-type": "application/json", ...a.headers }]);
  };
}

/** Every text through which a value could be seen. */
function exposures(value: unknown): string[] {
  const texts = [inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true })];
  try {
    texts.push(JSON.stringify(value) ?? "");
  } catch {
    // circular: inspect covers it
  }
  if (value instanceof Error) texts.push(value.message, String(value.stack), inspect(value.cause));
  return texts;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("secrets never leak", () => {
  it("a personal access token, whatever the server answers", async () => {
    await fc.assert(
      fc.asyncProperty(secret, fc.constantFrom(...Object.keys(ANSWERS)), async (token, name) => {
        nock.cleanAll();
        nock(HOST).persist().intercept(/.*/, "POST").reply(reply(ANSWERS[name]!));
        const logger = captureLogger();
        const events: unknown[] = [];
        const db = new Databricks({
          host: HOST,
          token,
          env: {},
          logger,
          onRequest: (e) => events.push(e),
          clock: new FakeClock(),
          maxRetries: 1,
        });
        let err: unknown;
        try {
          await db.request({ method: "POST", path: "/api/2.0/x", body: { a: 1 }, idempotent: true });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(Error);
        for (const text of [...exposures(err), logger.text(), JSON.stringify(events), inspect(db)]) {
          expect(text).not.toContain(token);
        }
        // An echo keeps the rest of what the server said.
        if (name.startsWith("echo")) expect(JSON.stringify(err) + String(err)).toContain("[REDACTED]");
      }),
      { numRuns: 150 },
    );
  });

  it("an OAuth client secret and the access token it buys, whatever either endpoint answers", async () => {
    const tokenAnswers: Record<string, Answer> = {
      ...ANSWERS,
      "token granted": () => ({ status: 200, body: "" }),
    };
    await fc.assert(
      fc.asyncProperty(
        secret,
        secret,
        fc.constantFrom(...Object.keys(tokenAnswers)),
        fc.constantFrom(...Object.keys(ANSWERS)),
        async (clientSecret, accessToken, tokenName, apiName) => {
          nock.cleanAll();
          const grant = tokenName === "token granted";
          nock(HOST)
            .persist()
            .post("/oidc/v1/token")
            .reply(
              grant
                ? () => [200, JSON.stringify({ access_token: accessToken, expires_in: 3600 })]
                : reply(tokenAnswers[tokenName]!),
            )
            .intercept(/^\/api\//, "GET")
            .reply(reply(ANSWERS[apiName]!));
          const logger = captureLogger();
          const events: unknown[] = [];
          const db = new Databricks({
            host: HOST,
            clientId: "service-principal",
            clientSecret,
            env: {},
            logger,
            onRequest: (e) => events.push(e),
            clock: new FakeClock(),
            maxRetries: 1,
          });
          let err: unknown;
          try {
            await db.request({ method: "GET", path: "/api/2.0/x" });
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(Error);
          const basic = Buffer.from(`service-principal:${clientSecret}`).toString("base64");
          for (const text of [...exposures(err), logger.text(), JSON.stringify(events), inspect(db)]) {
            expect(text).not.toContain(clientSecret);
            expect(text).not.toContain(basic);
            expect(text).not.toContain(accessToken);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a secret value being stored, whatever the server answers, even echoing it plain or in base64", async () => {
    const echoes: Record<string, (value: string) => { status: number; body: string }> = {
      "in message": (v) => ({
        status: 400,
        body: JSON.stringify({ error_code: "INVALID_PARAMETER_VALUE", message: `bad value ${v}` }),
      }),
      "base64 in details": (v) => ({
        status: 403,
        body: JSON.stringify({
          error_code: "PERMISSION_DENIED",
          message: "denied",
          details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", metadata: { value: btoa(v) } }],
        }),
      }),
      "as text": (v) => ({ status: 502, body: `<pre>${v}</pre>` }),
      "500 then retried": () => ({ status: 500, body: JSON.stringify({ error_code: "INTERNAL_ERROR" }) }),
    };
    await fc.assert(
      fc.asyncProperty(
        secret,
        fc.boolean(),
        fc.constantFrom(...Object.keys(echoes)),
        async (value, asBytes, name) => {
          nock.cleanAll();
          nock(HOST)
            .persist()
            .post("/api/2.0/secrets/put")
            .reply((_uri, body) => {
              const sent = body as { string_value?: string; bytes_value?: string };
              const plain =
                sent.string_value ?? Buffer.from(sent.bytes_value ?? "", "base64").toString("utf8");
              const a = echoes[name]!(plain);
              return [a.status, a.body, { "content-type": "application/json" }];
            });
          const logger = captureLogger();
          const events: unknown[] = [];
          const db = new Databricks({
            host: HOST,
            token: "dapi-0123456789abcdef",
            env: {},
            logger,
            onRequest: (e) => events.push(e),
            clock: new FakeClock(),
            maxRetries: 1,
          });
          const req = asBytes
            ? { scope: "s", key: "k", bytes_value: Buffer.from(value).toString("base64") }
            : { scope: "s", key: "k", string_value: value };
          const err = await db.secrets.putSecret(req).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(Error);
          const base64 = Buffer.from(value).toString("base64");
          for (const text of [...exposures(err), logger.text(), JSON.stringify(events)]) {
            expect(text).not.toContain(value);
            expect(text).not.toContain(base64);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("in configuration errors", () => {
    fc.assert(
      fc.property(secret, secret, (token, clientSecret) => {
        let err: unknown;
        try {
          new Databricks({ host: HOST, token, clientId: "sp", clientSecret, env: {} });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(Error);
        for (const text of exposures(err)) {
          expect(text).not.toContain(token);
          expect(text).not.toContain(clientSecret);
        }
      }),
      { numRuns: 100 },
    );
  });
});
