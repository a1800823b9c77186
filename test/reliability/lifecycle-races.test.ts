// The declarative life cycle under failures and races: a fault at any step's calls, then a
// re-apply, finishes the job; racing applies of one spec end with one run, one model version and
// one endpoint config, and each resolves with what the endpoint serves (or a ConflictError).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobsState } from "../../src/emulator/compute/run-model.js";
import { type Emulator, FAULT_KINDS, type FaultKind, startEmulator } from "../../src/emulator/index.js";
import type { RegistryState } from "../../src/emulator/services/registry.js";
import type { EndpointRecord } from "../../src/emulator/services/serving-state.js";
import {
  type ApplyResult,
  Databricks,
  isConflict,
  type LifecycleSpec,
  StepFailedError,
} from "../../src/index.js";
import { rejection } from "../helpers.js";
import { drivingClock } from "./soak.js";

const SOURCE = `# brickml-emulator: {"durationMs": 60000, "mlflow": {"model": {"coefficients": {"intercept": 1, "weights": {"x": 1}}}}}
# Databricks notebook source
import mlflow
`;

function spec(name: string): LifecycleSpec {
  return {
    notebook: { path: `/Shared/races/${name}/train`, source: { content: SOURCE } },
    cluster: { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 },
    parameters: { C: "1.0" },
    experiment: `/Shared/races/${name}`,
    model: { name: `main.races.${name}` },
    endpoint: { name: `races-${name}` },
  };
}

/** What the workspace holds for a spec: runs, versions (with status), the alias and config versions. */
function counts(emu: Emulator, s: LifecycleSpec) {
  const runs = Object.values(emu.context.state<JobsState>("jobs").runs).filter((r) =>
    r.tasks.some((t) => t.spec.notebook_task?.notebook_path === s.notebook.path),
  );
  const model = emu.context.state<RegistryState>("registry").models[s.model.name.toLowerCase()];
  const endpoint = emu.context.state<{ endpoints: Record<string, EndpointRecord> }>("serving").endpoints[
    s.endpoint.name
  ];
  return {
    runs: runs.length,
    versions: Object.values(model?.versions ?? {}).map((v) => `${v.version}:${v.status}`),
    alias: model?.aliases.champion,
    configVersions: endpoint?.last_version,
    serves: endpoint?.config?.entities.map((e) => `${e.spec.entity_version}`),
  };
}

describe("life cycle: faults at every step, then re-apply", () => {
  let emu: Emulator;
  let db: (maxRetries: number) => Databricks;
  beforeEach(async () => {
    emu = await startEmulator({ manualClock: true });
    const clock = drivingClock(emu);
    db = (maxRetries) => new Databricks({ host: emu.url, token: emu.token, env: {}, clock, maxRetries });
  });
  afterEach(() => emu.close());

  // Each row makes one step's calls fail (retries run out), or lose their answer after the
  // server applied them; the step fails; without the fault, a second apply finishes.
  const STEPS: Array<[step: string, path: RegExp, methods: string[], kind: FaultKind]> = [
    ["upload", /\/workspace\/import$/, ["POST"], "503"],
    ["train", /\/jobs\/runs\/submit$/, ["POST"], "503"],
    ["train", /\/jobs\/runs\/submit$/, ["POST"], "reset-after"],
    ["register", /\/model-versions\/create$/, ["POST"], "500"],
    ["register", /\/model-versions\/create$/, ["POST"], "reset-after"],
    ["register", /\/fs\/files\/Models\//, ["PUT"], "503"],
    ["register", /\/model-versions\/finalize$/, ["POST"], "503"],
    ["register", /\/model-versions\/finalize$/, ["POST"], "reset-after"],
    ["alias", /\/aliases\//, ["PUT"], "503"],
    ["deploy", /\/serving-endpoints$/, ["POST"], "503"],
    ["deploy", /\/serving-endpoints$/, ["POST"], "reset-after"],
  ];

  it.each(STEPS)("%s: %s %s answered %s", async (step, path, methods, kind) => {
    const s = spec(
      `${step}_${kind.replace("-", "_")}_${STEPS.findIndex((r) => r[1] === path && r[3] === kind)}`,
    );
    emu.faults.set({ rate: 1, kinds: [kind], path, methods });
    const err = await db(1)
      .lifecycle(s)
      .apply()
      .then(
        () => undefined,
        (e) => e,
      );
    // A lost answer is often recovered inside the call (found by its key); a failure names its step.
    if (kind !== "reset-after" || err) {
      expect(err).toBeInstanceOf(StepFailedError);
      expect(err.step).toBe(step);
    }
    emu.faults.clear();

    const res = await db(1).lifecycle(s).apply();
    expect(res.version.version).toBe(1);
    expect(counts(emu, s)).toEqual({
      runs: 1,
      versions: ["1:READY"],
      alias: 1,
      configVersions: 1,
      serves: ["1"],
    });
    expect((await db(1).lifecycle(s).plan()).changes).toBe(0);
  });

  it("a version left PENDING_REGISTRATION (finalize failed) is finished, never served before READY", async () => {
    const s = spec("pending");
    emu.faults.set({ rate: 1, kinds: ["503"], path: /\/model-versions\/finalize$/, methods: ["POST"] });
    await rejection(db(1).lifecycle(s).apply());
    emu.faults.clear();
    expect(counts(emu, s).versions).toEqual(["1:PENDING_REGISTRATION"]);
    const plan = await db(1).lifecycle(s).plan();
    expect(plan.steps.find((x) => x.step === "register")).toMatchObject({ action: "update" });
    const res = await db(1).lifecycle(s).apply();
    expect(res.plan.steps.find((x) => x.step === "register")).toMatchObject({ action: "update" });
    expect(counts(emu, s)).toMatchObject({ versions: ["1:READY"], serves: ["1"], configVersions: 1 });
  });
});

describe("life cycle: racing applies of one spec", () => {
  const SEEDS = [3, 11, 29];
  const RACERS = 4;

  it.each(SEEDS)(
    "seed %i: one run, one version, one config; each resolves with what is served",
    async (seed) => {
      const emu = await startEmulator({ manualClock: true });
      try {
        const clock = drivingClock(emu);
        const s = spec(`race_${seed}`);
        emu.faults.set({ rate: 0.15, kinds: [...FAULT_KINDS], seed, delayMs: 5 });
        const results = await Promise.allSettled(
          Array.from({ length: RACERS }, () =>
            new Databricks({ host: emu.url, token: emu.token, env: {}, clock, maxRetries: 10 })
              .lifecycle(s)
              .apply(),
          ),
        );
        emu.faults.clear();
        const state = counts(emu, s);
        expect(state).toEqual({ runs: 1, versions: ["1:READY"], alias: 1, configVersions: 1, serves: ["1"] });
        for (const r of results) {
          if (r.status === "rejected") expect(isConflict(r.reason), String(r.reason?.stack)).toBe(true);
          else expect(String((r.value as ApplyResult).version.version)).toBe(state.serves?.[0]);
        }
        expect(results.filter((r) => r.status === "fulfilled").length).toBeGreaterThan(0);
      } finally {
        await emu.close();
      }
    },
  );
});
