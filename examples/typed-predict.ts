/**
 * Predictions checked against the model's own MLflow signature: rows that do not fit (a typo in a
 * column name, a number sent as text) are refused before any request, naming the row and the column.
 *
 *   npx tsx examples/typed-predict.ts      # an emulated workspace; a real one when DATABRICKS_HOST is set
 *
 * The row and prediction types below are what `brickml types main.ml.churn` generates.
 */
import { Databricks, isValidationError } from "brickml";
import { startEmulator } from "brickml/emulator";
import { scriptedChurnNotebook } from "./churn-notebook.js";

export interface ChurnInput {
  /** double */
  tenure_months: number;
  /** double */
  monthly_charges: number;
  /** double */
  support_calls: number;
}
export type ChurnOutput = number;

const CLUSTER = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };

export async function main(db: Databricks, log: (line: string) => void = console.log) {
  const notebook = await db.notebook("/Shared/brickml/examples/train_churn").upload(scriptedChurnNotebook());
  const run = await (await notebook.run({ cluster: CLUSTER })).wait();
  const version = await run.registerModel("main.ml.churn");
  const endpoint = await version.deploy("churn-typed-example");

  const typed = await endpoint.typed<ChurnInput, ChurnOutput>();
  const signature = typed.served[0]!.signature.inputs;
  const columns = signature?.kind === "columns" ? signature.columns.map((c) => c.name) : [];
  log(
    `${endpoint.name} serves ${typed.served.map((s) => `${s.model} v${s.version}`).join(", ")}, whose signature takes ${columns.join(", ")}`,
  );

  const predictions = await typed.predict([
    { tenure_months: 2, monthly_charges: 89.5, support_calls: 4 },
    { tenure_months: 48, monthly_charges: 35.0, support_calls: 0 },
  ]);
  log(`Scored 2 rows: churn probabilities ${predictions.map((p) => p.toFixed(3)).join(" and ")}`);

  // Rows from outside the program (JSON, a queue, a form) escape the compiler; the signature check catches them.
  const fromJson = JSON.parse(
    '[{"tenure_month": 12, "monthly_charges": 70.2, "support_calls": 2}]',
  ) as ChurnInput[];
  let refused: string | undefined;
  try {
    await typed.predict(fromJson);
  } catch (e) {
    if (!isValidationError(e)) throw e;
    refused = `${e.issues[0]!.path}: ${e.issues[0]!.message}`;
    log(`Refused before sending: ${refused}`);
  }
  return { served: typed.served.map((s) => s.entity), columns, predictions, refused };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const emu = process.env.DATABRICKS_HOST ? undefined : await startEmulator();
  try {
    await main(emu ? new Databricks({ host: emu.url, token: emu.token }) : new Databricks());
  } finally {
    await emu?.close();
  }
}
