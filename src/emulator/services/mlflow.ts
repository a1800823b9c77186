import { filesPathOfArtifactUri, runArtifactUri } from "../../api/artifact-location.js";
import { recordOwner, requirePermission } from "../access/object-acls.js";
import { ApiFault, invalidParameter, notFound, requireFields } from "../errors.js";
import { EMULATOR_USER, randomHex } from "../ids.js";
import type { MlflowEmulatorExports } from "../notebooks.js";
import { pageOf } from "../paging.js";
import type { EmuRequest, Router } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import type { FilesEmulatorExports } from "./files.js";
import { mlmodelFiles } from "./mlflow-model.js";
import {
  comparator,
  type Entity,
  type FieldReader,
  matches,
  parseFilter,
  parseOrderBy,
} from "./mlflow-search.js";

/** MLflow tracking: experiments, runs, their params, tags and metric history; artifacts live in "files". */
export interface MlflowState {
  experiments: Record<string, ExperimentRecord>;
  runs: Record<string, RunRecord>;
}

interface KeyValue {
  key: string;
  value: string;
}
interface ExperimentRecord {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: "active" | "deleted";
  creation_time: number;
  last_update_time: number;
  tags: KeyValue[];
}
interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
interface RunRecord {
  info: {
    run_id: string;
    run_uuid: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: "active" | "deleted";
  };
  params: KeyValue[];
  tags: KeyValue[];
  /** Every logged point, in logging order. */
  metrics: MetricPoint[];
  /** Datasets logged with `runs/log-inputs`. */
  dataset_inputs?: DatasetInput[];
  /** When the run was deleted (virtual ms): `databricks/runs/restore-runs` selects by it. */
  deleted_time?: number;
}
interface DatasetInput {
  tags: KeyValue[];
  dataset: {
    name: string;
    digest: string;
    source_type: string;
    source: string;
    schema?: string;
    profile?: string;
  };
}

const BASE = "/api/2.0/mlflow";
const VIEW_TYPES = ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"];
const RUN_STATUSES = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];
const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 };
const BULK_RUNS_MAX = 10_000;
const LOG_MODEL_TAG = "mlflow.log-model.history";
const MODEL_JSON_FIELDS = ["artifact_path", "flavors", "utc_time_created", "run_id"];

