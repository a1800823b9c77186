/** Trains the churn notebook, registers its model in Unity Catalog and points the champion alias at it. */
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
  const version = await trainAndRegister({ C: "1.0" }, "champion");
  const champion = await db.model("main.ml.churn").alias("champion");
  console.log(`Registered ${version.fullName} version ${version.version} (${version.status})`);
  console.log(`champion → version ${champion.version}`);
} finally {
  await emu?.close();
}
