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
  [field: string]: unknown;
}

/**
 * Creates a Unity Catalog model version the way MLflow does: check the model's signature, create
 * the version (PENDING_REGISTRATION), upload its files through the Files API to
 * `/Models/<catalog>/<schema>/<model>/<version>/…`, then finalize it.
 */
export class ModelVersionRegistration extends Service {
  async register(input: RegistrationInput, options?: RequestOptions): Promise<MlflowModelVersion> {
    const target = parseFullName(input.name)!;
    const { source, run_id, filesRoot } = await this.resolveSource(input.source, input.run_id, options);
    await this.checkSignature(filesRoot, input.source, options);
    const files = await this.listFiles(filesRoot, options);

    const registrationId = randomUUID();
    const created = await this.createOnce(
      {
        ...input,
        source,
        ...(run_id ? { run_id } : {}),
        tags: [...(input.tags ?? []), { key: REGISTRATION_TAG, value: registrationId }],
      },
      registrationId,
      options,
    );
    const version = created.version;
    // The server's spelling of the name (Unity Catalog stores names in lower case).
    const stored = parseFullName(created.name ?? "") ?? target;
    try {
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
    } catch (error) {
      // Leave no half-uploaded version behind; the original failure is what the caller needs.
      await this.request(
        { method: "DELETE", path: `${modelPath(input.name)}/versions/${version}` },
        { ...options, maxRetries: 1 },
      ).catch(() => undefined);
      throw error;
    }
    const res = await this.request(
      {
        method: "POST",
        path: `${UC_MLFLOW}/model-versions/finalize`,
        body: { name: input.name, version: String(version) },
        idempotent: true,
      },
      options,
    );
    return parseNeeded(modelVersionResponse, res, "model-versions/finalize response").model_version;
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
        const found = await this.findRegistration(
          String(body.name),
          String(body.source),
          registrationId,
          options,
        );
        if (found) return found;
      }
    }
  }

  private async findRegistration(
    name: string,
    source: string,
    registrationId: string,
    options?: RequestOptions,
  ): Promise<MlflowModelVersion | undefined> {
    const filter = `name='${name.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    const versions = tokenPaginated<MlflowModelVersion>(async (page_token) => {
      const res = await this.request(
        { method: "GET", path: `${UC_MLFLOW}/model-versions/search`, query: { filter, page_token } },
        options,
      );
      return parseNeeded(searchResponse, res, "model-versions/search response");
    }, "model_versions");
    for await (const v of versions) {
      if (v.source !== undefined && v.source !== source) continue;
      // Search results may omit tags; read the version itself then.
      const tags = v.tags ?? (await this.getMlflowVersion(name, v.version, options)).tags ?? [];
      if (tags.some((t) => t.key === REGISTRATION_TAG && t.value === registrationId)) return v;
    }
    return undefined;
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
