import nock from "nock";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import type { Clock } from "../../../src/core/clock.js";
import { Databricks } from "../../../src/index.js";

export const HOST = "https://dbc-unit.cloud.databricks.com";

/** A clock whose sleeps pass instantly (and move its time). */
export function fakeClock(start = 1_700_000_000_000): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

export function client(clock: Clock = fakeClock()): Databricks {
  return new Databricks({ host: HOST, token: "dapi-unit", env: {}, clock, random: () => 0.5 });
}

let unmatched = 0;
const countUnmatched = () => {
  unmatched++;
};

/** Requests that reached no interceptor since the test began (a validation error must leave it at 0). */
export function unmatchedRequests(): number {
  return unmatched;
}

/** No real network in unit tests; every interceptor must have been used. */
export function useNock(): void {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on("no match", countUnmatched);
  });
  beforeEach(() => {
    unmatched = 0;
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    if (pending.length) throw new Error(`unused HTTP mocks: ${pending.join(", ")}`);
  });
  afterAll(() => {
    nock.emitter.off("no match", countUnmatched);
    nock.enableNetConnect();
  });
}

export function api(): nock.Scope {
  return nock(HOST);
}
