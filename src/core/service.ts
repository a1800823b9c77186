import { deadlineOf, fixCall } from "./call.js";
import type { Clock } from "./clock.js";
import type { RequestOptions, RequestSpec, Transport } from "./http.js";
import { type PollSchedule, type Waiter, type WaitOptions, waitFor } from "./wait.js";

/** What every service client gets from the Databricks client. */
export interface ServiceContext {
  transport: Transport;
  clock: Clock;
  random: () => number;
  /** Normalised workspace URL, for UI links. */
  host: string;
}

/** Base of the `api/` service classes: one HTTP path and one waiter for all of them. */
export abstract class Service {
  /** @internal Service clients are created by `Databricks` (`db.clusters`, `db.jobs`, …). */
  constructor(protected readonly ctx: ServiceContext) {}

  protected request<T>(spec: RequestSpec, options?: RequestOptions): Promise<T> {
    return this.ctx.transport.request<T>(spec, options);
  }

  /**
   * Fixes the options of a public method that sends more than one request (see `fixCall`):
   * pass the result to every request, wait and step of the call.
   */
  protected call(options: RequestOptions | undefined, wait?: { signal?: AbortSignal | undefined }) {
    return fixCall(options, this.ctx.clock, wait);
  }

  /** Polls until `waiter` settles; `call` (fixed options) bounds the wait by the call's deadline and signal. */
  protected wait<S, R>(
    waiter: Waiter<S, R>,
    options: WaitOptions<S>,
    defaultTimeoutMs: number,
    call?: RequestOptions,
    schedule?: PollSchedule,
  ): Promise<R> {
    const signal = call?.signal ?? options.signal;
    return waitFor(waiter, signal ? { ...options, signal } : options, {
      clock: this.ctx.clock,
      random: this.ctx.random,
      defaultTimeoutMs,
      schedule,
      deadline: deadlineOf(call),
    });
  }
}
