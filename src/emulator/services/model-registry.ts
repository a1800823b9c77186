import { filesPathOfArtifactUri, parseRunsUri } from "../../api/artifact-location.js";
import { levelOf, recordOwner, requirePermission } from "../access/object-acls.js";
import { ApiFault, invalidParameter, notFound, requireFields } from "../errors.js";
import { EMULATOR_USER, randomHex } from "../ids.js";
import { pageOf, param } from "../paging.js";
import type { EmuRequest, Router } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import type { FilesEmulatorExports } from "./files.js";
import type { MlflowState } from "./mlflow.js";
import { comparator, matches, parseFilter, parseOrderBy } from "./mlflow-search.js";

/**
 * The workspace (pre-Unity Catalog) model registry. Versions copy their files from `source` on
 * the server: PENDING_REGISTRATION for a few seconds, then READY, or FAILED_REGISTRATION when
 * the source has no files.
 */
export interface ModelRegistryState {
  models: Record<string, LegacyModel>;
}

interface KeyValue {
  key: string;
  value: string;
}
interface LegacyModel {
  id: string;
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  description?: string;
  tags: KeyValue[];
  next_version: number;
  versions: Record<string, LegacyVersion>;
}
interface LegacyVersion {
  version: number;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  current_stage: string;
  description?: string;
  source: string;
  run_id?: string;
  run_link?: string;
  status: "PENDING_REGISTRATION" | "FAILED_REGISTRATION" | "READY";
  status_message?: string;
  tags: KeyValue[];
  /** When the server finishes copying the files (virtual ms). */
  ready_at?: number;
}

const BASE = "/api/2.0/mlflow";
const COPY_MS = 10_000;
const STAGES = ["None", "Staging", "Production", "Archived"];

