import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobsState } from "../../src/emulator/compute/run-model.js";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";
import { Databricks } from "../../src/index.js";
import { cli } from "../cli-helpers.js";

const NOTEBOOK = "/Shared/deploy/train";

/** A YAML spec; `endpoint` and `extra` are YAML lines added under `endpoint:` and at the top level. */
function yaml(endpoint = "", extra = ""): string {
  return `notebook:
  path: ${NOTEBOOK}
  source: train.py
cluster:
  spark_version: 15.4.x-cpu-ml-scala2.12
  node_type_id: i3.xlarge
  num_workers: 1
parameters:
  C: 1.0
  fit_intercept: true
model:
  name: main.deploy.churn
endpoint:
  name: deploy-churn
${endpoint}${extra}`;
}

describe("brickml deploy", () => {
  let emu: Emulator;
  let dir: string;
  let db: Databricks;
  let n = 0;
  const write = (text: string, ext = "yaml") => {
    const file = join(dir, `spec${n++}.${ext}`);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 5000 });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
    dir = mkdtempSync(join(tmpdir(), "brickml-deploy-"));
    writeFileSync(join(dir, "train.py"), "# Databricks notebook source\nimport mlflow\n");
    emu.context.service<JobsEmulatorExports>("jobs")!.scriptNotebook(NOTEBOOK, {
      durationMs: 60_000,
      mlflow: { model: { coefficients: { intercept: 1, weights: { x: 1 } } } },
    });
  });
  afterAll(() => emu.close());

  it.each([
    [
      "a typo under endpoint",
      yaml("  workloadsize: Large\n"),
      "endpoint.workloadsize",
      "did you mean workloadSize?",
    ],
    ["a typo at the top", yaml("", "paramters:\n  C: '2'\n"), "paramters", "did you mean parameters?"],
    ["a typo'd block", yaml().replace("model:", "modle:"), "modle", "did you mean model?"],
    [
      "a wrong type in the cluster",
      yaml().replace("num_workers: 1", "num_workers: two"),
      "cluster.num_workers",
      "expected number",
    ],
    [
      "an unknown cluster field",
      yaml().replace("num_workers: 1", "num_worker: 1"),
      "cluster.num_worker",
      "did you mean num_workers?",
    ],
    [
      "a workload size out of the closed set",
      yaml("  workloadSize: Tiny\n"),
      "endpoint.workloadSize",
      "Small, Medium, Large",
    ],
    [
      "a workload type out of the closed set",
      yaml("  workloadType: TPU\n"),
      "endpoint.workloadType",
      "GPU_SMALL",
    ],
    [
      "a canary share out of range",
      yaml("", "traffic:\n  canaryPercent: 100\n"),
      "traffic.canaryPercent",
      "between 1 and 99",
    ],
    [
      "a typo in the access block",
      yaml("", "access:\n  endpoint:\n    CAN_QUREY: [bob@example.com]\n"),
      "access.endpoint.CAN_QUREY",
      "did you mean CAN_QUERY?",
    ],
    [
      "a reference to a secret that does not exist",
      yaml("  environmentVars:\n    API_KEY: '{{secrets/nope/key}}'\n"),
      "endpoint.environmentVars.API_KEY",
      "secret scope nope does not exist",
    ],
    [
      "a missing notebook file",
      yaml().replace("source: train.py", "source: nope.py"),
      "notebook.source",
      "nope.py (no such file)",
    ],
  ])("refuses %s at plan time with exit 2 and the field's path", async (_, text, path, hint) => {
    const before = Object.keys(emu.context.state<JobsState>("jobs").runs).length;
    const res = await cli(emu, ["deploy", write(text), "--plan"]);
    expect(res.code).toBe(2);
    expect(res.err).toContain(path);
    expect(res.err).toContain(hint);
    expect(res.out).toBe("");
    expect(Object.keys(emu.context.state<JobsState>("jobs").runs).length).toBe(before);
  });

  it("refuses a JSON number in parameters, naming the field", async () => {
    const spec = {
      notebook: { path: NOTEBOOK },
      cluster: { spark_version: "15.4.x-cpu-ml-scala2.12", num_workers: 1 },
      parameters: { C: 1.0 },
      model: { name: "main.deploy.churn" },
      endpoint: { name: "deploy-churn" },
    };
    const res = await cli(emu, ["deploy", write(JSON.stringify(spec), "json"), "--plan"]);
    expect(res.code).toBe(2);
    expect(res.err).toContain("parameters.C: must be a string");
  });

  it("shows the access block's grants in the plan text and JSON", async () => {
    const file = write(
      yaml(
        "",
        "access:\n  endpoint:\n    CAN_QUERY: [group:analysts]\n  model:\n    EXECUTE: [bob@example.com]\n",
      ),
    );
    const text = await cli(emu, ["deploy", file, "--plan"]);
    expect(text.code).toBe(0);
    expect(text.out).toContain("update access   deploy-churn, main.deploy.churn  (2 to grant, 0 to revoke)");
    expect(text.out).toContain("grant CAN_QUERY on endpoint deploy-churn to group:analysts\n");
    expect(text.out).toContain("grant EXECUTE on model main.deploy.churn to bob@example.com\n");
    const json = JSON.parse((await cli(emu, ["deploy", file, "--plan", "--json"])).out);
    expect(json.steps.at(-1)).toMatchObject({
      step: "access",
      access: {
        add: [
          { object: "endpoint", name: "deploy-churn", principal: "group:analysts", level: "CAN_QUERY" },
          { object: "model", name: "main.deploy.churn", principal: "bob@example.com", level: "EXECUTE" },
        ],
        revoke: [],
      },
    });
  });

  it("takes YAML parameters as written, converges every endpoint setting, and then plans 0 changes", async () => {
    const planJson = async (file: string) => {
      const res = await cli(emu, ["deploy", file, "--plan", "--json"]);
      expect(res.code).toBe(0);
      const plan = JSON.parse(res.out);
      expect(typeof plan.changes).toBe("number");
      return plan as { changes: number; steps: Array<{ step: string; action: string; changes?: string[] }> };
    };
    const first = write(yaml());
    expect((await planJson(first)).changes).toBe(5);
    const applied = await cli(emu, ["deploy", first, "--json"]);
    expect(applied.code).toBe(0);
    const result = JSON.parse(applied.out);
    expect(result).toMatchObject({ version: 1, endpoint: "deploy-churn", changes: 5 });
    const run = await db.jobs.getRun({ run_id: result.run_id });
    expect(run.tasks?.[0]?.notebook_task?.base_parameters).toEqual({ C: "1.0", fit_intercept: "true" });
    expect((await planJson(first)).changes).toBe(0);

    const changed = write(
      yaml(
        `  workloadSize: Large
  workloadType: GPU_SMALL
  scaleToZero: false
  environmentVars:
    LOG_LEVEL: debug
  tags:
    team: ml
  inferenceTable:
    catalog_name: main
    schema_name: deploy
`,
      ),
    );
    const plan = await planJson(changed);
    expect(plan.changes).toBe(1);
    const deploy = plan.steps.find((s) => s.step === "deploy")!;
    expect(deploy.action).toBe("update");
    expect(deploy.changes?.join("\n")).toMatch(/workload_size/);
    expect(deploy.changes?.join("\n")).toMatch(/scale_to_zero_enabled/);
    expect(deploy.changes?.join("\n")).toMatch(/environment_vars/);
    expect(deploy.changes?.join("\n")).toMatch(/tag team/);
    expect(deploy.changes?.join("\n")).toMatch(/inference_table_config/);
    const res = await cli(emu, ["deploy", changed]);
    expect(res.err).toBe("");
    expect(res.code).toBe(0);
    const endpoint = await db.servingEndpoints.get({ name: "deploy-churn" });
    expect(endpoint.config?.served_entities?.[0]).toMatchObject({
      entity_version: "1",
      workload_size: "Large",
      workload_type: "GPU_SMALL",
      scale_to_zero_enabled: false,
      environment_vars: { LOG_LEVEL: "debug" },
    });
    expect(endpoint.tags).toContainEqual({ key: "team", value: "ml" });
    expect(endpoint.ai_gateway?.inference_table_config).toMatchObject({
      catalog_name: "main",
      enabled: true,
    });
    expect((await planJson(changed)).changes).toBe(0);

    // Back to the defaults: the environment variables go, the size and scale to zero come back.
    expect((await planJson(first)).changes).toBe(1);
    expect((await cli(emu, ["deploy", first])).code).toBe(0);
    expect((await planJson(first)).changes).toBe(0);
    const back = await db.servingEndpoints.get({ name: "deploy-churn" });
    expect(back.config?.served_entities?.[0]).toMatchObject({
      workload_size: "Small",
      scale_to_zero_enabled: true,
    });
    expect(back.config?.served_entities?.[0]?.environment_vars ?? {}).toEqual({});
  });
});
