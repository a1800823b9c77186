import type { Databricks } from "../src/index.js";
import { exampleRows, runIfMain } from "./connect.js";
import { trainAndRegister } from "./register-model.js";

/** Serves a champion, sends 10 % of the traffic to a challenger, then promotes it. */
export async function main(db: Databricks) {
  const champion = await trainAndRegister(db, { C: "1.0" }, "champion");
  const endpoint = await champion.deploy("churn-canary-example");
  const challenger = await trainAndRegister(db, { C: "0.5" }, "challenger");
  const split = await endpoint.canary(challenger, 10);
  const routes = split.config?.traffic_config?.routes;
  await endpoint.predict(exampleRows);
  await endpoint.promote(challenger.entityName);
  await challenger.setAlias("champion");
  const served = (await endpoint.refresh()).config?.served_entities?.map((e) => e.name);
  return { canaryRoutes: routes, servedAfterPromote: served };
}

await runIfMain(import.meta.url, main);
