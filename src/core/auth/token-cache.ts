import { type Clock, untilAborted } from "../clock.js";

export interface Token {
  accessToken: string;
  /** Epoch ms; undefined means it never expires. */
  expiresAt?: number | undefined;
}

/**
 * Caches a token, refreshes it `earlyMs` before it expires, and makes concurrent callers share
 * one refresh instead of each asking the token endpoint. The shared refresh is bounded by
 * `timeoutMs` and not by any one caller's signal: a caller that gives up stops waiting for it,
 * but the others still get the token.
 */
export class TokenCache {
  private token: Token | undefined;
  private inflight: Promise<Token> | undefined;

  constructor(
    private readonly fetchToken: (signal: AbortSignal) => Promise<Token>,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly earlyMs = 40_000,
  ) {}

  async get(signal?: AbortSignal): Promise<string> {
    const t = this.token;
    if (t && (t.expiresAt === undefined || t.expiresAt - this.earlyMs > this.clock.now()))
      return t.accessToken;
    this.inflight ??= this.fetchToken(AbortSignal.timeout(this.timeoutMs)).then(
      (fresh) => {
        this.token = fresh;
        this.inflight = undefined;
        return fresh;
      },
      (err) => {
        this.inflight = undefined;
        throw err;
      },
    );
    return (await untilAborted(this.inflight, signal)).accessToken;
  }
}