export const mlflowService: EmulatorService<MlflowState, MlflowEmulatorExports> = {
  name: "mlflow",
  init: () => ({ experiments: {}, runs: {} }),

  routes(router: Router) {
    router.post(`${BASE}/experiments/create`, (req) => {
      requireFields(req.body, "name");
      const exp = createExperiment(req.ctx, req.body.name, req.body.artifact_location, req.body.tags);
      recordOwner(req, "experiments", exp.experiment_id);
      return { body: { experiment_id: exp.experiment_id } };
    });
    router.get(`${BASE}/experiments/get`, (req) => {
      const exp = experiment(req.ctx, String(req.query.experiment_id ?? ""));
      requirePermission(req, "experiments", exp.experiment_id, "CAN_READ", exp.name);
      return { body: { experiment: experimentView(exp) } };
    });
    router.get(`${BASE}/experiments/get-by-name`, (req) => {
      const name = String(req.query.experiment_name ?? "");
      if (!name) throw invalidParameter("Missing required field: experiment_name");
      const found = experimentByName(state(req.ctx), name);
      if (!found) throw notFound(`Could not find experiment with name ${name}`);
      return { body: { experiment: experimentView(found) } };
    });
    router.post(
      `${BASE}/experiments/search`,
      (req) => {
        const b = req.body ?? {};
        const conditions = parseFilter(b.filter);
        const view = b.view_type ?? "ACTIVE_ONLY";
        const list = Object.values(state(req.ctx).experiments)
          .filter((e) => inView(e.lifecycle_stage, view))
          .filter((e) => matches(conditions, experimentReader(e)))
          .sort(comparator([...parseOrderBy(b.order_by), ...DEFAULT_EXPERIMENT_ORDER], experimentReader));
        const page = pageOf(list, b.max_results, b.page_token, { default: 1000, max: 3000 });
        return { body: { experiments: page.items.map(experimentView), ...tokenOf(page) } };
      },
      { mutates: false },
    );
    // Databricks still serves the list call MLflow 2 removed: all experiments unless max_results (capped at 1000).
    router.get(`${BASE}/experiments/list`, (req) => {
      const view = String(req.query.view_type ?? "ACTIVE_ONLY");
      if (!VIEW_TYPES.includes(view))
        throw invalidParameter(
          `Invalid value '${view}' for parameter 'view_type'. Valid values are: ${VIEW_TYPES.join(", ")}`,
        );
      const list = Object.values(state(req.ctx).experiments)
        .filter((e) => inView(e.lifecycle_stage, view))
        .sort(comparator(DEFAULT_EXPERIMENT_ORDER, experimentReader));
      const page = pageOf(list, req.query.max_results, req.query.page_token, {
        default: Math.max(list.length, 1),
        max: 1000,
      });
      return { body: { experiments: page.items.map(experimentView), ...tokenOf(page) } };
    });
    router.post(`${BASE}/experiments/update`, (req) => {
      requireFields(req.body, "experiment_id");
      const exp = experiment(req.ctx, String(req.body.experiment_id));
      const name = req.body.new_name;
      if (name !== undefined && name !== null && name !== exp.name) {
        checkExperimentName(state(req.ctx), String(name));
        exp.name = String(name);
        exp.last_update_time = req.ctx.clock.now();
      }
      return { body: {} };
    });
    router.post(`${BASE}/experiments/delete`, (req) => {
      const exp = experiment(req.ctx, String(req.body?.experiment_id ?? ""));
      exp.lifecycle_stage = "deleted";
      exp.last_update_time = req.ctx.clock.now();
      for (const run of Object.values(state(req.ctx).runs)) {
        if (run.info.experiment_id === exp.experiment_id) run.info.lifecycle_stage = "deleted";
      }
      return { body: {} };
    });
    router.post(`${BASE}/experiments/restore`, (req) => {
      const exp = experiment(req.ctx, String(req.body?.experiment_id ?? ""));
      exp.lifecycle_stage = "active";
      return { body: {} };
    });
    router.post(`${BASE}/experiments/set-experiment-tag`, (req) => {
      requireFields(req.body, "experiment_id", "key");
      const exp = experiment(req.ctx, String(req.body.experiment_id));
      setTag(exp.tags, req.body.key, String(req.body.value ?? ""));
      return { body: {} };
    });

    router.post(`${BASE}/runs/create`, (req) => {
      requireFields(req.body, "experiment_id");
      const b = req.body;
      const run = createRun(req.ctx, {
        experiment_id: String(b.experiment_id),
        run_name: b.run_name,
        start_time: b.start_time,
        user_id: b.user_id,
        tags: b.tags,
      });
      return { body: { run: runView(run) } };
    });
    router.get(`${BASE}/runs/get`, (req) => ({
      body: { run: runView(run(req.ctx, runIdOf(req))) },
    }));
    router.post(`${BASE}/runs/update`, (req) => {
      const r = run(req.ctx, runIdOf(req));
      const b = req.body ?? {};
      if (b.status !== undefined) {
        if (!RUN_STATUSES.includes(b.status)) throw invalidParameter(`Invalid run status: ${b.status}`);
        r.info.status = b.status;
      }
      if (b.end_time !== undefined) r.info.end_time = Number(b.end_time);
      if (b.run_name !== undefined) {
        r.info.run_name = String(b.run_name);
        setTag(r.tags, "mlflow.runName", r.info.run_name);
      }
      return { body: { run_info: { ...r.info } } };
    });
    router.post(`${BASE}/runs/delete`, (req) => {
      deleteRun(run(req.ctx, runIdOf(req)), req.ctx.clock.now());
      return { body: {} };
    });
    router.post(`${BASE}/runs/restore`, (req) => {
      restoreRun(run(req.ctx, runIdOf(req)));
      return { body: {} };
    });
    router.post(`${BASE}/databricks/runs/delete-runs`, (req) => {
      const { exp, bound, max } = bulkRunsRequest(req, "max_timestamp_millis");
      const now = req.ctx.clock.now();
      const chosen = Object.values(state(req.ctx).runs)
        .filter((r) => r.info.experiment_id === exp && r.info.lifecycle_stage === "active")
        .filter((r) => r.info.start_time <= bound)
        .slice(0, max);
      for (const r of chosen) deleteRun(r, now);
      return { body: { runs_deleted: chosen.length } };
    });
    router.post(`${BASE}/databricks/runs/restore-runs`, (req) => {
      const { exp, bound, max } = bulkRunsRequest(req, "min_timestamp_millis");
      const chosen = Object.values(state(req.ctx).runs)
        .filter((r) => r.info.experiment_id === exp && r.info.lifecycle_stage === "deleted")
        .filter((r) => (r.deleted_time ?? 0) >= bound)
        .slice(0, max);
      for (const r of chosen) restoreRun(r);
      return { body: { runs_restored: chosen.length } };
    });
    router.post(
      `${BASE}/runs/search`,
      (req) => {
        const b = req.body ?? {};
        const ids: string[] = Array.isArray(b.experiment_ids) ? b.experiment_ids.map(String) : [];
        if (ids.length === 0)
          throw invalidParameter("experiment_ids must contain at least one experiment id");
        const conditions = parseFilter(b.filter);
        const view = b.run_view_type ?? "ACTIVE_ONLY";
        const list = Object.values(state(req.ctx).runs)
          .filter((r) => ids.includes(r.info.experiment_id) && inView(r.info.lifecycle_stage, view))
          .filter((r) => matches(conditions, runReader(r)))
          .sort(comparator([...parseOrderBy(b.order_by), ...DEFAULT_RUN_ORDER], runReader));
        const page = pageOf(list, b.max_results, b.page_token, { default: 1000, max: 50_000 });
        return { body: { runs: page.items.map(runView), ...tokenOf(page) } };
      },
      { mutates: false },
    );
    router.post(`${BASE}/runs/set-tag`, (req) => {
      requireFields(req.body, "key");
      const r = activeRun(req.ctx, runIdOf(req));
      setTag(r.tags, req.body.key, String(req.body.value ?? ""));
      if (req.body.key === "mlflow.runName") r.info.run_name = String(req.body.value ?? "");
      return { body: {} };
    });
    router.post(`${BASE}/runs/delete-tag`, (req) => {
      requireFields(req.body, "key");
      const r = activeRun(req.ctx, runIdOf(req));
      const i = r.tags.findIndex((t) => t.key === req.body.key);
      if (i < 0) throw notFound(`No tag with name: ${req.body.key} in run with id ${r.info.run_id}`);
      r.tags.splice(i, 1);
      return { body: {} };
    });
    router.post(`${BASE}/runs/log-metric`, (req) => {
      requireFields(req.body, "key", "timestamp");
      if (req.body.value === undefined || req.body.value === null) {
        throw invalidParameter("Missing value for required parameter 'value'.");
      }
      logMetrics(activeRun(req.ctx, runIdOf(req)), [req.body]);
      return { body: {} };
    });
    router.post(`${BASE}/runs/log-parameter`, (req) => {
      requireFields(req.body, "key");
      logParams(activeRun(req.ctx, runIdOf(req)), [
        { key: req.body.key, value: String(req.body.value ?? "") },
      ]);
      return { body: {} };
    });
    router.post(`${BASE}/runs/log-batch`, (req) => {
      const b = req.body ?? {};
      const metrics = b.metrics ?? [];
      const params = b.params ?? [];
      const tags = b.tags ?? [];
      checkBatchLimits(metrics.length, params.length, tags.length);
      const r = activeRun(req.ctx, runIdOf(req));
      logParams(r, params);
      for (const t of tags) setTag(r.tags, t.key, String(t.value ?? ""));
      logMetrics(r, metrics);
      return { body: {} };
    });
    router.post(`${BASE}/runs/log-inputs`, (req) => {
      const r = activeRun(req.ctx, runIdOf(req));
      const datasets = req.body?.datasets ?? [];
      if (!Array.isArray(datasets)) throw invalidParameter("'datasets' must be a list of dataset inputs.");
      for (const d of datasets) logDataset(r, d);
      return { body: {} };
    });
    router.post(`${BASE}/runs/log-model`, (req) => {
      requireFields(req.body, "model_json");
      const r = activeRun(req.ctx, runIdOf(req));
      const history = r.tags.find((t) => t.key === LOG_MODEL_TAG);
      const entries = history ? JSON.parse(history.value) : [];
      entries.push(parseModelJson(req.body.model_json));
      setTag(r.tags, LOG_MODEL_TAG, JSON.stringify(entries));
      return { body: {} };
    });
    router.get(`${BASE}/metrics/get-history`, (req) => {
      const r = run(req.ctx, runIdOf(req));
      const key = String(req.query.metric_key ?? "");
      if (!key) throw invalidParameter("Missing value for required parameter 'metric_key'.");
      const points = r.metrics.filter((m) => m.key === key);
      const page = pageOf(points, req.query.max_results, req.query.page_token, {
        default: 25_000,
        max: 25_000,
      });
      return { body: { metrics: page.items, ...tokenOf(page) } };
    });
    router.get(`${BASE}/artifacts/list`, (req) => {
      const r = run(req.ctx, runIdOf(req));
      const root = filesPathOfArtifactUri(r.info.artifact_uri);
      const files = req.ctx.service<FilesEmulatorExports>("files");
      const sub = String(req.query.path ?? "").replace(/^\/+|\/+$/g, "");
      const entries = root && files ? artifactEntries(files, root, sub) : [];
      const page = pageOf(entries, undefined, req.query.page_token, { default: 1000, max: 1000 });
      return { body: { root_uri: r.info.artifact_uri, files: page.items, ...tokenOf(page) } };
    });
  },

  exports(ctx: EmulatorContext): MlflowEmulatorExports {
    return { logNotebookRun: (input) => logNotebookRun(ctx, input) };
  },
};

