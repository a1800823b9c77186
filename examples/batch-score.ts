/** Scores a whole table with a registered version in a Spark job on a Databricks cluster. */
import { Databricks } from "brickml";
import { startEmulator } from "brickml/emulator";
import { scriptedChurnNotebook } from "./churn-notebook.js";

// A real workspace when DATABRICKS_HOST is set, otherwise an emulated one in this process.
const emu = process.env.DATABRICKS_HOST ? undefined : await startEmulator();
const db = emu ? new Databricks({ host: emu.url, token: emu.token }) : new Databricks();

/** Trains the churn notebook and registers its model as a new Unity Catalog version. */
async function trainAndRegister(parameters: Record<string, string>, alias?: string) {
  const notebook = await db.notebook("/Shared/brickml/examples/train_churn").upload(scriptedChurnNotebook());
  const cluster = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
  const run = await (await notebook.run({ cluster, parameters })).wait();
  return run.registerModel("main.ml.churn", alias ? { alias } : {});
}

try {
  const version = await trainAndRegister({});
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
    cluster: { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 2 },
  });
  await run.wait();
  // The scoring notebook returns the number of rows it wrote.
  const rows = (await run.output()).notebook_output?.result;
  console.log(
    `Scored main.ml.churn_customers into main.ml.churn_scores with ${version.fullName} v${version.version}` +
      `${rows !== undefined ? `: ${rows} rows` : ""} (run ${run.runId}: ${run.url})`,
  );
} finally {
  await emu?.close();
}
