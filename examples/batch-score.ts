import type { Databricks } from "../src/index.js";
import { exampleCluster, runIfMain } from "./connect.js";
import { trainAndRegister } from "./register-model.js";

/** Scores a whole table with a registered version on a Databricks cluster. */
export async function main(db: Databricks) {
  const version = await trainAndRegister(db);
  const run = await version.batchScore({
    inputTable: "main.ml.churn_customers",
    outputTable: "main.ml.churn_scores",
    cluster: exampleCluster,
  });
  await run.wait();
  return { runId: run.runId, rowsScored: (await run.output()).notebook_output?.result };
}

await runIfMain(import.meta.url, main);
