/** Queries a serving endpoint in each input format the serving API accepts. */
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

const customers = [
  { tenure_months: 2, monthly_charges: 89.5, support_calls: 4 },
  { tenure_months: 48, monthly_charges: 35.0, support_calls: 0 },
  { tenure_months: 12, monthly_charges: 70.2, support_calls: 2 },
];

try {
  const name = "churn-query-example";
  await (await trainAndRegister({})).deploy(name);
  const columns = Object.keys(customers[0]!);
  const data = customers.map((r) => columns.map((c) => r[c as keyof typeof r]));
  const answers = {
    dataframe_records: await db.servingEndpoints.query({ name, dataframe_records: customers }),
    dataframe_split: await db.servingEndpoints.query({ name, dataframe_split: { columns, data } }),
    instances: await db.servingEndpoints.query({ name, instances: customers }),
  };
  for (const [format, answer] of Object.entries(answers)) {
    console.log(
      `${format.padEnd(17)} → ${(answer.predictions as number[]).map((p) => p.toFixed(3)).join(", ")}`,
    );
  }
} finally {
  await emu?.close();
}
