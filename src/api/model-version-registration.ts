import { randomUUID } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { isNotFound, ValidationError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseNeeded } from "../core/validation.js";
import { isAmbiguousFailure } from "./ambiguous-failure.js";
import { filesPathOfArtifactUri, modelVersionFilesRoot, parseRunsUri } from "./artifact-location.js";
import { FilesAPI } from "./files.js";
import { parseMlmodel, signatureProblem } from "./mlmodel.js";
import { modelPath } from "./registered-models.js";
import { RunsAPI, runArtifactUri } from "./runs.js";
import { parseFullName, wireVersion } from "./uc-names.js";

/** Tag that marks the version one registration call created, so a lost answer can be found again. */
export const REGISTRATION_TAG = "brickml.registration_id";

const UC_MLFLOW = "/api/2.0/mlflow/unity-catalog";
/** Ambiguous create failures looked up and retried at most this many times. */
const CREATE_ATTEMPTS = 3;

const mlflowModelVersion = z.looseObject({
  name: z.string().optional(),
  version: wireVersion,
  status: z.string().optional(),
  status_message: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  storage_location: z.string().optional(),
  tags: z.array(z.looseObject({ key: z.string(), value: z.string().optional() })).optional(),
});
const modelVersionResponse = z.looseObject({ model_version: mlflowModelVersion });
const searchResponse = z.looseObject({
  model_versions: z.array(mlflowModelVersion).optional(),
  next_page_token: z.string().optional(),
});

/** A model version as the MLflow Unity Catalog endpoints return it (version already a number). */
export type MlflowModelVersion = z.output<typeof mlflowModelVersion>;

export interface RegistrationInput {
  name: string;
  source: string;
  run_id?: string | undefined;
  tags?: Array<{ key: string; value: string }> | undefined;
  /**
   * The same id, the same version: the version registered under it before (its registration
   * finished when an earlier call was interrupted) instead of a new one. Sent as the
   * `brickml.registration_id` tag; without it, each call registers a new version.
   */
  registration_id?: string | undefined;
  [field: string]: unknown;
}

/**
 * Creates a Unity Catalog model version the way MLflow does: check the model's signature, create
 * the version (PENDING_REGISTRATION), upload its files through the Files API to
 * `/Models/<catalog>/<schema>/<model>/<version>/…`, then finalize it.
 */
export class ModelVersionRegistration extends Service {
  async register(input: RegistrationInput, options?: RequestOptions): Promise<MlflowModelVersion> {
    const { registration_id: given, ...request } = input;
    const { source, run_id, filesRoot } = await this.resolveSource(request.source, request.run_id, options);
    await this.checkSignature(filesRoot, request.source, options);
    const files = await this.listFiles(filesRoot, options);
    const body = { ...request, source, ...(run_id ? { run_id } : {}) };
    const upload = (version: MlflowModelVersion) =>
      this.uploadAndFinalize(request.name, version.version, files, filesRoot, options);
    if (given === undefined) {
      const registrationId = randomUUID();
      const created = await this.createOnce(
        withRegistrationTag(body, registrationId),
        registrationId,
        options,
      );
      try {
        return await upload(created);
      } catch (error) {
        // Leave no half-uploaded version behind; the original failure is what the caller needs.
        await this.deleteVersion(request.name, created.version, options);
        throw error;
      }
    }
    return this.registerKeyed(body, given, upload, options);
  }

  /**
   * The version registered under `registrationId`: the oldest one not FAILED_REGISTRATION, so
   * racing calls that each created one agree on the same. Undefined when there is none.
   */
  async findRegistration(
    name: string,
    registrationId: string,
    runId: string | undefined,
    options?: RequestOptions,
  ): Promise<MlflowModelVersion | undefined> {
    const tagged = await this.registrations(name, registrationId, runId, options);
    return tagged.find((v) => v.status !== "FAILED_REGISTRATION");
  }

