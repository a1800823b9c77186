import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface Snapshot {
  version: 1;
  clock: number;
  nextId: number;
  services: Record<string, unknown>;
}

/** Reads a snapshot; undefined when the file does not exist yet. */
export function loadSnapshot(file: string): Snapshot | undefined {
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
 * mid-write leaves either the old or the new state, never a torn file. A leftover temporary file
 * from a crash is simply overwritten by the next save.
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
