import { describe, expect, it } from "vitest";
import { deadlineOf, fixCall } from "../../../src/core/call.js";
import { type Waiter, waitFor } from "../../../src/core/wait.js";
import { isTimeoutError, isWaitTimeout } from "../../../src/index.js";
import { FakeClock } from "../../fake-clock.js";
import { rejection } from "../../helpers.js";

const pending: Waiter<{ state: string }, never> = {
  what: "cluster c-1 to be RUNNING",
  poll: async () => ({ state: "PENDING" }),
  state: (c) => c.state,
  outcome: () => undefined,
};

describe("fixCall", () => {
  it("turns a numeric deadline into a point in time once; fixing again changes nothing", () => {
    const clock = new FakeClock();
    const fixed = fixCall({ deadline: 1_500, maxRetries: 2 }, clock);
    expect(deadlineOf(fixed)).toBe(clock.now() + 1_500);
    expect(fixed.maxRetries).toBe(2);
    clock.advance(1_000);
    expect(deadlineOf(fixCall(fixed, clock))).toBe(deadlineOf(fixed));
    expect(fixCall(undefined, clock)).toEqual({});
  });

  it("combines the call's signal and the wait's signal: either one aborts", () => {
    const clock = new FakeClock();
    const call = new AbortController();
    const wait = new AbortController();
    const fixed = fixCall({ signal: call.signal }, clock, { signal: wait.signal });
    expect(fixed.signal?.aborted).toBe(false);
    wait.abort(new Error("stop"));
    expect(fixed.signal?.aborted).toBe(true);
    expect(fixCall({}, clock, { signal: call.signal }).signal).toBe(call.signal);
  });
});

describe("waitFor within a call's deadline", () => {
  it("ends at the call's deadline with a TimeoutError, before its own timeout", async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const error = await rejection(
      waitFor(pending, { timeout: 60_000 }, { clock, defaultTimeoutMs: 60_000, deadline: start + 5_000 }),
    );
    expect(isTimeoutError(error)).toBe(true);
    expect(error.message).toContain("deadline passed");
    expect(error.message).toContain("last state: PENDING");
    expect(clock.now() - start).toBe(5_000);
  });

  it("ends at its own timeout with a WaitTimeoutError when that comes first", async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const error = await rejection(
      waitFor(pending, { timeout: 2_000 }, { clock, defaultTimeoutMs: 60_000, deadline: start + 5_000 }),
    );
    expect(isWaitTimeout(error)).toBe(true);
    expect(clock.now() - start).toBe(2_000);
  });
});
