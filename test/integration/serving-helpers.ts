import type { Clock } from "../../src/core/clock.js";
import { abortReason } from "../../src/core/clock.js";
import {
  type Emulator,
  type EmulatorOptions,
  type ServingEmulatorExports,
  startEmulator,
} from "../../src/emulator/index.js";
import { SERVICES } from "../../src/emulator/services/index.js";
import type { EmulatorService } from "../../src/emulator/types.js";
import { Databricks, type RequestEvent } from "../../src/index.js";

/**
 * The client's clock drives the emulator's manual clock: every wait or retry sleep moves virtual
 * time forward (60× what the client asked for), so endpoint builds that take minutes finish in a
 * few polls and no test sleeps for real.
 */
export function drivingClock(emu: Emulator, factor = 60): Clock {
  return {
    now: () => emu.clock.now(),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw abortReason(signal);
      emu.clock.advance(ms * factor);
    },
  };
}

/**
 * Starts an emulator whose "registry" service is `registry`, or has none (`null`, the default):
 * without a registry the serving emulator takes every model version as existing and READY, so
 * serving tests need not register models first. Other emulators keep the normal service list.
 */
export async function startEmulatorWith(
  options: EmulatorOptions,
  registry: EmulatorService<any, any> | null = null,
): Promise<Emulator> {
  const saved = [...SERVICES];
  const index = SERVICES.findIndex((s) => s.name === "registry");
  if (index >= 0) SERVICES.splice(index, 1);
  if (registry) SERVICES.push(registry);
  try {
    return await startEmulator(options);
  } finally {
    SERVICES.splice(0, SERVICES.length, ...saved);
  }
}

export async function startServing(
  options: EmulatorOptions = {},
  registry: EmulatorService<any, any> | null = null,
) {
  const emu = await startEmulatorWith({ manualClock: true, ...options }, registry);
  const requests: RequestEvent[] = [];
  const db = servingClient(emu, (e) => {
    requests.push(e);
  });
  const serving = emu.context.service<ServingEmulatorExports>("serving")!;
  return { emu, db, se: db.servingEndpoints, serving, requests };
}

/** A client of `emu` driving its clock. Call budgets count virtual time, which runs 60× the client's sleeps. */
export function servingClient(emu: Emulator, onRequest?: (e: RequestEvent) => void): Databricks {
  return new Databricks({
    host: emu.url,
    token: emu.token,
    env: {},
    clock: drivingClock(emu),
    random: () => 0.5,
    deadline: 24 * 3600_000,
    ...(onRequest ? { onRequest } : {}),
  });
}

export const v = (version: number, extra: Record<string, unknown> = {}) => ({
  entity_name: "main.ml.churn",
  entity_version: String(version),
  workload_size: "Small",
  scale_to_zero_enabled: true,
  ...extra,
});
