/** Serves a champion, sends 10 % of the traffic to a challenger, then promotes the challenger. */
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
  const champion = await trainAndRegister({ C: "1.0" }, "champion");
  const endpoint = await champion.deploy("churn-canary-example");
  const challenger = await trainAndRegister({ C: "0.5" }, "challenger");
  const split = await endpoint.canary(challenger, 10);
  const routes = split.config?.traffic_config?.routes ?? [];
  console.log(`Canary: ${routes.map((r) => `${r.served_entity_name} ${r.traffic_percentage}%`).join(", ")}`);
  await endpoint.predict(customers);
  await endpoint.promote(challenger.entityName);
  await challenger.setAlias("champion");
  const served = (await endpoint.refresh()).config?.served_entities ?? [];
  console.log(
    `Promoted: ${served.map((e) => `${e.entity_name} v${e.entity_version}`).join(", ")} serves 100%`,
  );
} finally {
  await emu?.close();
}
