// Property tests: whatever a server (or a proxy in front of it) answers, parsing it yields a typed
// error or data, never a TypeError or a crash.
import type { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { inspect } from "node:util";
import fc from "fast-check";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { errorFromResponse } from "../../src/core/error-mapping.js";
import {
  Databricks,
  DatabricksError,
  isBrickmlError,
  isDatabricksError,
  isUnexpectedResponse,
} from "../../src/index.js";
import { FakeClock } from "../fake-clock.js";

const HOST = "https://props.example.com";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const anyText = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }));
/** Bodies shaped like error answers, with every field of any type. */
const errorLike = fc.record(
  {
    error_code: fc.oneof(fc.jsonValue(), fc.constantFrom("NOT_FOUND", "INVALID_PARAMETER_VALUE", "")),
    message: fc.oneof(fc.jsonValue(), anyText),
    error: fc.jsonValue(),
    detail: fc.jsonValue(),
    status: fc.jsonValue(),
    details: fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue())),
  },
  { requiredKeys: [] },
);
const htmlLike = fc
  .tuple(anyText, fc.constantFrom("<pre>", "<title>", "<html><body>", "<"), anyText)
  .map(([a, tag, b]) => `${a}${tag}${b}`);
const codedText = fc
  .tuple(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,20}$/), anyText)
  .map(([c, m]) => `${c}: ${m}`);
/** Any body a server might send: JSON values, JSON text, text, HTML, bytes. */
const anyBody = fc.oneof(
  fc.jsonValue(),
  errorLike,
  errorLike.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  anyText,
  htmlLike,
  codedText,
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
  fc.constantFrom(undefined, null, "", "{", "{}", "[]", "null", "   "),
);

describe("errorFromResponse", () => {
  it("turns any status and any body into a DatabricksError with a message and a code", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 999 }), anyBody, fc.option(anyText), (status, body, text) => {
        const err = errorFromResponse({
          status,
          statusText: text ?? undefined,
          body,
          method: "GET",
          path: "/x",
        });
        expect(err).toBeInstanceOf(DatabricksError);
        expect(err.statusCode).toBe(status);
        expect(typeof err.message).toBe("string");
        expect(err.message.length).toBeGreaterThan(0);
        expect(typeof err.errorCode).toBe("string");
        expect(err.errorCode.length).toBeGreaterThan(0);
        expect(Array.isArray(err.details)).toBe(true);
        // Serialising and printing it never throws either.
        expect(() => JSON.stringify(err)).not.toThrow();
        expect(() => inspect(err, { depth: Infinity })).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it("keeps the message of a non-JSON body short", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1000, maxLength: 5000 }), (text) => {
        const err = errorFromResponse({ status: 502, body: text });
        expect(err.message.length).toBeLessThan(600);
      }),
      { numRuns: 50 },
    );
  });
});

describe("the transport, on any answer", () => {
  const db = new Databricks({
    host: HOST,
    token: "dapi-props",
    env: {},
    clock: new FakeClock(),
    maxRetries: 0,
  });
  const bodyText = anyBody.map((b) =>
    b === undefined || b === null
      ? ""
      : Buffer.isBuffer(b)
        ? b
        : typeof b === "string"
          ? b
          : JSON.stringify(b),
  );
  const contentType = fc.constantFrom(
    "application/json",
    "text/plain",
    "text/html",
    "application/octet-stream",
  );

  it("resolves on 2xx and rejects with a typed error otherwise, for JSON, text and byte responses", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 599 }),
        bodyText,
        contentType,
        fc.constantFrom("json", "text", "arraybuffer", "stream") as fc.Arbitrary<
          "json" | "text" | "arraybuffer" | "stream"
        >,
        async (status, body, type, responseType) => {
          nock(HOST).get("/p").reply(status, body, { "content-type": type });
          let outcome: unknown;
          try {
            const data = await db.request({ method: "GET", path: "/p", responseType });
            outcome = { data };
          } catch (e) {
            outcome = e;
          }
          if (status < 300 && responseType === "json" && isUnexpectedResponse(outcome)) {
            // A 2xx body that is not a JSON object or list: typed, and says what came instead.
            expect((outcome as Error).message).toMatch(/expected a JSON object, got/);
          } else if (status < 300) {
            expect(outcome).toHaveProperty("data");
            // Read a streamed body to its end, so no response is still flowing into the next run.
            if (responseType === "stream") await text((outcome as { data: Readable }).data);
          } else {
            expect(isDatabricksError(outcome)).toBe(true);
            expect((outcome as DatabricksError).statusCode).toBe(status);
          }
          nock.cleanAll();
        },
      ),
      { numRuns: 200 },
    );
  });

  it("connections that fail become typed errors", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("ECONNRESET", "ETIMEDOUT", "EPIPE", "EAI_AGAIN"), async (code) => {
        nock(HOST)
          .get("/p")
          .replyWithError(Object.assign(new Error(`socket ${code}`), { code }));
        let err: unknown;
        try {
          await db.request({ method: "GET", path: "/p" });
        } catch (e) {
          err = e;
        }
        expect(isBrickmlError(err)).toBe(true);
      }),
      { numRuns: 20 },
    );
  });
});
