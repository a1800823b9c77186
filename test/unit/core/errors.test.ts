import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { inspect } from "node:util";
import nock from "nock";
import { describe, expect, it } from "vitest";
import { errorFromResponse } from "../../../src/core/error-mapping.js";
import * as brickml from "../../../src/index.js";
import {
  AlreadyExistsError,
  BadRequestError,
  Databricks,
  DatabricksError,
  DeadlineExceededError,
  InternalError,
  InvalidParameterError,
  isAlreadyExists,
  isBrickmlError,
  isDatabricksError,
  isNotFound,
  isPermissionDenied,
  isRateLimited,
  isUnauthenticated,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
} from "../../../src/index.js";
import { FakeClock } from "../../fake-clock.js";
import { realPayload, realPayloads } from "../../fixtures.js";
import { rejection } from "../../helpers.js";

/** Maps a fixture the way the transport does: status, raw body text, method and path of its API. */
function fromFixture(file: string) {
  const p = realPayload(file);
  const [method, path] = p.api.startsWith("(") ? [undefined, undefined] : p.api.split(" ");
  return errorFromResponse({
    status: p.http_status ?? 400,
    body: typeof p.body === "string" ? p.body : JSON.stringify(p.body),
    method,
    path,
  });
}

describe("every real error body", () => {
  it("maps each fixture to a typed error with its code and message", () => {
    const all = realPayloads("errors.");
    expect(all.length).toBeGreaterThanOrEqual(16);
    for (const p of all) {
      const err = fromFixture(p.file);
      expect(err, p.file).toBeInstanceOf(DatabricksError);
      expect(err.statusCode, p.file).toBe(p.http_status ?? 400);
      expect(err.message.length, p.file).toBeGreaterThan(0);
    }
  });

  it.each([
    ["errors.deadline-exceeded.1.json", DeadlineExceededError, "DEADLINE_EXCEEDED"],
    ["errors.permission-denied.1.json", PermissionDeniedError, "PERMISSION_DENIED"],
    ["errors.resource-already-exists.1.json", AlreadyExistsError, "RESOURCE_ALREADY_EXISTS"],
    ["errors.resource-does-not-exist.1.json", NotFoundError, "RESOURCE_DOES_NOT_EXIST"],
    ["errors.resource-does-not-exist.3.json", NotFoundError, "RESOURCE_DOES_NOT_EXIST"],
    ["errors.unauthenticated.1.json", UnauthenticatedError, "UNAUTHENTICATED"],
    ["errors.invalid-parameter-value.3.json", InvalidParameterError, "INVALID_PARAMETER_VALUE"],
    ["errors.max-notebook-size.1.json", BadRequestError, "MAX_NOTEBOOK_SIZE_EXCEEDED"],
  ] as const)("standard body %s → %s", (file, cls, code) => {
    const err = fromFixture(file);
    expect(err).toBeInstanceOf(cls);
    expect(err.errorCode).toBe(code);
    expect(err.message).toBe(realPayload(file).body.message);
  });

  it("keeps every detail of the standard body and takes the request id from RequestInfo", () => {
    const err = fromFixture("errors.details.1.json");
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.details).toHaveLength(9);
    expect(err.details[0]).toEqual(realPayload("errors.details.1.json").body.details[0]);
    expect(err.requestId).toBe("req42");
  });

  it("an unknown lower-case error_code falls back to the status and keeps its details", () => {
    const err = fromFixture("errors.details.3.json");
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.errorCode).toBe("theerrorcode");
    expect(err.details[0]).toMatchObject({ reason: "detailreason", metadata: { etag: "detailsetag" } });
  });

  it("details that are not objects do not break parsing", () => {
    const err = fromFixture("errors.details.5.json");
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe("test message");
    expect(err.details).toEqual([
      { "@type": "type.googleapis.com/google.rpc.FooBar", reason: "reason", domain: "domain" },
    ]);
  });

  it("a numeric error_code is kept as a string and the status decides the class", () => {
    const err = fromFixture("errors.numeric-error-code.1.json");
    expect(err.errorCode).toBe("500");
    expect(err).toBeInstanceOf(BadRequestError);
    expect(isNotFound(err)).toBe(false);
  });

  it("SCIM: detail becomes the message and SCIM_<status> the code", () => {
    const err = fromFixture("errors.scim.1.json");
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.errorCode).toBe("SCIM_404");
    expect(err.message).toBe("Group with id 1234 is not found");
  });

  it('plain text "CODE: message"', () => {
    const err = fromFixture("errors.plain-text.1.json");
    expect(err.errorCode).toBe("MALFORMED_REQUEST");
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toMatch(/^vpc_endpoints malformed parameters/);
  });

  it("gateway text: a retryable 503", () => {
    const err = fromFixture("errors.gateway-text.1.json");
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.errorCode).toBe("TEMPORARILY_UNAVAILABLE");
    expect(err.message).toBe("no healthy upstream");
  });

  it("the 400 INVALID_PARAMETER_VALUE '… does not exist' quirk is a NotFoundError", () => {
    const err = fromFixture("errors.invalid-parameter-value.1.json");
    expect(err).toBeInstanceOf(NotFoundError);
    expect(isNotFound(err)).toBe(true);
    expect(err.errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect(err.statusCode).toBe(400);
    // The same message from an API without the quirk stays what the server said.
    const other = errorFromResponse({
      status: 400,
      body: { error_code: "INVALID_PARAMETER_VALUE", message: "Schema x does not exist" },
      path: "/api/2.1/unity-catalog/schemas",
    });
    expect(other).toBeInstanceOf(InvalidParameterError);
    for (const path of ["/api/2.2/jobs/get", "/api/2.2/jobs/runs/get-output", "/api/2.0/clusters/get"]) {
      const e = errorFromResponse({
        status: 400,
        body: { error_code: "INVALID_PARAMETER_VALUE", message: "Run 42 does not exist." },
        path,
      });
      expect(isNotFound(e), path).toBe(true);
    }
  });
});

