/**
 * Emulator time. Durations in the emulator are realistic (a cluster starts in minutes); virtual
 * time runs `timeScale` times faster than wall time, or only moves on `advance()` when manual.
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

  /** @internal */
  onAdvance(listener: () => void): void {
    this.listeners.push(listener);
  }
}
