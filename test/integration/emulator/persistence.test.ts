import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../src/emulator/index.js";
import { loadSnapshot, type Snapshot, saveSnapshot } from "../../../src/emulator/persistence.js";
import { STARTUP_MS, type Thing, type ThingsState, thingsService } from "./things-service.js";

const dir = mkdtempSync(join(tmpdir(), "brickml-emu-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (dataFile: string, extra: object = {}) =>
  startEmulator({ dataFile, extraServices: [thingsService], manualClock: true, token: "t", ...extra });

async function create(emu: Emulator, name: string): Promise<string> {
  const res = await fetch(`${emu.url}/api/2.0/things/create`, {
    method: "POST",
    headers: { authorization: "Bearer t", "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  return ((await res.json()) as { id: string }).id;
}

const stateOf = (emu: Emulator) => emu.context.state<ThingsState>("things").things;

describe("persistence with a data file", () => {
  it("keeps state, ids and virtual time across a restart", async () => {
    const file = join(dir, "restart.json");
    const first = await start(file);
    const a = await create(first, "a");
    first.clock.advance(30_000);
    const timeAtClose = first.clock.now();
    await first.close();

    const second = await start(file);
    try {
      expect(stateOf(second)[a]).toMatchObject({ name: "a", state: "PENDING" });
      expect(second.clock.now()).toBe(timeAtClose);
      const b = await create(second, "b");
      expect(b).not.toBe(a); // ids continue, they do not restart
      // The state machine carries on from where it was: 30 s more and `a` is ready.
      second.clock.advance(STARTUP_MS - 30_000);
      expect(stateOf(second)[a]!.state).toBe("READY");
    } finally {
      await second.close();
    }
  });

  it("saves after every change, so state survives a crash without close()", async () => {
    const file = join(dir, "crash.json");
    const emu = await start(file);
    const id = await create(emu, "kept");
    // No close(): read the file as a fresh process would after a crash.
    const snap = loadSnapshot(file)!;
    expect((snap.services.things as ThingsState).things[id]).toMatchObject({ name: "kept" });
    await emu.close();
  });

  it("a crash mid-write leaves a loadable file: the old one, next to a torn temporary file", async () => {
    const file = join(dir, "torn.json");
    const emu = await start(file);
    const id = await create(emu, "before-crash");
    await emu.close();
    // What a crash during the next save leaves behind: a half-written temporary file.
    writeFileSync(`${file}.99999.tmp`, '{"version":1,"clock":12,"services":{"things":{"thi');
    const again = await start(file);
    try {
      expect(stateOf(again)[id]).toMatchObject({ name: "before-crash" });
      // The crashed process is gone, so its temporary file is cleared away.
      expect(existsSync(`${file}.99999.tmp`)).toBe(false);
    } finally {
      await again.close();
    }
  });

  it("saveSnapshot writes a temporary file and renames it over the old one", () => {
    const file = join(dir, "atomic.json");
    const snap = (n: number): Snapshot => ({ version: 1, clock: n, nextId: n, services: {} });
    saveSnapshot(file, snap(1));
    const before = statSync(file).ino;
    saveSnapshot(file, snap(2));
    // A rename replaces the file (new inode); writing in place would keep the inode.
    expect(statSync(file).ino).not.toBe(before);
    expect(loadSnapshot(file)!.clock).toBe(2);
    expect(readdirSync(dir).filter((f) => f.startsWith("atomic.json."))).toEqual([]);
  });

  it("a save that fails half-way never touches the old file", () => {
    const file = join(dir, "failing.json");
    saveSnapshot(file, { version: 1, clock: 1, nextId: 1, services: { x: "old" } });
    const old = readFileSync(file, "utf8");
    // Make the temporary file impossible to create.
    mkdirSync(`${file}.${process.pid}.tmp`);
    expect(() => saveSnapshot(file, { version: 1, clock: 2, nextId: 2, services: { x: "new" } })).toThrow();
    expect(readFileSync(file, "utf8")).toBe(old);
    rmSync(`${file}.${process.pid}.tmp`, { recursive: true });
  });

  it("a missing file starts empty; a file that is not emulator data is refused clearly", async () => {
    expect(loadSnapshot(join(dir, "none.json"))).toBeUndefined();
    const junk = join(dir, "junk.json");
    writeFileSync(junk, "hello");
    await expect(start(junk)).rejects.toThrow(`${junk} is not an emulator data file`);
    writeFileSync(junk, JSON.stringify({ version: 7 }));
    await expect(start(junk)).rejects.toThrow("unknown emulator data format version 7");
  });

  it("a service added after the file was written starts from its init()", async () => {
    const file = join(dir, "added.json");
    saveSnapshot(file, { version: 1, clock: 5, nextId: 10, services: {} });
    const emu = await start(file);
    try {
      expect(stateOf(emu)).toEqual({});
      expect(await create(emu, "n")).toBe("t-10");
      expect((stateOf(emu)["t-10"] as Thing).created_at).toBe(5);
    } finally {
      await emu.close();
    }
  });
});
