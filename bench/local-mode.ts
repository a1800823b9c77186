import { type Emulator, startEmulator } from "../src/emulator/index.js";
import { Databricks } from "../src/index.js";
import { type BenchResult, isMain, median, percentile, report, round, saveResults } from "./lib.js";

/**
 * Local mode: the wall time of a minimal notebook run (Python start-up and the runtime's imports,
 * on top of the emulated cluster start) and the latency of a 10-row predict through the Python
 * model worker. Needs BRICKML_EMULATOR_PYTHON (or python3 with pandas and scikit-learn).
 */

const RUNS = 5;
const PREDICTS = 300;
const CLUSTER = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };

const MINIMAL = "# Databricks notebook source\ndbutils.notebook.exit('ok')\n";
const TRAIN = `# Databricks notebook source
import mlflow, numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(1)
X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
y = (X["a"] + X["b"] > 0).astype("int64")
with mlflow.start_run():
    model = LogisticRegression().fit(X, y)
    mlflow.sklearn.log_model(model, "model", signature=mlflow.models.infer_signature(X, model.predict(X)))
`;

export async function run(): Promise<BenchResult> {
  // A high time scale: the emulated cluster start and clean-up take almost no wall time.
  const emu: Emulator = await startEmulator({ timeScale: 100_000 });
  if (!emu.localMode.python) {
    await emu.close();
    throw new Error(`local mode is off: ${emu.localMode.reason}`);
  }
  try {
    const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    const minimal = await db
      .notebook("/Shared/bench/minimal")
      .upload({ content: MINIMAL, language: "PYTHON" });
    const runWall: number[] = [];
    const execution: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = await (await minimal.run({ cluster: CLUSTER })).wait({ minDelayMs: 20, maxDelayMs: 50 });
      runWall.push(performance.now() - t);
      execution.push(Number((await r.refresh()).tasks?.[0]?.execution_duration));
    }

    const train = await db.notebook("/Shared/bench/train").upload({ content: TRAIN, language: "PYTHON" });
    const trained = await (await train.run({ cluster: CLUSTER })).wait();
    const version = await trained.registerModel("main.bench.local");
    const endpoint = await version.deploy("bench-local", { workloadSize: "Small", scaleToZero: false });
    const rows = Array.from({ length: 10 }, (_, i) => ({ a: i / 10, b: -i / 7 }));
    await endpoint.predict(rows); // the worker has loaded the model
    const latencies: number[] = [];
    for (let i = 0; i < PREDICTS; i++) {
      const t = performance.now();
      await endpoint.predict(rows);
      latencies.push(performance.now() - t);
    }
    return {
      name: "local-mode",
      rows: [
        {
          measure: "minimal notebook run, submit → TERMINATED (ms)",
          p50: round(median(runWall), 1),
          p99: round(percentile(runWall, 99), 1),
          n: RUNS,
        },
        {
          measure: "  of which the Python process (execution_duration, ms)",
          p50: round(median(execution), 1),
          p99: round(percentile(execution, 99), 1),
          n: RUNS,
        },
        {
          measure: "10-row predict through the Python worker (ms)",
          p50: round(median(latencies), 2),
          p99: round(percentile(latencies, 99), 2),
          n: PREDICTS,
        },
      ],
      ratios: {},
      notes: [`interpreter: ${emu.localMode.python}`],
    };
  } finally {
    await emu.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await run();
  report(result);
  saveResults([result]);
}