export const modelRegistryService: EmulatorService<ModelRegistryState> = {
  name: "model-registry",
  init: () => ({ models: {} }),

  routes(router: Router) {
    router.post(`${BASE}/registered-models/create`, (req) => {
      requireFields(req.body, "name");
      const name = String(req.body.name);
      const all = models(req.ctx);
      if (all[name]) {
        throw new ApiFault(400, "RESOURCE_ALREADY_EXISTS", `Registered Model (name=${name}) already exists.`);
      }
      const now = req.ctx.clock.now();
      all[name] = {
        id: randomHex(req.ctx, 32),
        name,
        creation_timestamp: now,
        last_updated_timestamp: now,
        user_id: EMULATOR_USER,
        ...(req.body.description !== undefined ? { description: String(req.body.description) } : {}),
        tags: (req.body.tags ?? []).map((t: KeyValue) => ({
          key: String(t.key),
          value: String(t.value ?? ""),
        })),
        next_version: 1,
        versions: {},
      };
      recordOwner(req, "registered-models", all[name].id);
      return { body: { registered_model: modelView(all[name]) } };
    });
    router.get(`${BASE}/registered-models/get`, (req) => ({
      body: { registered_model: modelView(model(req)) },
    }));
    router.get(`${BASE}/databricks/registered-models/get`, (req) => {
      const m = model(req);
      const permission_level = levelOf(req.ctx, req.caller, "registered-models", m.id);
      return { body: { registered_model_databricks: { ...modelView(m), permission_level } } };
    });
    router.get(`${BASE}/registered-models/search`, (req) => {
      const conditions = parseFilter(param(req, "filter"));
      const order = parseOrderBy(asList(req.query.order_by));
      const list = Object.values(models(req.ctx))
        .filter((m) => matches(conditions, (_, key) => (key === "name" ? m.name : undefined)))
        .sort(comparator([...order, ...parseOrderBy(["name ASC"])], (m) => (_, key) => (m as any)[key]));
      const page = pageOf(list, req.query.max_results, req.query.page_token, { default: 100, max: 1000 });
      return { body: { registered_models: page.items.map(modelView), ...tokenOf(page) } };
    });
    router.delete(`${BASE}/registered-models/delete`, (req) => {
      const m = model(req);
      delete models(req.ctx)[m.name];
      return { body: {} };
    });

    router.post(`${BASE}/model-versions/create`, (req) => {
      requireFields(req.body, "name", "source");
      const m = model(req);
      const now = req.ctx.clock.now();
      const v: LegacyVersion = {
        version: m.next_version++,
        creation_timestamp: now,
        last_updated_timestamp: now,
        user_id: EMULATOR_USER,
        current_stage: "None",
        ...(req.body.description !== undefined ? { description: String(req.body.description) } : {}),
        source: String(req.body.source),
        ...(req.body.run_id ? { run_id: String(req.body.run_id) } : {}),
        ...(req.body.run_link ? { run_link: String(req.body.run_link) } : {}),
        status: "PENDING_REGISTRATION",
        tags: (req.body.tags ?? []).map((t: KeyValue) => ({
          key: String(t.key),
          value: String(t.value ?? ""),
        })),
        ready_at: now + COPY_MS,
      };
      m.versions[String(v.version)] = v;
      m.last_updated_timestamp = now;
      return { body: { model_version: versionView(m, v) } };
    });
    router.get(`${BASE}/model-versions/get`, (req) => {
      const m = model(req);
      return { body: { model_version: versionView(m, version(m, param(req, "version"))) } };
    });
    router.get(`${BASE}/model-versions/search`, (req) => {
      const conditions = parseFilter(param(req, "filter"));
      const list = Object.values(models(req.ctx))
        .flatMap((m) => Object.values(m.versions).map((v) => ({ m, v })))
        .filter(({ m, v }) =>
          matches(conditions, (_, key) =>
            key === "name" ? m.name : key === "run_id" ? v.run_id : undefined,
          ),
        )
        .sort((a, b) => (a.m.name === b.m.name ? b.v.version - a.v.version : a.m.name < b.m.name ? -1 : 1));
      const page = pageOf(list, req.query.max_results, req.query.page_token, {
        default: 10_000,
        max: 10_000,
      });
      return { body: { model_versions: page.items.map(({ m, v }) => versionView(m, v)), ...tokenOf(page) } };
    });
    router.post(`${BASE}/databricks/model-versions/transition-stage`, (req) => {
      const { m, v } = transitionStage(req);
      return { body: { model_version_databricks: { ...versionView(m, v), permission_level: "CAN_MANAGE" } } };
    });
    router.post(`${BASE}/model-versions/transition-stage`, (req) => {
      const { m, v } = transitionStage(req);
      return { body: { model_version: versionView(m, v) } };
    });

    router.post(`${BASE}/registered-models/rename`, (req) => {
      requireFields(req.body, "name", "new_name");
      const m = model(req);
      const newName = String(req.body.new_name);
      const all = models(req.ctx);
      if (newName !== m.name && all[newName]) {
        throw new ApiFault(
          400,
          "RESOURCE_ALREADY_EXISTS",
          `Registered Model (name=${newName}) already exists.`,
        );
      }
      delete all[m.name];
      m.name = newName;
      m.last_updated_timestamp = req.ctx.clock.now();
      all[newName] = m;
      return { body: { registered_model: modelView(m) } };
    });
    router.patch(`${BASE}/registered-models/update`, (req) => {
      const m = model(req);
      if (req.body?.description !== undefined) m.description = String(req.body.description);
      m.last_updated_timestamp = req.ctx.clock.now();
      return { body: { registered_model: modelView(m) } };
    });
    router.post(`${BASE}/registered-models/set-tag`, (req) => {
      requireFields(req.body, "name", "key");
      const m = model(req);
      setTag(m.tags, String(req.body.key), String(req.body.value ?? ""));
      return { body: {} };
    });
    router.delete(`${BASE}/registered-models/delete-tag`, (req) => {
      const m = model(req);
      deleteTag(m.tags, requiredParam(req, "key"), `Registered Model (name=${m.name})`);
      return { body: {} };
    });
    router.post(
      `${BASE}/registered-models/get-latest-versions`,
      (req) => {
        const m = model(req);
        const stages = asList(req.body?.stages)?.map(canonicalStage) ?? [];
        const latest = latestVersions(m).filter(
          (v) => stages.length === 0 || stages.includes(v.current_stage),
        );
        return { body: { model_versions: latest } };
      },
      { mutates: false },
    );

    router.patch(`${BASE}/model-versions/update`, (req) => {
      const m = model(req);
      const v = version(m, requiredParam(req, "version"));
      if (req.body?.description !== undefined) v.description = String(req.body.description);
      v.last_updated_timestamp = req.ctx.clock.now();
      return { body: { model_version: versionView(m, v) } };
    });
    router.delete(`${BASE}/model-versions/delete`, (req) => {
      const m = model(req);
      const v = version(m, requiredParam(req, "version"));
      delete m.versions[String(v.version)];
      m.last_updated_timestamp = req.ctx.clock.now();
      return { body: {} };
    });
    router.post(`${BASE}/model-versions/set-tag`, (req) => {
      requireFields(req.body, "name", "version", "key");
      const v = version(model(req), req.body.version);
      setTag(v.tags, String(req.body.key), String(req.body.value ?? ""));
      return { body: {} };
    });
    router.delete(`${BASE}/model-versions/delete-tag`, (req) => {
      const m = model(req);
      const v = version(m, requiredParam(req, "version"));
      deleteTag(v.tags, requiredParam(req, "key"), `Model Version (name=${m.name}, version=${v.version})`);
      return { body: {} };
    });
    router.get(`${BASE}/model-versions/get-download-uri`, (req) => {
      const m = model(req);
      const v = version(m, requiredParam(req, "version"));
      return { body: { artifact_uri: downloadUri(req.ctx, v.source) } };
    });
  },

  tick(ctx: EmulatorContext) {
    const now = ctx.clock.now();
    for (const m of Object.values(models(ctx))) {
      for (const v of Object.values(m.versions)) {
        if (v.ready_at === undefined || v.ready_at > now) continue;
        const problem = sourceProblem(ctx, v.source);
        v.status = problem ? "FAILED_REGISTRATION" : "READY";
        if (problem) v.status_message = problem;
        v.last_updated_timestamp = v.ready_at;
        delete v.ready_at;
      }
    }
  },
};

