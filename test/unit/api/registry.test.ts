import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  Databricks,
  isNotFound,
  isOperationFailed,
  isValidationError,
  REGISTRATION_TAG,
} from "../../../src/index.js";
import { rejection } from "../../helpers.js";

const HOST = "https://uc.example.databricks.com";
const UC = "/api/2.1/unity-catalog/models";
const db = () => new Databricks({ host: HOST, token: "dapi-test", env: {}, random: () => 0 });
const MODEL = { full_name: "main.ml.churn", catalog_name: "main", schema_name: "ml", name: "churn" };
const VERSION = { catalog_name: "main", schema_name: "ml", model_name: "churn", version: 3, status: "READY" };

describe("RegisteredModelsAPI and ModelVersionsAPI (unit)", () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => nock.cleanAll());
  afterEach(() => expect(nock.pendingMocks()).toEqual([]));

  it("maps registered model calls to the UC 2.1 paths", async () => {
    nock(HOST)
      .post(UC, { catalog_name: "main", schema_name: "ml", name: "churn", comment: "c" })
      .reply(200, MODEL)
      .get(`${UC}/main.ml.churn`)
      .query({ include_aliases: "true" })
      .reply(200, { ...MODEL, aliases: [{ alias_name: "champion", version_num: 3 }] })
      .patch(`${UC}/main.ml.churn`, { comment: "new" })
      .reply(200, { ...MODEL, comment: "new" })
      .put(`${UC}/main.ml.churn/aliases/champion`, { version_num: 3 })
      .reply(200, { alias_name: "champion", version_num: 3 })
      .delete(`${UC}/main.ml.churn/aliases/champion`)
      .reply(200, {})
      .delete(`${UC}/main.ml.churn`)
      .reply(200, {});
    const m = db().registeredModels;
    expect(await m.create({ catalog_name: "main", schema_name: "ml", name: "churn", comment: "c" })).toEqual(
      MODEL,
    );
    expect((await m.get({ full_name: "main.ml.churn", include_aliases: true })).aliases).toEqual([
      { alias_name: "champion", version_num: 3 },
    ]);
    expect((await m.update({ full_name: "main.ml.churn", comment: "new" })).comment).toBe("new");
    expect(await m.setAlias({ full_name: "main.ml.churn", alias: "champion", version_num: 3 })).toEqual({
      alias_name: "champion",
      version_num: 3,
    });
    await m.deleteAlias({ full_name: "main.ml.churn", alias: "champion" });
    await m.delete({ full_name: "main.ml.churn" });
  });

  it("lists models page by page and requires catalog and schema together", async () => {
    nock(HOST)
      .get(UC)
      .query({ catalog_name: "main", schema_name: "ml" })
      .reply(200, { registered_models: [], next_page_token: "t" })
      .get(UC)
      .query({ catalog_name: "main", schema_name: "ml", page_token: "t" })
      .reply(200, { registered_models: [MODEL] });
    const all = await db()
      .registeredModels.list({ catalog_name: "main", schema_name: "ml" })
      .toArray({ limit: 9 });
    expect(all).toEqual([MODEL]);
    expect(() => db().registeredModels.list({ catalog_name: "main" })).toThrow(
      /both catalog_name and schema_name/,
    );
  });

  it("validates full names, aliases and versions before any call", async () => {
    const m = db();
    const cases: Array<[Promise<unknown>, string]> = [
      [m.registeredModels.get({ full_name: "main.churn" }), "full_name"],
      [m.registeredModels.get({ full_name: "main.ml/x.churn" }), "full_name"],
      [m.registeredModels.get({ full_name: "main.ml.ch%2Furn" }), "full_name"],
      [m.registeredModels.get({ full_name: "main..churn" }), "full_name"],
      [m.registeredModels.setAlias({ full_name: "main.ml.churn", alias: "a/b", version_num: 1 }), "alias"],
      [
        m.registeredModels.setAlias({ full_name: "main.ml.churn", alias: "x", version_num: 1.5 }),
        "version_num",
      ],
      [m.modelVersions.get({ full_name: "main.ml.churn", version: "3" as never }), "version"],
      [m.modelVersions.get({ full_name: "main.ml.churn", version: 0 }), "version"],
      [m.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "a b" }), "name"],
    ];
    for (const [promise, field] of cases) {
      const err = await rejection(promise);
      expect(isValidationError(err)).toBe(true);
      expect(err.issues[0].path).toBe(field);
    }
  });

  it("getOrCreate reads the model when a concurrent create already made it", async () => {
    nock(HOST)
      .get(`${UC}/main.ml.churn`)
      .reply(404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" })
      .post(UC)
      .reply(409, { error_code: "RESOURCE_ALREADY_EXISTS", message: "exists" })
      .get(`${UC}/main.ml.churn`)
      .reply(200, MODEL);
    expect(
      await db().registeredModels.getOrCreate({ catalog_name: "main", schema_name: "ml", name: "churn" }),
    ).toEqual({
      registered_model: MODEL,
      created: false,
    });
  });

  it("reads, lists, updates and deletes versions with numeric versions", async () => {
    nock(HOST)
      .get(`${UC}/main.ml.churn/versions/3`)
      .reply(200, VERSION)
      .get(`${UC}/main.ml.churn/versions`)
      .query({ max_results: "1" })
      .reply(200, { model_versions: [VERSION], next_page_token: "n" })
      .get(`${UC}/main.ml.churn/versions`)
      .query({ max_results: "1", page_token: "n" })
      .reply(200, { model_versions: [{ ...VERSION, version: 2 }] })
      .patch(`${UC}/main.ml.churn/versions/3`, { comment: "best" })
      .reply(200, { ...VERSION, comment: "best" })
      .get(`${UC}/main.ml.churn/aliases/champion`)
      .reply(200, VERSION)
      .delete(`${UC}/main.ml.churn/versions/2`)
      .reply(200, {});
    const v = db().modelVersions;
    expect(await v.get({ full_name: "main.ml.churn", version: 3 })).toEqual(VERSION);
    const all = await v.list({ full_name: "main.ml.churn", max_results: 1 }).toArray({ limit: 9 });
    expect(all.map((x) => x.version)).toEqual([3, 2]);
    expect((await v.update({ full_name: "main.ml.churn", version: 3, comment: "best" })).comment).toBe(
      "best",
    );
    expect((await v.getByAlias({ full_name: "main.ml.churn", alias: "champion" })).version).toBe(3);
    await v.delete({ full_name: "main.ml.churn", version: 2 });
  });

  it("waitUntilModelVersionReady rejects on FAILED_REGISTRATION with the server's reason", async () => {
    nock(HOST)
      .get(`${UC}/main.ml.churn/versions/3`)
      .reply(200, { ...VERSION, status: "FAILED_REGISTRATION" })
      .get("/api/2.0/mlflow/unity-catalog/model-versions/get")
      .query({ name: "main.ml.churn", version: "3" })
      .reply(200, { model_version: { name: "main.ml.churn", version: "3", status_message: "no MLmodel" } });
    const err = await rejection(
      db().modelVersions.waitUntilModelVersionReady({ full_name: "main.ml.churn", version: 3 }),
    );
    expect(isOperationFailed(err)).toBe(true);
    expect(err.state).toBe("FAILED_REGISTRATION");
    expect(err.message).toContain("no MLmodel");
  });
});

