import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";
import { cli } from "../cli-helpers.js";

describe("brickml deploy, runs wait, endpoints status", () => {
  let emu: Emulator;
  let dir: string;
  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 5000 });
    dir = mkdtempSync(join(tmpdir(), "brickml-cli-"));
    writeFileSync(join(dir, "train.py"), "# Databricks notebook source\nimport mlflow\n");
    emu.context.service<JobsEmulatorExports>("jobs")!.scriptNotebook("/Shared/cli/train", {
      durationMs: 60_000,
      mlflow: { model: { coefficients: { intercept: 1, weights: { x: 1 } } } },
    });
  });
  afterAll(() => emu.close());

  const spec = {
    notebook: { path: "/Shared/cli/train", source: "train.py" },
    cluster: { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 },
    model: { name: "main.cli.model" },
    endpoint: { name: "cli-endpoint" },
  };

  it("plans, applies, and applies again with nothing to do (YAML and JSON specs)", async () => {
    const yamlFile = join(dir, "spec.yaml");
    writeFileSync(
      yamlFile,
      `notebook:\n  path: /Shared/cli/train\n  source: train.py\ncluster:\n  spark_version: 15.4.x-cpu-ml-scala2.12\n  node_type_id: i3.xlarge\n  num_workers: 1\nmodel:\n  name: main.cli.model\nendpoint:\n  name: cli-endpoint\n`,
    );
    const plan = await cli(emu, ["deploy", yamlFile, "--plan"]);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain("Plan: 5 change(s)");

    const first = await cli(emu, ["deploy", yamlFile]);
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/✓ train \/Shared\/cli\/train/);
    expect(first.out).toContain("Deployed main.cli.model version 1 to cli-endpoint");

    const jsonFile = join(dir, "spec.json");
    writeFileSync(jsonFile, JSON.stringify(spec));
    const again = await cli(emu, ["deploy", jsonFile, "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({
      model: "main.cli.model",
      version: 1,
      endpoint: "cli-endpoint",
    });
  });

  it("reports the endpoint's status with an exit code scripts can use", async () => {
    const ok = await cli(emu, ["endpoints", "status", "cli-endpoint"]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("READY / NOT_UPDATING");
    expect(ok.out).toContain("100% of traffic");
    const missing = await cli(emu, ["endpoints", "status", "nope"]);
    expect(missing.code).toBe(5);
    expect(missing.err).toContain(`serving endpoint nope does not exist in ${emu.url}`);
  });

  it("waits for runs: 0 on success, 1 on failure with the task error, 2 on bad usage", async () => {
    const jobs = emu.context.service<JobsEmulatorExports>("jobs")!;
    const submit = async (path: string) => {
      const res = await fetch(`${emu.url}/api/2.2/jobs/runs/submit`, {
        method: "POST",
        headers: { Authorization: `Bearer ${emu.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          tasks: [{ task_key: "t", notebook_task: { notebook_path: path }, new_cluster: spec.cluster }],
        }),
      });
      return String(((await res.json()) as { run_id: number }).run_id);
    };
    jobs.scriptNotebook("/Shared/cli/ok", { durationMs: 30_000 });
    jobs.scriptNotebook("/Shared/cli/bad", {
      durationMs: 30_000,
      result: "FAILED",
      error: "KeyError: 'label'",
    });
    const ok = await cli(emu, ["runs", "wait", await submit("/Shared/cli/ok")]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("succeeded");
    const bad = await cli(emu, ["runs", "wait", await submit("/Shared/cli/bad")]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("KeyError: 'label'");
    expect((await cli(emu, ["runs", "wait", "abc"])).code).toBe(2);
  });

  it("refuses a bad spec with exit code 2 naming the field", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ ...spec, model: { name: "no-dots" } }));
    const res = await cli(emu, ["deploy", file]);
    expect(res.code).toBe(2);
    expect(res.err).toContain("model.name");
  });
});
