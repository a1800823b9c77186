import { modelVersionFilesRoot } from "../../api/artifact-location.js";
import { parseMlmodel, signatureProblem } from "../../api/mlmodel.js";
import { parseFullName, ucNameProblem } from "../../api/uc-names.js";
import { requireCreateModel, requireModelPrivilege } from "../access/uc-privileges.js";
import { alreadyExists, invalidParameter, invalidState, notFound, requireFields } from "../errors.js";
import { EMULATOR_USER, randomUuid } from "../ids.js";
import { pageOf, param } from "../paging.js";
import type { EmuRequest, Router } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import type { FilesEmulatorExports } from "./files.js";
import { parseFilter } from "./mlflow-search.js";

/**
 * Unity Catalog models, versions and aliases: the public REST 2.1 API, and the MLflow
 * `unity-catalog` endpoints that create and finalize versions. A new version is
 * PENDING_REGISTRATION until it is finalized; shortly after, it becomes READY when its files
 * (uploaded to `/Models/<catalog>/<schema>/<model>/<version>/`) include an MLmodel with a
 * signature, FAILED_REGISTRATION otherwise.
 */
export interface RegistryState {
  /** Keyed by lower-case full name: Unity Catalog names are case-insensitive and stored lower case. */
  models: Record<string, ModelRecord>;
}

interface KeyValue {
  key: string;
  value: string;
}
interface ModelRecord {
  id: string;
  catalog_name: string;
  schema_name: string;
  name: string;
  full_name: string;
  owner: string;
  comment?: string;
  storage_location: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
  tags: KeyValue[];
  /** alias → version number */
  aliases: Record<string, number>;
  next_version: number;
  versions: Record<string, VersionRecord>;
}
interface VersionRecord {
  version: number;
  id: string;
  source: string;
  run_id?: string;
  comment?: string;
  status: "PENDING_REGISTRATION" | "FAILED_REGISTRATION" | "READY";
  status_message?: string;
  storage_location: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
  tags: KeyValue[];
  /** When a finalized version's files are checked (virtual ms). */
  finalize_at?: number;
}

export interface RegistryEmulatorExports {
  /** UC model version info as `GET /api/2.1/unity-catalog/models/{full}/versions/{v}` returns it, or undefined. */
  getModelVersion(
    fullName: string,
    version: number,
  ): { status: string; storage_location?: string; run_id?: string; source?: string } | undefined;
  /** The version for an alias, or undefined. */
  resolveAlias(fullName: string, alias: string): number | undefined;
  /** A file of a READY version, path relative to the version root (e.g. "coefficients.json"). */
  readModelFile(fullName: string, version: number, relPath: string): Buffer | undefined;
}

const UC = "/api/2.1/unity-catalog/models";
const UC_MLFLOW = "/api/2.0/mlflow/unity-catalog";
const METASTORE_ID = "e0f1c2d3-0000-4000-8000-00000000e1a7";
/** Time the server takes to check a finalized version's files (virtual ms). */
const FINALIZE_MS = 15_000;
const WORKSPACE_ID = 1_234_567_890_123_456;

