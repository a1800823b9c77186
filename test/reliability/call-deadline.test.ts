// A numeric `deadline` is fixed when a public method starts and bounds everything inside it:
// every request, retry, poll and step. Each multi-request method below runs against an emulator
// that delays half of its answers and whose clock stands still (so nothing it waits for ever
// finishes): it must reject with a TimeoutError within the deadline and a small margin.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import type { MlflowEmulatorExports } from "../../src/emulator/notebooks.js";
import { STARTER_WAREHOUSE_ID } from "../../src/emulator/services/warehouses.js";
import { Databricks, isTimeoutError } from "../../src/index.js";
import { Notebook } from "../../src/workflows/notebook.js";

const DEADLINE_MS = 1_500;
/** Time for the event loop to notice the deadline and for an aborted request to unwind. */
const MARGIN_MS = 400;
const FAULTS = { rate: 0.5, kinds: ["delay" as const], delayMs: 700, seed: 3 };
const SIGNED = { coefficients: { intercept: 1, weights: { x: 2 } } };

describe("a numeric deadline bounds the whole call at 50 % delay faults", () => {
  let emu: Emulator;
  let db: Databricks;
  let mlflow: MlflowEmulatorExports;
  let jobRunId = 0;
  const loggedRun = () =>
    mlflow.logNotebookRun({
      notebookPath: "/Shared/train",
      startTime: 0,
      endTime: 1,
      jobRunId: ++jobRunId,
      model: SIGNED,
    });

  beforeAll(async () => {
    emu = await startEmulator({ manualClock: true });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    mlflow = emu.context.service<MlflowEmulatorExports>("mlflow")!;
    await db.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "deadline" });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.faults.clear());

  /** Runs `call`, expects a TimeoutError, and returns how long it took. */
  async function timed(call: () => Promise<unknown>): Promise<number> {
    const started = performance.now();
    const error = await call().then(
      () => new Error("resolved"),
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect(isTimeoutError(error), String(error)).toBe(true);
    return elapsed;
  }

  const cluster = { spark_version: "15.4.x-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
  /** Each case: a name, and a setup (run without faults) that returns the call to time. */
  const cases: Array<[string, () => Promise<() => Promise<unknown>>]> = [
    [
      "modelVersions.create (registration: run, MLmodel, listing, create, copy, finalize)",
      async () => () =>
        db.modelVersions.create(
          { name: "main.ml.deadline", source: `runs:/${loggedRun().run_id}/model` },
          { deadline: DEADLINE_MS },
        ),
    ],
    [
      "modelVersions.createAndWait",
      async () => () =>
        db.modelVersions.createAndWait(
          { name: "main.ml.deadline", source: `runs:/${loggedRun().run_id}/model` },
          {},
          { deadline: DEADLINE_MS },
        ),
    ],
    [
      "clusters.createAndWait",
      async () => () =>
        db.clusters.createAndWait({ cluster_name: "d", ...cluster }, {}, { deadline: DEADLINE_MS }),
    ],
    [
      "jobs.submitAndWait",
      async () => () =>
        db.jobs.submitAndWait(
          {
            run_name: "d",
            tasks: [
              { task_key: "t", notebook_task: { notebook_path: "/Shared/train" }, new_cluster: cluster },
            ],
          },
          {},
          { deadline: DEADLINE_MS },
        ),
    ],
    [
      "servingEndpoints.createOrUpdate",
      async () => {
        const version = await db.modelVersions.create({
          name: "main.ml.deadline",
          source: `runs:/${loggedRun().run_id}/model`,
        });
        const entity = {
          entity_name: "main.ml.deadline",
          entity_version: String(version.version),
          workload_size: "Small",
        };
        return () =>
          db.servingEndpoints.createOrUpdate(
            "deadline",
            { served_entities: [entity] },
            { requestOptions: { deadline: DEADLINE_MS } },
          );
      },
    ],
    [
      "warehouses.startAndWait",
      async () => () =>
        db.warehouses.startAndWait({ id: STARTER_WAREHOUSE_ID }, {}, { deadline: DEADLINE_MS }),
    ],
    [
      "TrainingRun.registerModel (workflow: MLflow run search, model, version, wait)",
      async () => {
        const notebook = await new Notebook(db, "/Shared/deadline/train").upload({ content: "print(1)" });
        const run = await notebook.run({ cluster });
        const task = (await run.refresh()).tasks?.[0]?.run_id ?? run.runId;
        mlflow.logNotebookRun({
          notebookPath: notebook.path,
          startTime: 0,
          endTime: 1,
          jobRunId: Number(task),
          model: SIGNED,
        });
        return () => run.registerModel("main.ml.deadline", { requestOptions: { deadline: DEADLINE_MS } });
      },
    ],
  ];

  it.each(cases)("%s rejects within the deadline", async (_name, setup) => {
    const call = await setup();
    emu.faults.set(FAULTS);
    const elapsed = await timed(call);
    expect(elapsed).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(emu.faults.counts().delay).toBeGreaterThan(0);
  });

  it("a call that finishes in time is not affected, and a Date deadline works the same", async () => {
    emu.faults.clear();
    const v = await db.modelVersions.create(
      { name: "main.ml.deadline", source: `runs:/${loggedRun().run_id}/model` },
      { deadline: new Date(Date.now() + 30_000) },
    );
    expect(v.version).toBeGreaterThan(0);
  });
});
