import type { Databricks } from "../src/index.js";
import { exampleRows, runIfMain } from "./connect.js";
import { trainAndRegister } from "./register-model.js";

/** Queries an endpoint in each input format the serving API accepts. */
export async function main(db: Databricks) {
  const version = await trainAndRegister(db);
  await version.deploy("churn-query-example");
  const name = "churn-query-example";
  const columns = Object.keys(exampleRows[0]!);
  const records = await db.servingEndpoints.query({ name, dataframe_records: exampleRows });
  const split = await db.servingEndpoints.query({
    name,
    dataframe_split: { columns, data: exampleRows.map((r) => columns.map((c) => r[c as keyof typeof r])) },
  });
  const instances = await db.servingEndpoints.query({ name, instances: exampleRows });
  return { records: records.predictions, split: split.predictions, instances: instances.predictions };
}

await runIfMain(import.meta.url, main);
