import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";
import { Databricks, type ModelVersion } from "../../src/index.js";
import { cli } from "../cli-helpers.js";

const CLUSTER = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };
const INDEX = new URL("../../src/index.js", import.meta.url).pathname;

/**
 * Type errors in each of `files` (written to `dir`), with the repository's compiler settings. Only
 * these files are checked (the library is read for its types, not checked again), which keeps this fast.
 */
function typeErrors(dir: string, files: Record<string, string>): Record<string, string[]> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const program = ts.createProgram(
    Object.keys(files).map((f) => join(dir, f)),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
      typeRoots: [new URL("../../node_modules/@types", import.meta.url).pathname],
    },
  );
  return Object.fromEntries(
    Object.keys(files).map((name) => {
      const file = program.getSourceFile(join(dir, name))!;
      const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
      return [name, diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))];
    }),
  );
}

describe("brickml types", () => {
  let emu: Emulator;
  let db: Databricks;
  let dir: string;

  async function train(path: string, weights: Record<string, number>): Promise<ModelVersion> {
    emu.context.service<JobsEmulatorExports>("jobs")!.scriptNotebook(path, {
      durationMs: 60_000,
      mlflow: { model: { coefficients: { intercept: 0, weights } } },
    });
    const notebook = await db
      .notebook(path)
      .upload({ content: "# Databricks notebook source\n", language: "PYTHON" });
    return (await (await notebook.run({ cluster: CLUSTER })).wait()).registerModel("main.cli.churn");
  }

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 5000 });
    db = new Databricks({ host: emu.url, token: emu.token });
    dir = mkdtempSync(join(tmpdir(), "brickml-types-"));
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    const v1 = await train("/Shared/cli/train_v1", { tenure_months: 1, monthly_charges: 1 });
    await v1.setAlias("champion");
    await v1.deploy("cli-churn");
  }, 60_000);
  afterAll(() => emu.close());

  it("writes types that type-check a typed predict call, and refuse a typo'd column at compile time", async () => {
    const out = join(dir, "churn-types.ts");
    const res = await cli(emu, ["types", "cli-churn", "--out", out, "--name", "Churn"]);
    expect(res.err).toBe("");
    expect(res.code).toBe(0);
    expect(res.out).toBe(
      `Wrote ${out}: ChurnInput, ChurnOutput, ChurnParams from main.cli.churn v1 (served as churn-1)\n`,
    );
    const types = readFileSync(out, "utf8");
    expect(types).toContain("export interface ChurnInput {\n  /** double */\n  tenure_months: number;");
    expect(types).toContain("export type ChurnOutput = number;");

    const call = (row: string) => `import { Databricks } from ${JSON.stringify(INDEX)};
import type { ChurnInput, ChurnOutput, ChurnParams } from "./churn-types.js";
const endpoint = await new Databricks().endpoint("cli-churn").typed<ChurnInput, ChurnOutput, ChurnParams>();
const predictions: number[] = await endpoint.predict([${row}]);
export { predictions };
`;
    const errors = typeErrors(dir, {
      "ok.ts": call("{ tenure_months: 2, monthly_charges: 89.5 }"),
      "typo.ts": call("{ tenure_month: 2, monthly_charges: 89.5 }"),
      "type.ts": call('{ tenure_months: "2", monthly_charges: 89.5 }'),
    });
    expect(errors["ok.ts"]).toEqual([]);
    expect(errors["typo.ts"]!.join("\n")).toMatch(/'tenure_month' does not exist in type 'ChurnInput'/);
    expect(errors["type.ts"]!.join("\n")).toMatch(/Type 'string' is not assignable to type 'number'/);
  }, 60_000); // the compiler reads the whole library's types: a few seconds, more on a busy machine

  it("regenerates byte for byte, and a new served version shows as a diff", async () => {
    const out = join(dir, "regen.ts");
    await cli(emu, ["types", "main.cli.churn@champion", "--out", out]);
    const first = readFileSync(out, "utf8");
    const again = await cli(emu, ["types", "main.cli.churn@champion", "--out", out]);
    expect(again.out).toMatch(/^Unchanged /);
    expect(readFileSync(out, "utf8")).toBe(first);

    const v2 = await train("/Shared/cli/train_v2", {
      tenure_months: 1,
      monthly_charges: 1,
      contract_months: 1,
    });
    const latest = await cli(emu, ["types", "main.cli.churn"]);
    expect(latest.out).toContain("main.cli.churn v2");
    expect(latest.out).toContain("  contract_months: number;");

    await db.endpoint("cli-churn").canary(v2, 10);
    const canary = await cli(emu, ["types", "cli-churn", "--name", "Churn"]);
    expect(canary.out).toContain("export type ChurnInput = ChurnInputV1 & ChurnInputV2;");
    expect(canary.out).toContain("//   main.cli.churn v2 (served as churn-2)");
  });

  it("reads a local MLmodel file, prints JSON, and explains bad targets", async () => {
    const file = new URL("../fixtures/mlmodel/transformers-peft-params.MLmodel", import.meta.url).pathname;
    const local = await cli(emu, ["types", file]);
    expect(local.code).toBe(0);
    expect(local.out).toContain("export type ModelInput = [string];");
    expect(local.out).toContain("max_new_tokens?: number | null;");
    const json = await cli(emu, ["types", "main.cli.churn/1", "--json"]);
    expect(JSON.parse(json.out)[0].signature.inputs.kind).toBe("columns");

    const missing = await cli(emu, ["types", "nope-endpoint"]);
    expect(missing.code).toBe(5); // exit 5: the endpoint does not exist
    expect(missing.err).toContain("nope-endpoint");
    const bad = await cli(emu, ["types", "./no/such/MLmodel"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("is not an endpoint name, a model");
    const name = await cli(emu, ["types", "cli-churn", "--name", "churn"]);
    expect(name.code).toBe(2);
    expect(name.err).toContain("--name must be a PascalCase identifier");
  });
});
