import { recordOwner, requirePermission } from "../access/object-acls.js";
import {
  fileExtension,
  fromHtml,
  fromJupyter,
  headerLanguage,
  type NotebookLanguage,
  stripHeader,
  toHtml,
  toJupyter,
  toSourceFile,
} from "../compute/notebook-formats.js";
import { one } from "../compute/params.js";
import { ApiFault, invalidParameter, requireFields } from "../errors.js";
import type { EmuRequest, EmuResponse, Router } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";

/** What other emulator services may ask the workspace (see the cross-service contracts). */
export interface WorkspaceEmulatorExports {
  /** The notebook at `path` (workspace path): its language and SOURCE text without the header line. */
  getNotebook(path: string): { language: string; content: string } | undefined;
}

/** Largest object the Workspace API imports or exports. */
const MAX_BYTES = 10 * 1024 * 1024;
const PROTECTED = new Set(["/", "/Users", "/Shared", "/Repos"]);
const LANGUAGES = new Set(["PYTHON", "SQL", "SCALA", "R"]);
const FORMATS = ["SOURCE", "HTML", "JUPYTER", "DBC", "R_MARKDOWN", "AUTO", "RAW"];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface WorkspaceObject {
  object_id: number;
  object_type: "NOTEBOOK" | "DIRECTORY" | "FILE";
  path: string;
  language?: NotebookLanguage;
  created_at: number;
  modified_at: number;
  /** NOTEBOOK: SOURCE text. FILE: base64 bytes. */
  content?: string;
  /** A notebook imported as a DBC archive keeps the archive (base64) to export it again. */
  dbc?: string;
}

export interface WorkspaceState {
  objects: Record<string, WorkspaceObject>;
}

const notFound = (path: string) =>
  new ApiFault(404, "RESOURCE_DOES_NOT_EXIST", `Path (${path}) doesn't exist.`);
const exists = (path: string) =>
  new ApiFault(400, "RESOURCE_ALREADY_EXISTS", `Path (${path}) already exists.`);

