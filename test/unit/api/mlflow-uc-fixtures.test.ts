import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Databricks } from "../../../src/index.js";
import { realPayload, realPayloads } from "../../fixtures.js";

const HOST = "https://fixtures.example.databricks.com";
const db = () => new Databricks({ host: HOST, token: "dapi-test", env: {}, random: () => 0 });

/** Serves `body` for any request, so a client method's parsing can be checked. */
function serve(body: unknown) {
  nock.cleanAll();
  for (const method of ["GET", "POST", "PUT"]) {
    nock(HOST)
      .intercept(/.*/, method)
      .query(true)
      .reply(200, body as nock.Body);
  }
}

// Each real response body, read through the method that receives it, comes back with every field.
const readers: Record<string, (db: Databricks) => Promise<unknown>> = {
  "mlflow.experiments-get.response.1.json": (d) => d.experiments.get({ experiment_id: "1" }),
  "mlflow.runs-get.response.1.json": (d) => d.runs.get({ run_id: "r" }),
  "mlflow.registered-models-create.response.1.json": (d) => d.modelRegistry.createModel({ name: "xyz" }),
  "mlflow.databricks-registered-models-get.response.1.json": (d) => d.modelRegistry.getModel({ name: "xyz" }),
  "uc.model-versions.get-by-alias.response.1.json": (d) =>
    d.modelVersions.getByAlias({ full_name: "main.default.revenue_forecasting_model", alias: "champion" }),
  "uc.model-versions.list.response.1.json": async (d) => {
    const page = await d.modelVersions
      .list({ full_name: "main.default.revenue_forecasting_model" })
      .firstPage();
    return page.raw;
  },
  "uc.registered-models.get.response.1.json": (d) =>
    d.registeredModels.get({ full_name: "main.default.my_model" }),
};

describe("real MLflow and Unity Catalog payloads", () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("has a reader for every response fixture of these services", () => {
    const files = [...realPayloads("mlflow."), ...realPayloads("uc.")]
      .filter((p) => p.kind === "response")
      .map((p) => p.file);
    expect(files.sort()).toEqual(Object.keys(readers).sort());
  });

  for (const [file, read] of Object.entries(readers)) {
    it(`parses ${file} without losing a field`, async () => {
      const { body } = realPayload(file);
      serve(body);
      expect(await read(db())).toEqual(body);
    });
  }

  it("validates every request fixture", async () => {
    const requests = [...realPayloads("mlflow."), ...realPayloads("uc.")].filter((p) => p.kind === "request");
    expect(requests.map((p) => p.file)).toEqual(["uc.registered-models.set-alias.request.1.json"]);
    serve({ alias_name: "champion", version_num: 2 });
    const res = await db().registeredModels.setAlias({
      full_name: "main.default.my_model",
      alias: "champion",
      ...realPayload("uc.registered-models.set-alias.request.1.json").body,
    });
    expect(res.version_num).toBe(2);
  });
});