const DEFAULT_EXPERIMENT_ORDER = parseOrderBy(["last_update_time DESC", "experiment_id ASC"]);
const DEFAULT_RUN_ORDER = parseOrderBy(["start_time DESC", "run_id ASC"]);

function state(ctx: EmulatorContext): MlflowState {
  return ctx.state<MlflowState>("mlflow");
}

function tokenOf(page: { next_page_token?: string }) {
  return page.next_page_token ? { next_page_token: page.next_page_token } : {};
}

function inView(stage: string, view: string): boolean {
  if (view === "ALL") return true;
  return view === "DELETED_ONLY" ? stage === "deleted" : stage === "active";
}

function runIdOf(req: EmuRequest): string {
  const id = req.body?.run_id ?? req.body?.run_uuid ?? req.query.run_id ?? req.query.run_uuid;
  if (!id) throw invalidParameter("Missing value for required parameter 'run_id'.");
  return String(id);
}

function experiment(ctx: EmulatorContext, id: string): ExperimentRecord {
  const e = state(ctx).experiments[id];
  if (!e) throw notFound(`Node ID ${id} does not exist.`);
  return e;
}

function experimentByName(s: MlflowState, name: string): ExperimentRecord | undefined {
  const all = Object.values(s.experiments).filter((e) => e.name === name);
  return all.find((e) => e.lifecycle_stage === "active") ?? all[0];
}

