import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks } from "../../src/index.js";

/** Every example runs against a fresh emulated workspace, as `npx tsx examples/<file>.ts` would. */
describe("examples", () => {
  let emu: Emulator | undefined;
  async function workspace(): Promise<Databricks> {
    emu = await startEmulator({ timeScale: 5000 });
    return new Databricks({ host: emu.url, token: emu.token });
  }
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  it("submit-notebook: runs a notebook and reads its output", async () => {
    const { main } = await import("../../examples/submit-notebook.js");
    const res = await main(await workspace());
    expect(res.runId).toBeGreaterThan(0);
    expect(res.url).toContain(`/run/${res.runId}`);
  });

  it("register-model: registers a version and points champion at it", async () => {
    const { main } = await import("../../examples/register-model.js");
    expect(await main(await workspace())).toEqual({
      registered: "main.ml.churn/1",
      champion: 1,
      status: "READY",
    });
  });

  it("deploy: serves the champion and predicts", async () => {
    const { main } = await import("../../examples/deploy.js");
    const res = await main(await workspace());
    expect(res.ready).toBe("READY");
    expect(res.predictions).toHaveLength(3);
  });

  it("query: the same predictions in every input format", async () => {
    const { main } = await import("../../examples/query.js");
    const res = await main(await workspace());
    expect(res.split).toEqual(res.records);
    expect(res.instances).toEqual(res.records);
  });

  it("canary: 10 % to the challenger, then promoted", async () => {
    const { main } = await import("../../examples/canary.js");
    const res = await main(await workspace());
    expect(res.canaryRoutes?.map((r) => r.traffic_percentage).sort((a, b) => Number(a) - Number(b))).toEqual([
      10, 90,
    ]);
    expect(res.servedAfterPromote).toEqual(["churn-2"]);
  });

  it("batch-score: scores a table in a Spark job", async () => {
    const { main } = await import("../../examples/batch-score.js");
    const res = await main(await workspace());
    expect(res.runId).toBeGreaterThan(0);
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
