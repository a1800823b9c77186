import { abortReason, type Clock, systemClock } from "./clock.js";
import { AbortError, TimeoutError, ValidationError, WaitTimeoutError } from "./errors.js";
import { shouldRetry } from "./retry.js";
import { traceWait } from "./telemetry.js";

/** Reported to `onProgress` whenever the observed state changes. */
export interface ProgressEvent<S = unknown> {
  /** Short label of the new state, e.g. `RUNNING` or `NOT_READY/IN_PROGRESS`. */
  state: string;
  previousState: string | undefined;
  elapsedMs: number;
  polls: number;
  /** The resource as last read. */
  resource: S;
  /** A human-readable line, e.g. a state message from the server. */
  message?: string | undefined;
  /** Where to look at the resource in the workspace UI, when known. */
  url?: string | undefined;
}

export interface WaitOptions<S = unknown> {
  /** Give up after this many ms (each operation has a finite default). */
  timeout?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent<S>) => void;
  /** First delay between polls; grows `growth`× per poll up to `maxDelayMs`. Defaults: the operation's schedule. */
  minDelayMs?: number;
  /** Longest delay between polls. */
  maxDelayMs?: number;
  /** Factor by which the delay grows after each poll (at least 1). */
  growth?: number;
  /** Share of each delay taken off at random (0 to 1), so that many waiters do not poll in step. */
  jitter?: number;
}

/** How often to poll: shaped by each operation to its typical duration. */
export type PollSchedule = Required<Pick<WaitOptions, "minDelayMs" | "maxDelayMs" | "growth" | "jitter">>;

/** For operations with no schedule of their own: quick at first, then every 10 s at most. */
export const DEFAULT_SCHEDULE: PollSchedule = {
  minDelayMs: 250,
  maxDelayMs: 10_000,
  growth: 1.5,
  jitter: 0.5,
};

export type Outcome<R> = { done: R } | { failed: Error } | undefined;

/** What to wait for: how to read the resource, name its state, and recognise the end. */
export interface Waiter<S, R> {
  /** For messages: e.g. `cluster 0123-abc to be RUNNING`. */
  what: string;
  poll(signal?: AbortSignal): Promise<S>;
  state(resource: S): string;
  /** `{ done }` on success, `{ failed }` on a terminal failure, undefined while pending. */
  outcome(resource: S): Outcome<R> | Promise<Outcome<R>>;
  message?(resource: S): string | undefined;
  url?(resource: S): string | undefined;
}

export interface WaitContext {
  clock?: Clock;
  random?: () => number;
  defaultTimeoutMs: number;
  /** The operation's poll schedule; `WaitOptions` override it field by field. */
  schedule?: PollSchedule;
  /** The deadline of the call the wait is part of (ms since the epoch): the wait ends by it too. */
  deadline?: number | undefined;
}

// The poll in flight when the time is up may take this long to answer before the wait gives up.
const LAST_POLL_GRACE_MS = 10_000;
// Longest delay setTimeout accepts; longer budgets are not bounded by a timer.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The one polling primitive: jittered growing delays shaped per operation, a finite deadline, abort, progress, fail-fast. */
export function waitFor<S, R>(waiter: Waiter<S, R>, options: WaitOptions<S>, ctx: WaitContext): Promise<R> {
  return traceWait(waiter, (w) => waitLoop(w, options, ctx));
}