function createExperiment(
  ctx: EmulatorContext,
  name: string,
  artifactLocation?: string,
  tags?: KeyValue[],
): ExperimentRecord {
  const s = state(ctx);
  checkExperimentName(s, name);
  const id = String(ctx.nextId());
  const now = ctx.clock.now();
  const exp: ExperimentRecord = {
    experiment_id: id,
    name,
    artifact_location: artifactLocation ?? `dbfs:/databricks/mlflow-tracking/${id}`,
    lifecycle_stage: "active",
    creation_time: now,
    last_update_time: now,
    tags: [],
  };
  for (const t of tags ?? []) setTag(exp.tags, t.key, String(t.value ?? ""));
  s.experiments[id] = exp;
  return exp;
}

/** A new name (create or rename) is an absolute workspace path no other experiment has. */
function checkExperimentName(s: MlflowState, name: string): void {
  if (!String(name).startsWith("/")) {
    throw invalidParameter(
      `Got an invalid experiment name '${name}'. An experiment name must be an absolute path within the Databricks workspace, e.g. '/Users/<some-username>/my-experiment'.`,
    );
  }
  if (experimentByName(s, name)) {
    throw new ApiFault(400, "RESOURCE_ALREADY_EXISTS", `Node named '${name}' already exists`);
  }
}

