import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks } from "../../src/index.js";

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("official SDK: Files API", () => {
  let emu: Emulator;
  let w: WorkspaceClient;
  let db: Databricks;
  const dir = "/Volumes/main/default/sdk";
  beforeAll(async () => {
    emu = await startEmulator();
    w = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
  });
  afterAll(() => emu.close());

  it("creates and lists directories, reads metadata and contents, deletes", async () => {
    await w.files.createDirectory({ directory_path: `${dir}/nested` });
    await w.files.getDirectoryMetadata({ directory_path: `${dir}/nested` });
    await db.files.upload({ file_path: `${dir}/nested/data.csv`, contents: "a,b\n1,2\n" });

    const entries = await all(w.files.listDirectoryContents({ directory_path: dir }));
    expect(entries).toEqual([{ path: `${dir}/nested/`, name: "nested", is_directory: true }]);
    const files = await all(w.files.listDirectoryContents({ directory_path: `${dir}/nested` }));
    expect(files).toMatchObject([
      { path: `${dir}/nested/data.csv`, name: "data.csv", is_directory: false, file_size: 8 },
    ]);

    const meta = await w.files.getMetadata({ file_path: `${dir}/nested/data.csv` });
    expect(meta).toMatchObject({ "content-length": "8", "content-type": "application/octet-stream" });
    const download = await w.files.download({ file_path: `${dir}/nested/data.csv` });
    expect(download["content-length"]).toBe("8");
    const reader = (download.contents as ReadableStream<Uint8Array>).getReader();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(text).toBe("a,b\n1,2\n");

    // Its upload sends no body (Content-Length: 0); the emulator stores an empty file.
    await w.files.upload({ file_path: `${dir}/nested/empty.txt`, overwrite: true });
    expect((await db.files.downloadBuffer({ file_path: `${dir}/nested/empty.txt` })).length).toBe(0);

    await w.files.delete({ file_path: `${dir}/nested/data.csv` });
    await w.files.delete({ file_path: `${dir}/nested/empty.txt` });
    await w.files.deleteDirectory({ directory_path: `${dir}/nested` });
    await expect(w.files.getMetadata({ file_path: `${dir}/nested/data.csv` })).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});