export const registryService: EmulatorService<RegistryState, RegistryEmulatorExports> = {
  name: "registry",
  init: () => ({ models: {} }),

  routes(router: Router) {
    router.post(UC, (req) => {
      requireFields(req.body, "catalog_name", "schema_name", "name");
      requireCreateModel(req, req.body.catalog_name, req.body.schema_name);
      const m = createModel(
        req.ctx,
        req.body.catalog_name,
        req.body.schema_name,
        req.body.name,
        req.body.comment,
      );
      if (req.body.storage_location) m.storage_location = String(req.body.storage_location);
      m.owner = req.caller.userName;
      return { body: modelView(m, true) };
    });
    router.get(UC, (req) => {
      const catalog = param(req, "catalog_name");
      const schema = param(req, "schema_name");
      if ((catalog === undefined) !== (schema === undefined)) {
        throw invalidParameter("Both catalog_name and schema_name must be specified, or neither.");
      }
      const all = Object.values(models(req.ctx))
        .filter(
          (m) =>
            catalog === undefined ||
            (m.catalog_name === catalog.toLowerCase() && m.schema_name === schema!.toLowerCase()),
        )
        .sort((a, b) => (a.full_name < b.full_name ? -1 : 1));
      const limits = catalog ? { default: 10_000, max: 10_000 } : { default: 100, max: 1000 };
      const page = pageOf(all, req.query.max_results, req.query.page_token, limits);
      return { body: { registered_models: page.items.map((m) => modelView(m, false)), ...tokenOf(page) } };
    });
    router.get(`${UC}/:full_name`, (req) => ({
      body: modelView(model(req.ctx, req.params.full_name!), req.query.include_aliases === "true"),
    }));
    router.patch(`${UC}/:full_name`, (req) => {
      const m = model(req.ctx, req.params.full_name!);
      const b = req.body ?? {};
      if (b.comment !== undefined) m.comment = String(b.comment);
      if (b.owner !== undefined) m.owner = String(b.owner);
      if (b.new_name !== undefined && b.new_name !== m.name) renameModel(req.ctx, m, String(b.new_name));
      m.updated_at = req.ctx.clock.now();
      return { body: modelView(m, true) };
    });
    router.delete(`${UC}/:full_name`, (req) => {
      const m = model(req.ctx, req.params.full_name!);
      for (const v of Object.values(m.versions)) deleteVersionFiles(req.ctx, m, v.version);
      delete models(req.ctx)[m.full_name];
      return { body: {} };
    });

    router.put(`${UC}/:full_name/aliases/:alias`, (req) => {
      const m = model(req.ctx, req.params.full_name!);
      const alias = checkAlias(req.params.alias!);
      const v = version(m, req.body?.version_num);
      m.aliases[alias] = v.version;
      m.updated_at = req.ctx.clock.now();
      return {
        body: {
          alias_name: alias,
          version_num: v.version,
          catalog_name: m.catalog_name,
          schema_name: m.schema_name,
          model_name: m.name,
          id: m.id,
        },
      };
    });
    router.delete(`${UC}/:full_name/aliases/:alias`, (req) => {
      const m = model(req.ctx, req.params.full_name!);
      const alias = req.params.alias!.toLowerCase();
      if (m.aliases[alias] === undefined)
        throw notFound(`Alias '${alias}' does not exist on model '${m.full_name}'.`);
      delete m.aliases[alias];
      return { body: {} };
    });
    router.get(`${UC}/:full_name/aliases/:alias`, (req) => {
      const m = model(req.ctx, req.params.full_name!);
      requireModelPrivilege(req, m.full_name, "EXECUTE");
      const alias = req.params.alias!.toLowerCase();
      const v = m.aliases[alias];
      if (v === undefined) throw notFound(`Alias '${alias}' does not exist on model '${m.full_name}'.`);
      return { body: versionView(m, m.versions[v]!, req.query.include_aliases === "true") };
    });

    router.get(`${UC}/:full_name/versions`, (req) => {
      const m = model(req.ctx, req.params.full_name!);
      requireModelPrivilege(req, m.full_name, "EXECUTE");
      const all = Object.values(m.versions).sort((a, b) => b.version - a.version);
      const page = pageOf(all, req.query.max_results, req.query.page_token, { default: 100, max: 1000 });
      return { body: { model_versions: page.items.map((v) => versionView(m, v, false)), ...tokenOf(page) } };
    });
    router.get(`${UC}/:full_name/versions/:version`, (req) => {
      const m = model(req.ctx, req.params.full_name!);
      requireModelPrivilege(req, m.full_name, "EXECUTE");
      return { body: versionView(m, version(m, req.params.version), req.query.include_aliases === "true") };
    });
    router.patch(`${UC}/:full_name/versions/:version`, (req) => {
      const m = model(req.ctx, req.params.full_name!);
      const v = version(m, req.params.version);
      if (req.body?.comment !== undefined) v.comment = String(req.body.comment);
      v.updated_at = req.ctx.clock.now();
      return { body: versionView(m, v, true) };
    });
    router.delete(`${UC}/:full_name/versions/:version`, (req) => {
      const m = model(req.ctx, req.params.full_name!);
      const v = version(m, req.params.version);
      deleteVersion(req.ctx, m, v);
      return { body: {} };
    });

    router.get(`${UC_MLFLOW}/registered-models:is-databricks-sdk-models-artifact-repository-enabled`, () => ({
      body: { is_databricks_sdk_models_artifact_repository_enabled: true },
    }));
    router.post(`${UC_MLFLOW}/registered-models/create`, (req) => {
      requireFields(req.body, "name");
      const name = splitName(String(req.body.name));
      requireCreateModel(req, name.catalog, name.schema);
      const m = createModel(req.ctx, name.catalog, name.schema, name.model, req.body.description);
      m.owner = req.caller.userName;
      for (const t of req.body.tags ?? []) m.tags.push({ key: String(t.key), value: String(t.value ?? "") });
      return { body: { registered_model: mlflowModelView(m) } };
    });
    router.get(`${UC_MLFLOW}/registered-models/get`, (req) => ({
      body: { registered_model: mlflowModelView(model(req.ctx, param(req, "name") ?? "")) },
    }));
    router.post(`${UC_MLFLOW}/model-versions/create`, (req) => {
      requireFields(req.body, "name", "source");
      const m = model(req.ctx, String(req.body.name));
      const v = createVersion(req.ctx, m, req.body);
      return { body: { model_version: mlflowVersionView(m, v) } };
    });
    router.post(`${UC_MLFLOW}/model-versions/finalize`, (req) => {
      requireFields(req.body, "name", "version");
      const m = model(req.ctx, String(req.body.name));
      const v = version(m, req.body.version);
      if (v.status === "FAILED_REGISTRATION") {
        throw invalidState(
          `Model version ${m.full_name}/${v.version} failed registration and cannot be finalized.`,
        );
      }
      if (v.status === "PENDING_REGISTRATION" && v.finalize_at === undefined) {
        v.finalize_at = req.ctx.clock.now() + FINALIZE_MS;
        v.updated_at = req.ctx.clock.now();
      }
      return { body: { model_version: mlflowVersionView(m, v) } };
    });
    router.get(`${UC_MLFLOW}/model-versions/get`, (req) => {
      const m = model(req.ctx, param(req, "name") ?? "");
      requireModelPrivilege(req, m.full_name, "EXECUTE");
      return { body: { model_version: mlflowVersionView(m, version(m, param(req, "version"))) } };
    });
    router.get(`${UC_MLFLOW}/model-versions/search`, (req) => searchVersions(req));
  },

  tick(ctx: EmulatorContext) {
    const now = ctx.clock.now();
    for (const m of Object.values(models(ctx))) {
      for (const v of Object.values(m.versions)) {
        if (v.status !== "PENDING_REGISTRATION" || v.finalize_at === undefined || v.finalize_at > now)
          continue;
        const problem = registrationProblem(ctx, m, v);
        v.status = problem ? "FAILED_REGISTRATION" : "READY";
        if (problem) v.status_message = problem;
        else delete v.status_message;
        v.updated_at = v.finalize_at;
        delete v.finalize_at;
      }
    }
  },

  exports(ctx: EmulatorContext): RegistryEmulatorExports {
    const find = (fullName: string, n: number) => {
      const m = models(ctx)[fullName.toLowerCase()];
      const v = m?.versions[String(n)];
      return m && v ? { m, v } : undefined;
    };
    return {
      getModelVersion: (fullName, n) => {
        const found = find(fullName, n);
        return found ? versionView(found.m, found.v, true) : undefined;
      },
      resolveAlias: (fullName, alias) => models(ctx)[fullName.toLowerCase()]?.aliases[alias.toLowerCase()],
      readModelFile: (fullName, n, relPath) => {
        const found = find(fullName, n);
        if (found?.v.status !== "READY") return undefined;
        const { m, v } = found;
        const root = modelVersionFilesRoot(m.catalog_name, m.schema_name, m.name, v.version);
        return ctx.service<FilesEmulatorExports>("files")?.read(`${root}/${relPath.replace(/^\/+/, "")}`);
      },
    };
  },
};

