import { describe, expect, it } from "vitest";
import { EmulatorClock, FAULT_KINDS, FaultInjector } from "../../../src/emulator/index.js";

describe("EmulatorClock", () => {
  it("runs timeScale times faster than wall time", async () => {
    const clock = new EmulatorClock(1000, false, 0);
    const wallStart = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    const wall = Date.now() - wallStart;
    expect(clock.now()).toBeGreaterThanOrEqual(wall * 1000 - 1000);
    expect(clock.toRealMs(60_000)).toBe(60);
  });

  it("a manual clock stands still until advanced; advance also works on a running clock", () => {
    const manual = new EmulatorClock(600, true, 1_000);
    expect(manual.now()).toBe(1_000);
    manual.advance(5_000);
    expect(manual.now()).toBe(6_000);
    const running = new EmulatorClock(1, false, 0);
    const before = running.now();
    running.advance(3_600_000);
    expect(running.now()).toBeGreaterThanOrEqual(before + 3_600_000);
  });

  it("stretches idle timers to their own scale with a floor in wall time; a manual clock keeps them", () => {
    const running = new EmulatorClock(600, false, 0, { timeScale: 10, floorMs: 60_000 });
    // Ten idle minutes: a minute of wall time, i.e. 600 virtual minutes at 600x.
    expect(running.idle(10 * 60_000)).toBe(60_000 * 600);
    // Two idle minutes would take 12 s of wall time: the floor makes it 60 s.
    expect(running.idle(2 * 60_000)).toBe(60_000 * 600);
    // A slow clock never makes an idle timer shorter than its nominal length.
    expect(new EmulatorClock(1, false, 0).idle(10 * 60_000)).toBe(10 * 60_000);
    expect(new EmulatorClock(600, true, 0).idle(10 * 60_000)).toBe(10 * 60_000);
  });

  it("tells listeners when time was advanced", () => {
    const clock = new EmulatorClock(1, true, 0);
    let calls = 0;
    clock.onAdvance(() => calls++);
    clock.advance(1);
    clock.advance(1);
    expect(calls).toBe(2);
  });
});

describe("FaultInjector", () => {
  const draws = (f: FaultInjector, n: number, method = "GET", path = "/api/2.0/x") =>
    Array.from({ length: n }, () => f.draw(method, path) ?? "none");

  it("is repeatable with a seed", () => {
    const a = draws(new FaultInjector({ rate: 0.3, seed: 99 }), 200);
    const b = draws(new FaultInjector({ rate: 0.3, seed: 99 }), 200);
    const c = draws(new FaultInjector({ rate: 0.3, seed: 100 }), 200);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("injects at about the given rate, drawing every kind", () => {
    const f = new FaultInjector({ rate: 0.25, seed: 1 });
    const out = draws(f, 4000);
    const faults = out.filter((k) => k !== "none").length;
    expect(faults / out.length).toBeGreaterThan(0.2);
    expect(faults / out.length).toBeLessThan(0.3);
    for (const kind of FAULT_KINDS) expect(out).toContain(kind);
    expect(Object.values(f.counts()).reduce((x, y) => x + y, 0)).toBe(faults);
  });

  it("rate 0 never and rate 1 always", () => {
    expect(draws(new FaultInjector({ rate: 0 }), 100).every((k) => k === "none")).toBe(true);
    expect(draws(new FaultInjector({ rate: 1, kinds: ["500"] }), 100).every((k) => k === "500")).toBe(true);
  });

  it("set() restarts the seeded sequence; clear() stops faults", () => {
    const f = new FaultInjector({ rate: 0.5, seed: 4 });
    const first = draws(f, 50);
    f.set({ rate: 0.5, seed: 4 });
    expect(draws(f, 50)).toEqual(first);
    f.clear();
    expect(draws(f, 50).every((k) => k === "none")).toBe(true);
  });

  it("has defaults for delay and Retry-After", () => {
    const f = new FaultInjector();
    expect([f.delayMs, f.retryAfterSeconds]).toEqual([200, 1]);
    f.set({ rate: 1, delayMs: 5, retryAfterSeconds: 0 });
    expect([f.delayMs, f.retryAfterSeconds]).toEqual([5, 0]);
  });
});
