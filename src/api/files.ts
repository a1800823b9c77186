import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, stat, unlink } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { abortReason } from "../core/clock.js";
import { encodeFilePath, type RequestOptions } from "../core/http.js";
import { type Paginated, tokenPaginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, validate } from "../core/validation.js";
import { absolutePathProblem } from "./artifact-location.js";

/**
 * What an upload sends: bytes in memory, text (UTF-8), or a function that opens a fresh stream.
 * A function is called again for each attempt, so a retried upload resends the whole body.
 */
export type UploadContents = Buffer | Uint8Array | string | (() => Readable);

/** Uploads may take long; unless the call says otherwise each attempt gets this long. */
const TRANSFER_TIMEOUT_MS = 30 * 60_000;

const filePath = z.string().superRefine((s, ctx) => {
  const problem = absolutePathProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const directoryPath = z.string().superRefine((s, ctx) => {
  const problem = absolutePathProblem(s, { directory: true });
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const uploadContents = z.custom<UploadContents>(
  (v) => typeof v === "string" || v instanceof Uint8Array || typeof v === "function",
  "must be a Buffer, Uint8Array, string, or a function returning a Readable stream",
);

const uploadRequest = z.looseObject({
  file_path: filePath,
  contents: uploadContents,
  /** Replace an existing file; the server's default when omitted is to overwrite. */
  overwrite: z.boolean().optional(),
});
const uploadFromFileRequest = z.looseObject({
  file_path: filePath,
  local_path: z.string().min(1),
  overwrite: z.boolean().optional(),
});
const fileRequest = z.looseObject({ file_path: filePath });
const downloadToFileRequest = z.looseObject({ file_path: filePath, local_path: z.string().min(1) });
const directoryRequest = z.looseObject({ directory_path: directoryPath });
const listDirectoryRequest = z.looseObject({
  directory_path: directoryPath,
  page_size: z.number().int().min(1).max(1000).optional(),
});

const directoryEntry = z.looseObject({
  path: z.string(),
  name: z.string().optional(),
  is_directory: z.boolean().optional(),
  file_size: z.number().optional(),
  last_modified: z.number().optional(),
});

export type UploadRequest = z.input<typeof uploadRequest>;
export type UploadFromFileRequest = z.input<typeof uploadFromFileRequest>;
export type FileRequest = z.input<typeof fileRequest>;
export type DownloadToFileRequest = z.input<typeof downloadToFileRequest>;
export type DirectoryRequest = z.input<typeof directoryRequest>;
export type ListDirectoryContentsRequest = z.input<typeof listDirectoryRequest>;
export type DirectoryEntry = z.output<typeof directoryEntry>;

/** What the response headers of a download or a HEAD say about a file. */
export interface FileMetadata {
  content_length?: number | undefined;
  content_type?: string | undefined;
  /** As the server sent it (an HTTP date). */
  last_modified?: string | undefined;
}

export interface FileDownload extends FileMetadata {
  /** The file's bytes, streamed; read it (or `destroy()` it) to free the connection. */
  contents: Readable;
}

/**
 * Files API (`/api/2.0/fs/`): files and directories in Unity Catalog volumes and the other
 * Files-API roots. Uploads and downloads stream, so a file never has to fit in memory.
 */
export class FilesAPI extends Service {
  /** `PUT /api/2.0/fs/files{file_path}`: writes a file (up to 5 GiB in one request). */
  async upload(req: UploadRequest, options?: RequestOptions): Promise<void> {
    const r = validate(uploadRequest, req, "files.upload request");
    await this.put(r.file_path, toRequestData(r.contents), r.overwrite, undefined, options);
  }

  /** Streams a local file to `file_path`; the file is opened anew for each attempt. */
  async uploadFromFile(req: UploadFromFileRequest, options?: RequestOptions): Promise<void> {
    const r = validate(uploadFromFileRequest, req, "files.uploadFromFile request");
    const { size } = await stat(r.local_path);
    await this.put(r.file_path, () => createReadStream(r.local_path), r.overwrite, size, options);
  }

  /** `GET /api/2.0/fs/files{file_path}`: the file as a stream, with its metadata. */
  async download(req: FileRequest, options?: RequestOptions): Promise<FileDownload> {
    const r = validate(fileRequest, req, "files.download request");
    const res = await this.ctx.transport.send<Readable>(
      {
        method: "GET",
        path: filesUrl(r.file_path),
        headers: { Accept: "application/octet-stream" },
        responseType: "stream",
      },
      options,
    );
    const contents = res.data;
    const signal = options?.signal;
    if (signal) {
      // The transport's signal covers the request; keep honouring it while the body streams.
      const onAbort = () => contents.destroy(abortReason(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      contents.once("close", () => signal.removeEventListener("abort", onAbort));
    }
    return { contents, ...metadataOf(res.headers) };
  }

  /** Downloads a file into memory; meant for small files (use `download` or `downloadToFile` otherwise). */
  async downloadBuffer(req: FileRequest, options?: RequestOptions): Promise<Buffer> {
    const { contents } = await this.download(req, options);
    const chunks: Buffer[] = [];
    for await (const chunk of contents) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return Buffer.concat(chunks);
  }

  /**
   * Streams a file to `local_path`. The bytes go to a temporary file next to it that is renamed
   * into place once complete, so a failed download never leaves a truncated file behind.
   */
  async downloadToFile(req: DownloadToFileRequest, options?: RequestOptions): Promise<FileMetadata> {
    const r = validate(downloadToFileRequest, req, "files.downloadToFile request");
    const { contents, ...metadata } = await this.download({ file_path: r.file_path }, options);
    const partial = `${r.local_path}.${randomBytes(6).toString("hex")}.partial`;
    try {
      await pipeline(contents, createWriteStream(partial));
      await rename(partial, r.local_path);
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      throw error;
    }
    return metadata;
  }

  /** `HEAD /api/2.0/fs/files{file_path}`: size, type and modification time, without the bytes. */
  async getMetadata(req: FileRequest, options?: RequestOptions): Promise<FileMetadata> {
    const r = validate(fileRequest, req, "files.getMetadata request");
    const res = await this.ctx.transport.send({ method: "HEAD", path: filesUrl(r.file_path) }, options);
    return metadataOf(res.headers);
  }

  /** `DELETE /api/2.0/fs/files{file_path}`. */
  async delete(req: FileRequest, options?: RequestOptions): Promise<void> {
    const r = validate(fileRequest, req, "files.delete request");
    await this.request({ method: "DELETE", path: filesUrl(r.file_path) }, options);
  }

  /** `PUT /api/2.0/fs/directories{directory_path}`: creates it and its parents; succeeds if it exists. */
  async createDirectory(req: DirectoryRequest, options?: RequestOptions): Promise<void> {
    const r = validate(directoryRequest, req, "files.createDirectory request");
    await this.request({ method: "PUT", path: directoriesUrl(r.directory_path) }, options);
  }

  /** `GET /api/2.0/fs/directories{directory_path}`: the entries directly inside, page by page. */
  listDirectoryContents(
    req: ListDirectoryContentsRequest,
    options?: RequestOptions,
  ): Paginated<DirectoryEntry> {
    const r = validate(listDirectoryRequest, req, "files.listDirectoryContents request");
    return tokenPaginated<DirectoryEntry>(async (page_token) => {
      const body = await this.request<unknown>(
        {
          method: "GET",
          path: directoriesUrl(r.directory_path),
          query: { page_size: r.page_size, page_token },
        },
        options,
      );
      return parseLenient(listDirectoryResponse, body);
    }, "contents");
  }

  /** `HEAD /api/2.0/fs/directories{directory_path}`: resolves when it exists, NotFoundError otherwise. */
  async getDirectoryMetadata(req: DirectoryRequest, options?: RequestOptions): Promise<void> {
    const r = validate(directoryRequest, req, "files.getDirectoryMetadata request");
    await this.ctx.transport.send({ method: "HEAD", path: directoriesUrl(r.directory_path) }, options);
  }

  /** `DELETE /api/2.0/fs/directories{directory_path}`: removes an empty directory. */
  async deleteDirectory(req: DirectoryRequest, options?: RequestOptions): Promise<void> {
    const r = validate(directoryRequest, req, "files.deleteDirectory request");
    await this.request({ method: "DELETE", path: directoriesUrl(r.directory_path) }, options);
  }

  private async put(
    path: string,
    data: Buffer | string | (() => Readable),
    overwrite: boolean | undefined,
    size: number | undefined,
    options: RequestOptions | undefined,
  ): Promise<void> {
    await this.request(
      {
        method: "PUT",
        path: filesUrl(path),
        query: overwrite === undefined ? undefined : { overwrite },
        data,
        contentType: "application/octet-stream",
        ...(size !== undefined ? { headers: { "Content-Length": String(size) } } : {}),
      },
      {
        ...options,
        timeout: options?.timeout ?? TRANSFER_TIMEOUT_MS,
        deadline: options?.deadline ?? TRANSFER_TIMEOUT_MS,
      },
    );
  }
}

const listDirectoryResponse = z.looseObject({
  contents: z.array(directoryEntry).optional(),
  next_page_token: z.string().optional(),
});

function filesUrl(path: string): string {
  return `/api/2.0/fs/files${encodeFilePath(path)}`;
}

function directoriesUrl(path: string): string {
  return `/api/2.0/fs/directories${encodeFilePath(path)}`;
}

function toRequestData(contents: UploadContents): Buffer | string | (() => Readable) {
  if (typeof contents === "function") return contents;
  if (typeof contents === "string") return contents;
  return Buffer.isBuffer(contents) ? contents : Buffer.from(contents);
}

function metadataOf(headers: Record<string, string>): FileMetadata {
  const length = headers["content-length"];
  return {
    content_length: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
    content_type: headers["content-type"],
    last_modified: headers["last-modified"],
  };
}
