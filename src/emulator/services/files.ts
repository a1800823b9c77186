import type { IncomingMessage } from "node:http";
import { ApiFault, invalidParameter, invalidState } from "../errors.js";
import { pageOf } from "../paging.js";
import type { EmuRequest, Router } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";
import type { RegistryEmulatorExports } from "./registry.js";

/** The Files API store: files keyed by absolute path, bytes as base64 so the state stays JSON. */
export interface FilesState {
  files: Record<string, { data: string; modified: number }>;
  /** Directories created explicitly; parents of files exist implicitly. */
  directories: Record<string, { created: number }>;
}

export interface FilesEmulatorExports {
  read(path: string): Buffer | undefined;
  write(path: string, data: Buffer): void;
  /** Absolute paths of files under a directory prefix, recursively. */
  list(dir: string): string[];
  /** Removes a file; true when it existed. */
  delete(path: string): boolean;
}

const FILES = "/api/2.0/fs/files/*path";
const DIRECTORIES = "/api/2.0/fs/directories/*path";
const notFound = (what: string) => new ApiFault(404, "NOT_FOUND", `${what} does not exist.`);

export const filesService: EmulatorService<FilesState, FilesEmulatorExports> = {
  name: "files",
  init: () => ({ files: {}, directories: {} }),

  routes(router: Router) {
    router.add("PUT", FILES, upload, { stream: true });
    router.get(FILES, download);
    router.delete(FILES, (req) => {
      const path = checkPath(req.params.path!, "file");
      const s = state(req);
      if (!s.files[path]) throw notFound(`File '${path}'`);
      delete s.files[path];
      return { status: 204, raw: "" };
    });

    router.put(DIRECTORIES, (req) => {
      const path = checkPath(req.params.path!, "directory");
      const s = state(req);
      if (s.files[path]) throw new ApiFault(409, "ALREADY_EXISTS", `A file already exists at '${path}'.`);
      for (const dir of ancestorsAndSelf(path)) s.directories[dir] ??= { created: req.ctx.clock.now() };
      return { status: 204, raw: "" };
    });
    router.get(DIRECTORIES, (req) => {
      const path = checkPath(req.params.path!, "directory");
      const s = state(req);
      if (!directoryExists(s, path)) throw notFound(`Directory '${path}'`);
      const page = pageOf(children(s, path), req.query.page_size, req.query.page_token, {
        default: 1000,
        max: 1000,
      });
      return {
        body: {
          contents: page.items,
          ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}),
        },
      };
    });
    router.delete(DIRECTORIES, (req) => {
      const path = checkPath(req.params.path!, "directory");
      const s = state(req);
      if (!directoryExists(s, path)) throw notFound(`Directory '${path}'`);
      if (children(s, path).length > 0) {
        throw new ApiFault(400, "DIRECTORY_NOT_EMPTY", `Directory '${path}' is not empty.`);
      }
      delete s.directories[path];
      return { status: 204, raw: "" };
    });
  },

  exports(ctx: EmulatorContext): FilesEmulatorExports {
    const s = () => ctx.state<FilesState>("files");
    return {
      read: (path) => {
        const f = s().files[path];
        return f ? Buffer.from(f.data, "base64") : undefined;
      },
      write: (path, data) => {
        s().files[path] = { data: data.toString("base64"), modified: ctx.clock.now() };
      },
      list: (dir) => {
        const prefix = `${dir.replace(/\/+$/, "")}/`;
        return Object.keys(s().files)
          .filter((p) => p.startsWith(prefix))
          .sort();
      },
      delete: (path) => {
        const existed = s().files[path] !== undefined;
        delete s().files[path];
        return existed;
      },
    };
  },
};

function state(req: EmuRequest): FilesState {
  return req.ctx.state<FilesState>("files");
}

async function upload(req: EmuRequest) {
  const path = checkPath(req.params.path!, "file");
  const s = state(req);
  const data = await readAll(req.incoming);
  if (directoryExists(s, path)) throw new ApiFault(409, "ALREADY_EXISTS", `A directory exists at '${path}'.`);
  if (s.files[path] && req.query.overwrite === "false") {
    throw new ApiFault(409, "ALREADY_EXISTS", `The file being created already exists: '${path}'.`);
  }
  checkModelVersionWritable(req.ctx, path);
  s.files[path] = { data: data.toString("base64"), modified: req.ctx.clock.now() };
  return { status: 204, raw: "" };
}

