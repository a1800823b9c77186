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
      requireFields(req.body, "name", "version", "stage");
      if (req.body.archive_existing_versions === undefined) {
        throw invalidParameter("Missing value for required parameter 'archive_existing_versions'.");
      }
      const m = model(req);
      const v = version(m, req.body.version);
      const stage = STAGES.find((s) => s.toLowerCase() === String(req.body.stage).toLowerCase());
      if (!stage)
        throw invalidParameter(`Invalid stage '${req.body.stage}'; use one of ${STAGES.join(", ")}.`);
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
      return { body: { model_version_databricks: { ...versionView(m, v), permission_level: "CAN_MANAGE" } } };
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

function version(m: LegacyModel, raw: unknown): LegacyVersion {
  const v = m.versions[String(raw ?? "")];
  if (!v) throw notFound(`Model Version (name=${m.name}, version=${String(raw)}) not found`);
  return v;
}

/** The version copies its files from `source`; nothing there means the copy fails. */
function sourceProblem(ctx: EmulatorContext, source: string): string | undefined {
  const files = ctx.service<FilesEmulatorExports>("files");
  if (!files) return undefined;
  let uri = source;
  const runs = parseRunsUri(source);
  if (runs) {
    const run = ctx.state<MlflowState>("mlflow")?.runs[runs.run_id];
    if (!run) return `Run '${runs.run_id}' of source ${source} does not exist.`;
    uri = runs.path ? `${run.info.artifact_uri}/${runs.path}` : run.info.artifact_uri;
  }
  const root = filesPathOfArtifactUri(uri);
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