describe("other body shapes real servers send", () => {
  it('legacy {"error": …}', () => {
    const err = errorFromResponse({ status: 400, body: '{"error": "Bad Request: missing notebook path"}' });
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.errorCode).toBe("BAD_REQUEST");
    expect(err.message).toBe("Bad Request: missing notebook path");
  });

  it("HTML with <pre>", () => {
    const html =
      "<html><head><title>Error 500</title></head><body><pre>java.lang.NullPointerException</pre></body></html>";
    const err = errorFromResponse({ status: 500, body: html });
    expect(err).toBeInstanceOf(InternalError);
    expect(err.message).toBe("java.lang.NullPointerException");
  });

  it("HTML with only a <title>", () => {
    const err = errorFromResponse({
      status: 502,
      body: "<html><title>502 Bad Gateway</title><body>nginx</body></html>",
    });
    expect(err.message).toBe("502 Bad Gateway");
    expect(err.errorCode).toBe("BAD_GATEWAY");
  });

  it("a long HTML page is truncated", () => {
    const body = `<html><body>${"<p>Sorry, something went wrong on our side.</p>".repeat(100)}</body></html>`;
    const err = errorFromResponse({ status: 503, body });
    expect(err.message.length).toBeLessThan(600);
    expect(err.message).toMatch(/… \(\d+ more characters\)$/);
    expect(err.message).not.toContain("<p>");
  });

  it("an empty body uses the status text, or the status", () => {
    expect(errorFromResponse({ status: 404, statusText: "Not Found", body: "" }).message).toBe("Not Found");
    const err = errorFromResponse({ status: 418, body: undefined });
    expect(err.message).toBe("HTTP 418");
    expect(err.errorCode).toBe("UNKNOWN");
    expect(err.constructor).toBe(DatabricksError);
  });

  it("a broken JSON body is kept as text", () => {
    const err = errorFromResponse({ status: 500, body: '{"error_code": "INTERNAL_ERROR", "mess' });
    expect(err.message).toBe('{"error_code": "INTERNAL_ERROR", "mess');
  });

  it("bodies arrive through the transport as text, buffers or streams", async () => {
    nock.disableNetConnect();
    const host = "https://ws.example.com";
    nock(host)
      .get("/html")
      .reply(502, "<html><title>502 Bad Gateway</title></html>", { "content-type": "text/html" });
    nock(host).get("/empty").reply(404);
    nock(host).get("/stream").reply(403, { error_code: "PERMISSION_DENIED", message: "no" });
    const db = new Databricks({ host, token: "t", env: {}, maxRetries: 0, clock: new FakeClock() });
    const html = await rejection(db.request({ method: "GET", path: "/html" }));
    expect(html.message).toBe("502 Bad Gateway");
    expect(html.method).toBe("GET");
    expect(html.path).toBe("/html");
    const empty = await rejection(db.request({ method: "GET", path: "/empty" }));
    expect(isNotFound(empty)).toBe(true);
    const stream = await rejection(db.request({ method: "GET", path: "/stream", responseType: "stream" }));
    expect(isPermissionDenied(stream)).toBe(true);
    expect(stream.message).toBe("no");
    nock.cleanAll();
  });
});

describe("error_code wins over the status", () => {
  it.each([
    [500, "RESOURCE_ALREADY_EXISTS", AlreadyExistsError],
    [400, "RESOURCE_EXHAUSTED", undefined],
    [404, "FEATURE_DISABLED", NotFoundError],
    [400, "PERMISSION_DENIED", PermissionDeniedError],
  ] as const)("%i %s", (status, code, cls) => {
    const err = errorFromResponse({ status, body: { error_code: code, message: "m" } });
    if (cls) expect(err).toBeInstanceOf(cls);
    else expect(isRateLimited(err)).toBe(true);
  });
});