function experimentView(e: ExperimentRecord) {
  return { ...e, tags: e.tags.map((t) => ({ ...t })) };
}

function experimentReader(e: ExperimentRecord): FieldReader {
  return (entity, key) => {
    if (entity === "tags") return e.tags.find((t) => t.key === key)?.value;
    if (entity !== "attributes") return undefined;
    return key === "name" || key === "experiment_id" || key === "creation_time" || key === "last_update_time"
      ? e[key]
      : undefined;
  };
}

function run(ctx: EmulatorContext, id: string): RunRecord {
  const r = state(ctx).runs[id];
  if (!r) throw notFound(`Run '${id}' not found.`);
  return r;
}

/** Runs that are deleted refuse new data, as on the server. */
function activeRun(ctx: EmulatorContext, id: string): RunRecord {
  const r = run(ctx, id);
  if (r.info.lifecycle_stage !== "active") {
    throw invalidParameter(`The run ${id} must be in the 'active' state. Current state is deleted.`);
  }
  return r;
}

function createRun(
  ctx: EmulatorContext,
  input: {
    experiment_id: string;
    run_name?: string;
    start_time?: number;
    user_id?: string;
    tags?: KeyValue[];
  },
): RunRecord {
  const exp = experiment(ctx, input.experiment_id);
  if (exp.lifecycle_stage !== "active") {
    throw invalidParameter(`The experiment ${exp.experiment_id} must be in the 'active' state.`);
  }
  const runId = randomHex(ctx, 32);
  const runName =
    input.run_name ??
    input.tags?.find((t) => t.key === "mlflow.runName")?.value ??
    `run-${runId.slice(0, 6)}`;
  const record: RunRecord = {
    info: {
      run_id: runId,
      run_uuid: runId,
      run_name: runName,
      experiment_id: exp.experiment_id,
      user_id: input.user_id ?? EMULATOR_USER,
      status: "RUNNING",
      start_time: input.start_time ?? ctx.clock.now(),
      artifact_uri: runArtifactUri(exp.experiment_id, runId),
      lifecycle_stage: "active",
    },
    params: [],
    tags: [],
    metrics: [],
  };
  for (const t of input.tags ?? []) setTag(record.tags, t.key, String(t.value ?? ""));
  setTag(record.tags, "mlflow.runName", runName);
  if (!record.tags.some((t) => t.key === "mlflow.user"))
    setTag(record.tags, "mlflow.user", record.info.user_id);
  state(ctx).runs[runId] = record;
  exp.last_update_time = ctx.clock.now();
  return record;
}

/** The latest value of each metric: highest step, then latest timestamp. */
function latestMetrics(r: RunRecord): MetricPoint[] {
  const latest = new Map<string, MetricPoint>();
  for (const m of r.metrics) {
    const cur = latest.get(m.key);
    if (!cur || m.step > cur.step || (m.step === cur.step && m.timestamp >= cur.timestamp))
      latest.set(m.key, m);
  }
  return [...latest.values()];
}

function runView(r: RunRecord) {
  return {
    info: { ...r.info },
    data: {
      metrics: latestMetrics(r).map((m) => ({ ...m })),
      params: r.params.map((p) => ({ ...p })),
      tags: r.tags.map((t) => ({ ...t })),
    },
    inputs: r.dataset_inputs?.length ? { dataset_inputs: r.dataset_inputs.map(copyDataset) } : {},
  };
}

function copyDataset(d: DatasetInput): DatasetInput {
  return { tags: d.tags.map((t) => ({ ...t })), dataset: { ...d.dataset } };
}

function deleteRun(r: RunRecord, now: number): void {
  r.info.lifecycle_stage = "deleted";
  r.deleted_time = now;
}

function restoreRun(r: RunRecord): void {
  r.info.lifecycle_stage = "active";
  delete r.deleted_time;
}

