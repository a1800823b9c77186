// A catalogue of bad inputs across every service: each must fail with a ValidationError that
// names the bad field, before anything is sent.
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Databricks, isValidationError, Paginated, type ValidationError } from "../../src/index.js";
import { rejection } from "../helpers.js";

const HOST = "https://bad-input.example.com";
const LONG = (n: number) => "x".repeat(n);

/** One bad input: the call that makes it, and the field path the error must name. */
type Row = [what: string, call: (db: Databricks) => unknown, field: string];

const UC: Row[] = [
  [
    "model name missing",
    (db) => db.registeredModels.create({ catalog_name: "main", schema_name: "ml" } as any),
    "name",
  ],
  [
    "model name with /",
    (db) => db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "a/b" }),
    "name",
  ],
  [
    "model name ..",
    (db) => db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: ".." }),
    "name",
  ],
  [
    "model name with %",
    (db) => db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "a%2Fb" }),
    "name",
  ],
  [
    "model name with a control character",
    (db) => db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "a\u0007b" }),
    "name",
  ],
  [
    "model name of 256 characters",
    (db) => db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: LONG(256) }),
    "name",
  ],
  [
    "catalog name empty",
    (db) => db.registeredModels.create({ catalog_name: "", schema_name: "ml", name: "m" }),
    "catalog_name",
  ],
  [
    "schema name a number",
    (db) => db.registeredModels.create({ catalog_name: "main", schema_name: 7 as any, name: "m" }),
    "schema_name",
  ],
  ["full name of two parts", (db) => db.registeredModels.get({ full_name: "main.ml" }), "full_name"],
  ["full name with /", (db) => db.registeredModels.get({ full_name: "main.ml.a/b" }), "full_name"],
  [
    "full name with an encoded dot-dot",
    (db) => db.registeredModels.delete({ full_name: "main.ml.%2e%2e" }),
    "full_name",
  ],
  [
    "full name with a space",
    (db) => db.registeredModels.update({ full_name: "main.ml.my model", comment: "c" }),
    "full_name",
  ],
  ["list: catalog without schema", (db) => db.registeredModels.list({ catalog_name: "main" }), "schema_name"],
  ["list: negative max_results", (db) => db.registeredModels.list({ max_results: -1 }), "max_results"],
  [
    "alias empty",
    (db) => db.registeredModels.setAlias({ full_name: "main.ml.m", alias: "", version_num: 1 }),
    "alias",
  ],
  [
    "alias with /",
    (db) => db.registeredModels.setAlias({ full_name: "main.ml.m", alias: "a/b", version_num: 1 }),
    "alias",
  ],
  ["alias ..", (db) => db.registeredModels.deleteAlias({ full_name: "main.ml.m", alias: ".." }), "alias"],
  [
    "alias version 0",
    (db) => db.registeredModels.setAlias({ full_name: "main.ml.m", alias: "champion", version_num: 0 }),
    "version_num",
  ],
  [
    "alias version 1.5",
    (db) => db.registeredModels.setAlias({ full_name: "main.ml.m", alias: "champion", version_num: 1.5 }),
    "version_num",
  ],
  [
    "alias version as a string",
    (db) =>
      db.registeredModels.setAlias({ full_name: "main.ml.m", alias: "champion", version_num: "1" as any }),
    "version_num",
  ],
  ["version -1", (db) => db.modelVersions.get({ full_name: "main.ml.m", version: -1 }), "version"],
  ["version NaN", (db) => db.modelVersions.get({ full_name: "main.ml.m", version: Number.NaN }), "version"],
  [
    "version by alias with a space",
    (db) => db.modelVersions.getByAlias({ full_name: "main.ml.m", alias: "x y" }),
    "alias",
  ],
  ["version source empty", (db) => db.modelVersions.create({ name: "main.ml.m", source: "" }), "source"],
  [
    "version of a one-part model name",
    (db) => db.modelVersions.create({ name: "m", source: "runs:/r/model" }),
    "name",
  ],
  [
    "version comment a number",
    (db) => db.modelVersions.update({ full_name: "main.ml.m", version: 1, comment: 5 as any }),
    "comment",
  ],
];

