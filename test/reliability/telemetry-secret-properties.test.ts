// Property test: with an OpenTelemetry SDK registered, no token, client secret or secret value a
// request carries (in its body, query, headers, or a presigned URL's signature) appears in a span's
// name, attributes, events or status, or in a metric's attributes — whatever the server answers,
// even when it echoes the secrets back. Secret shape as in secret-properties.test.ts.
import fc from "fast-check";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Databricks } from "../../src/index.js";
import { FakeClock } from "../fake-clock.js";
import { registerOtel } from "../otel.js";

const HOST = "https://otel-secrets.example.com";
const STORAGE = "https://bucket.storage.example.com";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=";
const secret = fc
  .string({ unit: fc.constantFrom(...ALPHABET), minLength: 16, maxLength: 80 })
  .filter((s) => /[0-9]/.test(s) && /[A-Za-z]/.test(s) && new Set(s).size >= 6);

type Answer = (echo: string) => [number, string];
const ANSWERS: Record<string, Answer> = {
  ok: () => [200, "{}"],
  "500 then retried": () => [500, JSON.stringify({ error_code: "INTERNAL_ERROR", message: "x" })],
  "429": () => [429, "{}"],
  "echo in message": (echo) => [400, JSON.stringify({ error_code: "BAD_REQUEST", message: `saw ${echo}` })],
  "echo as text": (echo) => [502, `<html>upstream saw ${echo}</html>`],
  // Retried as transient, with the server's message in the retry decision's reason.
  "echo in a transient message": (echo) => [
    400,
    JSON.stringify({ error_code: "INVALID_STATE", message: `${echo} Unknown worker environment` }),
  ],
};

const otel = registerOtel();
beforeAll(() => nock.disableNetConnect());
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await otel.shutdown();
});

/** Everything telemetry exported, as text. */
async function exported(): Promise<string> {
  const spans = otel.spans().map((s) => ({
    name: s.name,
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
    status: s.status,
    links: s.links,
  }));
  return JSON.stringify(spans) + JSON.stringify([...(await otel.metrics()).entries()]);
}

describe("telemetry never exports a secret", () => {
  it("tokens, client secrets and secret values in requests, whatever the server answers", async () => {
    await fc.assert(
      fc.asyncProperty(
        secret,
        secret,
        secret,
        fc.boolean(),
        fc.constantFrom(...Object.keys(ANSWERS)),
        async (credential, accessToken, value, oauth, name) => {
          nock.cleanAll();
          otel.reset();
          const everything = [credential, accessToken, value].join(" ");
          const answer = () => ANSWERS[name]!(everything);
          nock(HOST)
            .persist()
            .post("/oidc/v1/token")
            .reply(200, { access_token: accessToken, expires_in: 3600 })
            .post(/^\/(api|serving-endpoints)\//)
            .reply(answer)
            .get(/^\/api\//)
            .query(true)
            .reply(answer);
          nock(STORAGE).persist().get(/.*/).reply(answer);
          const db = new Databricks({
            host: HOST,
            ...(oauth ? { clientId: "service-principal", clientSecret: credential } : { token: credential }),
            env: {},
            clock: new FakeClock(),
            maxRetries: 1,
          });
          const calls = [
            db.request({ method: "POST", path: "/api/2.0/x", body: { password: value }, idempotent: true }),
            db.request(
              { method: "GET", path: "/api/2.0/x", query: { key: value } },
              { headers: { "X-Key": value } },
            ),
            db.request({ method: "GET", path: `${STORAGE}/file?X-Amz-Signature=${value}`, anonymous: true }),
            db.servingEndpoints.query({ name: "churn", dataframe_records: [{ secret: value }] }),
          ];
          await Promise.allSettled(calls);
          const text = await exported();
          // The calls were traced: the property is about what the spans hold, not about no spans.
          expect(otel.spans().length).toBeGreaterThanOrEqual(calls.length);
          for (const s of [credential, accessToken, value]) expect(text).not.toContain(s);
          expect(text).not.toContain(Buffer.from(`service-principal:${credential}`).toString("base64"));
        },
      ),
      { numRuns: 60 },
    );
  });
});
