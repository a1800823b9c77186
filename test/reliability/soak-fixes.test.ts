// Failures the soak found under injected faults, each pinned down with nock: the call now
// finishes, and nothing is created twice.
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Databricks } from "../../src/index.js";
import { FakeClock } from "../fake-clock.js";

const HOST = "https://soak.example.com";
const UC = "/api/2.1/unity-catalog/models";
const db = () =>
  new Databricks({ host: HOST, token: "dapi-soak", env: {}, clock: new FakeClock(), random: () => 0 });
const reset = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe("getOrCreate after a create whose answer was lost", () => {
  it("registered model: looks it up, and creates again only when it is not there", async () => {
    const model = { full_name: "main.ml.churn", name: "churn" };
    nock(HOST)
      .get(`${UC}/main.ml.churn`)
      .reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" })
      .post(UC)
      .replyWithError(reset()) // lost before the server applied it
      .get(`${UC}/main.ml.churn`)
      .reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" })
      .post(UC)
      .reply(200, model);
    expect(
      await db().registeredModels.getOrCreate({ catalog_name: "main", schema_name: "ml", name: "churn" }),
    ).toEqual({ registered_model: model, created: true });
  });

  it("registered model: a create the server applied before failing is found, not repeated", async () => {
    const model = { full_name: "main.ml.churn", name: "churn" };
    nock(HOST)
      .get(`${UC}/main.ml.churn`)
      .reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" })
      .post(UC)
      .reply(500, { error_code: "INTERNAL_ERROR", message: "applied, then failed" })
      .get(`${UC}/main.ml.churn`)
      .reply(200, model);
    expect(
      await db().registeredModels.getOrCreate({ catalog_name: "main", schema_name: "ml", name: "churn" }),
    ).toEqual({ registered_model: model, created: false });
  });

  it("experiment: the same", async () => {
    const experiment = { experiment_id: "7", name: "/Shared/x", lifecycle_stage: "active" };
    const missing = { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" };
    nock(HOST)
      .get("/api/2.0/mlflow/experiments/get-by-name")
      .query(true)
      .reply(404, missing)
      .post("/api/2.0/mlflow/experiments/create")
      .reply(500, { error_code: "INTERNAL_ERROR", message: "lost" })
      .get("/api/2.0/mlflow/experiments/get-by-name")
      .query(true)
      .reply(404, missing)
      .post("/api/2.0/mlflow/experiments/create")
      .reply(200, { experiment_id: "7" })
      .get("/api/2.0/mlflow/experiments/get")
      .query({ experiment_id: "7" })
      .reply(200, { experiment });
    expect(await db().experiments.getOrCreate({ name: "/Shared/x" })).toEqual({ experiment, created: true });
  });

  it("gives up after three ambiguous failures with nothing found", async () => {
    const missing = { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" };
    const scope = nock(HOST).get(`${UC}/main.ml.churn`).times(4).reply(404, missing);
    scope.post(UC).times(3).reply(502, "Bad gateway");
    const err = await db()
      .registeredModels.getOrCreate({ catalog_name: "main", schema_name: "ml", name: "churn" })
      .catch((e) => e);
    expect(err.statusCode).toBe(502);
  });
});

describe("predictions", () => {
  it("a batch lost to a 500 or a reset is sent again; a single query is not", async () => {
    nock(HOST)
      .post("/serving-endpoints/churn/invocations")
      .reply(500, { error_code: "INTERNAL_ERROR", message: "x" })
      .post("/serving-endpoints/churn/invocations")
      .replyWithError(reset())
      .post("/serving-endpoints/churn/invocations")
      .reply(200, { predictions: [0.1, 0.9] });
    const out = await db().servingEndpoints.predictBatched("churn", [{ a: 1 }, { a: 2 }]);
    expect(out.predictions).toEqual([0.1, 0.9]);

    nock(HOST)
      .post("/serving-endpoints/churn/invocations")
      .reply(500, { error_code: "INTERNAL_ERROR", message: "x" });
    const err = await db()
      .servingEndpoints.query({ name: "churn", dataframe_records: [{ a: 1 }] })
      .catch((e) => e);
    expect(err.statusCode).toBe(500);
  });
});