/** The body of `delete-runs` / `restore-runs`: an existing experiment, a time bound, a run cap. */
function bulkRunsRequest(req: EmuRequest, boundField: string) {
  requireFields(req.body, "experiment_id", boundField);
  const exp = experiment(req.ctx, String(req.body.experiment_id)).experiment_id;
  const bound = Number(req.body[boundField]);
  if (!Number.isFinite(bound)) throw invalidParameter(`'${boundField}' must be a number of milliseconds.`);
  const max = req.body.max_runs === undefined ? BULK_RUNS_MAX : Number(req.body.max_runs);
  if (!Number.isInteger(max) || max < 1 || max > BULK_RUNS_MAX) {
    throw invalidParameter(`'max_runs' must be between 1 and ${BULK_RUNS_MAX}; got ${req.body.max_runs}.`);
  }
  return { exp, bound, max };
}

/** A dataset is identified by name and digest: logging it again only merges its tags. */
function logDataset(r: RunRecord, input: any): void {
  const d = input?.dataset;
  for (const field of ["name", "digest", "source_type", "source"]) {
    if (d?.[field] === undefined || d[field] === "") {
      throw invalidParameter(`Missing value for required parameter 'dataset.${field}'.`);
    }
  }
  const dataset = {
    name: String(d.name),
    digest: String(d.digest),
    source_type: String(d.source_type),
    source: String(d.source),
    ...(d.schema !== undefined ? { schema: String(d.schema) } : {}),
    ...(d.profile !== undefined ? { profile: String(d.profile) } : {}),
  };
  r.dataset_inputs ??= [];
  let entry = r.dataset_inputs.find(
    (x) => x.dataset.name === dataset.name && x.dataset.digest === dataset.digest,
  );
  if (!entry) {
    entry = { tags: [], dataset };
    r.dataset_inputs.push(entry);
  }
  for (const t of input.tags ?? []) setTag(entry.tags, t.key, String(t.value ?? ""));
}

function parseModelJson(raw: unknown): Record<string, unknown> {
  let model: unknown;
  try {
    model = JSON.parse(String(raw));
  } catch {
    throw invalidParameter("Malformed model info. 'model_json' must be a JSON object.");
  }
  if (!model || typeof model !== "object" || Array.isArray(model)) {
    throw invalidParameter("Malformed model info. 'model_json' must be a JSON object.");
  }
  const missing = MODEL_JSON_FIELDS.filter((f) => !(f in model));
  if (missing.length) {
    throw invalidParameter(`Model json is missing mandatory fields: ${missing.join(", ")}`);
  }
  return model as Record<string, unknown>;
}

function runReader(r: RunRecord): FieldReader {
  return (entity: Entity, key: string) => {
    if (entity === "tags") return r.tags.find((t) => t.key === key)?.value;
    if (entity === "params") return r.params.find((p) => p.key === key)?.value;
    if (entity === "metrics") return latestMetrics(r).find((m) => m.key === key)?.value;
    const info = r.info as Record<string, unknown>;
    const value = info[key];
    return typeof value === "string" || typeof value === "number" ? value : undefined;
  };
}

function setTag(tags: KeyValue[], key: string, value: string): void {
  if (!key) throw invalidParameter("Missing value for required parameter 'key'.");
  const t = tags.find((x) => x.key === key);
  if (t) t.value = value;
  else tags.push({ key, value });
}

function logParams(r: RunRecord, params: Array<{ key: string; value: unknown }>): void {
  for (const p of params) {
    if (!p?.key) throw invalidParameter("Missing value for required parameter 'key'.");
    const value = String(p.value ?? "");
    const existing = r.params.find((x) => x.key === p.key);
    if (existing && existing.value !== value) {
      throw invalidParameter(
        `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${existing.value}' for run ID='${r.info.run_id}'. Attempted logging new value '${value}'.`,
      );
    }
    if (!existing) r.params.push({ key: p.key, value });
  }
}

function logMetrics(r: RunRecord, metrics: Array<Record<string, unknown>>): void {
  for (const m of metrics) {
    const value = Number(m.value);
    if (!m.key || m.timestamp === undefined || m.value === undefined || Number.isNaN(value)) {
      throw invalidParameter(`Invalid metric: ${JSON.stringify(m)}`);
    }
    const point = { key: String(m.key), value, timestamp: Number(m.timestamp), step: Number(m.step ?? 0) };
    // The tracking store keys a point by (key, value, timestamp, step): logging it twice keeps one.
    const duplicate = r.metrics.some(
      (x) =>
        x.key === point.key &&
        x.value === point.value &&
        x.timestamp === point.timestamp &&
        x.step === point.step,
    );
    if (!duplicate) r.metrics.push(point);
  }
}

