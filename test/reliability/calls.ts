// One valid call of every public service method, for tests that run "every method" against a
// hostile or scripted server. A list is read through its first items; a wait gets a short timeout.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Databricks, Paginated } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "brickml-calls-"));
const localFile = join(dir, "upload.txt");
writeFileSync(localFile, "hello");

export type Call = [name: string, call: (db: Databricks) => unknown];

const WAIT = { timeout: 60_000 };
const M = "main.ml.churn";
const CLUSTER = { spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
const TASK = { task_key: "t", notebook_task: { notebook_path: "/Shared/n" }, new_cluster: CLUSTER };
const ENTITY = {
  name: "m-1",
  entity_name: M,
  entity_version: "1",
  workload_size: "Small",
  scale_to_zero_enabled: true,
};

export const CALLS: Call[] = [
  // Files
  ["files.upload", (db) => db.files.upload({ file_path: "/Volumes/main/ml/v/a.txt", contents: "x" })],
  [
    "files.uploadFromFile",
    (db) => db.files.uploadFromFile({ file_path: "/Volumes/main/ml/v/a.txt", local_path: localFile }),
  ],
  ["files.downloadBuffer", (db) => db.files.downloadBuffer({ file_path: "/Volumes/main/ml/v/a.txt" })],
  [
    "files.downloadToFile",
    (db) =>
      db.files.downloadToFile({ file_path: "/Volumes/main/ml/v/a.txt", local_path: join(dir, "down.txt") }),
  ],
  ["files.getMetadata", (db) => db.files.getMetadata({ file_path: "/Volumes/main/ml/v/a.txt" })],
  ["files.delete", (db) => db.files.delete({ file_path: "/Volumes/main/ml/v/a.txt" })],
  ["files.createDirectory", (db) => db.files.createDirectory({ directory_path: "/Volumes/main/ml/v/d" })],
  [
    "files.listDirectoryContents",
    (db) => db.files.listDirectoryContents({ directory_path: "/Volumes/main/ml/v" }),
  ],
  [
    "files.getDirectoryMetadata",
    (db) => db.files.getDirectoryMetadata({ directory_path: "/Volumes/main/ml/v" }),
  ],
  ["files.deleteDirectory", (db) => db.files.deleteDirectory({ directory_path: "/Volumes/main/ml/v/d" })],
  // MLflow experiments and runs
  ["experiments.create", (db) => db.experiments.create({ name: "/Shared/e" })],
  ["experiments.get", (db) => db.experiments.get({ experiment_id: "1" })],
  ["experiments.getByName", (db) => db.experiments.getByName({ experiment_name: "/Shared/e" })],
  ["experiments.getOrCreate", (db) => db.experiments.getOrCreate({ name: "/Shared/e" })],
  ["experiments.search", (db) => db.experiments.search({})],
  ["experiments.delete", (db) => db.experiments.delete({ experiment_id: "1" })],
  ["experiments.setTag", (db) => db.experiments.setTag({ experiment_id: "1", key: "k", value: "v" })],
  ["runs.create", (db) => db.runs.create({ experiment_id: "1" })],
  ["runs.get", (db) => db.runs.get({ run_id: "r1" })],
  ["runs.update", (db) => db.runs.update({ run_id: "r1", status: "FINISHED" })],
  ["runs.search", (db) => db.runs.search({ experiment_ids: ["1"] })],
  ["runs.delete", (db) => db.runs.delete({ run_id: "r1" })],
  ["runs.setTag", (db) => db.runs.setTag({ run_id: "r1", key: "k", value: "v" })],
  ["runs.logMetric", (db) => db.runs.logMetric({ run_id: "r1", key: "m", value: 1 })],
  ["runs.logParam", (db) => db.runs.logParam({ run_id: "r1", key: "p", value: "v" })],
  ["runs.logBatch", (db) => db.runs.logBatch({ run_id: "r1", params: [{ key: "p", value: "v" }] })],
  ["runs.getMetricHistory", (db) => db.runs.getMetricHistory({ run_id: "r1", metric_key: "m" })],
  ["runs.listArtifacts", (db) => db.runs.listArtifacts({ run_id: "r1" })],
  ["runs.artifactFilePath", (db) => db.runs.artifactFilePath({ run_id: "r1", path: "model/MLmodel" })],
  ["runs.uploadArtifact", (db) => db.runs.uploadArtifact({ run_id: "r1", path: "a.txt", contents: "x" })],
  ["runs.downloadArtifact", (db) => db.runs.downloadArtifact({ run_id: "r1", path: "a.txt" })],
  // Unity Catalog models
  [
    "registeredModels.create",
    (db) => db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "churn" }),
  ],
  ["registeredModels.get", (db) => db.registeredModels.get({ full_name: M })],
  ["registeredModels.list", (db) => db.registeredModels.list({})],
  ["registeredModels.update", (db) => db.registeredModels.update({ full_name: M, comment: "c" })],
  ["registeredModels.delete", (db) => db.registeredModels.delete({ full_name: M })],
  [
    "registeredModels.setAlias",
    (db) => db.registeredModels.setAlias({ full_name: M, alias: "champion", version_num: 1 }),
  ],
  [
    "registeredModels.deleteAlias",
    (db) => db.registeredModels.deleteAlias({ full_name: M, alias: "champion" }),
  ],
  [
    "registeredModels.getOrCreate",
    (db) => db.registeredModels.getOrCreate({ catalog_name: "main", schema_name: "ml", name: "churn" }),
  ],
  ["modelVersions.get", (db) => db.modelVersions.get({ full_name: M, version: 1 })],
  ["modelVersions.list", (db) => db.modelVersions.list({ full_name: M })],
  ["modelVersions.update", (db) => db.modelVersions.update({ full_name: M, version: 1, comment: "c" })],
  ["modelVersions.delete", (db) => db.modelVersions.delete({ full_name: M, version: 1 })],
  ["modelVersions.getByAlias", (db) => db.modelVersions.getByAlias({ full_name: M, alias: "champion" })],
  ["modelVersions.create", (db) => db.modelVersions.create({ name: M, source: "runs:/r1/model" })],
  [
    "modelVersions.createAndWait",
    (db) => db.modelVersions.createAndWait({ name: M, source: "runs:/r1/model" }, WAIT),
  ],
  [
    "modelVersions.waitUntilModelVersionReady",
    (db) => db.modelVersions.waitUntilModelVersionReady({ full_name: M, version: 1 }, WAIT),
  ],
  // Workspace model registry
  ["modelRegistry.createModel", (db) => db.modelRegistry.createModel({ name: "churn" })],
  ["modelRegistry.getModel", (db) => db.modelRegistry.getModel({ name: "churn" })],
  ["modelRegistry.searchModels", (db) => db.modelRegistry.searchModels({})],
  ["modelRegistry.deleteModel", (db) => db.modelRegistry.deleteModel({ name: "churn" })],
  [
    "modelRegistry.createModelVersion",
    (db) => db.modelRegistry.createModelVersion({ name: "churn", source: "runs:/r1/model" }),
  ],
  [
    "modelRegistry.createModelVersionAndWait",
    (db) => db.modelRegistry.createModelVersionAndWait({ name: "churn", source: "runs:/r1/model" }, WAIT),
  ],
  ["modelRegistry.getModelVersion", (db) => db.modelRegistry.getModelVersion({ name: "churn", version: 1 })],
  ["modelRegistry.searchModelVersions", (db) => db.modelRegistry.searchModelVersions({})],
  [
    "modelRegistry.transitionStage",
    (db) =>
      db.modelRegistry.transitionStage({
        name: "churn",
        version: 1,
        stage: "Staging",
        archive_existing_versions: false,
      }),
  ],
  // Model Serving
  [
    "servingEndpoints.create",
    (db) => db.servingEndpoints.create({ name: "ep", config: { served_entities: [ENTITY] } }),
  ],
  [
    "servingEndpoints.createAndWait",
    (db) => db.servingEndpoints.createAndWait({ name: "ep", config: { served_entities: [ENTITY] } }, WAIT),
  ],
  ["servingEndpoints.get", (db) => db.servingEndpoints.get({ name: "ep" })],
  ["servingEndpoints.list", (db) => db.servingEndpoints.list()],
  ["servingEndpoints.delete", (db) => db.servingEndpoints.delete({ name: "ep" })],
  [
    "servingEndpoints.updateConfig",
    (db) => db.servingEndpoints.updateConfig({ name: "ep", served_entities: [ENTITY] }),
  ],
  [
    "servingEndpoints.updateConfigAndWait",
    (db) => db.servingEndpoints.updateConfigAndWait({ name: "ep", served_entities: [ENTITY] }, WAIT),
  ],
  [
    "servingEndpoints.patch",
    (db) => db.servingEndpoints.patch({ name: "ep", add_tags: [{ key: "k", value: "v" }] }),
  ],
  [
    "servingEndpoints.putAiGateway",
    (db) => db.servingEndpoints.putAiGateway({ name: "ep", usage_tracking_config: { enabled: true } }),
  ],
  [
    "servingEndpoints.put",
    (db) => db.servingEndpoints.put({ name: "ep", rate_limits: [{ calls: 10, renewal_period: "minute" }] }),
  ],
  [
    "servingEndpoints.getPermissions",
    (db) => db.servingEndpoints.getPermissions({ serving_endpoint_id: "id1" }),
  ],
  [
    "servingEndpoints.getPermissionLevels",
    (db) => db.servingEndpoints.getPermissionLevels({ serving_endpoint_id: "id1" }),
  ],
  [
    "servingEndpoints.setPermissions",
    (db) =>
      db.servingEndpoints.setPermissions({
        serving_endpoint_id: "id1",
        access_control_list: [{ user_name: "u", permission_level: "CAN_QUERY" }],
      }),
  ],
  [
    "servingEndpoints.updatePermissions",
    (db) =>
      db.servingEndpoints.updatePermissions({
        serving_endpoint_id: "id1",
        access_control_list: [{ group_name: "g", permission_level: "CAN_VIEW" }],
      }),
  ],
  [
    "servingEndpoints.buildLogs",
    (db) => db.servingEndpoints.buildLogs({ name: "ep", served_model_name: "m-1" }),
  ],
  ["servingEndpoints.logs", (db) => db.servingEndpoints.logs({ name: "ep", served_model_name: "m-1" })],
  ["servingEndpoints.exportMetrics", (db) => db.servingEndpoints.exportMetrics({ name: "ep" })],
  ["servingEndpoints.getOpenApi", (db) => db.servingEndpoints.getOpenApi({ name: "ep" })],
  [
    "servingEndpoints.waitUntilEndpointReady",
    (db) => db.servingEndpoints.waitUntilEndpointReady({ name: "ep" }, WAIT),
  ],
  [
    "servingEndpoints.createOrUpdate",
    (db) => db.servingEndpoints.createOrUpdate("ep", { served_entities: [ENTITY] }, { waitOptions: WAIT }),
  ],
  [
    "servingEndpoints.canary",
    (db) => db.servingEndpoints.canary("ep", { ...ENTITY, entity_version: "2" }, 10, { waitOptions: WAIT }),
  ],
  [
    "servingEndpoints.shiftTraffic",
    (db) => db.servingEndpoints.shiftTraffic("ep", { "m-1": 100 }, { waitOptions: WAIT }),
  ],
  ["servingEndpoints.promote", (db) => db.servingEndpoints.promote("ep", undefined, { waitOptions: WAIT })],
  ["servingEndpoints.rollback", (db) => db.servingEndpoints.rollback("ep", { waitOptions: WAIT })],
  [
    "servingEndpoints.query",
    (db) => db.servingEndpoints.query({ name: "ep", dataframe_records: [{ x: 1 }] }),
  ],
  [
    "servingEndpoints.queryStream",
    (db) => db.servingEndpoints.queryStream({ name: "ep", messages: [{ role: "user", content: "hi" }] }),
  ],
  [
    "servingEndpoints.predictBatched",
    (db) => db.servingEndpoints.predictBatched("ep", [{ x: 1 }, { x: 2 }], { batchSize: 1 }),
  ],
  // Clusters, Jobs, Workspace
  ["clusters.create", (db) => db.clusters.create(CLUSTER)],
  ["clusters.createAndWait", (db) => db.clusters.createAndWait(CLUSTER, WAIT)],
  ["clusters.edit", (db) => db.clusters.edit({ ...CLUSTER, cluster_id: "c1" })],
  ["clusters.start", (db) => db.clusters.start({ cluster_id: "c1" })],
  ["clusters.startAndWait", (db) => db.clusters.startAndWait({ cluster_id: "c1" }, WAIT)],
  ["clusters.restart", (db) => db.clusters.restart({ cluster_id: "c1" })],
  ["clusters.resize", (db) => db.clusters.resize({ cluster_id: "c1", num_workers: 2 })],
  ["clusters.delete", (db) => db.clusters.delete({ cluster_id: "c1" })],
  ["clusters.deleteAndWait", (db) => db.clusters.deleteAndWait({ cluster_id: "c1" }, WAIT)],
  ["clusters.permanentDelete", (db) => db.clusters.permanentDelete({ cluster_id: "c1" })],
  ["clusters.get", (db) => db.clusters.get({ cluster_id: "c1" })],
  ["clusters.list", (db) => db.clusters.list()],
  ["clusters.events", (db) => db.clusters.events({ cluster_id: "c1" })],
  ["clusters.sparkVersions", (db) => db.clusters.sparkVersions()],
  ["clusters.listNodeTypes", (db) => db.clusters.listNodeTypes()],
  ["clusters.pin", (db) => db.clusters.pin({ cluster_id: "c1" })],
  ["clusters.ensureRunning", (db) => db.clusters.ensureRunning({ cluster_id: "c1" }, WAIT)],
  ["jobs.create", (db) => db.jobs.create({ name: "j", tasks: [TASK] })],
  ["jobs.get", (db) => db.jobs.get({ job_id: 1 })],
  ["jobs.list", (db) => db.jobs.list()],
  ["jobs.update", (db) => db.jobs.update({ job_id: 1, new_settings: { name: "k" } })],
  ["jobs.reset", (db) => db.jobs.reset({ job_id: 1, new_settings: { name: "k", tasks: [TASK] } })],
  ["jobs.delete", (db) => db.jobs.delete({ job_id: 1 })],
  ["jobs.runNow", (db) => db.jobs.runNow({ job_id: 1 })],
  ["jobs.runNowAndWait", (db) => db.jobs.runNowAndWait({ job_id: 1 }, WAIT)],
  ["jobs.submit", (db) => db.jobs.submit({ tasks: [TASK] })],
  ["jobs.submitAndWait", (db) => db.jobs.submitAndWait({ tasks: [TASK] }, WAIT)],
  ["jobs.getRun", (db) => db.jobs.getRun({ run_id: 1 })],
  ["jobs.getRunOutput", (db) => db.jobs.getRunOutput({ run_id: 1 })],
  ["jobs.listRuns", (db) => db.jobs.listRuns()],
  ["jobs.cancelRun", (db) => db.jobs.cancelRun({ run_id: 1 })],
  ["jobs.repairRun", (db) => db.jobs.repairRun({ run_id: 1, rerun_all_failed_tasks: true })],
  [
    "jobs.repairRunAndWait",
    (db) => db.jobs.repairRunAndWait({ run_id: 1, rerun_all_failed_tasks: true }, WAIT),
  ],
  ["jobs.exportRun", (db) => db.jobs.exportRun({ run_id: 1 })],
  ["jobs.waitUntilRunTerminated", (db) => db.jobs.waitUntilRunTerminated({ run_id: 1 }, WAIT)],
  [
    "workspace.import",
    (db) =>
      db.workspace.import({
        path: "/Shared/n",
        content: "cHJpbnQoMSk=",
        format: "SOURCE",
        language: "PYTHON",
        overwrite: true,
      }),
  ],
  ["workspace.export", (db) => db.workspace.export({ path: "/Shared/n" })],
  ["workspace.list", (db) => db.workspace.list({ path: "/Shared" })],
  ["workspace.walk", (db) => db.workspace.walk({ path: "/Shared" })],
  ["workspace.mkdirs", (db) => db.workspace.mkdirs({ path: "/Shared/d" })],
  ["workspace.delete", (db) => db.workspace.delete({ path: "/Shared/n" })],
  ["workspace.getStatus", (db) => db.workspace.getStatus({ path: "/Shared/n" })],
  // SQL
  [
    "statements.executeStatement",
    (db) => db.statements.executeStatement({ statement: "SELECT 1", warehouse_id: "w1" }),
  ],
  ["statements.getStatement", (db) => db.statements.getStatement({ statement_id: "s1" })],
  [
    "statements.getStatementResultChunkN",
    (db) => db.statements.getStatementResultChunkN({ statement_id: "s1", chunk_index: 0 }),
  ],
  ["statements.cancelExecution", (db) => db.statements.cancelExecution({ statement_id: "s1" })],
  [
    "statements.executeAndWait",
    (db) => db.statements.executeAndWait({ statement: "SELECT 1", warehouse_id: "w1" }, WAIT),
  ],
  ["statements.query", (db) => db.statements.query("SELECT 1", { warehouse_id: "w1", waitTimeout: 60_000 })],
  ["warehouses.get", (db) => db.warehouses.get({ id: "w1" })],
  ["warehouses.list", (db) => db.warehouses.list()],
  ["warehouses.startAndWait", (db) => db.warehouses.startAndWait({ id: "w1" }, WAIT)],
  ["warehouses.stopAndWait", (db) => db.warehouses.stopAndWait({ id: "w1" }, WAIT)],
];

/** Runs a call to its end: a list is read up to a few items, a download is drained. */
export async function complete(call: (db: Databricks) => unknown, db: Databricks): Promise<unknown> {
  const out = await call(db);
  if (out instanceof Paginated) return out.toArray({ limit: 5 });
  if (out && typeof out === "object" && Symbol.asyncIterator in out) {
    const items: unknown[] = [];
    for await (const item of out as AsyncIterable<unknown>) if (items.push(item) >= 5) break;
    return items;
  }
  const contents = (out as { contents?: unknown } | undefined)?.contents;
  if (contents && typeof (contents as NodeJS.ReadableStream).resume === "function") {
    for await (const _ of contents as AsyncIterable<unknown>) {
      // drain
    }
  }
  return out;
}
