import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { STARTER_WAREHOUSE_ID } from "../../src/emulator/services/warehouses.js";
import { Databricks } from "../../src/index.js";
import { rejection } from "../helpers.js";

/**
 * Local mode runs notebooks and serves models with a real Python; CI passes one with pandas and
 * scikit-learn in BRICKML_EMULATOR_PYTHON (see .ci/run).
 */
const python = process.env.BRICKML_EMULATOR_PYTHON;
if (!python) {
  console.warn(
    "local-mode tests skipped: no interpreter (set BRICKML_EMULATOR_PYTHON to a Python with pandas and scikit-learn)",
  );
}

const CLUSTER = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 2 };

/** The data and training both the notebook and plain scikit-learn run. */
const TRAINING = `
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score

rng = np.random.default_rng(7)
n = 400
X = pd.DataFrame({"tenure": rng.uniform(0, 72, n), "charges": rng.uniform(20, 120, n) / 3.0})
y = ((-0.05 * X["tenure"] + 0.08 * X["charges"] + rng.normal(0, 1, n)) > 0).astype("int64")

def train(data, C):
    features = data[["tenure", "charges"]]
    model = LogisticRegression(C=C, max_iter=500).fit(features[:300], data["label"][:300])
    proba = model.predict_proba(features[300:])[:, 1]
    return model, {
        "accuracy": float(accuracy_score(data["label"][300:], proba > 0.5)),
        "log_loss_proxy": float(np.mean(np.abs(proba - data["label"][300:]))),
        "roc_auc": float(roc_auc_score(data["label"][300:], proba)),
    }
`;

const TRAIN_NOTEBOOK = `# Databricks notebook source
# MAGIC %md
# MAGIC # Train
# COMMAND ----------
# MAGIC %pip install scikit-learn
# COMMAND ----------
${TRAINING}
dbutils.widgets.text("C", "1.0")
C = float(dbutils.widgets.get("C"))
spark.createDataFrame(X.assign(label=y)).write.mode("overwrite").saveAsTable("main.ml.local_training")
# COMMAND ----------
import mlflow
data = spark.table("main.ml.local_training").toPandas()
print("rows", len(data))
with mlflow.start_run():
    model, metrics = train(data, C)
    mlflow.log_param("C", C)
    mlflow.log_metrics(metrics)
    mlflow.sklearn.log_model(model, "model", signature=mlflow.models.infer_signature(data[["tenure", "charges"]], model.predict(data[["tenure", "charges"]])))
dbutils.notebook.exit(str(metrics["roc_auc"]))
`;

