import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Databricks, isValidationError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";

const HOST = "https://legacy.example.databricks.com";
const BASE = "/api/2.0/mlflow";
const db = () => new Databricks({ host: HOST, token: "dapi-test", env: {}, random: () => 0 });

describe("ModelRegistryAPI (workspace registry, unit)", () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => nock.cleanAll());
  afterEach(() => expect(nock.pendingMocks()).toEqual([]));

  it("creates and reads models through the Databricks get variant", async () => {
    nock(HOST)
      .post(`${BASE}/registered-models/create`, { name: "churn", tags: [{ key: "k", value: "v" }] })
      .reply(200, { registered_model: { name: "churn", tags: [{ key: "k", value: "v" }] } })
      .get(`${BASE}/databricks/registered-models/get`)
      .query({ name: "churn" })
      .reply(200, {
        registered_model_databricks: { id: "123", name: "churn", permission_level: "CAN_MANAGE" },
      })
      .get(`${BASE}/registered-models/search`)
      .query({ filter: "name LIKE 'ch%'" })
      .reply(200, { registered_models: [{ name: "churn" }] })
      .delete(`${BASE}/registered-models/delete`)
      .query({ name: "churn" })
      .reply(200, {});
    const r = db().modelRegistry;
    expect(
      (await r.createModel({ name: "churn", tags: [{ key: "k", value: "v" }] })).registered_model.name,
    ).toBe("churn");
    expect((await r.getModel({ name: "churn" })).registered_model_databricks.id).toBe("123");
    expect(
      (await r.searchModels({ filter: "name LIKE 'ch%'" }).toArray({ limit: 5 })).map((m) => m.name),
    ).toEqual(["churn"]);
    await r.deleteModel({ name: "churn" });
  });

  it("sends versions as strings and returns them as numbers", async () => {
    nock(HOST)
      .post(`${BASE}/model-versions/create`, { name: "churn", source: "runs:/r1/model", run_id: "r1" })
      .reply(200, { model_version: { name: "churn", version: "7", status: "PENDING_REGISTRATION" } })
      .get(`${BASE}/model-versions/get`)
      .query({ name: "churn", version: "7" })
      .reply(200, { model_version: { name: "churn", version: "7", status: "READY", current_stage: "None" } })
      .post(`${BASE}/databricks/model-versions/transition-stage`, {
        name: "churn",
        version: "7",
        stage: "Production",
        archive_existing_versions: true,
      })
      .reply(200, { model_version_databricks: { name: "churn", version: "7", current_stage: "Production" } });
    const r = db().modelRegistry;
    const created = await r.createModelVersionAndWait({
      name: "churn",
      source: "runs:/r1/model",
      run_id: "r1",
    });
    expect(created.version).toBe(7);
    expect(created.status).toBe("READY");
    const moved = await r.transitionStage({
      name: "churn",
      version: 7,
      stage: "Production",
      archive_existing_versions: true,
    });
    expect(moved.model_version_databricks.version).toBe(7);
    expect(moved.model_version_databricks.current_stage).toBe("Production");
  });

  it("rejects unknown stages and missing flags before sending", async () => {
    const err = await rejection(
      db().modelRegistry.transitionStage({
        name: "m",
        version: 1,
        stage: "Prod" as never,
        archive_existing_versions: false,
      }),
    );
    expect(isValidationError(err)).toBe(true);
    expect(err.issues[0].path).toBe("stage");
    const err2 = await rejection(
      db().modelRegistry.transitionStage({ name: "m", version: 1, stage: "Staging" } as never),
    );
    expect(err2.issues[0].path).toBe("archive_existing_versions");
  });
});
