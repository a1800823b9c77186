export const FAULT_KINDS = ["429", "500", "503", "reset-before", "reset-after", "delay"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  /** Probability (0–1) that a matching request gets a fault. */
  rate: number;
  /** Kinds to draw from, uniformly (default: all). */
  kinds?: FaultKind[];
  /** Seed of the random draw, for repeatable runs. */
  seed?: number;
  /** Only these methods (default: all). */
  methods?: string[];
  /** Only paths matching this (a regular expression or a substring). */
  path?: string | RegExp;
  /** Length of `delay` faults in wall-clock ms (default 200). */
  delayMs?: number;
  /** `Retry-After` of 429 faults in seconds (default 1). */
  retryAfterSeconds?: number;
}

/**
 * A small seeded generator (mulberry32): same seed, same sequence. Its whole position is one
 * 32-bit `state`, so it can be saved and resumed exactly where it stopped.
 */
export class SeededRandom {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function seededRandom(seed: number): () => number {
  const source = new SeededRandom(seed);
  return () => source.next();
}

export function validateFaultSpec(spec: FaultSpec): void {
  if (!(spec.rate >= 0 && spec.rate <= 1))
    throw new RangeError(`faults.rate must be between 0 and 1, got ${spec.rate}`);
  for (const k of spec.kinds ?? []) {
    if (!FAULT_KINDS.includes(k))
      throw new RangeError(`Unknown fault kind "${k}"; use one of ${FAULT_KINDS.join(", ")}`);
  }
}

/** Decides, per request, whether and which fault to inject, and counts what it injected. */
export class FaultInjector {
  private spec: FaultSpec | undefined;
  private random: () => number = Math.random;
  private readonly injected = new Map<FaultKind, number>();

  constructor(spec?: FaultSpec) {
    if (spec) this.set(spec);
  }

  set(spec: FaultSpec): void {
    validateFaultSpec(spec);
    this.spec = spec;
    this.random = seededRandom(spec.seed ?? 1);
  }

  clear(): void {
    this.spec = undefined;
  }

  /** Faults injected so far, per kind. */
  counts(): Record<FaultKind, number> {
    return Object.fromEntries(FAULT_KINDS.map((k) => [k, this.injected.get(k) ?? 0])) as Record<
      FaultKind,
      number
    >;
  }

  get delayMs(): number {
    return this.spec?.delayMs ?? 200;
  }

  get retryAfterSeconds(): number {
    return this.spec?.retryAfterSeconds ?? 1;
  }

  /** @internal */
  draw(method: string, path: string): FaultKind | undefined {
    const s = this.spec;
    if (!s || s.rate <= 0) return undefined;
    if (s.methods && !s.methods.includes(method)) return undefined;
    if (s.path !== undefined && !(typeof s.path === "string" ? path.includes(s.path) : s.path.test(path)))
      return undefined;
    if (this.random() >= s.rate) return undefined;
    const kinds = s.kinds?.length ? s.kinds : FAULT_KINDS;
    const kind = kinds[Math.floor(this.random() * kinds.length)]!;
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    return kind;
  }
}
