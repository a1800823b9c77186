import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import type { EmulatorService } from "../../src/emulator/types.js";
import { isOperationFailed, type ServingEndpointsAPI } from "../../src/index.js";
import { rejection } from "../helpers.js";
import { startServing, v } from "./serving-helpers.js";

/**
 * A stand-in for the registry service's exports (the cross-service contract): version 1 is READY
 * with a linear model, version 2 is READY without one, version 3 is still registering.
 */
const coefficients = { intercept: -1, weights: { tenure: 0.5, charges: -0.25 }, link: "logistic" };
const fakeRegistry: EmulatorService<Record<string, never>, unknown> = {
  name: "registry",
  init: () => ({}),
  routes: () => {},
  exports: () => ({
    getModelVersion: (name: string, version: number) =>
      name !== "main.ml.churn"
        ? undefined
        : (
            {
              1: { status: "READY" },
              2: { status: "READY" },
              3: { status: "PENDING_REGISTRATION" },
            } as Record<number, { status: string }>
          )[version],
    resolveAlias: () => undefined,
    readModelFile: (name: string, version: number, rel: string) =>
      name === "main.ml.churn" && version === 1 && rel === "coefficients.json"
        ? Buffer.from(JSON.stringify(coefficients))
        : undefined,
  }),
};

let emu: Emulator;
let se: ServingEndpointsAPI;

beforeEach(async () => {
  ({ emu, se } = await startServing({}, fakeRegistry));
});
afterEach(() => emu.close());

describe("serving with the model registry", () => {
  it("predicts with the registered version's coefficients (logistic link)", async () => {
    await se.createAndWait({ name: "churn", config: { served_entities: [v(1)] } });
    const r = await se.query<number>({
      name: "churn",
      dataframe_records: [
        { tenure: 4, charges: 2 },
        { tenure: 0, charges: 0 },
      ],
    });
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    expect(r.predictions![0]).toBeCloseTo(sigmoid(-1 + 0.5 * 4 - 0.25 * 2), 12);
    expect(r.predictions![1]).toBeCloseTo(sigmoid(-1), 12);
    // Positional rows take the weights in order.
    expect((await se.query<number>({ name: "churn", instances: [[4, 2]] })).predictions![0]).toBeCloseTo(
      sigmoid(0.5),
      12,
    );
  });

  it("falls back to stable hashed predictions without coefficients", async () => {
    await se.createAndWait({ name: "churn", config: { served_entities: [v(2)] } });
    const a = await se.query<number>({ name: "churn", dataframe_records: [{ tenure: 4 }] });
    const b = await se.query<number>({ name: "churn", dataframe_records: [{ tenure: 4 }] });
    expect(a.predictions).toEqual(b.predictions);
  });

  it("a missing or not READY version fails the build with a message", async () => {
    const missing = await rejection(se.createAndWait({ name: "churn", config: { served_entities: [v(9)] } }));
    expect(isOperationFailed(missing)).toBe(true);
    expect(missing.message).toContain("Model version 9 of model main.ml.churn does not exist");
    const pending = await rejection(se.createAndWait({ name: "other", config: { served_entities: [v(3)] } }));
    expect(pending.message).toContain("is not ready to be served (status PENDING_REGISTRATION)");
  });
});
