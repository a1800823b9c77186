import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

export interface Snapshot {
  version: 1;
  clock: number;
  nextId: number;
  /** Position of the random source of ids, so ids drawn after a restart are new ones. */
  random?: number;
  services: Record<string, unknown>;
}

/** Reads a snapshot; undefined when the file does not exist yet. */
export function loadSnapshot(file: string): Snapshot | undefined {
  removeStaleTempFiles(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let snap: Snapshot;
  try {
    snap = JSON.parse(text) as Snapshot;
  } catch (e) {
    throw new Error(
      `${file} is not an emulator data file (${(e as Error).message}); move it away to start afresh`,
    );
  }
  if (snap?.version !== 1) throw new Error(`${file}: unknown emulator data format version ${snap?.version}`);
  return snap;
}

/**
 * Writes the snapshot to a temporary file, flushes it, and renames it over the old one: a crash
 * mid-write leaves either the old or the new state, never a torn file. The temporary file a
 * crash leaves behind is removed at the next start.
 */
export function saveSnapshot(file: string, snap: Snapshot): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, JSON.stringify(snap));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDirectory(dirname(file));
}

/** Makes the rename itself durable; not every platform can open a directory, so best effort. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Removes `<file>.<pid>.tmp` files whose process is gone (killed in the middle of a save). */
function removeStaleTempFiles(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)\.tmp$/.exec(name.slice(prefix.length))?.[1]);
    if (name.startsWith(prefix) && pid && !alive(pid)) rmSync(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