/** Runs Python code with the test interpreter and returns its stdout as JSON. */
function runPython(code: string): any {
  const r = spawnSync(python!, ["-c", code], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe.skipIf(!python)("local mode", () => {
  let emu: Emulator;
  let db: Databricks;
  beforeAll(async () => {
    emu = await startEmulator({ python: python! });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
  });
  afterAll(async () => {
    await emu?.close();
  });

  async function upload(path: string, source: string) {
    return db.notebook(path).upload({ content: source, language: "PYTHON" });
  }

  it("reports the interpreter it was given, as given", () => {
    expect(emu.localMode.python).toBe(python);
    expect(emu.localMode.reason).toContain(python!);
  });

  it("trains for real: two parameter values log the metrics plain scikit-learn gives", async () => {
    const notebook = await upload("/Shared/local/train", TRAIN_NOTEBOOK);
    const runs = [];
    for (const C of ["1.0", "0.001"]) {
      runs.push(await (await notebook.run({ cluster: CLUSTER, parameters: { C } })).wait());
    }
    const expected = runPython(
      `${TRAINING}\nimport json\nprint(json.dumps([train(X.assign(label=y), C)[1] for C in (1.0, 0.001)]))`,
    );
    const logged: Array<Record<string, number>> = [];
    for (const run of runs) {
      const r = await run.mlflowRun();
      logged.push(Object.fromEntries((r.data?.metrics ?? []).map((m) => [m.key, Number(m.value)])));
      const jobId = (await run.refresh()).job_id;
      expect(r.data?.tags?.find((t) => t.key === "mlflow.databricks.jobID")?.value).toBe(String(jobId));
    }
    expect(logged).toEqual(expected);
    expect(logged[0]!.roc_auc).not.toBe(logged[1]!.roc_auc);
    expect((await runs[0]!.output()).notebook_output?.result).toBe(String(expected[0].roc_auc));
  }, 180_000);

  it("keeps a saveAsTable table readable through the SQL statement API, at full float64 precision", async () => {
    const source = `# Databricks notebook source
import pandas as pd
spark.createDataFrame(pd.DataFrame({"x": [1/3, 2**-40, 123456.78901234567], "n": [1, 2, 3], "s": ["a", "b", None]})).write.mode("overwrite").saveAsTable("main.ml.precise")
spark.createDataFrame(pd.DataFrame({"x": [0.1], "n": [4], "s": ["d"]})).write.mode("append").saveAsTable("main.ml.precise")
spark.createDataFrame(pd.DataFrame({"x": [0.5], "n": [5], "s": ["e"]})).write.mode("overwrite").saveAsTable("main.ml.replaced")
spark.createDataFrame(pd.DataFrame({"x": [0.25], "n": [6], "s": ["f"]})).write.mode("overwrite").saveAsTable("main.ml.replaced")
dbutils.notebook.exit(str(spark.table("main.ml.precise").count()))
`;
    const run = await (await (await upload("/Shared/local/tables", source)).run({ cluster: CLUSTER })).wait();
    expect((await run.output()).notebook_output?.result).toBe("4");
    const rows = await db.statements.query("SELECT x, n, s FROM main.ml.precise ORDER BY n", {
      warehouse_id: STARTER_WAREHOUSE_ID,
    });
    expect(rows.map((r) => r.x)).toEqual([1 / 3, 2 ** -40, 123456.78901234567, 0.1]);
    expect(rows.map((r) => r.s)).toEqual(["a", "b", null, "d"]);
    const replaced = await db.statements.query("SELECT x FROM main.ml.replaced", {
      warehouse_id: STARTER_WAREHOUSE_ID,
    });
    expect(replaced).toEqual([{ x: 0.25 }]);
  }, 120_000);

  it("fails the run with the exception's type, message and traceback", async () => {
    const source = `# Databricks notebook source
def check(features):
    raise ValueError("bad feature")
# COMMAND ----------
check(["tenure"])
`;
    const run = await (await upload("/Shared/local/raises", source)).run({ cluster: CLUSTER });
    const error = await rejection(run.wait());
    expect(String(error.message)).toContain("ValueError: bad feature");
    const out = await run.output();
    expect(out.metadata?.state?.result_state).toBe("FAILED");
    expect(out.error).toBe("ValueError: bad feature");
    expect(out.error_trace).toContain("Traceback (most recent call last)");
    expect(out.error_trace).toContain('raise ValueError("bad feature")');
    expect(out.error_trace).toContain("/Shared/local/raises (cell 2)");
  }, 120_000);

  it("says a Spark call outside the subset is not Spark", async () => {
    const source = "# Databricks notebook source\nspark.range(10)\n";
    const run = await (await upload("/Shared/local/range", source)).run({ cluster: CLUSTER });
    await rejection(run.wait());
    const out = await run.output();
    expect(out.error).toMatch(/^NotImplementedError: SparkSession\.range is not available/);
    expect(out.error).toContain("It is not Spark");
  }, 120_000);

  it("keeps what the notebook printed, and passes widgets' defaults and parameters", async () => {
    const source = `# Databricks notebook source
dbutils.widgets.text("a", "default-a")
dbutils.widgets.text("b", "default-b")
print("a =", dbutils.widgets.get("a"), "b =", dbutils.widgets.get("b"))
`;
    const run = await (
      await (
        await upload("/Shared/local/widgets", source)
      ).run({ cluster: CLUSTER, parameters: { b: "given" } })
    ).wait();
    const taskRunId = Number((await run.refresh()).tasks?.[0]?.run_id);
    expect(emu.localMode.notebookLogs(taskRunId)?.stdout).toBe("a = default-a b = given\n");
  }, 120_000);

  it("stops the process on cancel and on timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "brickml-local-test-"));
    const marker = join(dir, "still-running");
    const source = `# Databricks notebook source
import time
time.sleep(3)
open(${JSON.stringify(marker)}, "w").write("the process was not stopped")
`;
    const nb = await upload("/Shared/local/sleeps", source);
    const cancelled = await nb.run({ cluster: CLUSTER });
    await waitFor(async () => (await cancelled.refresh()).state?.life_cycle_state === "RUNNING");
    await cancelled.cancel();
    const c = await rejection(cancelled.wait());
    expect(String(c.message)).toMatch(/CANCELED/);

    const started = Date.now();
    const timed = await nb.run({ cluster: CLUSTER, timeout: 1_000 });
    await rejection(timed.wait());
    expect((await timed.refresh()).state?.result_state).toBe("TIMEDOUT");
    await new Promise((r) => setTimeout(r, Math.max(0, 4_000 - (Date.now() - started))));
    expect(spawnSync("test", ["-e", marker]).status).toBe(1);
  }, 120_000);

  it("lets a script or a directive line win over running the notebook", async () => {
    const directive = `# Databricks notebook source\n# brickml-emulator: {"durationMs": 1000, "exitValue": "scripted"}\nraise ValueError("ran")\n`;
    const run = await (
      await (await upload("/Shared/local/directive", directive)).run({ cluster: CLUSTER })
    ).wait();
    expect((await run.output()).notebook_output?.result).toBe("scripted");
    await upload("/Shared/local/scripted", `# Databricks notebook source\nraise ValueError("ran")\n`);
    emu.context
      .service<any>("jobs")
      .scriptNotebook("/Shared/local/scripted", { durationMs: 1000, exitValue: "by script" });
    const scripted = await (await db.notebook("/Shared/local/scripted").run({ cluster: CLUSTER })).wait();
    expect((await scripted.output()).notebook_output?.result).toBe("by script");
  }, 120_000);

  it("serves the registered model with a Python worker: predictions equal the pickled model's", async () => {
    const notebook = await upload("/Shared/local/train", TRAIN_NOTEBOOK);
    const run = await (await notebook.run({ cluster: CLUSTER, parameters: { C: "0.5" } })).wait();
    const version = await run.registerModel("main.ml.local_churn");
    const endpoint = await version.deploy("local-churn", { workloadSize: "Small", scaleToZero: true });
    const rows = [
      { tenure: 1, charges: 40 },
      { tenure: 70, charges: 5 },
      { tenure: 12.5, charges: 30.25 },
    ];
    const predictions = await endpoint.predict(rows);
    const mlflowRun = await run.mlflowRun();
    const root = `/WorkspaceInternal/Mlflow/Artifacts/${mlflowRun.info?.experiment_id}/Runs/${mlflowRun.info?.run_id}/artifacts/model`;
    const pickled = await db.files.download({ file_path: `${root}/model.pkl` });
    const dir = mkdtempSync(join(tmpdir(), "brickml-local-model-"));
    writeFileSync(
      join(dir, "model.pkl"),
      Buffer.from(await new Response(pickled.contents as any).arrayBuffer()),
    );
    const expected = runPython(
      `import json, pickle, pandas as pd\nm = pickle.load(open(${JSON.stringify(join(dir, "model.pkl"))}, "rb"))\nprint(json.dumps(m.predict(pd.DataFrame(${JSON.stringify(rows)})).tolist()))`,
    );
    expect(predictions).toEqual(expected);
    // Every input format of the scoring protocol gives the same answer.
    const split = await db.servingEndpoints.query({
      name: "local-churn",
      dataframe_split: { columns: ["charges", "tenure"], data: rows.map((r) => [r.charges, r.tenure]) },
    } as any);
    expect((split as any).predictions).toEqual(expected);
    const error = await rejection(
      db.servingEndpoints.query({ name: "local-churn", dataframe_records: [{ tenure: 1 }] } as any),
    );
    expect(error.statusCode ?? error.status).toBe(400);
    expect(String(error.message)).toContain("Model is missing inputs ['charges']");

    // batchScore runs its notebook for real: the output table holds the same predictions.
    const warehouse_id = STARTER_WAREHOUSE_ID;
    await db.statements.query("CREATE TABLE main.ml.to_score (tenure DOUBLE, charges DOUBLE)", {
      warehouse_id,
    });
    await db.statements.query("INSERT INTO main.ml.to_score VALUES (1, 40), (70, 5), (12.5, 30.25)", {
      warehouse_id,
    });
    const scoring = await version.batchScore({
      inputTable: "main.ml.to_score",
      outputTable: "main.ml.scored",
      cluster: CLUSTER,
    });
    await scoring.wait();
    expect((await scoring.output()).notebook_output?.result).toBe("3");
    const scored = await db.statements.query("SELECT prediction FROM main.ml.scored", { warehouse_id });
    expect(scored.map((r) => r.prediction)).toEqual(expected);
  }, 180_000);
});

describe.skipIf(!python)("npm start in local mode", () => {
  it("loads the churn data, trains champion and challenger for real and decides by their ROC AUC", async () => {
    const emu = await startEmulator({ python: python!, timeScale: 5000 });
    try {
      const db = new Databricks({ host: emu.url, token: emu.token, env: {} });
      const { runLifecycle } = await import("../../examples/lifecycle.js");
      const lines: string[] = [];
      const summary = await runLifecycle(db, (l) => lines.push(l), { executes: true });
      const [champion, challenger] = summary.rocAuc as [number, number];
      expect(champion).toBeGreaterThan(0.7);
      expect(challenger).not.toBe(champion);
      const promoted = challenger > champion;
      expect(summary.champion).toBe(promoted ? 2 : 1);
      expect(summary.serving).toEqual([`main.ml.churn v${promoted ? 2 : 1}`]);
      const text = lines.join("\n");
      expect(text).toContain("Loaded 3000 customers into main.ml.churn_training");
      expect(text).toMatch(/ROC AUC 0\.\d{4} on 15\.4\.x-cpu-ml-scala2\.12 with 1 worker\(s\)/);
    } finally {
      await emu.close();
    }
  }, 300_000);
});

describe("local mode options", () => {
  it("refuses unknown startEmulator options and unusable interpreters", async () => {
    await expect(startEmulator({ pyhton: "/usr/bin/python3" } as never)).rejects.toThrow(
      /Unknown startEmulator option "pyhton"/,
    );
    await expect(startEmulator({ python: "/nonexistent/python" })).rejects.toThrow(
      /the python option: \/nonexistent\/python cannot run notebooks: not found/,
    );
  });

  it("is off with python: false, and unscripted notebooks then follow the scripted default", async () => {
    const emu = await startEmulator({ python: false });
    try {
      expect(emu.localMode).toMatchObject({ python: undefined, reason: "local mode is off (python: false)" });
    } finally {
      await emu.close();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 30_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