function models(ctx: EmulatorContext): Record<string, LegacyModel> {
  return ctx.state<ModelRegistryState>("model-registry").models;
}

function tokenOf(page: { next_page_token?: string }) {
  return page.next_page_token ? { next_page_token: page.next_page_token } : {};
}

function asList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function model(req: EmuRequest): LegacyModel {
  const name = param(req, "name");
  if (!name) throw invalidParameter("Missing value for required parameter 'name'.");
  const m = models(req.ctx)[name];
  if (!m) throw notFound(`Registered Model with name=${name} not found`);
  requirePermission(req, "registered-models", m.id, "CAN_READ", m.name);
  return m;
}

function requiredParam(req: EmuRequest, name: string): string {
  const value = param(req, name);
  if (value === undefined || value === "") {
    throw invalidParameter(`Missing value for required parameter '${name}'.`);
  }
  return value;
}

function canonicalStage(raw: unknown): string {
  const stage = STAGES.find((s) => s.toLowerCase() === String(raw).toLowerCase());
  if (!stage)
    throw invalidParameter(`Invalid Model Version stage: ${raw}. Value must be one of ${STAGES.join(", ")}.`);
  return stage;
}

/** Both transition-stage routes: with `archive_existing_versions`, other versions in the stage are archived. */
function transitionStage(req: EmuRequest): { m: LegacyModel; v: LegacyVersion } {
  requireFields(req.body, "name", "version", "stage");
  if (req.body.archive_existing_versions === undefined) {
    throw invalidParameter("Missing value for required parameter 'archive_existing_versions'.");
  }
  const m = model(req);
  const v = version(m, req.body.version);
  const stage = canonicalStage(req.body.stage);
  const now = req.ctx.clock.now();
  if (req.body.archive_existing_versions === true && stage !== "None" && stage !== "Archived") {
    for (const other of Object.values(m.versions)) {
      if (other !== v && other.current_stage === stage) {
        other.current_stage = "Archived";
        other.last_updated_timestamp = now;
      }
    }
  }
  v.current_stage = stage;
  v.last_updated_timestamp = now;
  return { m, v };
}

function setTag(tags: KeyValue[], key: string, value: string): void {
  const t = tags.find((x) => x.key === key);
  if (t) t.value = value;
  else tags.push({ key, value });
}

function deleteTag(tags: KeyValue[], key: string, owner: string): void {
  const i = tags.findIndex((t) => t.key === key);
  if (i < 0) throw notFound(`No tag with name: ${key} in ${owner}`);
  tags.splice(i, 1);
}

/** Where the version's files can be downloaded from: a `runs:/` source resolved to the run's artifacts. */
function downloadUri(ctx: EmulatorContext, source: string): string {
  const runs = parseRunsUri(source);
  if (!runs) return source;
  const run = ctx.state<MlflowState>("mlflow")?.runs[runs.run_id];
  if (!run) return source;
  return runs.path ? `${run.info.artifact_uri}/${runs.path}` : run.info.artifact_uri;
}

function version(m: LegacyModel, raw: unknown): LegacyVersion {
  const v = m.versions[String(raw ?? "")];
  if (!v) throw notFound(`Model Version (name=${m.name}, version=${String(raw)}) not found`);
  return v;
}

/** The version copies its files from `source`; nothing there means the copy fails. */
function sourceProblem(ctx: EmulatorContext, source: string): string | undefined {
  const files = ctx.service<FilesEmulatorExports>("files");
  if (!files) return undefined;
  const runs = parseRunsUri(source);
  if (runs && !ctx.state<MlflowState>("mlflow")?.runs[runs.run_id]) {
    return `Run '${runs.run_id}' of source ${source} does not exist.`;
  }
  const root = filesPathOfArtifactUri(downloadUri(ctx, source));
  if (!root) return undefined; // a location the emulator does not hold (e.g. an external bucket)
  return files.list(root).length > 0 ? undefined : `No model files found at ${source}.`;
}

function latestVersions(m: LegacyModel) {
  const byStage = new Map<string, LegacyVersion>();
  for (const v of Object.values(m.versions)) {
    const cur = byStage.get(v.current_stage);
    if (!cur || v.version > cur.version) byStage.set(v.current_stage, v);
  }
  return [...byStage.values()].map((v) => versionView(m, v));
}

function modelView(m: LegacyModel) {
  return {
    name: m.name,
    id: m.id,
    creation_timestamp: m.creation_timestamp,
    last_updated_timestamp: m.last_updated_timestamp,
    user_id: m.user_id,
    ...(m.description !== undefined ? { description: m.description } : {}),
    latest_versions: latestVersions(m),
    tags: m.tags.map((t) => ({ ...t })),
  };
}

function versionView(m: LegacyModel, v: LegacyVersion) {
  const { ready_at: _, version, ...rest } = v;
  return { name: m.name, version: String(version), ...rest, tags: v.tags.map((t) => ({ ...t })) };
}