async function waitLoop<S, R>(waiter: Waiter<S, R>, options: WaitOptions<S>, ctx: WaitContext): Promise<R> {
  const clock = ctx.clock ?? systemClock;
  const random = ctx.random ?? Math.random;
  const timeout = options.timeout ?? ctx.defaultTimeoutMs;
  if (!(timeout > 0) || !Number.isFinite(timeout)) {
    throw new ValidationError("wait options", [
      { path: "timeout", message: "must be a finite number of ms above 0" },
    ]);
  }
  const schedule = ctx.schedule ?? DEFAULT_SCHEDULE;
  const minDelay = options.minDelayMs ?? schedule.minDelayMs;
  const maxDelay = Math.max(minDelay, options.maxDelayMs ?? schedule.maxDelayMs);
  const growth = options.growth ?? schedule.growth;
  const jitter = options.jitter ?? schedule.jitter;
  if (!(growth >= 1) || !Number.isFinite(growth)) {
    throw new ValidationError("wait options", [
      { path: "growth", message: "must be a finite number of at least 1" },
    ]);
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new ValidationError("wait options", [{ path: "jitter", message: "must be between 0 and 1" }]);
  }
  const start = clock.now();
  const callDeadline = ctx.deadline ?? Number.POSITIVE_INFINITY;
  const deadline = Math.min(start + timeout, callDeadline);
  let polls = 0;
  let last: S | undefined;
  let lastState: string | undefined;
  let lastError: unknown;
  let delay = minDelay;

  const timedOut = () => {
    const elapsed = clock.now() - start;
    const error = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
    if (clock.now() >= callDeadline) {
      return new TimeoutError(
        `The call's deadline passed after ${elapsed} ms of waiting for ${waiter.what}; last state: ${lastState ?? "unknown"}${error}`,
        { cause: lastError },
      );
    }
    return new WaitTimeoutError(
      `Timed out after ${formatElapsed(elapsed)} waiting for ${waiter.what}; last state: ${lastState ?? "unknown"}${error}. ` +
        "Pass a longer { timeout } to keep waiting.",
      last,
      polls,
      elapsed,
      { cause: lastError },
    );
  };

  for (;;) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (clock.now() >= callDeadline) throw timedOut();
    let resource: S | undefined;
    // The poll in flight at the wait's timeout gets a grace; none past the call's deadline.
    const bound = boundedPoll(
      options.signal,
      Math.min(
        Math.max(deadline - clock.now(), Math.min(LAST_POLL_GRACE_MS, timeout)),
        callDeadline - clock.now(),
      ),
    );
    try {
      resource = await waiter.poll(bound.signal);
    } catch (error) {
      if (bound.expired()) throw timedOut();
      // Transient errors (already retried by the transport) do not end a wait; permanent ones do.
      if (options.signal?.aborted || !shouldRetry(error, true).retry) throw error;
      lastError = error;
    } finally {
      bound.done();
    }
    if (resource !== undefined) {
      polls++;
      last = resource;
      const state = waiter.state(resource);
      if (state !== lastState) {
        options.onProgress?.({
          state,
          previousState: lastState,
          elapsedMs: clock.now() - start,
          polls,
          resource,
          message: waiter.message?.(resource),
          url: waiter.url?.(resource),
        });
        lastState = state;
      }
      const outcome = await waiter.outcome(resource);
      if (outcome && "done" in outcome) return outcome.done;
      if (outcome && "failed" in outcome) throw outcome.failed;
    }
    const now = clock.now();
    if (now >= deadline) throw timedOut();
    // Between (1 - jitter) and all of the delay; one last poll right at the deadline.
    const sleep = Math.min(delay * (1 - jitter + jitter * random()), deadline - now);
    await clock.sleep(sleep, options.signal);
    delay = Math.min(maxDelay, delay * growth);
  }
}

/**
 * A signal for one poll: fires when the caller aborts, or when the poll is still running after
 * `budgetMs`, so a hanging status request cannot hold the wait past its timeout.
 */
function boundedPoll(outer: AbortSignal | undefined, budgetMs: number) {
  const controller = new AbortController();
  let expired = false;
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onAbort, { once: true });
  const timer =
    budgetMs <= MAX_TIMER_MS
      ? setTimeout(() => {
          expired = true;
          controller.abort(new AbortError("The wait's time ran out while a poll was in flight"));
        }, budgetMs)
      : undefined;
  timer?.unref?.();
  return {
    signal: controller.signal,
    expired: () => expired,
    done: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

/** "100 ms" below a second, whole seconds above, so a short timeout never reads "0 s". */
function formatElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`;
}
