import type { Databricks } from "../src/index.js";
import { scriptedChurnNotebook } from "./churn-notebook.js";
import { exampleCluster, runIfMain } from "./connect.js";

/** Uploads a notebook, runs it on a new cluster, waits with progress and returns its output. */
export async function main(db: Databricks) {
  const notebook = await db.notebook("/Shared/brickml/examples/train").upload(scriptedChurnNotebook());
  const run = await notebook.run({ cluster: exampleCluster, parameters: { max_iter: "100" } });
  await run.wait({ onProgress: (e) => console.log(`run ${run.runId}: ${e.state}`) });
  return { runId: run.runId, url: run.url, output: await run.output() };
}

await runIfMain(import.meta.url, main);
