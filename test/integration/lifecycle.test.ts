import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";
import {
  Databricks,
  isConflict,
  isValidationError,
  type LifecycleSpec,
  StepFailedError,
} from "../../src/index.js";
import { rejection } from "../helpers.js";

const CLUSTER = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
const SOURCE = "# Databricks notebook source\nimport mlflow\n";

function spec(name: string, over: Partial<LifecycleSpec> = {}): LifecycleSpec {
  return {
    notebook: { path: `/Shared/lc/${name}`, source: { content: SOURCE } },
    cluster: CLUSTER,
    parameters: { C: "1.0" },
    model: { name: `main.lc.${name}` },
    endpoint: { name: `lc-${name}` },
    ...over,
  };
}

describe("db.lifecycle: plan is apply", () => {
  let emu: Emulator;
  let db: Databricks;
  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 5000 });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const jobs = emu.context.service<JobsEmulatorExports>("jobs")!;
    for (const n of ["canary", "conflict"])
      jobs.scriptNotebook(`/Shared/lc/${n}`, {
        durationMs: 30_000,
        mlflow: { model: { coefficients: { intercept: 1, weights: { x: 1 } } } },
      });
    jobs.scriptNotebook("/Shared/lc/slow", { durationMs: 10 * 3600_000 });
  });
  afterAll(() => emu.close());

  it("a canary: apply takes the steps plan showed, the alias stays on the serving version", async () => {
    await db.lifecycle(spec("canary")).apply();
    const canary = db.lifecycle(spec("canary", { parameters: { C: "2.0" }, traffic: { canaryPercent: 20 } }));
    const plan = await canary.plan();
    const planned = plan.steps.map((s) => [s.step, s.action]);
    const res = await canary.apply();
    expect(res.plan.steps.map((s) => [s.step, s.action])).toEqual(planned);
    expect(planned).toEqual([
      ["upload", "none"],
      ["train", "run"],
      ["register", "create"],
      ["alias", "none"],
      ["canary", "update"],
    ]);
    expect(res.plan.steps[3]!.reason).toContain("until the canary is promoted");
    expect((await db.model("main.lc.canary").alias("champion")).version).toBe(1);
    const routes = (await res.endpoint.refresh()).config?.traffic_config?.routes ?? [];
    expect(routes.map((r) => [r.served_entity_name, r.traffic_percentage]).sort()).toEqual([
      ["canary-1", 80],
      ["canary-2", 20],
    ]);
    const again = await canary.plan();
    expect(again.changes).toBe(0);
    expect(again.steps.map((s) => [s.step, s.action]).at(-1)).toEqual(["canary", "none"]);
    // A new share is a change of the canary, not a new version.
    const wider = await db
      .lifecycle(spec("canary", { parameters: { C: "2.0" }, traffic: { canaryPercent: 50 } }))
      .plan();
    expect(wider.steps.map((s) => [s.step, s.action])).toEqual([
      ["upload", "none"],
      ["train", "none"],
      ["register", "none"],
      ["alias", "none"],
      ["canary", "update"],
    ]);
  });

  it("rejects with a ConflictError naming the other change when the endpoint no longer serves the version", async () => {
    const s = spec("conflict");
    const other = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const first = await db.lifecycle(s).apply();
    const original = db.servingEndpoints.createOrUpdate.bind(db.servingEndpoints);
    const spy = vi.spyOn(db.servingEndpoints, "createOrUpdate").mockImplementation(async (...args) => {
      const res = await original(...args);
      // Someone else starts serving another version right after our update.
      await other.servingEndpoints.updateConfig({
        name: s.endpoint.name,
        served_entities: [
          {
            entity_name: s.model.name,
            entity_version: "1",
            workload_size: "Small",
            scale_to_zero_enabled: true,
          },
        ],
      });
      return res;
    });
    try {
      const err = await rejection(
        db
          .lifecycle({
            ...s,
            endpoint: { ...s.endpoint, workloadSize: "Medium" },
            model: { name: s.model.name },
            parameters: { C: "3.0" },
          })
          .apply(),
      );
      expect(err).toBeInstanceOf(StepFailedError);
      expect(isConflict(err.cause)).toBe(true);
      expect(err.cause.message).toContain("does not serve version 2");
      expect(err.cause.message).toContain("another config update is in progress");
      expect(err.cause.message).toContain(`${s.model.name}/1`);
    } finally {
      spy.mockRestore();
    }
    expect(first.version.version).toBe(1);
  });

  it("a numeric deadline bounds the whole apply, waits included", async () => {
    const started = Date.now();
    const err = await rejection(db.lifecycle(spec("slow")).apply({ deadline: 1500 }));
    expect(Date.now() - started).toBeLessThan(1500 + 1000);
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.step).toBe("train");
  });

  it("refuses a mistyped spec in the library too, with paths and suggestions", () => {
    let err: any;
    try {
      db.lifecycle({ ...spec("x"), endpoint: { name: "x", workloadsize: "Large" } } as never);
    } catch (e) {
      err = e;
    }
    expect(isValidationError(err)).toBe(true);
    expect(err.issues).toEqual([
      { path: "endpoint.workloadsize", message: "unknown key; did you mean workloadSize?" },
    ]);
  });
});
