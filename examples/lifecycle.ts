/**
 * The main job (`npm start`): the whole ML life cycle against an emulated workspace, or against a
 * real one when DATABRICKS_HOST is set (it asks first, since that creates billable resources).
 *
 * Where notebooks run for real (a workspace, or the emulator's local mode with a Python that has
 * pandas and scikit-learn), it loads the churn data set into a table, trains a champion and a
 * challenger, and canaries and promotes the challenger only if its ROC AUC is better.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { type Databricks, type LifecycleSpec, type StepEvent, StepFailedError } from "brickml";
import { CHURN_NOTEBOOK, scriptedChurnNotebook } from "./churn-notebook.js";
import { connect, exampleCluster, exampleRows } from "./connect.js";

const DATA = new URL("./data/churn.csv", import.meta.url).pathname;
const PREPARE = new URL("./notebooks/prepare_churn.py", import.meta.url).pathname;
const CSV_PATH = "/Volumes/main/ml/raw/churn.csv";

/** The life cycle of the churn model; `executes: false` uploads the notebook scripted for the emulator. */
export function churnSpec(
  parameters: Record<string, string>,
  canaryPercent?: number,
  executes = false,
): LifecycleSpec {
  return {
    notebook: {
      path: "/Shared/brickml/churn/train",
      source: executes ? CHURN_NOTEBOOK : scriptedChurnNotebook(),
    },
    cluster: exampleCluster,
    parameters,
    experiment: "/Shared/brickml/churn",
    model: { name: "main.ml.churn", alias: "champion" },
    endpoint: { name: "churn-classifier", workloadSize: "Small", scaleToZero: true },
    ...(canaryPercent ? { traffic: { canaryPercent } } : {}),
  };
}

/** Prints one line per step start and end, and one per state change while a step runs. */
export function printProgress(log: (line: string) => void = console.log) {
  return (e: StepEvent) => {
    const t = `${(e.elapsedMs / 1000).toFixed(1)}s`;
    if (e.status === "started") log(`→ ${e.step} ${e.resource}`);
    else if (e.status === "progress")
      log(`    ${e.state}${e.message ? ` — ${e.message}` : ""}${e.url ? ` (${e.url})` : ""} [${t}]`);
    else if (e.status === "done") log(`✓ ${e.step} ${e.resource} [${t}]`);
    else log(`· ${e.step} ${e.resource}: ${e.message ?? "already up to date"}`);
  };
}

/** Uploads the churn CSV to a volume and loads it into the training table with a notebook. */
export async function prepareData(db: Databricks, log: (line: string) => void = console.log) {
  await db.files.upload({ file_path: CSV_PATH, contents: readFileSync(DATA), overwrite: true });
  const notebook = await db.notebook("/Shared/brickml/churn/prepare").upload(PREPARE);
  const run = await (
    await notebook.run({ cluster: exampleCluster, parameters: { csv_path: CSV_PATH } })
  ).wait();
  log(`Loaded ${(await run.output()).notebook_output?.result} customers into main.ml.churn_training`);
}

type Trained = Awaited<ReturnType<ReturnType<Databricks["lifecycle"]>["apply"]>>;

/** The ROC AUC the run logged, and the cluster it asked for. */
async function describeRun(result: Trained): Promise<{ rocAuc: number; line: string }> {
  const mlflowRun = await result.run.mlflowRun();
  const metric = (key: string) => Number(mlflowRun.data?.metrics?.find((m) => m.key === key)?.value);
  const job = await result.run.refresh();
  const cluster = job.tasks?.[0]?.new_cluster as { spark_version?: string; num_workers?: number } | undefined;
  return {
    rocAuc: metric("roc_auc"),
    line: `run ${result.run.runId}: accuracy ${metric("accuracy").toFixed(4)}, ROC AUC ${metric("roc_auc").toFixed(4)} on ${cluster?.spark_version} with ${cluster?.num_workers} worker(s)`,
  };
}