const RUN_ROOT = "/WorkspaceInternal/Mlflow/Artifacts/42/Runs/r1/artifacts";
const MLMODEL = `flavors:
  python_function:
    loader_module: mlflow.sklearn
signature:
  inputs: '[{"type": "double", "name": "x"}]'
  outputs: '[{"type": "double"}]'
`;

/** The reads `modelVersions.create` makes of a logged model under runs:/r1/model. */
function loggedModel(scope: nock.Scope, mlmodel = MLMODEL): nock.Scope {
  return scope
    .get("/api/2.0/mlflow/runs/get")
    .query({ run_id: "r1" })
    .reply(200, {
      run: { info: { run_id: "r1", artifact_uri: "dbfs:/databricks/mlflow-tracking/42/r1/artifacts" } },
    })
    .get(`/api/2.0/fs/files${RUN_ROOT}/model/MLmodel`)
    .reply(200, mlmodel);
}

describe("modelVersions.create (unit)", () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => nock.cleanAll());
  afterEach(() => expect(nock.pendingMocks()).toEqual([]));

  it("checks the signature, creates, uploads every file to /Models/… and finalizes", async () => {
    let createBody: any;
    const uploads: Record<string, string> = {};
    loggedModel(nock(HOST))
      .get(`/api/2.0/fs/directories${RUN_ROOT}/model`)
      .reply(200, {
        contents: [
          { path: `${RUN_ROOT}/model/MLmodel`, is_directory: false },
          { path: `${RUN_ROOT}/model/data/`, is_directory: true },
        ],
      })
      .get(`/api/2.0/fs/directories${RUN_ROOT}/model/data`)
      .reply(200, { contents: [{ path: `${RUN_ROOT}/model/data/weights.bin`, is_directory: false }] })
      .post("/api/2.0/mlflow/unity-catalog/model-versions/create")
      .reply(200, (_u, body) => {
        createBody = body;
        return { model_version: { name: "main.ml.churn", version: "3", status: "PENDING_REGISTRATION" } };
      })
      .get(`/api/2.0/fs/files${RUN_ROOT}/model/MLmodel`)
      .reply(200, MLMODEL)
      .get(`/api/2.0/fs/files${RUN_ROOT}/model/data/weights.bin`)
      .reply(200, "WEIGHTS")
      .put(/\/api\/2\.0\/fs\/files\/Models\/main\/ml\/churn\/3\/.*/)
      .query({ overwrite: "true" })
      .times(2)
      .reply((uri, body) => {
        uploads[uri.split("?")[0]!.replace("/api/2.0/fs/files", "")] = String(body);
        return [204, ""];
      })
      .post("/api/2.0/mlflow/unity-catalog/model-versions/finalize", { name: "main.ml.churn", version: "3" })
      .reply(200, { model_version: { name: "main.ml.churn", version: "3", status: "PENDING_REGISTRATION" } })
      .get(`${UC}/main.ml.churn/versions/3`)
      .reply(200, { ...VERSION, status: "PENDING_REGISTRATION" });

    const v = await db().modelVersions.create({
      name: "main.ml.churn",
      source: "runs:/r1/model",
      description: "gbm",
      tags: [{ key: "team", value: "ml" }],
    });
    expect(v.version).toBe(3);
    expect(createBody).toMatchObject({
      name: "main.ml.churn",
      source: "dbfs:/databricks/mlflow-tracking/42/r1/artifacts/model",
      run_id: "r1",
      description: "gbm",
    });
    expect(createBody.tags[0]).toEqual({ key: "team", value: "ml" });
    expect(createBody.tags[1].key).toBe(REGISTRATION_TAG);
    expect(uploads).toEqual({
      "/Models/main/ml/churn/3/MLmodel": MLMODEL,
      "/Models/main/ml/churn/3/data/weights.bin": "WEIGHTS",
    });
  });

  it("refuses a model without a signature before creating anything, and says how to fix it", async () => {
    loggedModel(nock(HOST), "flavors:\n  sklearn:\n    pickled_model: model.pkl\n");
    const err = await rejection(
      db().modelVersions.create({ name: "main.ml.churn", source: "runs:/r1/model" }),
    );
    expect(isValidationError(err)).toBe(true);
    expect(err.issues[0].path).toBe("source");
    expect(err.message).toContain("has no signature");
    expect(err.message).toContain("signature=infer_signature");
  });

  it("refuses a source without an MLmodel, and a run_id that contradicts the source", async () => {
    nock(HOST)
      .get("/api/2.0/mlflow/runs/get")
      .query({ run_id: "r1" })
      .reply(200, {
        run: { info: { run_id: "r1", artifact_uri: "dbfs:/databricks/mlflow-tracking/42/r1/artifacts" } },
      })
      .get(`/api/2.0/fs/files${RUN_ROOT}/nomodel/MLmodel`)
      .reply(404, { error_code: "NOT_FOUND", message: "missing" });
    const err = await rejection(
      db().modelVersions.create({ name: "main.ml.churn", source: "runs:/r1/nomodel" }),
    );
    expect(err.message).toContain("holds no MLmodel file");
    const err2 = await rejection(
      db().modelVersions.create({ name: "main.ml.churn", source: "runs:/r1/model", run_id: "r2" }),
    );
    expect(err2.issues[0].path).toBe("run_id");
    const err3 = await rejection(
      db().modelVersions.create({ name: "main.ml.churn", source: "s3://bucket/model" }),
    );
    expect(err3.issues[0].path).toBe("source");
  });

  it("finds the version by its registration tag when the create answer is lost, instead of creating another", async () => {
    let tag = "";
    let creates = 0;
    loggedModel(nock(HOST))
      .get(`/api/2.0/fs/directories${RUN_ROOT}/model`)
      .reply(200, { contents: [{ path: `${RUN_ROOT}/model/MLmodel`, is_directory: false }] })
      .post("/api/2.0/mlflow/unity-catalog/model-versions/create")
      .reply((_u, body: any) => {
        creates++;
        tag = body.tags.find((t: { key: string }) => t.key === REGISTRATION_TAG).value;
        return [500, { error_code: "INTERNAL_ERROR", message: "the server failed after creating" }];
      })
      .get("/api/2.0/mlflow/unity-catalog/model-versions/search")
      .query({ filter: "name='main.ml.churn'" })
      .reply(() => [
        200,
        {
          model_versions: [
            { name: "main.ml.churn", version: "5", source: "dbfs:/elsewhere", tags: [] },
            {
              name: "main.ml.churn",
              version: "4",
              source: "dbfs:/databricks/mlflow-tracking/42/r1/artifacts/model",
              tags: [{ key: REGISTRATION_TAG, value: tag }],
            },
          ],
        },
      ])
      .get(`/api/2.0/fs/files${RUN_ROOT}/model/MLmodel`)
      .reply(200, MLMODEL)
      .put("/api/2.0/fs/files/Models/main/ml/churn/4/MLmodel")
      .query(true)
      .reply(204)
      .post("/api/2.0/mlflow/unity-catalog/model-versions/finalize", { name: "main.ml.churn", version: "4" })
      .reply(200, { model_version: { name: "main.ml.churn", version: "4" } })
      .get(`${UC}/main.ml.churn/versions/4`)
      .reply(200, { ...VERSION, version: 4 });
    const v = await db().modelVersions.create({ name: "main.ml.churn", source: "runs:/r1/model" });
    expect(v.version).toBe(4);
    expect(creates).toBe(1);
  });

  it("deletes the half-registered version when copying a file fails", async () => {
    loggedModel(nock(HOST))
      .get(`/api/2.0/fs/directories${RUN_ROOT}/model`)
      .reply(200, { contents: [{ path: `${RUN_ROOT}/model/MLmodel`, is_directory: false }] })
      .post("/api/2.0/mlflow/unity-catalog/model-versions/create")
      .reply(200, { model_version: { name: "main.ml.churn", version: "6" } })
      .get(`/api/2.0/fs/files${RUN_ROOT}/model/MLmodel`)
      .reply(404, { error_code: "NOT_FOUND", message: "gone meanwhile" })
      .delete(`${UC}/main.ml.churn/versions/6`)
      .reply(200, {});
    const err = await rejection(
      db().modelVersions.create({ name: "main.ml.churn", source: "runs:/r1/model" }),
    );
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toContain("gone meanwhile");
  });
});
