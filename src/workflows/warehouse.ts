import type { Databricks } from "../client.js";
import { BrickmlError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";
import type { WaitOptions } from "../core/wait.js";

type Warehouse = Awaited<ReturnType<Databricks["warehouses"]["get"]>>;

/**
 * A SQL warehouse to run statements on: the first RUNNING one, else the first that can start
 * (STOPPED or STARTING), started and waited for. Throws when the workspace has none.
 */
export async function pickWarehouse(
  db: Databricks,
  waitOptions: WaitOptions<Warehouse> = {},
  options?: RequestOptions,
): Promise<string> {
  const usable: Warehouse[] = [];
  for await (const w of db.warehouses.list({}, options)) {
    if (w.state === "RUNNING" && w.id) return w.id;
    if ((w.state === "STOPPED" || w.state === "STARTING") && w.id) usable.push(w);
  }
  const candidate = usable.find((w) => w.state === "STARTING") ?? usable[0];
  if (!candidate?.id) {
    throw new BrickmlError("No SQL warehouse to run the query on: create one, or pass warehouse_id");
  }
  if (candidate.state === "STARTING") {
    await db.warehouses.waitUntilWarehouseRunning({ id: candidate.id }, waitOptions, options);
  } else await db.warehouses.startAndWait({ id: candidate.id }, waitOptions, options);
  return candidate.id;
}
