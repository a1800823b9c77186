import { describe, expect, it } from "vitest";
import { errorFromResponse } from "../../../src/core/error-mapping.js";
import { type Waiter, waitFor } from "../../../src/core/wait.js";
import {
  isAbortError,
  isNotFound,
  isValidationError,
  isWaitTimeout,
  OperationFailedError,
  type ProgressEvent,
  WaitTimeoutError,
} from "../../../src/index.js";
import { FakeClock } from "../../fake-clock.js";
import { rejection } from "../../helpers.js";

interface Cluster {
  state: string;
  state_message?: string;
}

/** A waiter over a scripted sequence of poll results (a value, or an error to throw). */
function scripted(script: Array<Cluster | Error>, clock: FakeClock) {
  const pollTimes: number[] = [];
  const signals: Array<AbortSignal | undefined> = [];
  let i = 0;
  const waiter: Waiter<Cluster, Cluster> = {
    what: "cluster c-1 to be RUNNING",
    async poll(signal) {
      pollTimes.push(clock.now());
      signals.push(signal);
      const next = script[Math.min(i++, script.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
    state: (c) => c.state,
    outcome: (c) =>
      c.state === "RUNNING"
        ? { done: c }
        : c.state === "ERROR"
          ? {
              failed: new OperationFailedError(`Cluster failed: ${c.state_message}`, c.state, { cluster: c }),
            }
          : undefined,
    message: (c) => c.state_message,
    url: () => "https://ws.example.com/#setting/clusters/c-1",
  };
  return { waiter, pollTimes, signals };
}

const ctx = (clock: FakeClock, random = () => 1) => ({ clock, random, defaultTimeoutMs: 20 * 60_000 });
const unavailable = () => errorFromResponse({ status: 503, body: "no healthy upstream" });

describe("waitFor", () => {
  it("reports each state change once and returns the final resource", async () => {
    const clock = new FakeClock();
    const { waiter } = scripted(
      [
        { state: "PENDING", state_message: "Finding instances" },
        { state: "PENDING", state_message: "Finding instances" },
        { state: "RUNNING" },
      ],
      clock,
    );
    const events: ProgressEvent<Cluster>[] = [];
    const done = await waitFor(waiter, { onProgress: (e) => events.push(e) }, ctx(clock));
    expect(done).toEqual({ state: "RUNNING" });
    expect(events.map((e) => [e.previousState, e.state, e.polls, e.elapsedMs])).toEqual([
      [undefined, "PENDING", 1, 0],
      ["PENDING", "RUNNING", 3, 250 + 375],
    ]);
    expect(events[0]!.message).toBe("Finding instances");
    expect(events[0]!.url).toBe("https://ws.example.com/#setting/clusters/c-1");
    expect(events[1]!.resource).toEqual({ state: "RUNNING" });
  });

  it("grows the delay 1.5× per poll with jitter, up to maxDelayMs", async () => {
    const clock = new FakeClock();
    const states: Cluster[] = [
      ...Array.from({ length: 6 }, () => ({ state: "PENDING" })),
      { state: "RUNNING" },
    ];
    await waitFor(scripted(states, clock).waiter, { minDelayMs: 1000, maxDelayMs: 3000 }, ctx(clock));
    expect(clock.sleeps).toEqual([1000, 1500, 2250, 3000, 3000, 3000]);
    const jittered = new FakeClock();
    await waitFor(
      scripted(states, jittered).waiter,
      { minDelayMs: 1000 },
      ctx(jittered, () => 0),
    );
    expect(jittered.sleeps.slice(0, 3)).toEqual([500, 750, 1125]);
  });

  it("follows the operation's schedule, which the caller's options override field by field", async () => {
    const states: Cluster[] = [
      ...Array.from({ length: 5 }, () => ({ state: "PENDING" })),
      { state: "RUNNING" },
    ];
    const schedule = { minDelayMs: 3000, maxDelayMs: 7500, growth: 1.25, jitter: 0.1 };
    const clock = new FakeClock();
    await waitFor(scripted(states, clock).waiter, {}, { ...ctx(clock), schedule });
    expect(clock.sleeps).toEqual([3000, 3750, 4687.5, 5859.375, 7324.21875]);
    const lowJitter = new FakeClock();
    await waitFor(scripted(states, lowJitter).waiter, {}, { ...ctx(lowJitter, () => 0), schedule });
    expect(lowJitter.sleeps[0]).toBe(2700);
    const overridden = new FakeClock();
    await waitFor(
      scripted(states, overridden).waiter,
      { minDelayMs: 1000, growth: 2, jitter: 0 },
      { ...ctx(overridden, () => 0), schedule },
    );
    expect(overridden.sleeps).toEqual([1000, 2000, 4000, 7500, 7500]);
  });

  it("refuses a growth below 1 or a jitter outside 0..1, naming the field", async () => {
    const clock = new FakeClock();
    for (const [options, field] of [
      [{ growth: 0.5 }, "growth"],
      [{ growth: Number.NaN }, "growth"],
      [{ jitter: 1.5 }, "jitter"],
      [{ jitter: -0.1 }, "jitter"],
    ] as const) {
      const { waiter, pollTimes } = scripted([{ state: "PENDING" }], clock);
      const bad = await rejection(waitFor(waiter, options, ctx(clock)));
      expect(isValidationError(bad)).toBe(true);
      expect(String((bad as Error).message) + JSON.stringify(bad)).toContain(field);
      expect(pollTimes).toEqual([]);
    }
  });

  it("rejects with the OperationFailedError of a failed terminal state", async () => {
    const clock = new FakeClock();
    const { waiter } = scripted(
      [{ state: "PENDING" }, { state: "ERROR", state_message: "Quota exceeded" }],
      clock,
    );
    const err = await rejection(waitFor(waiter, {}, ctx(clock)));
    expect(err).toBeInstanceOf(OperationFailedError);
    expect(err.message).toBe("Cluster failed: Quota exceeded");
    expect(err.state).toBe("ERROR");
  });

  it("times out with a WaitTimeoutError carrying the last state and the number of polls", async () => {
    const clock = new FakeClock();
    const { waiter, pollTimes } = scripted([{ state: "PENDING", state_message: "still going" }], clock);
    const start = clock.now();
    const err = await rejection(waitFor(waiter, { timeout: 60_000 }, ctx(clock)));
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(isWaitTimeout(err)).toBe(true);
    expect(err.lastState).toEqual({ state: "PENDING", state_message: "still going" });
    expect(err.polls).toBe(pollTimes.length);
    expect(err.elapsedMs).toBe(60_000);
    expect(err.message).toContain(
      "Timed out after 60 s waiting for cluster c-1 to be RUNNING; last state: PENDING",
    );
    expect(err.message).toContain("{ timeout }");
    // The last poll happens right at the deadline, never after it.
    expect(pollTimes.at(-1)! - start).toBe(60_000);
    expect(pollTimes.every((t) => t - start <= 60_000)).toBe(true);
  });

  it("reports a sub-second timeout in ms, not as 0 s", async () => {
    const clock = new FakeClock();
    const { waiter } = scripted([{ state: "PENDING" }], clock);
    const err = await rejection(waitFor(waiter, { timeout: 100, minDelayMs: 10 }, ctx(clock)));
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err.message).toContain("Timed out after 100 ms waiting for cluster c-1");
  });

  it("has a finite default timeout and refuses an infinite one", async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const err = await rejection(waitFor(scripted([{ state: "PENDING" }], clock).waiter, {}, ctx(clock)));
    expect(isWaitTimeout(err)).toBe(true);
    expect(clock.now() - start).toBe(20 * 60_000);
    for (const timeout of [Number.POSITIVE_INFINITY, 0, -1, Number.NaN]) {
      const bad = await rejection(
        waitFor(scripted([{ state: "PENDING" }], clock).waiter, { timeout }, ctx(clock)),
      );
      expect(isValidationError(bad)).toBe(true);
    }
  });

  it("stops at once when aborted during a sleep", async () => {
    const clock = new FakeClock();
    const { waiter, pollTimes } = scripted([{ state: "PENDING" }], clock);
    const controller = new AbortController();
    clock.onSleep = () => controller.abort();
    const err = await rejection(waitFor(waiter, { signal: controller.signal }, ctx(clock)));
    expect(isAbortError(err)).toBe(true);
    expect(pollTimes).toHaveLength(1);
  });

  it("does not poll with an already aborted signal, and passes the caller's abort to the poll", async () => {
    const clock = new FakeClock();
    const { waiter, pollTimes, signals } = scripted([{ state: "PENDING" }, { state: "RUNNING" }], clock);
    const err = await rejection(waitFor(waiter, { signal: AbortSignal.abort() }, ctx(clock)));
    expect(isAbortError(err)).toBe(true);
    expect(pollTimes).toHaveLength(0);

    const controller = new AbortController();
    await waitFor(waiter, { signal: controller.signal }, ctx(clock));
    controller.abort();
    expect(signals.at(-1)?.aborted).toBe(false); // the poll's signal is released once it finished
  });

  it.each([
    [404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: "Cluster c-1 does not exist" }],
    [400, { error_code: "INVALID_PARAMETER_VALUE", message: "bad id" }],
    [403, { error_code: "PERMISSION_DENIED", message: "no" }],
  ])("fails fast on a permanent error (%i)", async (status, body) => {
    const clock = new FakeClock();
    const error = errorFromResponse({ status, body, path: "/api/2.1/clusters/get" });
    const { waiter, pollTimes } = scripted([{ state: "PENDING" }, error], clock);
    const err = await rejection(waitFor(waiter, {}, ctx(clock)));
    expect(err).toBe(error);
    expect(pollTimes).toHaveLength(2);
    if (status === 404) expect(isNotFound(err)).toBe(true);
  });

  it("tolerates a transient 503 while polling", async () => {
    const clock = new FakeClock();
    const { waiter, pollTimes } = scripted(
      [{ state: "PENDING" }, unavailable(), { state: "RUNNING" }],
      clock,
    );
    expect(await waitFor(waiter, {}, ctx(clock))).toEqual({ state: "RUNNING" });
    expect(pollTimes).toHaveLength(3);
  });

  it("names the last transient error when it times out while polls keep failing", async () => {
    const clock = new FakeClock();
    const { waiter } = scripted([unavailable()], clock);
    const err = await rejection(waitFor(waiter, { timeout: 5000 }, ctx(clock)));
    expect(isWaitTimeout(err)).toBe(true);
    expect(err.polls).toBe(0);
    expect(err.lastState).toBeUndefined();
    expect(err.message).toContain("last state: unknown; last error: no healthy upstream");
    expect(err.cause.statusCode).toBe(503);
  });

  it("does not let a hanging poll hold the wait past its time", async () => {
    const hanging: Waiter<Cluster, Cluster> = {
      what: "endpoint e to be READY",
      poll: (signal) =>
        new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
      state: (c) => c.state,
      outcome: () => undefined,
    };
    const started = Date.now();
    const err = await rejection(waitFor(hanging, { timeout: 40 }, { defaultTimeoutMs: 1000 }));
    expect(isWaitTimeout(err)).toBe(true);
    expect(err.message).toContain("waiting for endpoint e to be READY");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("with the system clock, an abort during a long sleep ends the wait quickly", async () => {
    const waiter: Waiter<Cluster, Cluster> = {
      what: "x",
      poll: async () => ({ state: "PENDING" }),
      state: (c) => c.state,
      outcome: () => undefined,
    };
    const started = Date.now();
    const err = await rejection(
      waitFor(waiter, { minDelayMs: 60_000, signal: AbortSignal.timeout(30) }, { defaultTimeoutMs: 600_000 }),
    );
    expect(isAbortError(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