  /**
   * Find, finish or create the version of `registrationId`. A version left PENDING_REGISTRATION
   * by an interrupted call gets its files again and is finalized; FAILED_REGISTRATION ones are
   * replaced. When racing calls each created one, the later ones delete theirs and finish the
   * oldest.
   */
  private async registerKeyed(
    body: RegistrationInput,
    registrationId: string,
    upload: (version: MlflowModelVersion) => Promise<MlflowModelVersion>,
    options?: RequestOptions,
  ): Promise<MlflowModelVersion> {
    const runId = body.run_id;
    for (let attempt = 1; ; attempt++) {
      const tagged = await this.registrations(body.name, registrationId, runId, options);
      for (const failed of tagged.filter((v) => v.status === "FAILED_REGISTRATION"))
        await this.deleteVersion(body.name, failed.version, options);
      let version = tagged.find((v) => v.status !== "FAILED_REGISTRATION");
      if (!version) {
        const created = await this.createOnce(
          withRegistrationTag(body, registrationId),
          registrationId,
          options,
        );
        const oldest = await this.findRegistration(body.name, registrationId, runId, options);
        if (oldest && oldest.version < created.version) {
          // Another call registered the same first: keep one version.
          await this.deleteVersion(body.name, created.version, options);
          version = oldest;
        } else version = created;
      }
      if (version.status === "READY") return version;
      try {
        return await upload(version);
      } catch (error) {
        // Another call may have finished the version meanwhile (its files are then read-only),
        // or given it up: look again before failing.
        const now = await this.findRegistration(body.name, registrationId, runId, options);
        if (now?.status === "READY") return now;
        if (attempt >= CREATE_ATTEMPTS || (now && !isNotFound(error))) throw error;
      }
    }
  }

  /** Uploads the model files into the version's folder, then finalizes it. */
  private async uploadAndFinalize(
    name: string,
    version: number,
    files: string[],
    filesRoot: string,
    options?: RequestOptions,
  ): Promise<MlflowModelVersion> {
    // Unity Catalog stores names in lower case, and so the files' folder.
    const stored = parseFullName(name.toLowerCase())!;
    const dest = modelVersionFilesRoot(stored.catalog, stored.schema, stored.model, version);
    for (const file of files) {
      await this.files.upload(
        {
          file_path: `${dest}/${file.slice(filesRoot.length + 1)}`,
          contents: await this.openSource(file, options),
          overwrite: true,
        },
        options,
      );
    }
    const res = await this.request(
      {
        method: "POST",
        path: `${UC_MLFLOW}/model-versions/finalize`,
        body: { name, version: String(version) },
        idempotent: true,
      },
      options,
    );
    return parseNeeded(modelVersionResponse, res, "model-versions/finalize response").model_version;
  }

  private async deleteVersion(name: string, version: number, options?: RequestOptions): Promise<void> {
    await this.request(
      { method: "DELETE", path: `${modelPath(name)}/versions/${version}` },
      { ...options, maxRetries: 1 },
    ).catch(() => undefined);
  }

  private get files(): FilesAPI {
    return new FilesAPI(this.ctx);
  }

  /** The artifact URI to record as the version's source, its run, and its Files API folder. */
  private async resolveSource(
    source: string,
    runId: string | undefined,
    options?: RequestOptions,
  ): Promise<{ source: string; run_id: string | undefined; filesRoot: string }> {
    const runsUri = parseRunsUri(source);
    let resolved = source;
    let run_id = runId;
    if (runsUri) {
      if (runId && runId !== runsUri.run_id) {
        throw new ValidationError("modelVersions.create request", [
          { path: "run_id", message: `does not match the run in source (${runsUri.run_id})` },
        ]);
      }
      run_id = runsUri.run_id;
      const res = await new RunsAPI(this.ctx).get({ run_id }, options);
      const { run } = parseNeeded(runArtifactUri, res, "runs.get response");
      const base = (run.info.artifact_uri ?? "").replace(/\/+$/, "");
      resolved = runsUri.path ? `${base}/${runsUri.path}` : base;
    }
    const filesRoot = filesPathOfArtifactUri(resolved)?.replace(/\/+$/, "");
    if (!filesRoot) {
      throw new ValidationError("modelVersions.create request", [
        {
          path: "source",
          message:
            `cannot read model files from ${JSON.stringify(resolved)}; use runs:/<run_id>/<path>, ` +
            "dbfs:/databricks/mlflow-tracking/… or a /Volumes/… folder",
        },
      ]);
    }
    return { source: resolved, run_id, filesRoot };
  }

