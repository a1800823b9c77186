import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killAndRestart } from "./durability.js";

const dir = mkdtempSync(join(tmpdir(), "brickml-durability-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("emulator durability", () => {
  it("keeps every acknowledged write across SIGKILLs under load", { timeout: 60_000 }, async () => {
    const report = await killAndRestart({
      dataFile: join(dir, "workspace.json"),
      cycles: 3,
      writers: 8,
      killAfterMs: [150, 400],
    });
    expect(report.problems).toEqual([]);
    expect(report.lost).toEqual([]);
    expect(report.cycles).toBe(3);
    // The kills really landed under load.
    expect(report.acknowledged).toBeGreaterThan(30);
    expect(report.unanswered).toBeGreaterThan(0);
    // Temporary files of killed saves are cleared at the next start.
    expect(report.leftoverTempFiles).toBe(0);
  });
});
