import type { Databricks } from "../src/index.js";
import { exampleRows, runIfMain } from "./connect.js";
import { trainAndRegister } from "./register-model.js";

/** Deploys the champion version to an endpoint and waits until it serves. */
export async function main(db: Databricks) {
  const version = await trainAndRegister(db, {}, "champion");
  const endpoint = await version.deploy("churn-example", { workloadSize: "Small", scaleToZero: true });
  const state = await endpoint.refresh();
  return {
    endpoint: endpoint.name,
    ready: state.state?.ready,
    predictions: await endpoint.predict(exampleRows),
  };
}

await runIfMain(import.meta.url, main);
