/**
 * The main job (`npm start`): the whole ML life cycle against an emulated workspace, or against a
 * real one when DATABRICKS_HOST is set (it asks first, since that creates billable resources).
 */
import { createInterface } from "node:readline/promises";
import { type Databricks, type LifecycleSpec, type StepEvent, StepFailedError } from "../src/index.js";
import { connect, exampleCluster, exampleRows } from "./connect.js";

const NOTEBOOK = new URL("./notebooks/train_churn.py", import.meta.url).pathname;

export function churnSpec(parameters: Record<string, string>, canaryPercent?: number): LifecycleSpec {
  return {
    notebook: { path: "/Shared/brickml/churn/train", source: NOTEBOOK },
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

export async function runLifecycle(db: Databricks, log: (line: string) => void = console.log) {
  const onProgress = printProgress(log);
  log("\n== Train, register and deploy the champion");
  const first = await db.lifecycle(churnSpec({ max_iter: "200", C: "1.0" })).apply({ onProgress });
  const predictions = await first.endpoint.predict<number>(exampleRows);
  log(
    `Predictions from version ${first.version.version}: ${predictions.map((p) => p.toFixed(3)).join(", ")}`,
  );

  log("\n== Train a challenger and canary it with 10 % of the traffic");
  const second = await db.lifecycle(churnSpec({ max_iter: "300", C: "0.5" }, 10)).apply({ onProgress });
  const routes = (await second.endpoint.refresh()).config?.traffic_config?.routes ?? [];
  log(`Traffic: ${routes.map((r) => `${r.served_entity_name} ${r.traffic_percentage}%`).join(", ")}`);
  await second.endpoint.predict(exampleRows);

  log("\n== Promote the challenger");
  await second.endpoint.promote(second.version.entityName, {
    waitOptions: { onProgress: (e) => log(`    ${e.state}`) },
  });
  await second.version.setAlias("champion");
  const champion = await db.model("main.ml.churn").alias("champion");
  const served = (await second.endpoint.refresh()).config?.served_entities ?? [];

  const summary = {
    notebook: "/Shared/brickml/churn/train",
    trainingRuns: [first.run.runId, second.run.runId],
    model: "main.ml.churn",
    champion: champion.version,
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
    console.log(
      conn.emulated
        ? "Using an emulated Databricks workspace (set DATABRICKS_HOST to use a real one)."
        : `Using ${conn.db.config.host}`,
    );
    if (!conn.emulated && !(await confirm(conn.db.config.host))) process.exit(1);
    await runLifecycle(conn.db);
  } catch (e) {
    console.error(e instanceof StepFailedError ? `\n✗ ${e.message}` : e);
    process.exitCode = 1;
  } finally {
    await conn.close();
  }
}