const FILES: Row[] = [
  [
    "relative file path",
    (db) => db.files.upload({ file_path: "Volumes/a/b.csv", contents: "x" }),
    "file_path",
  ],
  [
    "file path with ..",
    (db) => db.files.upload({ file_path: "/Volumes/a/../b.csv", contents: "x" }),
    "file_path",
  ],
  [
    "upload contents a number",
    (db) => db.files.upload({ file_path: "/Volumes/a/b/c/d.csv", contents: 42 as any }),
    "contents",
  ],
  ["file path empty", (db) => db.files.download({ file_path: "" }), "file_path"],
  ["file path with NUL", (db) => db.files.delete({ file_path: "/Volumes/a/b\u0000c" }), "file_path"],
  [
    "directory path with an empty segment",
    (db) => db.files.createDirectory({ directory_path: "/Volumes/x//y" }),
    "directory_path",
  ],
  [
    "page size 0",
    (db) => db.files.listDirectoryContents({ directory_path: "/Volumes/a/b/c", page_size: 0 }),
    "page_size",
  ],
  [
    "page size 5000",
    (db) => db.files.listDirectoryContents({ directory_path: "/Volumes/a/b/c", page_size: 5000 }),
    "page_size",
  ],
];

const MLFLOW: Row[] = [
  ["experiment name empty", (db) => db.experiments.create({ name: "" }), "name"],
  [
    "experiment tag key empty",
    (db) => db.experiments.create({ name: "/Shared/x", tags: [{ key: "", value: "v" }] }),
    "tags.0.key",
  ],
  ["experiment id missing", (db) => db.experiments.get({} as any), "experiment_id"],
  ["experiment search max_results 0", (db) => db.experiments.search({ max_results: 0 }), "max_results"],
  [
    "experiment search unknown view type",
    (db) => db.experiments.search({ view_type: "SOME" as any }),
    "view_type",
  ],
  [
    "experiment tag value missing",
    (db) => db.experiments.setTag({ experiment_id: "1", key: "k" } as any),
    "value",
  ],
  ["run experiment id a number", (db) => db.runs.create({ experiment_id: 123 as any }), "experiment_id"],
  ["run start time 1.5", (db) => db.runs.create({ experiment_id: "1", start_time: 1.5 }), "start_time"],
  ["run status unknown", (db) => db.runs.update({ run_id: "r", status: "DONE" as any }), "status"],
  ["metric NaN", (db) => db.runs.logMetric({ run_id: "r", key: "rmse", value: Number.NaN }), "value"],
  [
    "metric Infinity",
    (db) => db.runs.logMetric({ run_id: "r", key: "rmse", value: Number.POSITIVE_INFINITY }),
    "value",
  ],
  ["metric step 0.5", (db) => db.runs.logMetric({ run_id: "r", key: "rmse", value: 1, step: 0.5 }), "step"],
  ["param key empty", (db) => db.runs.logParam({ run_id: "r", key: "", value: "v" }), "key"],
  ["run id empty", (db) => db.runs.get({ run_id: "" }), "run_id"],
  [
    "batch metric without timestamp",
    (db) => db.runs.logBatch({ run_id: "r", metrics: [{ key: "a", value: 1 } as any] }),
    "metrics.0.timestamp",
  ],
  ["search without experiments", (db) => db.runs.search({ experiment_ids: [] }), "experiment_ids"],
  ["artifact path absolute", (db) => db.runs.listArtifacts({ run_id: "r", path: "/etc" }), "path"],
  [
    "artifact path escaping with ..",
    (db) => db.runs.downloadArtifact({ run_id: "r", path: "model/../../x" }),
    "path",
  ],
  [
    "artifact contents an object",
    (db) => db.runs.uploadArtifact({ run_id: "r", path: "a.txt", contents: {} as any }),
    "contents",
  ],
  [
    "metric history key empty",
    (db) => db.runs.getMetricHistory({ run_id: "r", metric_key: "" }),
    "metric_key",
  ],
  [
    "param value of 6001 characters",
    (db) => db.runs.logParam({ run_id: "r", key: "prompt", value: LONG(6001) }),
    "value",
  ],
  [
    "batch param value of 6001 characters",
    (db) => db.runs.logBatch({ run_id: "r", params: [{ key: "p", value: LONG(6001) }] }),
    "params.0.value",
  ],
  [
    "tag value of 8001 characters",
    (db) => db.runs.setTag({ run_id: "r", key: "note", value: LONG(8001) }),
    "value",
  ],
  [
    "metric key of 251 characters",
    (db) => db.runs.logMetric({ run_id: "r", key: LONG(251), value: 1 }),
    "key",
  ],
  [
    "experiment tag key of 251 characters",
    (db) => db.experiments.setTag({ experiment_id: "1", key: LONG(251), value: "v" }),
    "key",
  ],
  ["workspace model name empty", (db) => db.modelRegistry.createModel({ name: "" }), "name"],
  [
    "stage unknown",
    (db) =>
      db.modelRegistry.transitionStage({
        name: "m",
        version: 1,
        stage: "Prod" as any,
        archive_existing_versions: false,
      }),
    "stage",
  ],
  [
    "stage without archive_existing_versions",
    (db) => db.modelRegistry.transitionStage({ name: "m", version: 1, stage: "Staging" } as any),
    "archive_existing_versions",
  ],
  [
    "workspace model version 0",
    (db) => db.modelRegistry.getModelVersion({ name: "m", version: 0 }),
    "version",
  ],
];

