import { WorkspaceClient } from "@databricks/sdk-experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks } from "../../src/index.js";

const BOB = "bob@example.com";

/**
 * The official SDK's permissions, grants and secrets calls against the emulator, and brickml
 * reading the same state. The SDK sends a body only with POST and PUT, so its PATCH calls
 * (`permissions.update`, `grants.update`) reach any server empty: brickml makes those changes here.
 */
describe("official SDK: permissions, grants and secrets", () => {
  let emu: Emulator;
  let admin: WorkspaceClient;
  let bob: WorkspaceClient;
  let db: Databricks;

  beforeAll(async () => {
    emu = await startEmulator({ users: [BOB] });
    admin = new WorkspaceClient({ host: emu.url, token: emu.token, authType: "pat" });
    bob = new WorkspaceClient({ host: emu.url, token: emu.tokenFor(BOB), authType: "pat" });
    db = new Databricks({ host: emu.url, token: emu.token, env: {} });
  });
  afterAll(() => emu.close());

  it("permissions.set/update/get/getPermissionLevels on a job, and the SDK parses a 403", async () => {
    const { job_id } = await admin.jobs.create({ name: "conformance" });
    const target = { request_object_type: "jobs", request_object_id: String(job_id) };
    const denied = await bob.jobs.runNow({ job_id: job_id! }).catch((e: unknown) => e);
    expect(denied).toMatchObject({ errorCode: "PERMISSION_DENIED", statusCode: 403 });
    expect(String((denied as Error).message)).toMatch(/Manage Run/);
    await admin.permissions.set({
      ...target,
      access_control_list: [{ user_name: BOB, permission_level: "CAN_MANAGE_RUN" }],
    });
    expect((await bob.jobs.runNow({ job_id: job_id! })).run_id).toBeGreaterThan(0);
    const got = await admin.permissions.get(target);
    expect(got.object_type).toBe("job");
    expect(
      got.access_control_list?.find((a) => a.user_name === BOB)?.all_permissions?.[0]?.permission_level,
    ).toBe("CAN_MANAGE_RUN");
    expect(
      await db.permissions.get({ request_object_type: "jobs", request_object_id: String(job_id) }),
    ).toEqual(got);
    await admin.permissions.set({ ...target, access_control_list: [] });
    expect((await admin.permissions.get(target)).access_control_list?.some((a) => a.user_name === BOB)).toBe(
      false,
    );
    const levels = await admin.permissions.getPermissionLevels(target);
    expect(levels.permission_levels?.map((l) => l.permission_level)).toContain("IS_OWNER");
  });

  it("grants.update/get/getEffective on a model and its parents", async () => {
    await admin.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "churn" });
    await db.grants.update({
      securable_type: "catalog",
      full_name: "main",
      changes: [{ principal: BOB, add: ["USE_CATALOG", "USE_SCHEMA"] }],
    });
    const direct = await db.grants.update({
      securable_type: "function",
      full_name: "main.ml.churn",
      changes: [{ principal: BOB, add: ["EXECUTE"] }],
    });
    expect(direct.privilege_assignments).toEqual([{ principal: BOB, privileges: ["EXECUTE"] }]);
    expect(await admin.grants.get({ securable_type: "function", full_name: "main.ml.churn" })).toEqual(
      direct,
    );
    const effective = await admin.grants.getEffective({
      securable_type: "function",
      full_name: "main.ml.churn",
      principal: BOB,
    });
    expect(effective.privilege_assignments?.[0]?.privileges?.map((p) => p.privilege)).toEqual([
      "EXECUTE",
      "USE_CATALOG",
      "USE_SCHEMA",
    ]);
    expect(
      await db.grants.getEffective({
        securable_type: "FUNCTION",
        full_name: "main.ml.churn",
        principal: BOB,
      }),
    ).toEqual(effective);
  });

  it("secrets: scopes, values (base64) and ACLs, and the SDK parses a denial", async () => {
    await admin.secrets.createScope({ scope: "conf" });
    await admin.secrets.putSecret({ scope: "conf", key: "k", string_value: "hello" });
    const got = await admin.secrets.getSecret({ scope: "conf", key: "k" });
    expect(Buffer.from(got.value!, "base64").toString()).toBe("hello");
    expect(await db.secrets.getSecret({ scope: "conf", key: "k" })).toEqual(got);
    const denied = await bob.secrets.getSecret({ scope: "conf", key: "k" }).catch((e: unknown) => e);
    expect(denied).toMatchObject({ errorCode: "PERMISSION_DENIED", statusCode: 403 });
    await admin.secrets.putAcl({ scope: "conf", principal: BOB, permission: "READ" });
    expect((await admin.secrets.getAcl({ scope: "conf", principal: BOB })).permission).toBe("READ");
    const acls = [];
    for await (const a of admin.secrets.listAcls({ scope: "conf" })) acls.push(a);
    expect(acls.map((a) => a.principal).sort()).toEqual([BOB, "emulator-user@example.com"]);
    const keys = [];
    for await (const s of bob.secrets.listSecrets({ scope: "conf" })) keys.push(s.key);
    expect(keys).toEqual(["k"]);
    const scopes = [];
    for await (const s of admin.secrets.listScopes()) scopes.push(s.name);
    expect(scopes).toContain("conf");
    await admin.secrets.deleteAcl({ scope: "conf", principal: BOB });
    await admin.secrets.deleteSecret({ scope: "conf", key: "k" });
    await admin.secrets.deleteScope({ scope: "conf" });
    expect(await db.secrets.listScopes()).toEqual([]);
  });
});
