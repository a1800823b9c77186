import { filesPathOfArtifactUri, modelVersionFilesRoot, parseRunsUri } from "../api/artifact-location.js";
import { parseMlmodel } from "../api/mlmodel.js";
import { type ModelSignature, parseSignature } from "../api/mlmodel-signature.js";
import { parseFullName } from "../api/uc-names.js";
import type { Databricks } from "../client.js";
import { BrickmlError, type FieldIssue, isNotFound, ValidationError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { paramIssues, rowIssues } from "../data/signature-check.js";
import type { PredictOptions, ServingEndpoint } from "./serving-endpoint.js";

/**
 * Predictions checked against the model's own MLflow signature: the signature of each served
 * version is read from its MLmodel file (through the registry and the Files API), and every row is
 * checked before anything is sent.
 */

/** One model version and the signature its MLmodel declares. */
export interface VersionSignature {
  /** `catalog.schema.model` (or a workspace-registry model name). */
  model: string;
  version: string;
  /** Its served-entity name, when read from an endpoint. */
  entity?: string | undefined;
  signature: ModelSignature;
}

/** Predict options whose `params` are typed by the signature. */
export type TypedPredictOptions<P> = Omit<PredictOptions, "params" | "as" | "column"> & { params?: P };

/** Problems listed in one error at most; the rest are counted. */
const MAX_ISSUES = 10;

/** An endpoint handle whose `predict` refuses rows the served signatures do not accept. */
export class TypedEndpoint<I = Record<string, unknown>, O = unknown, P = Record<string, unknown>> {
  constructor(
    readonly endpoint: ServingEndpoint,
    /** The served versions and their signatures, as read when the handle was made. */
    readonly served: readonly VersionSignature[],
    /** Send every request to this served entity (and check only its signature). */
    private readonly entity?: string,
  ) {}

  get name(): string {
    return this.endpoint.name;
  }

  /**
   * Throws a `ValidationError` naming each bad row and column (for every served version whose
   * signature the row does not fit); returns when all rows fit.
   */
  check(rows: readonly I[], options: { params?: P; served_model_name?: string } = {}): void {
    const entity = options.served_model_name ?? this.entity;
    const against = entity ? this.served.filter((s) => s.entity === entity) : this.served;
    if (entity && against.length === 0) {
      throw new ValidationError(`predict options for serving endpoint ${this.name}`, [
        {
          path: "served_model_name",
          message: `${entity} is not served here; served: ${this.served.map((s) => s.entity).join(", ")}`,
        },
      ]);
    }
    checkRows(against, rows, options.params, `predict input for serving endpoint ${this.name}`);
  }

  /** Checks every row (nothing is sent when one fails), then predicts as `ServingEndpoint.predict`. */
  async predict(rows: readonly I[], options: TypedPredictOptions<P> = {}): Promise<O[]> {
    const { params, ...rest } = options;
    const served_model_name = rest.served_model_name ?? this.entity;
    this.check(rows, { ...(params ? { params } : {}), ...(served_model_name ? { served_model_name } : {}) });
    return this.endpoint.predict<O>(rows as unknown as Array<Record<string, unknown>>, {
      ...rest,
      ...(params ? { params: params as Record<string, unknown> } : {}),
      ...(served_model_name ? { served_model_name } : {}),
    });
  }
}

/** A model version's signature, to check rows with or to predict on an endpoint serving it. */
export class TypedModelVersion<I = Record<string, unknown>, O = unknown, P = Record<string, unknown>> {
  constructor(
    private readonly db: Databricks,
    readonly signed: VersionSignature,
  ) {}

  get signature(): ModelSignature {
    return this.signed.signature;
  }

  check(rows: readonly I[], options: { params?: P } = {}): void {
    checkRows([this.signed], rows, options.params, "rows");
  }

  /** A typed handle on an endpoint that serves this version, whose requests go to this version only. */
  async on(endpointName: string, options?: RequestOptions): Promise<TypedEndpoint<I, O, P>> {
    const e = await this.db.servingEndpoints.get({ name: endpointName }, options);
    const entity = servedVersions(e).find(
      (s) => s.model.toLowerCase() === this.signed.model.toLowerCase() && s.version === this.signed.version,
    );
    if (!entity) {
      throw new BrickmlError(
        `Serving endpoint ${endpointName} does not serve ${this.signed.model} version ${this.signed.version}; deploy it or canary it there first`,
      );
    }
    return new TypedEndpoint<I, O, P>(
      this.db.endpoint(endpointName),
      [{ ...this.signed, entity: entity.entity }],
      entity.entity,
    );
  }
}

export async function typedEndpoint<I, O, P>(
  db: Databricks,
  endpoint: ServingEndpoint,
  options?: RequestOptions,
): Promise<TypedEndpoint<I, O, P>> {
  return new TypedEndpoint<I, O, P>(endpoint, await endpointSignatures(db, endpoint.name, options));
}

export async function typedModelVersion<I, O, P>(
  db: Databricks,
  model: string,
  version: number,
  options?: RequestOptions,
): Promise<TypedModelVersion<I, O, P>> {
  const signature = await readVersionSignature(db, model, String(version), options);
  return new TypedModelVersion<I, O, P>(db, { model, version: String(version), signature });
}

/** The signatures of every model version an endpoint serves (the pending config's when it has no config yet). */
export async function endpointSignatures(
  db: Databricks,
  name: string,
  options?: RequestOptions,
): Promise<VersionSignature[]> {
  const served = servedVersions(await db.servingEndpoints.get({ name }, options), name);
  if (served.length === 0) {
    throw new BrickmlError(`Serving endpoint ${name} serves no model version yet; deploy one first`);
  }
  const read = new Map<string, Promise<ModelSignature>>();
  for (const s of served) {
    const key = `${s.model.toLowerCase()}/${s.version}`;
    if (!read.has(key)) read.set(key, readVersionSignature(db, s.model, s.version, options));
  }
  return Promise.all(
    served.map(async (s) => ({ ...s, signature: await read.get(`${s.model.toLowerCase()}/${s.version}`)! })),
  );
}

type Endpoint = Awaited<ReturnType<Databricks["servingEndpoints"]["get"]>>;

function servedVersions(
  e: Endpoint,
  name?: string,
): Array<{ entity: string; model: string; version: string }> {
  const config = e.config ?? e.pending_config;
  const entities = (config?.served_entities ?? []).map((s) => ({
    entity: s.name,
    model: s.entity_name,
    version: s.entity_version,
    other: s.external_model !== undefined || s.foundation_model !== undefined,
  }));
  const legacy = ((config?.served_models ?? []) as Array<Record<string, unknown>>).map((s) => ({
    entity: typeof s.name === "string" ? s.name : undefined,
    model: typeof s.model_name === "string" ? s.model_name : undefined,
    version: s.model_version === undefined ? undefined : String(s.model_version),
    other: false,
  }));
  return [...entities, ...legacy].map((s) => {
    if (s.other || !s.model || !s.version) {
      throw new BrickmlError(
        `Serving endpoint ${name ?? e.name} serves ${s.entity ?? "an entity"}, which is not a registered model version and has no MLflow signature; typed() works on endpoints that serve registered models`,
      );
    }
    return {
      entity: s.entity ?? `${s.model.split(".").pop()}-${s.version}`,
      model: s.model,
      version: s.version,
    };
  });
}

/** Reads and parses the signature in a model version's MLmodel file. */
export async function readVersionSignature(
  db: Databricks,
  model: string,
  version: string,
  options?: RequestOptions,
): Promise<ModelSignature> {
  const label = `${model} version ${version}`;
  const mlmodel = parseMlmodel(await readMlmodel(db, model, version, options));
  if (!mlmodel.signature?.inputs) {
    throw new BrickmlError(
      `${label} has no input signature in its MLmodel; log the model with one, e.g. mlflow.<flavor>.log_model(model, name, signature=infer_signature(X, model.predict(X)))`,
    );
  }
  return parseSignature(mlmodel.signature, label);
}

/**
 * The MLmodel text of a model version. Unity Catalog keeps a version's files under
 * `/Models/<catalog>/<schema>/<model>/<version>/` in the Files API; the version's source (the run's
 * artifacts) is the fallback, and the only place for workspace-registry versions.
 */
async function readMlmodel(db: Databricks, model: string, version: string, options?: RequestOptions) {
  const folders: string[] = [];
  let source: string | undefined;
  const uc = parseFullName(model);
  if (uc) {
    const info = await db.modelVersions.get({ full_name: model, version: Number(version) }, options);
    folders.push(
      modelVersionFilesRoot(
        info.catalog_name ?? uc.catalog,
        info.schema_name ?? uc.schema,
        info.model_name ?? uc.model,
        Number(version),
      ),
    );
    source = info.source;
  } else {
    source = (await db.modelRegistry.getModelVersion({ name: model, version: Number(version) }, options))
      .model_version?.source;
  }
  const fromSource = source ? await sourceFolder(db, source, options) : undefined;
  if (fromSource && !folders.includes(fromSource)) folders.push(fromSource);
  for (const folder of folders) {
    try {
      return (await db.files.downloadBuffer({ file_path: `${folder}/MLmodel` }, options)).toString("utf8");
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  throw new BrickmlError(
    `Cannot read the MLmodel of ${model} version ${version}: not found at ${folders.map((f) => `${f}/MLmodel`).join(" or ") || "any Files API path"}` +
      (source && !fromSource ? ` (its source ${source} is outside the Files API)` : "") +
      "; download the MLmodel file and give its path to `brickml types` instead",
  );
}

async function sourceFolder(db: Databricks, source: string, options?: RequestOptions) {
  const runs = parseRunsUri(source);
  if (!runs) return filesPathOfArtifactUri(source)?.replace(/\/+$/, "");
  const { run } = await db.runs.get({ run_id: runs.run_id }, options);
  const base = filesPathOfArtifactUri(String(run?.info?.artifact_uri ?? ""));
  return base ? `${base}${runs.path ? `/${runs.path}` : ""}` : undefined;
}

/** Who a signature belongs to, in messages. */
export function describeVersion(s: Pick<VersionSignature, "model" | "version" | "entity">): string {
  return `${s.model}${s.version ? ` v${s.version}` : ""}${s.entity ? ` (served as ${s.entity})` : ""}`;
}

/**
 * Versions that share one signature, in first-served order: a canary whose signature did not
 * change is checked once.
 */
export function groupBySignature(served: readonly VersionSignature[]): Array<{
  label: string;
  versions: VersionSignature[];
  signature: ModelSignature;
}> {
  const groups = new Map<string, VersionSignature[]>();
  for (const s of served) {
    const key = JSON.stringify(s.signature);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((versions) => ({
    label: versions.map(describeVersion).join(", "),
    versions,
    signature: versions[0]!.signature,
  }));
}

function checkRows(
  served: readonly VersionSignature[],
  rows: readonly unknown[],
  params: unknown,
  what: string,
) {
  if (!Array.isArray(rows)) {
    throw new ValidationError(what, [{ path: "rows", message: "must be an array of rows" }]);
  }
  const groups = groupBySignature(served);
  // The same problem in several signatures is reported once, with the versions it concerns.
  const found = new Map<string, { issue: FieldIssue; labels: string[] }>();
  for (const g of groups) {
    const issues = [
      ...(g.signature.inputs ? rowIssues(g.signature.inputs, rows) : []),
      ...(params && typeof params === "object"
        ? paramIssues(g.signature.params, params as Record<string, unknown>)
        : []),
    ];
    for (const issue of issues) {
      const key = `${issue.path}\u0000${issue.message}`;
      const seen = found.get(key);
      if (seen) seen.labels.push(g.label);
      else found.set(key, { issue, labels: [g.label] });
    }
  }
  if (found.size === 0) return;
  const all = [...found.values()].sort((a, b) => rowOf(a.issue.path) - rowOf(b.issue.path));
  const issues = all.slice(0, MAX_ISSUES).map(({ issue, labels }) => ({
    path: issue.path,
    message:
      groups.length === 1
        ? issue.message
        : `${issue.message} [${labels.length === groups.length ? "every served version" : labels.join("; ")}]`,
  }));
  if (all.length > MAX_ISSUES)
    issues.push({ path: "rows", message: `and ${all.length - MAX_ISSUES} more problems` });
  throw new ValidationError(
    `${what}, checked against the signature of ${groups.map((g) => g.label).join(" and ")}`,
    issues,
  );
}

function rowOf(path: string): number {
  const m = /^rows\[(\d+)\]/.exec(path);
  return m ? Number(m[1]) : -1;
}
