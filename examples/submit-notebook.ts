/** Uploads a notebook, runs it on a new cluster with progress, and prints what it logged and returned. */
import { Databricks } from "brickml";
import { startEmulator } from "brickml/emulator";
import { scriptedChurnNotebook } from "./churn-notebook.js";

// A real workspace when DATABRICKS_HOST is set, otherwise an emulated one in this process.
const emu = process.env.DATABRICKS_HOST ? undefined : await startEmulator();
const db = emu ? new Databricks({ host: emu.url, token: emu.token }) : new Databricks();

try {
  const notebook = await db.notebook("/Shared/brickml/examples/train").upload(scriptedChurnNotebook());
  const cluster = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
  const run = await notebook.run({ cluster, parameters: { max_iter: "100" } });
  await run.wait({ onProgress: (e) => console.log(`run ${run.runId}: ${e.state}`) });
  console.log(`Run ${run.runId} succeeded: ${run.url}`);
  const mlflow = await run.mlflowRun();
  const metrics = (mlflow.data?.metrics ?? []).map((m) => `${m.key} ${m.value}`).join(", ");
  console.log(`It logged MLflow run ${mlflow.info?.run_id}: ${metrics}`);
  const exit = (await run.output()).notebook_output?.result;
  if (exit !== undefined) console.log(`The notebook returned: ${exit}`);
} finally {
  await emu?.close();
}