  private async checkSignature(filesRoot: string, source: string, options?: RequestOptions): Promise<void> {
    let text: string;
    try {
      text = (await this.files.downloadBuffer({ file_path: `${filesRoot}/MLmodel` }, options)).toString(
        "utf8",
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw new ValidationError("modelVersions.create request", [
        {
          path: "source",
          message: `${source} holds no MLmodel file; point it at the folder of a logged MLflow model, e.g. runs:/<run_id>/model`,
        },
      ]);
    }
    const problem = signatureProblem(parseMlmodel(text));
    if (problem) {
      throw new ValidationError("modelVersions.create request", [
        {
          path: "source",
          message:
            `the model at ${source} cannot go to Unity Catalog: ${problem}. Unity Catalog requires a model ` +
            "signature with both inputs and outputs; log the model again with one, e.g. " +
            "mlflow.<flavor>.log_model(model, name, signature=infer_signature(X, model.predict(X))) " +
            "or with an input_example, then register that model",
        },
      ]);
    }
  }

  /** Absolute paths of every file under a folder, depth first. */
  private async listFiles(root: string, options?: RequestOptions): Promise<string[]> {
    const out: string[] = [];
    for await (const entry of this.files.listDirectoryContents({ directory_path: root }, options)) {
      if (entry.is_directory) out.push(...(await this.listFiles(entry.path.replace(/\/+$/, ""), options)));
      else out.push(entry.path);
    }
    return out;
  }

  /**
   * `model-versions/create` is not idempotent on the server. When its answer is lost, the version
   * may exist: look for the registration tag before sending the create again.
   */
  private async createOnce(
    body: Record<string, unknown>,
    registrationId: string,
    options?: RequestOptions,
  ): Promise<MlflowModelVersion> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.request(
          { method: "POST", path: `${UC_MLFLOW}/model-versions/create`, body, idempotent: false },
          options,
        );
        return parseNeeded(modelVersionResponse, res, "model-versions/create response").model_version;
      } catch (error) {
        if (!isAmbiguousFailure(error) || attempt >= CREATE_ATTEMPTS) throw error;
        const name = String(body.name);
        const runId = typeof body.run_id === "string" ? body.run_id : undefined;
        const [found] = await this.registrations(name, registrationId, runId, options);
        if (found) return found;
      }
    }
  }

  /** Versions of `name` tagged with `registrationId`, oldest first. */
  private async registrations(
    name: string,
    registrationId: string,
    runId: string | undefined,
    options?: RequestOptions,
  ): Promise<MlflowModelVersion[]> {
    const quote = (v: string) => `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    const filter = `name=${quote(name)}`;
    const versions = tokenPaginated<MlflowModelVersion>(async (page_token) => {
      const res = await this.request(
        { method: "GET", path: `${UC_MLFLOW}/model-versions/search`, query: { filter, page_token } },
        options,
      );
      return parseNeeded(searchResponse, res, "model-versions/search response");
    }, "model_versions");
    const out: MlflowModelVersion[] = [];
    for await (const v of versions) {
      if (runId !== undefined && v.run_id !== undefined && v.run_id !== runId) continue;
      // Search results may omit tags; read the version itself then.
      const tags = v.tags ?? (await this.getMlflowVersion(name, v.version, options)).tags ?? [];
      if (tags.some((t) => t.key === REGISTRATION_TAG && t.value === registrationId)) out.push(v);
    }
    return out.sort((a, b) => a.version - b.version);
  }

  private async getMlflowVersion(
    name: string,
    version: number,
    options?: RequestOptions,
  ): Promise<MlflowModelVersion> {
    const res = await this.request(
      { method: "GET", path: `${UC_MLFLOW}/model-versions/get`, query: { name, version: String(version) } },
      options,
    );
    return parseNeeded(modelVersionResponse, res, "model-versions/get response").model_version;
  }

  /**
   * A body factory for copying a remote file. The first download is opened here, so a missing
   * or unreadable source fails as itself before the upload starts; a retried upload opens the
   * source again.
   */
  private async openSource(path: string, options?: RequestOptions): Promise<() => Readable> {
    let first: Readable | undefined = (await this.files.download({ file_path: path }, options)).contents;
    return () => {
      const opened = first ?? this.streamFile(path, options);
      first = undefined;
      return opened;
    };
  }

  /** A stream of a remote file, started when the upload asks for its body. */
  private streamFile(path: string, options?: RequestOptions): Readable {
    const out = new PassThrough();
    this.files
      .download({ file_path: path }, options)
      .then(({ contents }) => pipeline(contents, out))
      .catch((error: Error) => out.destroy(error));
    return out;
  }
}

function withRegistrationTag(body: RegistrationInput, registrationId: string): RegistrationInput {
  return { ...body, tags: [...(body.tags ?? []), { key: REGISTRATION_TAG, value: registrationId }] };
}
