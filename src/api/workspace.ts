import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { ValidationError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import { Paginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, validate } from "../core/validation.js";
import {
  MAX_WORKSPACE_OBJECT_BYTES,
  type NotebookLanguage,
  type ObjectInfo,
  ObjectInfoSchema,
  type WorkspaceDeleteRequest,
  WorkspaceDeleteRequestSchema,
  type WorkspaceExportRequest,
  WorkspaceExportRequestSchema,
  type WorkspaceExportResponse,
  WorkspaceExportResponseSchema,
  type WorkspaceFormat,
  type WorkspaceImportRequest,
  WorkspaceImportRequestSchema,
  type WorkspaceListRequest,
  WorkspaceListRequestSchema,
  WorkspaceListResponseSchema,
  type WorkspacePathRequest,
  WorkspacePathRequestSchema,
} from "./workspace-schemas.js";

export * from "./workspace-schemas.js";

const BASE = "/api/2.0/workspace";

/** How a local file is imported, by extension. */
const BY_EXTENSION: Record<string, { format: WorkspaceFormat; language?: NotebookLanguage }> = {
  ".py": { format: "SOURCE", language: "PYTHON" },
  ".sql": { format: "SOURCE", language: "SQL" },
  ".scala": { format: "SOURCE", language: "SCALA" },
  ".r": { format: "SOURCE", language: "R" },
  ".ipynb": { format: "JUPYTER" },
  ".dbc": { format: "DBC" },
};

export interface UploadNotebookOptions {
  /** Replace a notebook already at the workspace path (not possible for .dbc archives). */
  overwrite?: boolean;
}

/** Workspace API 2.0: notebooks, files and folders of the workspace tree. */
export class WorkspaceAPI extends Service {
  /** Imports a notebook or file; `content` is base64 (at most 10 MB decoded). */
  async import(req: WorkspaceImportRequest, options?: RequestOptions): Promise<void> {
    const body = validate(WorkspaceImportRequestSchema, req, "workspace.import request");
    // With overwrite, repeating the call leaves the same result.
    await this.request(
      { method: "POST", path: `${BASE}/import`, body, idempotent: body.overwrite === true },
      options,
    );
  }

  /** Exports an object; `content` is base64 in the requested format (default SOURCE). */
  async export(req: WorkspaceExportRequest, options?: RequestOptions): Promise<WorkspaceExportResponse> {
    const query = validate(WorkspaceExportRequestSchema, req, "workspace.export request");
    const res = await this.request({ method: "GET", path: `${BASE}/export`, query }, options);
    return parseLenient(WorkspaceExportResponseSchema, res);
  }

  /** The objects directly inside a folder (the API answers in one page). */
  list(req: WorkspaceListRequest, options?: RequestOptions): Paginated<ObjectInfo> {
    const query = validate(WorkspaceListRequestSchema, req, "workspace.list request");
    return new Paginated<ObjectInfo>(async () => {
      const raw = parseLenient(
        WorkspaceListResponseSchema,
        await this.request({ method: "GET", path: `${BASE}/list`, query }, options),
      );
      return { items: raw.objects ?? [], next: undefined, raw };
    });
  }

  /** Every object below a folder, depth first, folders before their contents. */
  async *walk(req: WorkspacePathRequest, options?: RequestOptions): AsyncGenerator<ObjectInfo> {
    const { path } = validate(WorkspacePathRequestSchema, req, "workspace.walk request");
    for await (const object of this.list({ path }, options)) {
      yield object;
      if ((object?.object_type === "DIRECTORY" || object?.object_type === "REPO") && object.path) {
        yield* this.walk({ path: object.path }, options);
      }
    }
  }

  /** Creates a folder and its missing parents; succeeds when it already exists. */
  async mkdirs(req: WorkspacePathRequest, options?: RequestOptions): Promise<void> {
    const body = validate(WorkspacePathRequestSchema, req, "workspace.mkdirs request");
    await this.request({ method: "POST", path: `${BASE}/mkdirs`, body, idempotent: true }, options);
  }

  /** Deletes an object; a non-empty folder needs `recursive: true`. */
  async delete(req: WorkspaceDeleteRequest, options?: RequestOptions): Promise<void> {
    const body = validate(WorkspaceDeleteRequestSchema, req, "workspace.delete request");
    await this.request({ method: "POST", path: `${BASE}/delete`, body, idempotent: true }, options);
  }

  async getStatus(req: WorkspacePathRequest, options?: RequestOptions): Promise<ObjectInfo> {
    const query = validate(WorkspacePathRequestSchema, req, "workspace.getStatus request");
    const res = await this.request({ method: "GET", path: `${BASE}/get-status`, query }, options);
    return parseLenient(ObjectInfoSchema, res);
  }

  /**
   * Uploads a local notebook: `.py`, `.sql`, `.scala`, `.r` as SOURCE in that language, `.ipynb` as
   * JUPYTER, `.dbc` as a DBC archive. The folder must exist (see `mkdirs`). Returns the new object.
   */
  async uploadNotebook(
    localPath: string,
    workspacePath: string,
    upload: UploadNotebookOptions = {},
    options?: RequestOptions,
  ): Promise<ObjectInfo> {
    const kind = BY_EXTENSION[extname(localPath).toLowerCase()];
    if (!kind) {
      throw new ValidationError("workspace.uploadNotebook arguments", [
        {
          path: "localPath",
          message: `cannot tell the notebook format of "${localPath}"; use a .py, .sql, .scala, .r, .ipynb or .dbc file`,
        },
      ]);
    }
    const { size } = await stat(localPath);
    if (size > MAX_WORKSPACE_OBJECT_BYTES) {
      throw new ValidationError("workspace.uploadNotebook arguments", [
        {
          path: "localPath",
          message: `is ${size} bytes; the Workspace API accepts at most ${MAX_WORKSPACE_OBJECT_BYTES} bytes (10 MB)`,
        },
      ]);
    }
    const content = (await readFile(localPath)).toString("base64");
    await this.import(
      {
        path: workspacePath,
        content,
        format: kind.format,
        ...(kind.language ? { language: kind.language } : {}),
        ...(upload.overwrite ? { overwrite: true } : {}),
      },
      options,
    );
    return this.getStatus({ path: workspacePath }, options);
  }
}
