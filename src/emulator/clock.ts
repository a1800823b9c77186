/** How idle timers (auto-termination, auto-stop, scale-to-zero) run on a running clock. */
export interface IdleTiming {
  /** Idle timers run this many times faster than wall time. */
  timeScale: number;
  /** …and never end sooner than this many wall-clock milliseconds after they start. */
  floorMs: number;
}

export const DEFAULT_IDLE_TIMING: IdleTiming = { timeScale: 10, floorMs: 60_000 };

/**
 * Emulator time. Durations in the emulator are realistic (a cluster starts in minutes); virtual
 * time runs `timeScale` times faster than wall time, or only moves on `advance()` when manual.
 *
 * Work (starting, running, deploying) takes its realistic virtual duration, so it is compressed by
 * `timeScale`. Idle timers wait for people, and a person (or a client polling every few seconds)
 * works in wall time: they run on their own, slower scale with a floor in wall time (`idle()`).
 */
export class EmulatorClock {
  private virtualAtStart: number;
  private realAtStart: number;
  private offset = 0;
  private listeners: Array<() => void> = [];

  constructor(
    readonly timeScale: number,
    readonly manual: boolean,
    start = Date.now(),
    readonly idleTiming: IdleTiming = DEFAULT_IDLE_TIMING,
  ) {
    this.virtualAtStart = start;
    this.realAtStart = Date.now();
  }

  /** Virtual epoch milliseconds. */
  now(): number {
    const running = this.manual ? 0 : (Date.now() - this.realAtStart) * this.timeScale;
    return Math.floor(this.virtualAtStart + running + this.offset);
  }

  /** Moves virtual time forward (any mode) and lets state machines catch up. */
  advance(ms: number): void {
    this.offset += ms;
    for (const l of this.listeners) l();
  }

  /** Wall-clock milliseconds that `virtualMs` of emulator time take. */
  toRealMs(virtualMs: number): number {
    return this.manual ? Number.POSITIVE_INFINITY : virtualMs / this.timeScale;
  }

  /**
   * Virtual milliseconds an idle timer of `ms` lasts. A manual clock keeps it as it is (the test
   * moves time itself); a running clock stretches it so that it takes `ms / idleTiming.timeScale`
   * of wall time, at least `idleTiming.floorMs`, and never less than `ms` of virtual time.
   */
  idle(ms: number): number {
    if (this.manual || ms <= 0) return ms;
    const wallMs = Math.max(ms / this.idleTiming.timeScale, this.idleTiming.floorMs);
    return Math.max(ms, wallMs * this.timeScale);
  }

  /** @internal */
  onAdvance(listener: () => void): void {
    this.listeners.push(listener);
  }
}