/** Workspace paths are absolute; `/Workspace/...` is the same tree as `/...`. */
function normalize(raw: unknown): string {
  if (typeof raw !== "string" || !raw.startsWith("/")) {
    throw invalidParameter(`Path (${String(raw ?? "")}) is not an absolute path; it must start with /.`);
  }
  let path = raw.replace(/\/+/g, "/");
  if (path === "/Workspace" || path.startsWith("/Workspace/")) path = path.slice("/Workspace".length) || "/";
  if (path.length > 1) path = path.replace(/\/$/, "");
  if (path.split("/").some((s) => s === "." || s === "..")) {
    throw invalidParameter(`Path (${raw}) must not contain '.' or '..' segments.`);
  }
  return path;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function objects(ctx: EmulatorContext): Record<string, WorkspaceObject> {
  const state = ctx.state<WorkspaceState>("workspace");
  // The tree every workspace starts with.
  for (const path of ["/", "/Users", "/Shared"]) {
    if (!state.objects[path]) state.objects[path] = directory(ctx, path);
  }
  return state.objects;
}

function directory(ctx: EmulatorContext, path: string): WorkspaceObject {
  const now = ctx.clock.now();
  return { object_id: ctx.nextId(), object_type: "DIRECTORY", path, created_at: now, modified_at: now };
}

function info(o: WorkspaceObject): Record<string, unknown> {
  const size =
    o.object_type === "FILE"
      ? Buffer.byteLength(o.content ?? "", "base64")
      : o.object_type === "NOTEBOOK"
        ? Buffer.byteLength(o.content ?? "")
        : undefined;
  return {
    object_type: o.object_type,
    path: o.path,
    ...(o.language ? { language: o.language } : {}),
    object_id: o.object_id,
    resource_id: String(o.object_id),
    created_at: o.created_at,
    modified_at: o.modified_at,
    ...(size !== undefined ? { size } : {}),
  };
}

function childrenOf(all: Record<string, WorkspaceObject>, path: string): WorkspaceObject[] {
  return Object.values(all)
    .filter((o) => o.path !== "/" && parentOf(o.path) === path)
    .sort((a, b) => a.path.localeCompare(b.path));
}

function getStatus(req: EmuRequest): EmuResponse {
  const path = normalize(one(req.query.path));
  const o = objects(req.ctx)[path];
  if (!o) throw notFound(path);
  return { body: info(o) };
}

function list(req: EmuRequest): EmuResponse {
  const path = normalize(one(req.query.path));
  const all = objects(req.ctx);
  const o = all[path];
  if (!o) throw notFound(path);
  if (o.object_type !== "DIRECTORY") return { body: { objects: [info(o)] } };
  const after = Number(one(req.query.notebooks_modified_after) ?? Number.NaN);
  const items = childrenOf(all, path).filter(
    (c) => Number.isNaN(after) || c.object_type !== "NOTEBOOK" || c.modified_at >= after,
  );
  // An empty folder answers without the field, as the real service does.
  return { body: items.length ? { objects: items.map(info) } : {} };
}

function mkdirs(req: EmuRequest): EmuResponse {
  requireFields(req.body, "path");
  const path = normalize(req.body.path);
  const all = objects(req.ctx);
  const parts = path.split("/").filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join("/")}`;
    const o = all[p];
    if (!o) all[p] = directory(req.ctx, p);
    else if (o.object_type !== "DIRECTORY") throw exists(p);
  }
  return { body: {} };
}

function remove(req: EmuRequest): EmuResponse {
  requireFields(req.body, "path");
  const path = normalize(req.body.path);
  const all = objects(req.ctx);
  const o = all[path];
  if (!o) throw notFound(path);
  if (PROTECTED.has(path)) throw new ApiFault(403, "DIRECTORY_PROTECTED", `Folder (${path}) is protected.`);
  const below = Object.keys(all).filter((p) => p.startsWith(`${path}/`));
  if (below.length && req.body.recursive !== true) {
    throw new ApiFault(400, "DIRECTORY_NOT_EMPTY", `Folder (${path}) is not empty.`);
  }
  for (const p of [...below, path]) delete all[p];
  return { body: {} };
}

interface Imported {
  object_type: "NOTEBOOK" | "FILE";
  path: string;
  language?: NotebookLanguage;
  content: string;
  dbc?: string;
}

/** What an import creates, by format (AUTO strips the extension of files it recognises as notebooks). */
function interpret(path: string, format: string, language: unknown, bytes: Buffer): Imported {
  const text = bytes.toString("utf8");
  const lang =
    typeof language === "string" && LANGUAGES.has(language) ? (language as NotebookLanguage) : undefined;
  if (language != null && !lang) {
    throw invalidParameter(`Invalid language ${JSON.stringify(language)}; use PYTHON, SCALA, SQL or R.`);
  }
  switch (format) {
    case "SOURCE":
      if (!lang) {
        throw invalidParameter(
          "The language field is required to import a single notebook in SOURCE format (importing a folder in SOURCE format needs a .zip archive, which the emulator does not read).",
        );
      }
      return { object_type: "NOTEBOOK", path, language: lang, content: stripHeader(text) };
    case "JUPYTER":
      try {
        const nb = fromJupyter(text);
        return { object_type: "NOTEBOOK", path, language: nb.language, content: nb.source };
      } catch {
        throw invalidParameter("The content is not a valid Jupyter notebook (.ipynb JSON).");
      }
    case "HTML":
      try {
        const nb = fromHtml(text);
        return { object_type: "NOTEBOOK", path, language: nb.language, content: nb.source };
      } catch {
        throw invalidParameter("The content is not a Databricks notebook exported as HTML.");
      }
    case "R_MARKDOWN":
      return { object_type: "NOTEBOOK", path, language: "R", content: text };
    case "DBC":
      return {
        object_type: "NOTEBOOK",
        path,
        language: lang ?? "PYTHON",
        content: "",
        dbc: bytes.toString("base64"),
      };
    case "RAW":
      return { object_type: "FILE", path, content: bytes.toString("base64") };
    case "AUTO": {
      const detected = headerLanguage(text, path);
      if (detected) {
        return {
          object_type: "NOTEBOOK",
          path: stripExtension(path),
          language: detected,
          content: stripHeader(text),
        };
      }
      if (/\.ipynb$/i.test(path)) {
        try {
          const nb = fromJupyter(text);
          return {
            object_type: "NOTEBOOK",
            path: stripExtension(path),
            language: nb.language,
            content: nb.source,
          };
        } catch {
          // Not a notebook after all: kept as a file.
        }
      }
      return { object_type: "FILE", path, content: bytes.toString("base64") };
    }
    default:
      throw invalidParameter(
        `Unknown import format ${JSON.stringify(format)}; use SOURCE, HTML, JUPYTER, DBC, R_MARKDOWN, AUTO or RAW.`,
      );
  }
}

function stripExtension(path: string): string {
  return path.replace(/\.(py|sql|scala|r|ipynb)$/i, "");
}

function importObject(req: EmuRequest): EmuResponse {
  requireFields(req.body, "path");
  const body = req.body as Record<string, unknown>;
  const requested = normalize(body.path);
  const format = String(body.format ?? "SOURCE");
  const content = typeof body.content === "string" ? body.content.replace(/\s+/g, "") : "";
  if (!BASE64.test(content) || content.length % 4 !== 0) {
    throw invalidParameter("The content must be base64-encoded.");
  }
  const bytes = Buffer.from(content, "base64");
  if (bytes.length > MAX_BYTES) {
    throw new ApiFault(
      400,
      "MAX_NOTEBOOK_SIZE_EXCEEDED",
      `File size imported is (${bytes.length} bytes), exceeded max size (${MAX_BYTES} bytes)`,
    );
  }
  if (format === "DBC" && body.overwrite === true) {
    throw invalidParameter("Overwrite is not supported for the DBC format.");
  }
  const imported = interpret(requested, format, body.language, bytes);
  const all = objects(req.ctx);
  const parent = parentOf(imported.path);
  if (all[parent]?.object_type !== "DIRECTORY") {
    throw new ApiFault(404, "RESOURCE_DOES_NOT_EXIST", `The parent folder (${parent}) does not exist.`);
  }
  const existing = all[imported.path];
  if (existing && (body.overwrite !== true || existing.object_type === "DIRECTORY"))
    throw exists(imported.path);
  const now = req.ctx.clock.now();
  all[imported.path] = {
    object_id: existing?.object_id ?? req.ctx.nextId(),
    created_at: existing?.created_at ?? now,
    modified_at: now,
    ...imported,
  };
  if (!existing && imported.object_type === "NOTEBOOK")
    recordOwner(req, "notebooks", all[imported.path]!.object_id);
  return { body: {} };
}

function exportObject(req: EmuRequest): EmuResponse {
  const path = normalize(one(req.query.path));
  const format = String(one(req.query.format) ?? "SOURCE");
  if (!FORMATS.includes(format)) {
    throw invalidParameter(`Unknown export format ${JSON.stringify(format)}; use ${FORMATS.join(", ")}.`);
  }
  const o = objects(req.ctx)[path];
  if (!o) throw notFound(path);
  if (o.object_type === "NOTEBOOK") requirePermission(req, "notebooks", o.object_id, "CAN_READ", path);
  let bytes: Buffer;
  let fileType: string;
  if (o.object_type === "DIRECTORY") {
    throw invalidParameter(
      `Exporting the folder (${path}) is not supported by the emulator; export each object.`,
    );
  } else if (o.object_type === "FILE") {
    if (!["SOURCE", "AUTO", "RAW"].includes(format)) {
      throw invalidParameter(`A file can only be exported in SOURCE, AUTO or RAW format, not ${format}.`);
    }
    bytes = Buffer.from(o.content ?? "", "base64");
    fileType = /\.([^./]+)$/.exec(path)?.[1] ?? "";
  } else {
    const language = o.language ?? "PYTHON";
    const name = path.slice(path.lastIndexOf("/") + 1);
    const source = o.content ?? "";
    if (format === "SOURCE" || format === "AUTO") {
      bytes = Buffer.from(toSourceFile(language, source));
      fileType = fileExtension(language);
    } else if (format === "JUPYTER") {
      bytes = Buffer.from(toJupyter(language, source, name));
      fileType = "ipynb";
    } else if (format === "HTML") {
      bytes = Buffer.from(toHtml(language, source, name));
      fileType = "html";
    } else if (format === "DBC" && o.dbc) {
      bytes = Buffer.from(o.dbc, "base64");
      fileType = "dbc";
    } else if (format === "R_MARKDOWN" && language === "R") {
      bytes = Buffer.from(source);
      fileType = "Rmd";
    } else {
      throw invalidParameter(`The emulator cannot export the notebook (${path}) in ${format} format.`);
    }
  }
  if (bytes.length > MAX_BYTES) {
    throw new ApiFault(400, "MAX_NOTEBOOK_SIZE_EXCEEDED", "Notebook size exceeds maximum allowed size");
  }
  if (one(req.query.direct_download) === "true")
    return { raw: bytes, contentType: "application/octet-stream" };
  return { body: { content: bytes.toString("base64"), file_type: fileType } };
}

export const workspaceService: EmulatorService<WorkspaceState, WorkspaceEmulatorExports> = {
  name: "workspace",
  init: () => ({ objects: {} }),
  routes(router: Router) {
    router.get("/api/2.0/workspace/get-status", getStatus);
    router.get("/api/2.0/workspace/list", list);
    router.get("/api/2.0/workspace/export", exportObject);
    router.post("/api/2.0/workspace/import", importObject);
    router.post("/api/2.0/workspace/mkdirs", mkdirs);
    router.post("/api/2.0/workspace/delete", remove);
  },
  exports: (ctx) => ({
    getNotebook(path) {
      let key: string;
      try {
        key = normalize(path);
      } catch {
        return undefined;
      }
      const o = ctx.state<WorkspaceState>("workspace").objects[key];
      if (o?.object_type !== "NOTEBOOK") return undefined;
      return { language: o.language ?? "PYTHON", content: o.content ?? "" };
    },
  }),
};
