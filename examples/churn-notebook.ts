import { readFileSync } from "node:fs";

/** The churn training notebook (an ordinary scikit-learn notebook). */
export const CHURN_NOTEBOOK = new URL("./notebooks/train_churn.py", import.meta.url).pathname;

/**
 * What the emulator reports for the training notebook when it does not run it (no local mode):
 * constant metrics and a linear model its serving evaluates. Databricks reads the line as a comment.
 */
const SCRIPT = {
  durationMs: 150000,
  mlflow: {
    experimentName: "/Shared/brickml/churn",
    params: { max_iter: "200", C: "1.0" },
    metrics: { accuracy: 0.87, roc_auc: 0.91 },
    model: {
      artifactPath: "model",
      coefficients: {
        intercept: -1.2,
        weights: { tenure_months: -0.04, monthly_charges: 0.03, support_calls: 0.45 },
        link: "logistic",
      },
    },
  },
};

/** The training notebook with the emulator's script as its first line, for examples about other things. */
export function scriptedChurnNotebook(): { content: string } {
  const source = readFileSync(CHURN_NOTEBOOK, "utf8");
  return { content: `# brickml-emulator: ${JSON.stringify(SCRIPT)}\n${source}` };
}