function checkBatchLimits(metrics: number, params: number, tags: number): void {
  const over = (what: string, n: number, max: number) =>
    invalidParameter(
      `A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`,
    );
  if (metrics > BATCH_LIMITS.metrics) throw over("metrics", metrics, BATCH_LIMITS.metrics);
  if (params > BATCH_LIMITS.params) throw over("params", params, BATCH_LIMITS.params);
  if (tags > BATCH_LIMITS.tags) throw over("tags", tags, BATCH_LIMITS.tags);
  const total = metrics + params + tags;
  if (total > BATCH_LIMITS.total) {
    throw invalidParameter(
      `A batch logging request can contain at most ${BATCH_LIMITS.total} metrics, params, and tags in total. Got ${total}.`,
    );
  }
}

/** Entries directly under `sub` of a run's artifact root, as `artifacts/list` returns them. */
function artifactEntries(files: FilesEmulatorExports, root: string, sub: string) {
  const base = sub ? `${root}/${sub}` : root;
  const seen = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
  for (const abs of files.list(base)) {
    const rest = abs.slice(base.length + 1);
    const first = rest.split("/")[0]!;
    const rel = sub ? `${sub}/${first}` : first;
    if (rest.includes("/")) seen.set(rel, { path: rel, is_dir: true });
    else seen.set(rel, { path: rel, is_dir: false, file_size: files.read(abs)?.length ?? 0 });
  }
  return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

function logNotebookRun(
  ctx: EmulatorContext,
  input: Parameters<MlflowEmulatorExports["logNotebookRun"]>[0],
): { run_id: string; experiment_id: string } {
  const name = input.experimentName ?? input.notebookPath;
  const exp = experimentByName(state(ctx), name) ?? createExperiment(ctx, name);
  exp.lifecycle_stage = "active"; // logging to a deleted experiment brings it back
  const experimentId = exp.experiment_id;
  const notebookName = input.notebookPath.split("/").pop() || "notebook";
  const r = createRun(ctx, {
    experiment_id: experimentId,
    run_name: `${notebookName}-${input.jobRunId}`,
    start_time: input.startTime,
    tags: Object.entries(input.tags ?? {}).map(([key, value]) => ({ key, value })),
  });
  const sourceTags: Record<string, string> = {
    "mlflow.source.type": "JOB",
    "mlflow.source.name": input.notebookPath,
    "mlflow.databricks.notebookPath": input.notebookPath,
    "mlflow.databricks.jobRunID": String(input.jobRunId),
    ...(input.jobId !== undefined ? { "mlflow.databricks.jobID": String(input.jobId) } : {}),
  };
  for (const [key, value] of Object.entries(sourceTags)) setTag(r.tags, key, value);
  // Job parameters named like a logged param override it (a retrain with other parameters).
  const params = Object.entries(input.params ?? {}).map(([key, value]) => ({
    key,
    value: input.parameters?.[key] ?? value,
  }));
  logParams(r, params);
  logMetrics(
    r,
    Object.entries(input.metrics ?? {}).map(([key, value]) => ({
      key,
      value,
      timestamp: input.endTime,
      step: 0,
    })),
  );
  if (input.model) {
    const files = ctx.service<FilesEmulatorExports>("files");
    const root = filesPathOfArtifactUri(r.info.artifact_uri)!;
    const { files: modelFiles, history } = mlmodelFiles(ctx, input.model, r.info.run_id, input.endTime);
    for (const [rel, data] of Object.entries(modelFiles)) files?.write(`${root}/${rel}`, Buffer.from(data));
    setTag(r.tags, LOG_MODEL_TAG, JSON.stringify([history]));
  }
  r.info.status = "FINISHED";
  r.info.end_time = input.endTime;
  return { run_id: r.info.run_id, experiment_id: experimentId };
}
