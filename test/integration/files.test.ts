import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks, isAlreadyExists, isNotFound, isValidationError } from "../../src/index.js";
import { rejection } from "../helpers.js";

const VOL = "/Volumes/main/default/landing";

describe("Files API against the emulator", () => {
  let emu: Emulator;
  let db: Databricks;
  let dir: string;
  beforeAll(async () => {
    emu = await startEmulator();
    db = new Databricks({ host: emu.url, token: emu.token, env: {}, random: () => 0 });
    dir = await mkdtemp(join(tmpdir(), "brickml-files-it-"));
  });
  afterAll(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips bytes, text, streams and local files, with metadata", async () => {
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    await db.files.upload({ file_path: `${VOL}/raw/bytes.bin`, contents: bytes });
    expect(await db.files.downloadBuffer({ file_path: `${VOL}/raw/bytes.bin` })).toEqual(bytes);

    await db.files.upload({ file_path: `${VOL}/raw/with space & #hash.txt`, contents: "héllo" });
    expect(
      (await db.files.downloadBuffer({ file_path: `${VOL}/raw/with space & #hash.txt` })).toString(),
    ).toBe("héllo");

    await db.files.upload({
      file_path: `${VOL}/raw/stream.txt`,
      contents: () => Readable.from(["a", "b", "c"]),
    });
    const meta = await db.files.getMetadata({ file_path: `${VOL}/raw/stream.txt` });
    expect(meta.content_length).toBe(3);
    expect(meta.content_type).toBe("application/octet-stream");
    expect(Date.parse(meta.last_modified!)).not.toBeNaN();

    const local = join(dir, "in.csv");
    await writeFile(local, "a,b\n1,2\n");
    await db.files.uploadFromFile({ file_path: `${VOL}/raw/in.csv`, local_path: local });
    const out = join(dir, "out.csv");
    const m = await db.files.downloadToFile({ file_path: `${VOL}/raw/in.csv`, local_path: out });
    expect(m.content_length).toBe(8);
    expect(await readFile(out, "utf8")).toBe("a,b\n1,2\n");
  });

  it("honours overwrite=false and reports missing files as NotFound", async () => {
    await db.files.upload({ file_path: `${VOL}/once.txt`, contents: "1" });
    const err = await rejection(
      db.files.upload({ file_path: `${VOL}/once.txt`, contents: "2", overwrite: false }),
    );
    expect(isAlreadyExists(err)).toBe(true);
    await db.files.upload({ file_path: `${VOL}/once.txt`, contents: "3", overwrite: true });
    expect((await db.files.downloadBuffer({ file_path: `${VOL}/once.txt` })).toString()).toBe("3");

    await db.files.delete({ file_path: `${VOL}/once.txt` });
    expect(isNotFound(await rejection(db.files.getMetadata({ file_path: `${VOL}/once.txt` })))).toBe(true);
    expect(isNotFound(await rejection(db.files.delete({ file_path: `${VOL}/once.txt` })))).toBe(true);
  });

  it("serves byte ranges", async () => {
    await db.files.upload({ file_path: `${VOL}/range.txt`, contents: "0123456789" });
    const part = await db.files.download(
      { file_path: `${VOL}/range.txt` },
      { headers: { Range: "bytes=2-5" } },
    );
    let text = "";
    for await (const c of part.contents) text += c;
    expect(text).toBe("2345");
  });

  it("creates, lists (paged), checks and removes directories", async () => {
    await db.files.createDirectory({ directory_path: `${VOL}/tree/empty` });
    await db.files.createDirectory({ directory_path: `${VOL}/tree/empty` }); // idempotent
    for (const name of ["b.txt", "a.txt", "sub/c.txt"]) {
      await db.files.upload({ file_path: `${VOL}/tree/${name}`, contents: name });
    }
    const pages = [];
    for await (const page of db.files
      .listDirectoryContents({ directory_path: `${VOL}/tree`, page_size: 2 })
      .pages()) {
      pages.push(page.items.map((e) => `${e.name}${e.is_directory ? "/" : ""}`));
    }
    expect(pages).toEqual([
      ["a.txt", "b.txt"],
      ["empty/", "sub/"],
    ]);
    const [a] = await db.files.listDirectoryContents({ directory_path: `${VOL}/tree` }).toArray({ limit: 1 });
    expect(a).toMatchObject({ path: `${VOL}/tree/a.txt`, is_directory: false, file_size: 5 });

    await db.files.getDirectoryMetadata({ directory_path: `${VOL}/tree/sub` });
    const notEmpty = await rejection(db.files.deleteDirectory({ directory_path: `${VOL}/tree/sub` }));
    expect(notEmpty.errorCode).toBe("DIRECTORY_NOT_EMPTY");
    await db.files.deleteDirectory({ directory_path: `${VOL}/tree/empty` });
    expect(
      isNotFound(await rejection(db.files.getDirectoryMetadata({ directory_path: `${VOL}/tree/empty` }))),
    ).toBe(true);
    expect(
      isNotFound(
        await rejection(db.files.listDirectoryContents({ directory_path: `${VOL}/nope` }).firstPage()),
      ),
    ).toBe(true);
  });

  it("rejects paths outside the Files API roots on the server, and bad paths on the client", async () => {
    const err = await rejection(db.files.upload({ file_path: "/tmp/x.txt", contents: "x" }));
    expect(err.errorCode).toBe("INVALID_PARAMETER_VALUE");
    const err2 = await rejection(
      db.files.upload({ file_path: "/Volumes/main/default/v/../x", contents: "x" }),
    );
    expect(isValidationError(err2)).toBe(true);
  });

  it("keeps files, with their bytes, in the emulator's data file across restarts", async () => {
    const dataFile = join(dir, "state.json");
    const first = await startEmulator({ dataFile, token: "persist" });
    const bytes = Buffer.from([0, 255, 1, 254]);
    try {
      const client = new Databricks({ host: first.url, token: "persist", env: {} });
      await client.files.upload({ file_path: `${VOL}/kept/data.bin`, contents: bytes });
    } finally {
      await first.close();
    }
    const second = await startEmulator({ dataFile, token: "persist" });
    try {
      const client = new Databricks({ host: second.url, token: "persist", env: {} });
      expect(await client.files.downloadBuffer({ file_path: `${VOL}/kept/data.bin` })).toEqual(bytes);
    } finally {
      await second.close();
    }
  });

  it("keeps uploads whole through injected faults (stream factories are re-opened)", async () => {
    emu.faults.set({ rate: 0.5, kinds: ["503", "reset-before"], seed: 7, path: "/fs/files/" });
    try {
      for (let i = 0; i < 6; i++) {
        const body = `payload ${i} `.repeat(1000);
        await db.files.upload({ file_path: `${VOL}/faulty/${i}.txt`, contents: () => Readable.from([body]) });
        expect((await db.files.downloadBuffer({ file_path: `${VOL}/faulty/${i}.txt` })).toString()).toBe(
          body,
        );
      }
      expect(emu.faults.counts()["503"] + emu.faults.counts()["reset-before"]).toBeGreaterThan(0);
    } finally {
      emu.faults.clear();
    }
  });
});
