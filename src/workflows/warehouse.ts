import type { Databricks } from "../client.js";
import { BrickmlError } from "../core/errors.js";
import type { RequestOptions } from "../core/http.js";

/**
 * A SQL warehouse to run statements on: the first RUNNING one, else the first STARTING one, else
 * the first STOPPED one, which is started. It is not waited for: a statement sent to a warehouse
 * that is starting waits (PENDING) until it runs. Throws when the workspace has none.
 */
export async function pickWarehouse(db: Databricks, options?: RequestOptions): Promise<string> {
  const waiting: Array<{ id: string; state: string }> = [];
  for await (const w of db.warehouses.list({}, options)) {
    if (!w.id) continue;
    if (w.state === "RUNNING") return w.id;
    if (w.state === "STARTING" || w.state === "STOPPED") waiting.push({ id: w.id, state: w.state });
  }
  const candidate = waiting.find((w) => w.state === "STARTING") ?? waiting[0];
  if (!candidate) {
    throw new BrickmlError("No SQL warehouse to run the query on: create one, or pass warehouse_id");
  }
  if (candidate.state === "STOPPED") await db.warehouses.start({ id: candidate.id }, options);
  return candidate.id;
}
