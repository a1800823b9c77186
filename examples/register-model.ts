import type { Databricks } from "../src/index.js";
import { scriptedChurnNotebook } from "./churn-notebook.js";
import { exampleCluster, runIfMain } from "./connect.js";

/** Trains the churn notebook with `parameters` and registers the model as a new Unity Catalog version. */
export async function trainAndRegister(
  db: Databricks,
  parameters: Record<string, string> = {},
  alias?: string,
) {
  const notebook = await db.notebook("/Shared/brickml/examples/train_churn").upload(scriptedChurnNotebook());
  const run = await (await notebook.run({ cluster: exampleCluster, parameters })).wait();
  return run.registerModel("main.ml.churn", alias ? { alias } : {});
}

export async function main(db: Databricks) {
  const version = await trainAndRegister(db, { C: "1.0" }, "champion");
  const champion = await db.model("main.ml.churn").alias("champion");
  return {
    registered: `${version.fullName}/${version.version}`,
    champion: champion.version,
    status: champion.status,
  };
}

await runIfMain(import.meta.url, main);