const ENTITY = { entity_name: "main.ml.churn", entity_version: "1", workload_size: "Small" };
const SERVING: Row[] = [
  ["endpoint name with /", (db) => db.servingEndpoints.get({ name: "a/b" }), "name"],
  ["endpoint name empty", (db) => db.servingEndpoints.delete({ name: "" }), "name"],
  ["endpoint name ..", (db) => db.servingEndpoints.get({ name: ".." }), "name"],
  ["endpoint name with %", (db) => db.servingEndpoints.get({ name: "a%2e" }), "name"],
  ["endpoint name with unicode", (db) => db.servingEndpoints.get({ name: "modèle" }), "name"],
  [
    "endpoint name with a space",
    (db) => db.servingEndpoints.query({ name: "my model", instances: [[1]] }),
    "name",
  ],
  [
    "create without a name",
    (db) => db.servingEndpoints.create({ config: { served_entities: [ENTITY] } } as any),
    "name",
  ],
  [
    "routes not adding up to 100",
    (db) =>
      db.servingEndpoints.create({
        name: "ep",
        config: {
          served_entities: [{ ...ENTITY, name: "a" }],
          traffic_config: { routes: [{ served_model_name: "a", traffic_percentage: 90 }] },
        },
      }),
    "config.traffic_config.routes",
  ],
  [
    "traffic percentage 101",
    (db) =>
      db.servingEndpoints.updateConfig({
        name: "ep",
        traffic_config: { routes: [{ served_model_name: "a", traffic_percentage: 101 }] },
      }),
    "traffic_config.routes.0.traffic_percentage",
  ],
  [
    "negative provisioned concurrency",
    (db) =>
      db.servingEndpoints.create({
        name: "ep",
        config: {
          served_entities: [{ ...ENTITY, workload_size: undefined, min_provisioned_concurrency: -1 }],
        },
      }),
    "config.served_entities.0.min_provisioned_concurrency",
  ],
  [
    "entity version empty",
    (db) =>
      db.servingEndpoints.create({
        name: "ep",
        config: { served_entities: [{ ...ENTITY, entity_version: "" }] },
      }),
    "config.served_entities.0.entity_version",
  ],
  [
    "served model name with /",
    (db) => db.servingEndpoints.buildLogs({ name: "ep", served_model_name: "a/b" }),
    "served_model_name",
  ],
  [
    "permissions id ..",
    (db) => db.servingEndpoints.getPermissions({ serving_endpoint_id: ".." }),
    "serving_endpoint_id",
  ],
  [
    "temperature 3",
    (db) =>
      db.servingEndpoints.query({ name: "ep", messages: [{ role: "user", content: "hi" }], temperature: 3 }),
    "temperature",
  ],
  [
    "max_tokens 0",
    (db) => db.servingEndpoints.query({ name: "ep", prompt: "hi", max_tokens: 0 }),
    "max_tokens",
  ],
  ["canary at 100 %", (db) => db.servingEndpoints.canary("ep", ENTITY, 100), "percent"],
  [
    "batch size 0",
    (db) => db.servingEndpoints.predictBatched("ep", [{ x: 1 }], { batchSize: 0 }),
    "batchSize",
  ],
  [
    "rate limit without renewal period",
    (db) => db.servingEndpoints.putAiGateway({ name: "ep", rate_limits: [{ calls: 5 } as any] }),
    "rate_limits.0.renewal_period",
  ],
  [
    "tag key empty",
    (db) => db.servingEndpoints.patch({ name: "ep", add_tags: [{ key: "", value: "v" }] }),
    "add_tags.0.key",
  ],
];