describe("serialisation", () => {
  it("toJSON holds the useful fields and nothing else", () => {
    const err = errorFromResponse({
      status: 404,
      body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: "gone" },
      requestId: "r1",
      method: "GET",
      path: "/api/2.1/clusters/get",
    });
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: "NotFoundError",
      code: "NOT_FOUND",
      errorCode: "RESOURCE_DOES_NOT_EXIST",
      statusCode: 404,
      message: "gone",
      requestId: "r1",
      method: "GET",
      path: "/api/2.1/clusters/get",
      details: [],
    });
    expect(inspect(err)).toContain("NotFoundError: gone");
  });
});

describe("type guards", () => {
  it("one per class, matching the class and its subclasses only", () => {
    const guards = {
      isBadRequest: [400, "BAD_REQUEST"],
      isInvalidParameter: [400, "INVALID_PARAMETER_VALUE"],
      isInvalidState: [400, "INVALID_STATE"],
      isUnauthenticated: [401, "UNAUTHENTICATED"],
      isPermissionDenied: [403, "PERMISSION_DENIED"],
      isNotFound: [404, "NOT_FOUND"],
      isConflict: [409, "ABORTED"],
      isAlreadyExists: [409, "RESOURCE_ALREADY_EXISTS"],
      isRateLimited: [429, "REQUEST_LIMIT_EXCEEDED"],
      isCancelled: [499, "CANCELLED"],
      isInternalError: [500, "INTERNAL_ERROR"],
      isNotImplemented: [501, "NOT_IMPLEMENTED"],
      isUnavailable: [503, "TEMPORARILY_UNAVAILABLE"],
      isDeadlineExceeded: [504, "DEADLINE_EXCEEDED"],
    } as const;
    const errors = Object.fromEntries(
      Object.entries(guards).map(([name, [status, code]]) => [
        name,
        errorFromResponse({ status, body: { error_code: code, message: "m" } }),
      ]),
    );
    const hierarchy: Record<string, string[]> = {
      isBadRequest: ["isInvalidParameter", "isInvalidState"],
      isConflict: ["isAlreadyExists"],
    };
    for (const guard of Object.keys(guards)) {
      const fn = (brickml as unknown as Record<string, (e: unknown) => boolean>)[guard]!;
      for (const [name, err] of Object.entries(errors)) {
        const expected = name === guard || (hierarchy[guard] ?? []).includes(name);
        expect(fn(err), `${guard}(${name})`).toBe(expected);
      }
    }
    expect(brickml.isConfigError(new brickml.ConfigError("x"))).toBe(true);
  });

  it("recognise errors by brand and code, not by class identity", () => {
    const foreign = Object.assign(new Error("gone"), {
      [Symbol.for("brickml.error")]: true,
      code: "NOT_FOUND",
      statusCode: 404,
    });
    expect(isNotFound(foreign)).toBe(true);
    expect(isDatabricksError(foreign)).toBe(true);
    expect(isAlreadyExists(foreign)).toBe(false);
    // Look-alikes without the brand are not ours.
    expect(isNotFound({ code: "NOT_FOUND", statusCode: 404 })).toBe(false);
    expect(isNotFound(null)).toBe(false);
    expect(isNotFound("NOT_FOUND")).toBe(false);
  });

  it("subclasses keep the guards of their kind", () => {
    expect(isBrickmlError(new ValidationError("x", []))).toBe(true);
    expect(isDatabricksError(new ValidationError("x", []))).toBe(false);
    const e = errorFromResponse({ status: 401, body: {} });
    expect(isUnauthenticated(e)).toBe(true);
    expect(e.name).toBe("UnauthenticatedError");
  });

  const cjsPath = join(import.meta.dirname, "../../../dist/index.cjs");
  it.skipIf(!existsSync(cjsPath))("work across the ESM source and the built CommonJS copy", () => {
    const cjs = createRequire(import.meta.url)(cjsPath) as typeof import("../../../src/index.js");
    const fromCjs = new cjs.NotFoundError({
      message: "gone",
      errorCode: "RESOURCE_DOES_NOT_EXIST",
      statusCode: 404,
    });
    expect(fromCjs instanceof NotFoundError).toBe(false); // the dual-package hazard …
    expect(isNotFound(fromCjs)).toBe(true); // … that the guards survive
    expect(isDatabricksError(fromCjs)).toBe(true);
    const fromEsm = new AlreadyExistsError({
      message: "dup",
      errorCode: "RESOURCE_ALREADY_EXISTS",
      statusCode: 409,
    });
    expect(cjs.isAlreadyExists(fromEsm)).toBe(true);
    expect(cjs.isNotFound(fromEsm)).toBe(false);
  });
});
