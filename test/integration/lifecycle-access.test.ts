import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type JobsEmulatorExports, startEmulator } from "../../src/emulator/index.js";
import {
  Databricks,
  isValidationError,
  type LifecycleSpec,
  PermissionDeniedError,
  StepFailedError,
} from "../../src/index.js";
import { rejection } from "../helpers.js";

const BOB = "bob@example.com";
const CLUSTER = { spark_version: "15.4.x-cpu-ml-scala2.12", node_type_id: "i3.xlarge", num_workers: 1 };

function spec(name: string, access?: LifecycleSpec["access"], env?: Record<string, string>): LifecycleSpec {
  return {
    notebook: {
      path: `/Shared/acc/${name}`,
      source: { content: "# Databricks notebook source\nimport mlflow\n" },
    },
    cluster: CLUSTER,
    model: { name: `main.acc.${name}` },
    endpoint: { name: `acc-${name}`, ...(env ? { environmentVars: env } : {}) },
    ...(access ? { access } : {}),
  };
}

describe("db.lifecycle: the access block", () => {
  let emu: Emulator;
  let admin: Databricks;
  let bob: Databricks;
  beforeAll(async () => {
    emu = await startEmulator({ users: ["alice@example.com", BOB], timeScale: 5000 });
    admin = new Databricks({ host: emu.url, token: emu.token, env: {} });
    bob = new Databricks({ host: emu.url, token: emu.tokenFor(BOB), env: {}, maxRetries: 0 });
    emu.context.service<JobsEmulatorExports>("jobs")!.scriptNotebook("/Shared/acc/churn", {
      durationMs: 30_000,
      mlflow: { model: { coefficients: { intercept: 1, weights: { x: 1 } } } },
    });
    // The model block governs the model; using its catalog and schema is granted on them.
    for (const [securable_type, full_name, privilege] of [
      ["catalog", "main", "USE_CATALOG"],
      ["schema", "main.acc", "USE_SCHEMA"],
    ] as const)
      await admin.grants.update({
        securable_type,
        full_name,
        changes: [{ principal: BOB, add: [privilege] }],
      });
  });
  afterAll(() => emu.close());

  it("grants bob CAN_QUERY and EXECUTE, converges, and revokes when he leaves the spec", async () => {
    const query = () => bob.servingEndpoints.query({ name: "acc-churn", dataframe_records: [{ x: 1 }] });
    const read = () => bob.modelVersions.get({ full_name: "main.acc.churn", version: 1 });
    const granted = spec("churn", {
      endpoint: { CAN_QUERY: ["group:analysts", BOB] },
      model: { EXECUTE: [BOB] },
    });
    const plan = await admin.lifecycle(granted).plan();
    const access = plan.steps.at(-1)!;
    expect(access).toMatchObject({ step: "access", action: "update", resource: "acc-churn, main.acc.churn" });
    expect(access.access?.add).toEqual([
      { object: "endpoint", name: "acc-churn", principal: "group:analysts", level: "CAN_QUERY" },
      { object: "endpoint", name: "acc-churn", principal: BOB, level: "CAN_QUERY" },
      { object: "model", name: "main.acc.churn", principal: BOB, level: "EXECUTE" },
    ]);
    const applied = await admin.lifecycle(granted).apply();
    expect(applied.plan.steps.at(-1)!.changes).toEqual([
      "grant CAN_QUERY on endpoint acc-churn to group:analysts",
      `grant CAN_QUERY on endpoint acc-churn to ${BOB}`,
      `grant EXECUTE on model main.acc.churn to ${BOB}`,
    ]);
    expect((await query()).predictions).toHaveLength(1);
    expect((await read()).version).toBe(1);
    const again = await admin.lifecycle(granted).plan();
    expect(again.changes).toBe(0);
    expect(again.steps.at(-1)).toMatchObject({
      step: "access",
      action: "none",
      access: { add: [], revoke: [] },
    });

    const without = spec("churn", { endpoint: { CAN_QUERY: ["group:analysts"] }, model: { EXECUTE: [] } });
    const revoking = await admin.lifecycle(without).plan();
    expect(revoking.changes).toBe(1);
    expect(revoking.steps.at(-1)!.access?.revoke).toEqual([
      { object: "endpoint", name: "acc-churn", principal: BOB, level: "CAN_QUERY" },
      { object: "model", name: "main.acc.churn", principal: BOB, level: "EXECUTE" },
    ]);
    await admin.lifecycle(without).apply();
    expect(await rejection(query())).toBeInstanceOf(PermissionDeniedError);
    expect(await rejection(read())).toBeInstanceOf(PermissionDeniedError);
    expect((await admin.lifecycle(without).plan()).changes).toBe(0);
    // The group the spec still lists, and the endpoint's creator, keep their levels.
    const id = (await admin.servingEndpoints.get({ name: "acc-churn" })).id!;
    const acl = await admin.permissions.get({
      request_object_type: "serving-endpoints",
      request_object_id: id,
    });
    expect(acl.access_control_list?.find((e) => e.group_name === "analysts")?.all_permissions).toEqual([
      expect.objectContaining({ permission_level: "CAN_QUERY" }),
    ]);
  });

  it("never plans a grant for the caller, who will own what apply creates", async () => {
    const me = (await admin.currentUser.me()).userName!;
    const step = (
      await admin.lifecycle(spec("mine", { endpoint: { CAN_MANAGE: [me, BOB] } })).plan()
    ).steps.at(-1)!;
    expect(step.access?.add).toEqual([
      { object: "endpoint", name: "acc-mine", principal: BOB, level: "CAN_MANAGE" },
    ]);
  });

  it("refuses a typo in the access block with its path, before anything is sent", async () => {
    const bad = (access: unknown) =>
      rejection(Promise.resolve().then(() => admin.lifecycle(spec("x", access as never))));
    const level = await bad({ endpoint: { CAN_QUREY: [BOB] } });
    expect(isValidationError(level)).toBe(true);
    expect(level.message).toMatch(/access\.endpoint\.CAN_QUREY: unknown key; did you mean CAN_QUERY\?/);
    const object = await bad({ modle: { EXECUTE: [BOB] } });
    expect(object.message).toMatch(/access\.modle: unknown key; did you mean model\?/);
    const principal = await bad({ model: { EXECUTE: ["bob"] } });
    expect(principal.message).toMatch(/access\.model\.EXECUTE\.0: must be a user name .*group:<name>/);
    const twice = await bad({ endpoint: { CAN_QUERY: [BOB], CAN_VIEW: [BOB] } });
    expect(twice.message).toMatch(
      /access\.endpoint\.CAN_QUERY\.0: bob@example.com is also given CAN_VIEW: a principal holds one level on an endpoint/,
    );
  });

  it("refuses a missing secret reference at plan time, naming the variable", async () => {
    await admin.secrets.createScope({ scope: "serving" });
    await admin.secrets.putSecret({ scope: "serving", key: "token", string_value: "abcdefgh12345678" });
    const plan = (env: Record<string, string>) =>
      rejection(admin.lifecycle(spec("secrets", undefined, env)).plan());
    const noKey = await plan({ OK: "{{secrets/serving/token}}", API_KEY: "{{secrets/serving/nope}}" });
    expect(noKey).toBeInstanceOf(StepFailedError);
    expect(isValidationError(noKey.cause)).toBe(true);
    expect(noKey.message).toMatch(/endpoint\.environmentVars\.API_KEY: secret scope serving has no key nope/);
    expect(noKey.message).not.toMatch(/environmentVars\.OK/);
    const noScope = await plan({ DB: "{{secrets/missing/key}}" });
    expect(noScope.message).toMatch(/endpoint\.environmentVars\.DB: secret scope missing does not exist/);
    await expect(
      admin.lifecycle(spec("secrets", undefined, { OK: "{{secrets/serving/token}}" })).plan(),
    ).resolves.toMatchObject({ changes: 5 });
  });
});