const CLUSTER = { spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
const TASK = { task_key: "train", notebook_task: { notebook_path: "/Shared/train" }, new_cluster: CLUSTER };
const COMPUTE: Row[] = [
  [
    "cluster without spark_version",
    (db) => db.clusters.create({ node_type_id: "i3.xlarge", num_workers: 1 } as any),
    "spark_version",
  ],
  ["cluster with -1 workers", (db) => db.clusters.create({ ...CLUSTER, num_workers: -1 }), "num_workers"],
  ["cluster id empty", (db) => db.clusters.get({ cluster_id: "" }), "cluster_id"],
  ["resize without a size", (db) => db.clusters.resize({ cluster_id: "c1" }), "num_workers"],
  [
    "cluster events page of 501",
    (db) => db.clusters.events({ cluster_id: "c1", page_size: 501 }),
    "page_size",
  ],
  [
    "cluster idempotency token of 65 characters",
    (db) => db.clusters.create({ ...CLUSTER, idempotency_token: LONG(65) }),
    "idempotency_token",
  ],
  ["run without tasks", (db) => db.jobs.submit({ tasks: [] }), "tasks"],
  ["task key with /", (db) => db.jobs.submit({ tasks: [{ ...TASK, task_key: "a/b" }] }), "tasks.0.task_key"],
  [
    "task key of 101 characters",
    (db) => db.jobs.submit({ tasks: [{ ...TASK, task_key: LONG(101) }] }),
    "tasks.0.task_key",
  ],
  [
    "notebook path empty",
    (db) => db.jobs.submit({ tasks: [{ ...TASK, notebook_task: { notebook_path: "" } }] }),
    "tasks.0.notebook_task.notebook_path",
  ],
  [
    "run idempotency token of 65 characters",
    (db) => db.jobs.submit({ tasks: [TASK], idempotency_token: LONG(65) }),
    "idempotency_token",
  ],
  ["negative run timeout", (db) => db.jobs.submit({ tasks: [TASK], timeout_seconds: -1 }), "timeout_seconds"],
  ["run id -1", (db) => db.jobs.getRun({ run_id: -1 }), "run_id"],
  ["run id 1.5", (db) => db.jobs.cancelRun({ run_id: 1.5 }), "run_id"],
  ["job id as a string", (db) => db.jobs.runNow({ job_id: "12" as any }), "job_id"],
  ["workspace path relative", (db) => db.workspace.getStatus({ path: "Shared/x" }), "path"],
  [
    "workspace import not base64",
    (db) =>
      db.workspace.import({
        path: "/Shared/x",
        content: "not base64!",
        format: "SOURCE",
        language: "PYTHON",
      }),
    "content",
  ],
  [
    "workspace import over 10 MB",
    (db) => db.workspace.import({ path: "/Shared/x", content: "A".repeat(14_000_000), format: "AUTO" }),
    "content",
  ],
];

const SQL: Row[] = [
  [
    "statement empty",
    (db) => db.statements.executeStatement({ statement: "", warehouse_id: "w1" }),
    "statement",
  ],
  [
    "warehouse id with /",
    (db) => db.statements.executeStatement({ statement: "SELECT 1", warehouse_id: "a/b" }),
    "warehouse_id",
  ],
  [
    "wait timeout of 60 s",
    (db) =>
      db.statements.executeStatement({ statement: "SELECT 1", warehouse_id: "w1", wait_timeout: "60s" }),
    "wait_timeout",
  ],
  [
    "Arrow results inline",
    (db) =>
      db.statements.executeStatement({ statement: "SELECT 1", warehouse_id: "w1", format: "ARROW_STREAM" }),
    "format",
  ],
  ["statement id ..", (db) => db.statements.getStatement({ statement_id: ".." }), "statement_id"],
  [
    "result chunk -1",
    (db) => db.statements.getStatementResultChunkN({ statement_id: "s1", chunk_index: -1 }),
    "chunk_index",
  ],
  ["warehouse id empty", (db) => db.warehouses.get({ id: "" }), "id"],
  ["monitor table with /", (db) => db.qualityMonitors.get({ table_name: "main/ml.t" }), "table_name"],
  [
    "monitor without granularities",
    (db) =>
      db.qualityMonitors.create({
        table_name: "main.ml.t",
        output_schema_name: "main.ml",
        assets_dir: "/Shared/m",
        time_series: { timestamp_col: "ts", granularities: [] },
      }),
    "time_series.granularities",
  ],
];

const WORKFLOWS: Row[] = [
  [
    "life cycle with a two-part model name",
    (db) =>
      db.lifecycle({
        notebook: { path: "/Shared/t" },
        cluster: CLUSTER,
        model: { name: "ml.churn" },
        endpoint: { name: "churn" },
      }),
    "model.name",
  ],
  [
    "life cycle with an endpoint name with /",
    (db) =>
      db.lifecycle({
        notebook: { path: "/Shared/t" },
        cluster: CLUSTER,
        model: { name: "main.ml.churn" },
        endpoint: { name: "a/b" },
      }),
    "endpoint.name",
  ],
  ["predict on an endpoint name with ..", (db) => db.endpoint("..").predict([{ x: 1 }]), "name"],
];

const CATALOGUE: Record<string, Row[]> = {
  "Clusters, Jobs and Workspace": COMPUTE,
  "SQL and monitors": SQL,
  workflows: WORKFLOWS,
  "Unity Catalog models": UC,
  files: FILES,
  MLflow: MLFLOW,
  "Model Serving": SERVING,
};

let attempted = 0;
const count = () => attempted++;

beforeAll(() => {
  nock.disableNetConnect();
  // Any request at all, matched or not, counts.
  nock.emitter.on("no match", count);
});
afterEach(() => nock.cleanAll());
afterAll(() => {
  nock.emitter.removeListener("no match", count);
  nock.enableNetConnect();
});

it("holds at least 50 bad inputs", () => {
  expect(Object.values(CATALOGUE).flat().length).toBeGreaterThanOrEqual(50);
});

for (const [service, rows] of Object.entries(CATALOGUE)) {
  describe(service, () => {
    it.each(rows)("%s → ValidationError naming %j, nothing sent", async (_what, call, field) => {
      const events: unknown[] = [];
      attempted = 0;
      const db = new Databricks({
        host: HOST,
        token: "dapi-bad-input",
        env: {},
        onRequest: (e) => events.push(e),
      });
      const err = await rejection(
        (async () => {
          const out = call(db);
          // Lists validate when called; reading the first page would be the first request.
          return out instanceof Paginated ? out.firstPage() : out;
        })(),
      );
      expect(isValidationError(err), String(err)).toBe(true);
      expect((err as ValidationError).issues.map((i) => i.path)).toContain(field);
      expect(err.message).toContain(field);
      expect(events).toEqual([]);
      expect(attempted).toBe(0);
    });
  });
}
