/**
 * Monitoring and retraining: serve the churn model with an inference table, score a batch of
 * customers given as an Arrow table, read what the endpoint captured, compare it with the
 * training data, and let the life cycle retrain and canary when the features drifted.
 */
import { type Databricks, driftReport, renderDriftText, toArrowTable } from "brickml";
import { runIfMain } from "./connect.js";
import { churnSpec, prepareData } from "./lifecycle.js";

/** Customers as columns; `shift` makes them longer-standing and more expensive than in training. */
function customers(n: number, shift = 0) {
  return {
    tenure_months: Array.from({ length: n }, (_, i) => ((i * 7) % 60) + shift * 24),
    monthly_charges: Array.from({ length: n }, (_, i) => 30 + ((i * 13) % 70) + shift * 25),
    support_calls: Array.from({ length: n }, (_, i) => i % 5),
  };
}

/** `executes`: notebooks run for real (a workspace, or the emulator's local mode), so the data is loaded first. */
export async function main(
  db: Databricks,
  log: (line: string) => void = console.log,
  { executes = false }: { executes?: boolean } = {},
) {
  if (executes) await prepareData(db, log);
  const spec = churnSpec({ max_iter: "200", C: "1.0" }, undefined, executes);
  spec.endpoint = {
    ...spec.endpoint,
    name: "churn-monitored",
    inferenceTable: { catalog_name: "main", schema_name: "ml" },
  };
  const lifecycle = db.lifecycle(spec);
  const { endpoint } = await lifecycle.apply();

  // Score this month's customers: an Arrow table in, the same table with a prediction column out.
  const scored = await endpoint.predict(await toArrowTable(customers(400, 1)), {
    as: "arrow",
    batchSize: 100,
  });
  log(`Scored ${scored.numRows} customers; columns: ${scored.schema.fields.map((f) => f.name).join(", ")}`);

  // What the endpoint captured, read back with SQL, against the training data.
  const baseline = await toArrowTable(customers(1000));
  const captured = await endpoint.inferenceTable();
  const report = driftReport(baseline, captured);
  log(renderDriftText(report, { title: endpoint.name }));

  // Retrain when a feature drifted; keep the new version only if its ROC AUC beats the champion's.
  const result = await lifecycle.retrainIf((r) => r.drifted, {
    baseline,
    canaryPercent: 10,
    metric: { name: "roc_auc", higherIsBetter: true },
  });
  log(`Retraining: ${result.decision} (${result.reason})`);
  return {
    scored: scored.numRows,
    captured: captured.numRows,
    drifted: report.features.filter((f) => f.drifted).map((f) => f.name),
    decision: result.decision,
    version: result.version?.version,
  };
}

await runIfMain(import.meta.url, main);
