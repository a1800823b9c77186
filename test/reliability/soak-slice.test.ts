// A small slice of `npm run soak`: four full life cycles side by side at 20 % injected faults of
// every kind; both finish, and the workspace holds exactly one run, one model version and one
// endpoint config each.
import { describe, expect, it } from "vitest";
import { FAULT_KINDS } from "../../src/emulator/index.js";
import { soak } from "./soak.js";

describe("life cycles under faults", () => {
  it("four at 20 % faults all finish, with nothing duplicated or lost", { timeout: 30_000 }, async () => {
    const report = await soak({ lifecycles: 4, concurrency: 4, faultRate: 0.2, seed: 5, clock: "driving" });
    expect(report.failed).toEqual([]);
    expect(report.completed).toBe(4);
    expect(report.problems).toEqual([]);
    // Faults really happened, of every kind, and were retried through.
    const injected = Object.values(report.faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(10);
    expect(FAULT_KINDS.filter((k) => report.faults[k] === 0)).toEqual([]);
    expect(report.retries).toBeGreaterThan(5);
  });
});