function models(ctx: EmulatorContext): Record<string, ModelRecord> {
  return ctx.state<RegistryState>("registry").models;
}

function tokenOf(page: { next_page_token?: string }) {
  return page.next_page_token ? { next_page_token: page.next_page_token } : {};
}

function splitName(fullName: string) {
  const name = parseFullName(fullName);
  if (!name) {
    throw invalidParameter(
      `Invalid model name '${fullName}': expected a three-level name catalog.schema.model.`,
    );
  }
  return name;
}

function model(ctx: EmulatorContext, fullName: string): ModelRecord {
  splitName(fullName);
  const m = models(ctx)[fullName.toLowerCase()];
  if (!m) throw notFound(`Routine or Model '${fullName}' does not exist.`);
  return m;
}

function version(m: ModelRecord, raw: unknown): VersionRecord {
  const s = String(raw ?? "");
  if (!/^\d+$/.test(s) || Number(s) < 1) throw invalidParameter(`Invalid model version number: '${s}'.`);
  const v = m.versions[String(Number(s))];
  if (!v) throw notFound(`Model version ${m.full_name}/${Number(s)} does not exist.`);
  return v;
}

function checkAlias(alias: string): string {
  const problem = ucNameProblem(alias);
  if (problem) throw invalidParameter(`Invalid alias '${alias}': ${problem}.`);
  // MLflow reserves these forms: they already mean "the latest" or "version N".
  if (/^(latest|v\d+)$/i.test(alias)) throw invalidParameter(`Alias '${alias}' is reserved.`);
  return alias.toLowerCase();
}

