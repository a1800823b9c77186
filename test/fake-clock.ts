import type { Clock } from "../src/core/clock.js";
import { abortReason } from "../src/core/clock.js";

/**
 * A clock for tests: `sleep` moves virtual time forward at once instead of waiting, and records
 * every sleep. `onSleep` runs before a sleep completes (e.g. to abort a signal "during" it).
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  onSleep: ((ms: number) => void) | undefined;

  constructor(private current = Date.parse("2025-01-01T00:00:00Z")) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortReason(signal);
    this.sleeps.push(ms);
    this.onSleep?.(ms);
    if (signal?.aborted) throw abortReason(signal);
    this.current += Math.max(0, ms);
  }
}
