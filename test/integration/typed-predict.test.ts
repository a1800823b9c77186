import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";
import { Databricks, isValidationError, type ModelVersion, type ServingEndpoint } from "../../src/index.js";
import { rejection } from "../helpers.js";

const CLUSTER = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
const SOURCE = "# Databricks notebook source\nimport mlflow\n";
const V1_WEIGHTS = { tenure_months: -0.05, monthly_charges: 0.02, support_calls: 0.3 };
const V2_WEIGHTS = { ...V1_WEIGHTS, contract_months: -0.01 };

type ChurnRow = { tenure_months: number; monthly_charges: number; support_calls: number };
const rows: [ChurnRow, ChurnRow] = [
  { tenure_months: 2, monthly_charges: 89.5, support_calls: 4 },
  { tenure_months: 48, monthly_charges: 35.0, support_calls: 0 },
];

describe("typed predictions against the emulator", () => {
  let emu: Emulator;
  let db: Databricks;
  let v1: ModelVersion;
  let v2: ModelVersion;
  let endpoint: ServingEndpoint;

  async function train(path: string, weights: Record<string, number>): Promise<ModelVersion> {
    emu.context.service<JobsEmulatorExports>("jobs")!.scriptNotebook(path, {
      durationMs: 60_000,
      mlflow: { model: { coefficients: { intercept: 0.1, weights } } },
    });
    const notebook = await db.notebook(path).upload({ content: SOURCE, language: "PYTHON" });
    const run = await (await notebook.run({ cluster: CLUSTER })).wait();
    return run.registerModel("main.typed.churn");
  }

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 5000 });
    db = new Databricks({ host: emu.url, token: emu.token });
    v1 = await train("/Shared/typed/train_v1", V1_WEIGHTS);
    endpoint = await v1.deploy("typed-churn");
  }, 60_000);
  afterAll(() => emu.close());

  it("reads the served version's signature from its MLmodel and predicts rows that fit it", async () => {
    const typed = await endpoint.typed<ChurnRow, number>();
    expect(typed.served.map((s) => [s.model, s.version, s.entity])).toEqual([
      ["main.typed.churn", "1", "churn-1"],
    ]);
    const inputs = typed.served[0]!.signature.inputs;
    expect(inputs?.kind === "columns" && inputs.columns.map((c) => [c.name, c.value, c.required])).toEqual([
      ["tenure_months", { kind: "scalar", type: "double" }, true],
      ["monthly_charges", { kind: "scalar", type: "double" }, true],
      ["support_calls", { kind: "scalar", type: "double" }, true],
    ]);
    const predictions = await typed.predict(rows);
    expect(predictions).toEqual(await endpoint.predict(rows));
    expect(predictions[0]).toBeCloseTo(0.1 - 0.05 * 2 + 0.02 * 89.5 + 0.3 * 4, 9);
  });

  it("refuses a typo'd column locally, naming the row and the column, and sends nothing", async () => {
    const typed = await endpoint.typed();
    const before = emu.requestCount();
    const bad = [rows[0], { tenure_month: 48, monthly_charges: 35.0, support_calls: 0 }];
    const err = await rejection(typed.predict(bad));
    expect(emu.requestCount()).toBe(before);
    expect(isValidationError(err)).toBe(true);
    const issues = (err as { issues: Array<{ path: string; message: string }> }).issues;
    expect(issues).toEqual([
      {
        path: "rows[1].tenure_month",
        message:
          'unknown column (did you mean "tenure_months"?); the model takes tenure_months, monthly_charges, support_calls',
      },
      { path: "rows[1].tenure_months", message: "missing required column (double)" },
    ]);
    expect(err.message).toContain("signature of main.typed.churn v1 (served as churn-1)");
  });

  it("reports the first ten problems and counts the rest", async () => {
    const typed = await endpoint.typed();
    const err = await rejection(
      typed.predict(Array.from({ length: 12 }, () => ({ ...rows[0], support_calls: "4" }))),
    );
    const issues = (err as { issues: Array<{ path: string; message: string }> }).issues;
    expect(issues).toHaveLength(11);
    expect(issues[9]!.path).toBe("rows[9].support_calls");
    expect(issues[10]).toEqual({ path: "rows", message: "and 2 more problems" });
  });

  it("refuses values of the wrong type and bad params before sending", async () => {
    const typed = await endpoint.typed<Record<string, unknown>>();
    const before = emu.requestCount();
    const err = await rejection(
      typed.predict([{ tenure_months: 2, monthly_charges: "89.5", support_calls: 4 }], {
        params: { temperature: 0.5 },
      }),
    );
    expect(emu.requestCount()).toBe(before);
    expect((err as { issues: unknown[] }).issues).toEqual([
      { path: "params.temperature", message: "unknown param; the model takes no params" },
      { path: "rows[0].monthly_charges", message: "expected double, got a string" },
    ]);
  });

  it("checks a canary's rows against both served versions and names the one a row fails", async () => {
    v2 = await train("/Shared/typed/train_v2", V2_WEIGHTS);
    await endpoint.canary(v2, 10);
    const typed = await endpoint.typed();
    expect(typed.served.map((s) => s.entity).sort()).toEqual(["churn-1", "churn-2"]);
    const before = emu.requestCount();

    const old = await rejection(typed.predict([rows[0]]));
    expect((old as { issues: unknown[] }).issues).toEqual([
      {
        path: "rows[0].contract_months",
        message: "missing required column (double) [main.typed.churn v2 (served as churn-2)]",
      },
    ]);
    const fresh = await rejection(typed.predict([{ ...rows[0], contract_months: 12 }]));
    expect((fresh as { issues: Array<{ path: string; message: string }> }).issues).toEqual([
      {
        path: "rows[0].contract_months",
        message: expect.stringMatching(
          /^unknown column; .* \[main\.typed\.churn v1 \(served as churn-1\)\]$/,
        ),
      },
    ]);
    const both = await rejection(typed.predict([{ ...rows[0], support_calls: "4" }]));
    expect((both as { issues: Array<{ message: string }> }).issues.map((i) => i.message)).toContain(
      "expected double, got a string [every served version]",
    );
    expect(emu.requestCount()).toBe(before);

    // Aimed at one served entity, only its signature counts.
    const toV2 = await typed.predict([{ ...rows[0], contract_months: 12 }], { served_model_name: "churn-2" });
    expect(toV2).toHaveLength(1);
    const err = await rejection(typed.predict([rows[0]], { served_model_name: "churn-9" }));
    expect(err.message).toContain("churn-9 is not served here; served: churn-1, churn-2");
  });

  it("version.typed() checks rows against one version and predicts on the entity serving it", async () => {
    const typed = await v2.typed<ChurnRow & { contract_months: number }, number>();
    expect(() => typed.check([{ ...rows[0]!, contract_months: 1 }])).not.toThrow();
    expect(() => typed.check(rows as never)).toThrow(/rows\[0\]\.contract_months: missing required column/);
    const onEndpoint = await typed.on("typed-churn");
    const [p] = await onEndpoint.predict([{ ...rows[0]!, contract_months: 12 }]);
    expect(p).toBeCloseTo(0.1 - 0.05 * 2 + 0.02 * 89.5 + 0.3 * 4 - 0.01 * 12, 9);
    await expect((await v1.typed()).on("nowhere")).rejects.toThrow(/nowhere/);
  });

  it("reads the pending config of an endpoint still being created", async () => {
    await db.servingEndpoints.create({ name: "typed-new", config: { served_entities: [v1.servedEntity()] } });
    const state = await db.servingEndpoints.get({ name: "typed-new" });
    expect(state.config).toBeUndefined();
    const typed = await db.endpoint("typed-new").typed();
    expect(typed.served.map((s) => s.entity)).toEqual(["churn-1"]);
  });

  it("refuses endpoints that serve no registered model, saying why", async () => {
    await db.servingEndpoints.create({
      name: "typed-chat",
      config: {
        served_entities: [
          {
            name: "chat",
            external_model: {
              name: "gpt-4o-mini",
              provider: "openai",
              task: "llm/v1/chat",
              openai_config: { openai_api_key_plaintext: "sk-test-plaintext-key" },
            },
          },
        ],
      },
    });
    const err = await rejection(db.endpoint("typed-chat").typed());
    expect(err.message).toContain(
      "serves chat, which is not a registered model version and has no MLflow signature",
    );
    expect(err.message).not.toContain("sk-test");
  });

  it("falls back to the version's source (the run's artifacts) when the registry copy of MLmodel is gone", async () => {
    await db.files.delete({ file_path: "/Models/main/typed/churn/1/MLmodel" });
    const typed = await v1.typed();
    expect(typed.signature.inputs?.kind).toBe("columns");
    const source = (await v1.refresh()).source!;
    const runFolder = source.replace(
      /^dbfs:\/databricks\/mlflow-tracking\/([^/]+)\/([^/]+)/,
      "/WorkspaceInternal/Mlflow/Artifacts/$1/Runs/$2",
    );
    await db.files.delete({ file_path: `${runFolder}/MLmodel` });
    await expect(v1.typed()).rejects.toThrow(
      /Cannot read the MLmodel of main\.typed\.churn version 1: not found at \/Models\/main\/typed\/churn\/1\/MLmodel or \/WorkspaceInternal\//,
    );
  });
});