function createModel(
  ctx: EmulatorContext,
  catalog: string,
  schema: string,
  name: string,
  comment?: string,
): ModelRecord {
  for (const [label, part] of [
    ["catalog_name", catalog],
    ["schema_name", schema],
    ["name", name],
  ] as const) {
    const problem = ucNameProblem(String(part));
    if (problem) throw invalidParameter(`Invalid ${label} '${part}': ${problem}.`);
  }
  const [c, s, n] = [catalog, schema, name].map((p) => String(p).toLowerCase()) as [string, string, string];
  const full = `${c}.${s}.${n}`;
  if (models(ctx)[full]) throw alreadyExists(`Routine or Model '${full}' already exists.`);
  const now = ctx.clock.now();
  const id = randomUuid(ctx);
  const m: ModelRecord = {
    id,
    catalog_name: c,
    schema_name: s,
    name: n,
    full_name: full,
    owner: EMULATOR_USER,
    ...(comment !== undefined ? { comment: String(comment) } : {}),
    storage_location: `s3://brickml-emulator-metastore/${METASTORE_ID}/models/${id}`,
    created_at: now,
    created_by: EMULATOR_USER,
    updated_at: now,
    updated_by: EMULATOR_USER,
    tags: [],
    aliases: {},
    next_version: 1,
    versions: {},
  };
  models(ctx)[full] = m;
  return m;
}

function renameModel(ctx: EmulatorContext, m: ModelRecord, newName: string): void {
  const problem = ucNameProblem(newName);
  if (problem) throw invalidParameter(`Invalid new_name '${newName}': ${problem}.`);
  const lower = newName.toLowerCase();
  const full = `${m.catalog_name}.${m.schema_name}.${lower}`;
  if (models(ctx)[full]) throw alreadyExists(`Routine or Model '${full}' already exists.`);
  const files = ctx.service<FilesEmulatorExports>("files");
  for (const v of Object.values(m.versions)) {
    const from = modelVersionFilesRoot(m.catalog_name, m.schema_name, m.name, v.version);
    const to = modelVersionFilesRoot(m.catalog_name, m.schema_name, lower, v.version);
    for (const path of files?.list(from) ?? []) {
      files!.write(`${to}${path.slice(from.length)}`, files!.read(path)!);
      files!.delete(path);
    }
  }
  delete models(ctx)[m.full_name];
  m.name = lower;
  m.full_name = full;
  models(ctx)[full] = m;
}

function createVersion(ctx: EmulatorContext, m: ModelRecord, body: Record<string, any>): VersionRecord {
  const now = ctx.clock.now();
  const id = randomUuid(ctx);
  const v: VersionRecord = {
    version: m.next_version++,
    id,
    source: String(body.source),
    ...(body.run_id ? { run_id: String(body.run_id) } : {}),
    ...(body.description !== undefined ? { comment: String(body.description) } : {}),
    status: "PENDING_REGISTRATION",
    storage_location: `${m.storage_location}/versions/${id}`,
    created_at: now,
    created_by: EMULATOR_USER,
    updated_at: now,
    updated_by: EMULATOR_USER,
    tags: (Array.isArray(body.tags) ? body.tags : []).map((t: KeyValue) => ({
      key: String(t.key),
      value: String(t.value ?? ""),
    })),
  };
  m.versions[String(v.version)] = v;
  return v;
}

function deleteVersion(ctx: EmulatorContext, m: ModelRecord, v: VersionRecord): void {
  for (const [alias, n] of Object.entries(m.aliases)) if (n === v.version) delete m.aliases[alias];
  deleteVersionFiles(ctx, m, v.version);
  delete m.versions[String(v.version)];
}

function deleteVersionFiles(ctx: EmulatorContext, m: ModelRecord, n: number): void {
  const files = ctx.service<FilesEmulatorExports>("files");
  const root = modelVersionFilesRoot(m.catalog_name, m.schema_name, m.name, n);
  for (const path of files?.list(root) ?? []) files!.delete(path);
}

/** Why a finalized version cannot become READY, or undefined when its files are complete. */
function registrationProblem(ctx: EmulatorContext, m: ModelRecord, v: VersionRecord): string | undefined {
  const files = ctx.service<FilesEmulatorExports>("files");
  if (!files) return undefined;
  const root = modelVersionFilesRoot(m.catalog_name, m.schema_name, m.name, v.version);
  const mlmodel = files.read(`${root}/MLmodel`);
  if (!mlmodel) return `No MLmodel file was uploaded to ${root}; upload the model files before finalizing.`;
  const problem = signatureProblem(parseMlmodel(mlmodel.toString("utf8")));
  return problem
    ? `Model versions in Unity Catalog must have a signature with inputs and outputs, but ${problem}.`
    : undefined;
}

