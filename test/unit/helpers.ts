import type { Clock } from "../../src/core/clock.js";
import { abortReason } from "../../src/core/clock.js";
import { Databricks } from "../../src/index.js";

export const HOST = "https://adb-123.4.azuredatabricks.net";

/** A clock whose sleeps return at once and move time forward; `onSleep` runs before each one. */
export function fakeClock(onSleep?: (ms: number) => void): Clock & { slept: number[] } {
  let now = Date.UTC(2025, 0, 1);
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms, signal) => {
      onSleep?.(ms);
      if (signal?.aborted) throw abortReason(signal);
      slept.push(ms);
      now += ms;
    },
  };
}

export function testClient(clock: Clock = fakeClock()): Databricks {
  return new Databricks({ host: HOST, token: "dapi-test", env: {}, clock, random: () => 0.5 });
}
