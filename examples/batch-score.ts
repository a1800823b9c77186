import type { Databricks } from "../src/index.js";
import { exampleCluster, runIfMain } from "./connect.js";
import { trainAndRegister } from "./register-model.js";

/** Scores a whole table with a registered version on a Databricks cluster. */
export async function main(db: Databricks) {
  const version = await trainAndRegister(db);
  // This month's customers, to score.
  const warehouse_id = (await db.warehouses.list().toArray({ limit: 1 }))[0]!.id!;
  await db.statements.query(
    "CREATE TABLE IF NOT EXISTS main.ml.churn_customers (tenure_months BIGINT, monthly_charges DOUBLE, support_calls BIGINT)",
    { warehouse_id },
  );
  await db.statements.query(
    "INSERT INTO main.ml.churn_customers VALUES (2, 89.5, 4), (48, 35.0, 0), (12, 70.2, 2)",
    { warehouse_id },
  );
  const run = await version.batchScore({
    inputTable: "main.ml.churn_customers",
    outputTable: "main.ml.churn_scores",
    cluster: exampleCluster,
  });
  await run.wait();
  return { runId: run.runId, rowsScored: (await run.output()).notebook_output?.result };
}

await runIfMain(import.meta.url, main);
