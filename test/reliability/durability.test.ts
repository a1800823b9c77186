import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killAndRestart } from "./durability.js";

const dir = mkdtempSync(join(tmpdir(), "brickml-durability-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("emulator durability", () => {
  it("keeps every acknowledged write (experiments, runs and metrics, models and versions, endpoints) across SIGKILLs under load, and never hands out an id twice", {
    timeout: 90_000,
  }, async () => {
    const report = await killAndRestart({
      dataFile: join(dir, "workspace.json"),
      cycles: 3,
      writers: 8,
      killAfterMs: [800, 1600],
    });
    expect(report.problems).toEqual([]);
    expect(report.lost).toEqual([]);
    expect(report.cycles).toBe(3);
    // The kills really landed under load.
    expect(report.acknowledged).toBeGreaterThan(15);
    for (const n of Object.values(report.created)) expect(n).toBeGreaterThan(0);
    expect(report.unanswered).toBeGreaterThan(0);
    // Temporary files of killed saves are cleared at the next start.
    expect(report.leftoverTempFiles).toBe(0);
  });
});