function download(req: EmuRequest) {
  const path = checkPath(req.params.path!, "file");
  const file = state(req).files[path];
  if (!file) throw notFound(`File '${path}'`);
  const data = Buffer.from(file.data, "base64");
  const headers = { "last-modified": new Date(file.modified).toUTCString(), "accept-ranges": "bytes" };
  const range = req.headers.range;
  if (range) {
    const r = parseRange(range, data.length);
    if (!r) {
      return {
        status: 416,
        headers: { "content-range": `bytes */${data.length}` },
        body: { error_code: "INVALID_PARAMETER_VALUE", message: `Unsatisfiable range: ${range}` },
      };
    }
    return {
      status: 206,
      raw: data.subarray(r.start, r.end + 1),
      headers: { ...headers, "content-range": `bytes ${r.start}-${r.end}/${data.length}` },
    };
  }
  return { raw: data, headers };
}

/** Unity Catalog model version files can be written only while the version is being registered. */
function checkModelVersionWritable(ctx: EmulatorContext, path: string): void {
  const m = /^\/Models\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)\/./.exec(path);
  const registry = ctx.service<RegistryEmulatorExports>("registry");
  if (!m || !registry) return;
  const [, catalog, schema, model, version] = m;
  const info = /^\d+$/.test(version!)
    ? registry.getModelVersion(`${catalog}.${schema}.${model}`, Number(version))
    : undefined;
  if (!info) throw notFound(`Model version ${catalog}.${schema}.${model}/${version}`);
  if (info.status !== "PENDING_REGISTRATION") {
    throw invalidState(
      `Model version files can only be written while the version is PENDING_REGISTRATION (it is ${info.status}).`,
    );
  }
}

const ROOTS = ["Volumes", "Models", "WorkspaceInternal"];

/** The normalised path, or a 400 for paths the Files API does not serve. */
function checkPath(path: string, kind: "file" | "directory"): string {
  const segments = path.split("/").filter(Boolean);
  if (segments.some((s) => s === "." || s === "..")) throw invalidParameter(`Invalid path: '${path}'`);
  const minimum = segments[0] === "Volumes" ? (kind === "file" ? 5 : 4) : 2;
  if (!ROOTS.includes(segments[0] ?? "") || segments.length < minimum) {
    throw invalidParameter(
      `Invalid ${kind} path '${path}': expected /Volumes/<catalog>/<schema>/<volume>/… (or an MLflow /Models or /WorkspaceInternal path).`,
    );
  }
  // Unity Catalog names are case-insensitive, and so are the model folders named after them.
  if (segments[0] === "Models") {
    for (let i = 1; i <= 3 && i < segments.length; i++) segments[i] = segments[i]!.toLowerCase();
  }
  return `/${segments.join("/")}`;
}

function ancestorsAndSelf(path: string): string[] {
  const segments = path.split("/").filter(Boolean);
  return segments.map((_, i) => `/${segments.slice(0, i + 1).join("/")}`).slice(1);
}

function directoryExists(s: FilesState, path: string): boolean {
  if (s.directories[path]) return true;
  const prefix = `${path}/`;
  return (
    Object.keys(s.files).some((p) => p.startsWith(prefix)) ||
    Object.keys(s.directories).some((p) => p.startsWith(prefix))
  );
}

/** Entries directly inside a directory, files and subdirectories, sorted by path. */
function children(s: FilesState, dir: string) {
  const prefix = `${dir}/`;
  const entries = new Map<string, Record<string, unknown>>();
  for (const [p, f] of Object.entries(s.files)) {
    if (!p.startsWith(prefix)) continue;
    const rest = p.slice(prefix.length);
    const slash = rest.indexOf("/");
    if (slash < 0) {
      entries.set(p, {
        path: p,
        name: rest,
        is_directory: false,
        file_size: Buffer.byteLength(f.data, "base64"),
        last_modified: f.modified,
      });
    } else {
      const sub = `${prefix}${rest.slice(0, slash)}`;
      entries.set(sub, { path: `${sub}/`, name: rest.slice(0, slash), is_directory: true });
    }
  }
  for (const d of Object.keys(s.directories)) {
    if (!d.startsWith(prefix)) continue;
    const name = d.slice(prefix.length).split("/")[0]!;
    const sub = `${prefix}${name}`;
    if (!entries.has(sub)) entries.set(sub, { path: `${sub}/`, name, is_directory: true });
  }
  return [...entries.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => e);
}

function parseRange(header: string, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : undefined;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
