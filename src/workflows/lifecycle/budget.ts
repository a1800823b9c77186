import type { Clock } from "../../core/clock.js";
import { TimeoutError } from "../../core/errors.js";
import type { RequestOptions } from "../../core/http.js";
import type { WaitOptions } from "../../core/wait.js";

/** A deadline (ms from now, or a point in time) and a signal for a whole plan or apply. */
export interface CallLimits {
  deadline?: number | Date;
  signal?: AbortSignal;
}

/**
 * The limits of one call, fixed when it starts: a numeric deadline becomes a point in time once,
 * so every request, retry and wait inside shares the same end instead of starting its own.
 */
export class Budget {
  private readonly end: Date | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly limits: CallLimits = {},
  ) {
    const d = limits.deadline;
    this.end = d === undefined ? undefined : d instanceof Date ? d : new Date(clock.now() + d);
  }

  /** Options for every request inside the call. */
  request(): RequestOptions {
    return {
      ...(this.end ? { deadline: this.end } : {}),
      ...(this.limits.signal ? { signal: this.limits.signal } : {}),
    };
  }

  /** Options for a wait inside the call: its timeout is what is left of the deadline. */
  wait<S>(extra: WaitOptions<S> = {}): WaitOptions<S> {
    const out: WaitOptions<S> = { ...extra };
    if (this.limits.signal) out.signal = this.limits.signal;
    if (this.end) {
      const left = this.end.getTime() - this.clock.now();
      if (left <= 0) throw new TimeoutError("The life cycle's deadline passed");
      out.timeout = Math.min(left, extra.timeout ?? left);
    }
    return out;
  }
}