function aliasesOf(m: ModelRecord, n?: number) {
  return Object.entries(m.aliases)
    .filter(([, v]) => n === undefined || v === n)
    .map(([alias_name, version_num]) => ({ alias_name, version_num }));
}

function modelView(m: ModelRecord, withAliases: boolean) {
  return {
    name: m.name,
    catalog_name: m.catalog_name,
    schema_name: m.schema_name,
    full_name: m.full_name,
    owner: m.owner,
    id: m.id,
    metastore_id: METASTORE_ID,
    created_at: m.created_at,
    created_by: m.created_by,
    updated_at: m.updated_at,
    updated_by: m.updated_by,
    storage_location: m.storage_location,
    securable_type: "FUNCTION",
    securable_kind: "FUNCTION_REGISTERED_MODEL",
    ...(m.comment !== undefined ? { comment: m.comment } : {}),
    ...(withAliases ? { aliases: aliasesOf(m) } : {}),
  };
}

function versionView(m: ModelRecord, v: VersionRecord, withAliases: boolean) {
  return {
    model_name: m.name,
    catalog_name: m.catalog_name,
    schema_name: m.schema_name,
    ...(v.comment !== undefined ? { comment: v.comment } : {}),
    source: v.source,
    ...(v.run_id ? { run_id: v.run_id, run_workspace_id: WORKSPACE_ID } : {}),
    version: v.version,
    status: v.status,
    id: v.id,
    metastore_id: METASTORE_ID,
    created_at: v.created_at,
    created_by: v.created_by,
    updated_at: v.updated_at,
    updated_by: v.updated_by,
    storage_location: v.storage_location,
    ...(withAliases ? { aliases: aliasesOf(m, v.version) } : {}),
  };
}

function mlflowModelView(m: ModelRecord) {
  return {
    name: m.full_name,
    creation_timestamp: m.created_at,
    last_updated_timestamp: m.updated_at,
    user_id: m.created_by,
    ...(m.comment !== undefined ? { description: m.comment } : {}),
    aliases: aliasesOf(m).map((a) => ({ alias: a.alias_name, version: String(a.version_num) })),
    tags: m.tags.map((t) => ({ ...t })),
  };
}

function mlflowVersionView(m: ModelRecord, v: VersionRecord) {
  return {
    name: m.full_name,
    version: String(v.version),
    creation_timestamp: v.created_at,
    last_updated_timestamp: v.updated_at,
    user_id: v.created_by,
    ...(v.comment !== undefined ? { description: v.comment } : {}),
    source: v.source,
    ...(v.run_id ? { run_id: v.run_id } : {}),
    status: v.status,
    ...(v.status_message ? { status_message: v.status_message } : {}),
    storage_location: v.storage_location,
    aliases: aliasesOf(m, v.version).map((a) => ({ alias: a.alias_name, version: String(a.version_num) })),
    tags: v.tags.map((t) => ({ ...t })),
  };
}

/** `model-versions/search`: one condition, `name='…'` or `run_id='…'`, as the server allows. */
function searchVersions(req: EmuRequest) {
  const filter = param(req, "filter") ?? "";
  const conditions = parseFilter(filter);
  const c = conditions[0];
  if (conditions.length !== 1 || c?.op !== "=" || !["name", "run_id"].includes(c.key)) {
    throw invalidParameter(
      `Unsupported filter '${filter}': model version search takes one condition, name='<model name>' or run_id='<run id>'.`,
    );
  }
  const all: Array<{ m: ModelRecord; v: VersionRecord }> = [];
  if (c.key === "name") {
    const m = models(req.ctx)[String(c.value).toLowerCase()];
    for (const v of Object.values(m?.versions ?? {})) all.push({ m: m!, v });
  } else {
    for (const m of Object.values(models(req.ctx))) {
      for (const v of Object.values(m.versions)) if (v.run_id === String(c.value)) all.push({ m, v });
    }
  }
  all.sort((a, b) =>
    a.m.full_name === b.m.full_name ? b.v.version - a.v.version : a.m.full_name < b.m.full_name ? -1 : 1,
  );
  const page = pageOf(all, param(req, "max_results"), param(req, "page_token"), {
    default: 10_000,
    max: 10_000,
  });
  return {
    body: { model_versions: page.items.map(({ m, v }) => mlflowVersionView(m, v)), ...tokenOf(page) },
  };
}
