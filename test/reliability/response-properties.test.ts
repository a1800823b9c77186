// Property test: whatever a 2xx answer holds (any JSON value, or text), every service method
// resolves or rejects with one of our typed errors, never a TypeError.
import fc from "fast-check";
import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Databricks, isBrickmlError, isUnexpectedResponse } from "../../src/index.js";
import { FakeClock } from "../fake-clock.js";
import { rejection } from "../helpers.js";
import { CALLS, complete } from "./calls.js";

const HOST = "https://responses.example.com";

/** 2xx bodies: any JSON, JSON with the right keys holding anything, text, nothing. */
const body = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .dictionary(
      fc.constantFrom(
        "experiment",
        "experiment_id",
        "run",
        "run_info",
        "registered_model",
        "registered_model_databricks",
        "model_version",
        "model_version_databricks",
        "model_versions",
        "registered_models",
        "experiments",
        "runs",
        "metrics",
        "files",
        "contents",
        "next_page_token",
        "status",
        "version",
        "aliases",
        "info",
        "data",
        "artifact_uri",
        "root_uri",
        "full_name",
        "has_more",
        "state",
      ),
      fc.jsonValue(),
    )
    .map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constantFrom("", "null", "[]", "{}", "0", '"x"', "true"),
);

beforeAll(() => nock.disableNetConnect());
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("every method, on any 2xx body", () => {
  it("resolves or throws a typed error", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CALLS),
        body,
        fc.constantFrom(200, 201, 204),
        async ([name, call], text, status) => {
          nock.cleanAll();
          for (const method of ["get", "post", "put", "patch", "delete", "head"] as const) {
            nock(HOST)
              .persist()
              [method](() => true)
              .reply(status, status === 204 ? undefined : text, { "content-type": "application/json" });
          }
          const db = new Databricks({
            host: HOST,
            token: "dapi-responses",
            env: {},
            clock: new FakeClock(),
            maxRetries: 0,
          });
          try {
            await complete(call, db);
          } catch (e) {
            expect(isBrickmlError(e), `${name} threw ${(e as Error)?.stack ?? e}`).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
    // 400 runs take seconds alone and far longer on a loaded 2-core machine.
  }, 90_000);
});

describe("a success answer without a field the client needs", () => {
  it("is an UnexpectedResponseError naming the field, not a TypeError", async () => {
    nock.cleanAll();
    nock(HOST)
      .get("/api/2.0/mlflow/runs/get")
      .query(true)
      .reply(200, { run: { data: {} } });
    const db = new Databricks({ host: HOST, token: "dapi-responses", env: {}, maxRetries: 0 });
    const err = await rejection(db.runs.downloadArtifact({ run_id: "r1", path: "model/MLmodel" }));
    expect(isUnexpectedResponse(err)).toBe(true);
    expect(err.message).toBe(
      "Unexpected runs.get response: run.info: Invalid input: expected object, received undefined",
    );
  });
});

describe("a success answer that is not JSON at all", () => {
  it("is an UnexpectedResponseError (a proxy's login page, say); a bare list still passes", async () => {
    nock.cleanAll();
    nock(HOST)
      .get("/api/2.1/clusters/get")
      .query(true)
      .reply(200, "<html><body>Sign in to continue</body></html>", { "content-type": "text/html" })
      .post("/serving-endpoints/m/invocations")
      .reply(200, [0.1, 0.2]);
    const db = new Databricks({ host: HOST, token: "dapi-responses", env: {}, maxRetries: 0 });
    const err = await rejection(db.clusters.get({ cluster_id: "c1" }));
    expect(isUnexpectedResponse(err)).toBe(true);
    expect(err.message).toBe(
      'Unexpected GET /api/2.1/clusters/get response: expected a JSON object, got text ("<html><body>Sign in to continue</body></"…)',
    );
    expect((await db.servingEndpoints.query({ name: "m", instances: [[1], [2]] })).predictions).toEqual([
      0.1, 0.2,
    ]);
  });
});
