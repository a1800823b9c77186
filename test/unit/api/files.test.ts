import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Databricks, isNotFound, isValidationError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";

const HOST = "https://files.example.databricks.com";
const db = () => new Databricks({ host: HOST, token: "dapi-test", env: {}, random: () => 0 });

describe("FilesAPI (unit)", () => {
  let dir: string;
  beforeAll(async () => {
    nock.disableNetConnect();
    dir = await mkdtemp(join(tmpdir(), "brickml-files-"));
  });
  afterAll(async () => {
    nock.enableNetConnect();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => nock.cleanAll());
  afterEach(() => expect(nock.pendingMocks()).toEqual([]));

  it("uploads bytes to the per-segment encoded path with the overwrite flag", async () => {
    let body = "";
    let type = "";
    nock(HOST)
      .put("/api/2.0/fs/files/Volumes/main/default/vol/my%20dir/a%23b.csv")
      .query({ overwrite: "false" })
      .reply(function (_uri, b) {
        body = String(b);
        type = String(this.req.headers["content-type"]);
        return [204, ""];
      });
    await db().files.upload({
      file_path: "/Volumes/main/default/vol/my dir/a#b.csv",
      contents: Buffer.from("x,y\n1,2\n"),
      overwrite: false,
    });
    expect(body).toBe("x,y\n1,2\n");
    expect(type).toBe("application/octet-stream");
  });

  it("re-opens a stream factory for each attempt, so a retried upload sends the whole body", async () => {
    const bodies: string[] = [];
    nock(HOST)
      .put("/api/2.0/fs/files/Volumes/c/s/v/f.txt")
      .reply((_u, b) => {
        bodies.push(String(b));
        return [503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" }];
      })
      .put("/api/2.0/fs/files/Volumes/c/s/v/f.txt")
      .reply((_u, b) => {
        bodies.push(String(b));
        return [204, ""];
      });
    let opened = 0;
    await db().files.upload({
      file_path: "/Volumes/c/s/v/f.txt",
      contents: () => {
        opened++;
        return Readable.from(["hello ", "world"]);
      },
    });
    expect(opened).toBe(2);
    expect(bodies).toEqual(["hello world", "hello world"]);
  });

  it("uploads a local file with its Content-Length", async () => {
    const local = join(dir, "data.bin");
    await writeFile(local, Buffer.alloc(1000, 7));
    let length = "";
    nock(HOST)
      .put("/api/2.0/fs/files/Volumes/c/s/v/data.bin")
      .query({ overwrite: "true" })
      .reply(function (_u, b) {
        length = String(this.req.headers["content-length"]);
        expect(Buffer.from(b as string, "hex").length === 1000 || String(b).length === 1000).toBe(true);
        return [204, ""];
      });
    await db().files.uploadFromFile({
      file_path: "/Volumes/c/s/v/data.bin",
      local_path: local,
      overwrite: true,
    });
    expect(length).toBe("1000");
  });

  it("rejects bad paths and contents before sending anything", async () => {
    const f = db().files;
    for (const file_path of ["relative/x", "/Volumes/c/../x", "/Volumes//x", "/", "/Volumes/c/s/v/a\nb"]) {
      const err = await rejection(f.upload({ file_path, contents: "x" }));
      expect(isValidationError(err)).toBe(true);
      expect(err.issues[0].path).toBe("file_path");
    }
    const err = await rejection(f.upload({ file_path: "/Volumes/c/s/v/x", contents: 42 as never }));
    expect(err.issues[0].path).toBe("contents");
  });

  it("downloads as a stream with the metadata headers", async () => {
    nock(HOST).get("/api/2.0/fs/files/Volumes/c/s/v/f.txt").reply(200, "file body", {
      "content-type": "text/plain",
      "content-length": "9",
      "last-modified": "Wed, 01 Jan 2025 00:00:00 GMT",
    });
    const res = await db().files.download({ file_path: "/Volumes/c/s/v/f.txt" });
    expect(res.content_length).toBe(9);
    expect(res.content_type).toBe("text/plain");
    expect(res.last_modified).toBe("Wed, 01 Jan 2025 00:00:00 GMT");
    const chunks: Buffer[] = [];
    for await (const c of res.contents) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("file body");
  });

  it("maps a missing file to NotFoundError", async () => {
    nock(HOST)
      .get("/api/2.0/fs/files/Volumes/c/s/v/missing")
      .reply(404, { error_code: "NOT_FOUND", message: "The file does not exist." });
    const err = await rejection(db().files.downloadBuffer({ file_path: "/Volumes/c/s/v/missing" }));
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toContain("does not exist");
  });

  it("downloads to a local file and leaves no partial file when the download fails", async () => {
    nock(HOST).get("/api/2.0/fs/files/Volumes/c/s/v/ok").reply(200, "complete");
    const target = join(dir, "ok.txt");
    await db().files.downloadToFile({ file_path: "/Volumes/c/s/v/ok", local_path: target });
    expect(await readFile(target, "utf8")).toBe("complete");

    // A server that sends half the body, then drops the connection.
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("partial");
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    nock.enableNetConnect("127.0.0.1");
    try {
      const local = new Databricks({
        host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        token: "t",
        env: {},
      });
      const broken = join(dir, "broken.txt");
      await rejection(local.files.downloadToFile({ file_path: "/Volumes/c/s/v/broken", local_path: broken }));
    } finally {
      nock.disableNetConnect();
      server.close();
    }
    expect((await readdir(dir)).filter((f) => f.startsWith("broken"))).toEqual([]);
  });

  it("reads metadata with HEAD", async () => {
    nock(HOST)
      .head("/api/2.0/fs/files/Volumes/c/s/v/f.txt")
      .reply(200, "", { "content-length": "42", "content-type": "application/octet-stream" });
    expect(await db().files.getMetadata({ file_path: "/Volumes/c/s/v/f.txt" })).toEqual({
      content_length: 42,
      content_type: "application/octet-stream",
      last_modified: undefined,
    });
  });

  it("creates, lists page by page, checks and deletes directories", async () => {
    nock(HOST)
      .put("/api/2.0/fs/directories/Volumes/c/s/v/d")
      .reply(204)
      .get("/api/2.0/fs/directories/Volumes/c/s/v/d")
      .query({ page_size: "1" })
      .reply(200, {
        contents: [{ path: "/Volumes/c/s/v/d/a", name: "a", is_directory: false }],
        next_page_token: "t2",
      })
      .get("/api/2.0/fs/directories/Volumes/c/s/v/d")
      .query({ page_size: "1", page_token: "t2" })
      .reply(200, { contents: [{ path: "/Volumes/c/s/v/d/b/", name: "b", is_directory: true, extra: 1 }] })
      .head("/api/2.0/fs/directories/Volumes/c/s/v/d")
      .reply(200)
      .delete("/api/2.0/fs/directories/Volumes/c/s/v/d")
      .reply(204)
      .delete("/api/2.0/fs/files/Volumes/c/s/v/d/a")
      .reply(204);
    const f = db().files;
    await f.createDirectory({ directory_path: "/Volumes/c/s/v/d" });
    const entries = await f
      .listDirectoryContents({ directory_path: "/Volumes/c/s/v/d", page_size: 1 })
      .toArray({ limit: 10 });
    expect(entries.map((e) => e.name)).toEqual(["a", "b"]);
    expect(entries[1]).toMatchObject({ is_directory: true, extra: 1 });
    await f.getDirectoryMetadata({ directory_path: "/Volumes/c/s/v/d" });
    await f.delete({ file_path: "/Volumes/c/s/v/d/a" });
    await f.deleteDirectory({ directory_path: "/Volumes/c/s/v/d" });
  });
});
