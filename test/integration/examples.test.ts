import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks } from "../../src/index.js";

const root = resolve(import.meta.dirname, "../..");
const home = mkdtempSync(join(tmpdir(), "brickml-examples-"));

/** Runs an example as a user does (`npx tsx examples/<file>.ts`), with no workspace configured. */
async function runExample(file: string): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DATABRICKS_")));
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", `examples/${file}`], {
    cwd: root,
    env: { ...env, HOME: home },
    timeout: 120_000,
  });
  expect(stdout).not.toMatch(/\[Object\]|undefined|NaN/);
  return stdout;
}

/** The copyable examples, each run in its own process against the emulator it starts. */
describe.concurrent("examples (standalone scripts)", { timeout: 180_000 }, () => {
  it("submit-notebook: runs a notebook and prints the run and what it logged", async () => {
    const out = await runExample("submit-notebook.ts");
    expect(out).toMatch(/^Run \d+ succeeded: http:\/\/127\.0\.0\.1:\d+\/#job\/\d+\/run\/\d+$/m);
    expect(out).toMatch(/^It logged MLflow run \w+: accuracy 0\.87, roc_auc 0\.91$/m);
  });

  it("register-model: registers a version and points champion at it", async () => {
    const out = await runExample("register-model.ts");
    expect(out).toContain("Registered main.ml.churn version 1 (READY)\nchampion → version 1");
  });

  it("deploy: serves the champion and prints its predictions", async () => {
    const out = await runExample("deploy.ts");
    expect(out).toContain("Endpoint churn-example is READY, serving main.ml.churn v1");
    expect(out).toMatch(/^Churn probabilities: 0\.\d{3}, 0\.\d{3}, 0\.\d{3}$/m);
  });

  it("query: the same predictions in every input format", async () => {
    const out = await runExample("query.ts");
    const lines = out.trim().split("\n");
    expect(lines.map((l) => l.split("→")[0]!.trim())).toEqual([
      "dataframe_records",
      "dataframe_split",
      "instances",
    ]);
    expect(new Set(lines.map((l) => l.split("→")[1]))).toHaveProperty("size", 1);
  });

  it("canary: 10 % to the challenger, then promoted", async () => {
    const out = await runExample("canary.ts");
    expect(out).toContain("Canary: churn-1 90%, churn-2 10%\nPromoted: main.ml.churn v2 serves 100%");
  });

  it("batch-score: scores a table in a Spark job", async () => {
    const out = await runExample("batch-score.ts");
    expect(out).toMatch(
      /^Scored main\.ml\.churn_customers into main\.ml\.churn_scores with main\.ml\.churn v1(: 3 rows)? \(run \d+: http/m,
    );
  });
});

/** The examples that export their steps run in this process against a fresh emulated workspace. */
describe("examples (in process)", () => {
  let emu: Emulator | undefined;
  async function workspace(): Promise<Databricks> {
    emu = await startEmulator({ timeScale: 5000 });
    return new Databricks({ host: emu.url, token: emu.token });
  }
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  it("monitor: scores Arrow, reads the inference table, reports drift and retrains", async () => {
    const { main } = await import("../../examples/monitor.js");
    const lines: string[] = [];
    const res = await main(await workspace(), (l) => lines.push(l));
    expect(res).toMatchObject({ scored: 400, captured: 400, drifted: ["tenure_months", "monthly_charges"] });
    // The retrained run logs the same ROC AUC as the champion's, which is no improvement.
    expect(res).toMatchObject({ decision: "rolled_back", version: 2 });
    expect(lines.join("\n")).toContain("churn-monitored: DRIFT in 2 of 3 features");
  });

  it("typed-predict: rows checked against the served signature, a typo refused before sending", async () => {
    const { main } = await import("../../examples/typed-predict.js");
    const lines: string[] = [];
    const res = await main(await workspace(), (l) => lines.push(l));
    expect(res.columns).toEqual(["tenure_months", "monthly_charges", "support_calls"]);
    expect(res.predictions).toHaveLength(2);
    expect(res.refused).toMatch(
      /^rows\[0\]\.tenure_month: unknown column \(did you mean "tenure_months"\?\)/,
    );
    expect(lines.join("\n")).toContain("Refused before sending: rows[0].tenure_month");
  });

  it("lifecycle (npm start): champion, canary, promote", async () => {
    const { runLifecycle } = await import("../../examples/lifecycle.js");
    const lines: string[] = [];
    const summary = await runLifecycle(await workspace(), (l) => lines.push(l));
    expect(summary.champion).toBe(2);
    expect(summary.serving).toEqual(["main.ml.churn v2"]);
    expect(lines.join("\n")).toContain("churn-2 10%");
  });
});