export async function runLifecycle(
  db: Databricks,
  log: (line: string) => void = console.log,
  { executes = false }: { executes?: boolean } = {},
) {
  const onProgress = printProgress(log);
  if (executes) {
    log("\n== Load the churn data set");
    await prepareData(db, log);
  }
  log("\n== Train, register and deploy the champion");
  const first = await db
    .lifecycle(churnSpec({ max_iter: "200", C: "1.0" }, undefined, executes))
    .apply({ onProgress });
  const champion = await describeRun(first);
  log(champion.line);
  const predictions = await first.endpoint.predict<number>(exampleRows);
  log(`Predictions from version ${first.version.version}: ${predictions.join(", ")}`);

  log("\n== Train a challenger and canary it with 10 % of the traffic");
  const second = await db
    .lifecycle(churnSpec({ max_iter: "300", C: "0.001" }, 10, executes))
    .apply({ onProgress });
  const challenger = await describeRun(second);
  log(challenger.line);
  const routes = (await second.endpoint.refresh()).config?.traffic_config?.routes ?? [];
  log(`Traffic: ${routes.map((r) => `${r.served_entity_name} ${r.traffic_percentage}%`).join(", ")}`);
  await second.endpoint.predict(exampleRows);

  // Scripted runs log the same metrics: the challenger is promoted as in the earlier walk-through.
  const better = !executes || challenger.rocAuc > champion.rocAuc;
  if (better) {
    log(
      `\n== Promote the challenger (ROC AUC ${challenger.rocAuc.toFixed(4)} > ${champion.rocAuc.toFixed(4)})`,
    );
    await second.endpoint.promote(second.version.entityName, {
      waitOptions: { onProgress: (e) => log(`    ${e.state}`) },
    });
    await second.version.setAlias("champion");
  } else {
    log(
      `\n== Roll the challenger back (ROC AUC ${challenger.rocAuc.toFixed(4)} ≤ champion’s ${champion.rocAuc.toFixed(4)})`,
    );
    await second.endpoint.rollback({ waitOptions: { onProgress: (e) => log(`    ${e.state}`) } });
    await first.version.setAlias("champion");
  }
  const current = await db.model("main.ml.churn").alias("champion");
  const served = (await second.endpoint.refresh()).config?.served_entities ?? [];

  const summary = {
    notebook: "/Shared/brickml/churn/train",
    trainingRuns: [first.run.runId, second.run.runId],
    rocAuc: [champion.rocAuc, challenger.rocAuc],
    model: "main.ml.churn",
    champion: current.version,
    endpoint: second.endpoint.name,
    serving: served.map((e) => `${e.entity_name} v${e.entity_version}`),
    endpointUrl: second.endpoint.url,
  };
  log("\n== Summary");
  for (const [k, v] of Object.entries(summary)) log(`${k.padEnd(14)} ${Array.isArray(v) ? v.join(", ") : v}`);
  return summary;
}

async function confirm(host: string): Promise<boolean> {
  if (process.argv.includes("--yes")) return true;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(
    `This creates a cluster, a job run and a serving endpoint in ${host}. Continue? [y/N] `,
  );
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const conn = await connect();
  try {
    if (!conn.emulated) {
      console.log(`Using ${conn.db.config.host}`);
      if (!(await confirm(conn.db.config.host))) process.exit(1);
    } else if (conn.executes) {
      console.log(`Using an emulated Databricks workspace in local mode (${conn.localMode?.reason}).`);
    } else {
      console.log("Using an emulated Databricks workspace (set DATABRICKS_HOST to use a real one).");
      console.log(
        "Notebooks are scripted: for real training, run with BRICKML_EMULATOR_PYTHON=/path/to/python (pandas and scikit-learn installed).",
      );
    }
    await runLifecycle(conn.db, console.log, { executes: conn.executes });
  } catch (e) {
    console.error(e instanceof StepFailedError ? `\n✗ ${e.message}` : e);
    process.exitCode = 1;
  } finally {
    await conn.close();
  }
}
