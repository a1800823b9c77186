import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { Databricks, PermissionDeniedError } from "../../src/index.js";
import { rejection } from "../helpers.js";
import { servingClient, startServing, v } from "./serving-helpers.js";

const ALICE = "alice@example.com";
const BOB = "bob@example.com";

/** Bob's call is refused with the real 403 shape: PERMISSION_DENIED, a message, a detail with metadata. */
async function refused(call: Promise<unknown>, message: RegExp) {
  const err = await rejection(call);
  expect(err).toBeInstanceOf(PermissionDeniedError);
  expect(err.statusCode).toBe(403);
  expect(err.errorCode).toBe("PERMISSION_DENIED");
  expect(err.message).toMatch(message);
  expect(err.details?.[0]).toMatchObject({
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    metadata: {},
  });
}

describe("several users against the emulator", () => {
  let emu: Emulator;
  let admin: Databricks;
  let alice: Databricks;
  let bob: Databricks;
  const client = (token: string) => new Databricks({ host: emu.url, token, env: {}, maxRetries: 0 });

  beforeAll(async () => {
    emu = await startEmulator({ users: [ALICE, BOB] });
    admin = client(emu.token);
    alice = client(emu.tokenFor(ALICE));
    bob = client(emu.tokenFor(BOB));
  });
  afterAll(() => emu.close());

  it("each token is its own user; the default token is the workspace admin", async () => {
    expect((await alice.currentUser.me()).userName).toBe(ALICE);
    expect((await bob.currentUser.me()).userName).toBe(BOB);
    const me = await admin.currentUser.me();
    expect(me.groups?.map((g) => g.display)).toContain("admins");
    const found = await admin.users.list({ filter: `userName eq "${BOB}"` }).toArray({ limit: 10 });
    expect(found.map((u) => u.userName)).toEqual([BOB]);
    expect(await admin.users.list().toArray({ limit: 10 })).toHaveLength(3);
    expect(
      await admin.servicePrincipals.list({ filter: 'displayName eq "ci"' }).toArray({ limit: 1 }),
    ).toEqual([]);
    expect(() => emu.tokenFor("carol@example.com")).toThrow(/not a user of this emulator/);
  });

  it("a bad SCIM filter answers SCIM's error shape", async () => {
    const res = await fetch(
      `${emu.url}/api/2.0/preview/scim/v2/Users?filter=${encodeURIComponent("nonsense")}`,
      {
        headers: { authorization: `Bearer ${emu.token}` },
      },
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { schemas: string[]; detail: string };
    expect(body).toMatchObject({ status: "400", scimType: "invalidFilter" });
    expect(body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
    expect(body.detail).toMatch(/Invalid filter/);
  });

  it("jobs: bob refused → CAN_MANAGE_RUN → runs → revoked → refused; the owner stays", async () => {
    const { job_id } = await alice.jobs.create({ name: "train" });
    await refused(
      bob.jobs.runNow({ job_id }),
      /does not have Manage Run or Owner or Admin permissions on job/,
    );
    await refused(bob.jobs.get({ job_id }), /does not have View permissions/);
    await alice.permissions.update({
      request_object_type: "jobs",
      request_object_id: String(job_id),
      access_control_list: [{ user_name: BOB, permission_level: "CAN_MANAGE_RUN" }],
    });
    expect((await bob.jobs.runNow({ job_id })).run_id).toBeGreaterThan(0);
    expect((await bob.jobs.get({ job_id })).job_id).toBe(job_id);
    await refused(bob.jobs.delete({ job_id }), /Manage or Owner/);
    const after = await alice.permissions.set({
      request_object_type: "jobs",
      request_object_id: String(job_id),
      access_control_list: [],
    });
    const owner = after.access_control_list?.find((a) => a.user_name === ALICE);
    expect(owner?.all_permissions?.map((p) => p.permission_level)).toEqual(["IS_OWNER"]);
    expect(after.access_control_list?.some((a) => a.user_name === BOB)).toBe(false);
    await refused(bob.jobs.runNow({ job_id }), /Manage Run/);
    // Bob may not change the job's permissions either.
    await refused(
      bob.permissions.update({
        request_object_type: "jobs",
        request_object_id: String(job_id),
        access_control_list: [{ user_name: BOB, permission_level: "CAN_MANAGE" }],
      }),
      /Manage or Owner/,
    );
  });

  it("a job has one owner: two IS_OWNER entries are refused, a new one replaces the old", async () => {
    const { job_id } = await alice.jobs.create({ name: "owned" });
    const id = String(job_id);
    const two = await rejection(
      alice.request({
        method: "PUT",
        path: `/api/2.0/permissions/jobs/${id}`,
        body: {
          access_control_list: [
            { user_name: ALICE, permission_level: "IS_OWNER" },
            { user_name: BOB, permission_level: "IS_OWNER" },
          ],
        },
      }),
    );
    expect(two.errorCode).toBe("INVALID_PARAMETER_VALUE");
    const moved = await admin.permissions.set({
      request_object_type: "jobs",
      request_object_id: id,
      access_control_list: [{ user_name: BOB, permission_level: "IS_OWNER" }],
    });
    expect(
      moved.access_control_list?.find((a) => a.user_name === BOB)?.all_permissions?.[0]?.permission_level,
    ).toBe("IS_OWNER");
    await refused(alice.jobs.runNow({ job_id }), /Manage Run/);
  });

  it("Unity Catalog models: EXECUTE on the model plus USE CATALOG and USE SCHEMA, inherited downward", async () => {
    await admin.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "churn" });
    await admin.request({
      method: "POST",
      path: "/api/2.0/mlflow/unity-catalog/model-versions/create",
      body: { name: "main.ml.churn", source: "dbfs:/x" },
    });
    const read = () => bob.modelVersions.get({ full_name: "main.ml.churn", version: 1 });
    await refused(read(), /User does not have USE CATALOG on Catalog 'main'/);
    await admin.grants.update({
      securable_type: "catalog",
      full_name: "main",
      changes: [{ principal: BOB, add: ["USE_CATALOG"] }],
    });
    await refused(read(), /USE SCHEMA on Schema 'main.ml'/);
    await admin.grants.update({
      securable_type: "schema",
      full_name: "main.ml",
      changes: [{ principal: BOB, add: ["USE_SCHEMA"] }],
    });
    await refused(read(), /EXECUTE on Routine or Model 'main.ml.churn'/);
    await admin.grants.update({
      securable_type: "FUNCTION",
      full_name: "main.ml.churn",
      changes: [{ principal: BOB, add: ["EXECUTE"] }],
    });
    expect((await read()).version).toBe(1);
    const effective = await admin.grants.getEffective({
      securable_type: "function",
      full_name: "main.ml.churn",
      principal: BOB,
    });
    expect(effective.privilege_assignments?.[0]?.privileges).toEqual([
      { privilege: "EXECUTE" },
      { privilege: "USE_SCHEMA", inherited_from_type: "SCHEMA", inherited_from_name: "main.ml" },
      { privilege: "USE_CATALOG", inherited_from_type: "CATALOG", inherited_from_name: "main" },
    ]);
    await admin.grants.update({
      securable_type: "function",
      full_name: "main.ml.churn",
      changes: [{ principal: BOB, remove: ["EXECUTE"] }],
    });
    expect(
      (await admin.grants.get({ securable_type: "function", full_name: "main.ml.churn" }))
        .privilege_assignments,
    ).toEqual([]);
    await refused(read(), /EXECUTE/);
    // EXECUTE granted on the schema holds for every model in it.
    await admin.grants.update({
      securable_type: "schema",
      full_name: "main.ml",
      changes: [{ principal: BOB, add: ["EXECUTE"] }],
    });
    expect((await read()).version).toBe(1);
    // Bob cannot grant himself more, nor create models without CREATE_MODEL.
    await refused(
      bob.grants.update({
        securable_type: "catalog",
        full_name: "main",
        changes: [{ principal: BOB, add: ["MANAGE"] }],
      }),
      /MANAGE on Catalog 'main'/,
    );
    await refused(
      bob.registeredModels.create({ catalog_name: "main", schema_name: "ml", name: "mine" }),
      /CREATE MODEL on Schema 'main.ml'/,
    );
  });

  it("secrets: READ to read, WRITE to write, MANAGE for ACLs; a new scope is managed by its creator only", async () => {
    await alice.secrets.createScope({ scope: "platform" });
    await alice.secrets.putSecret({ scope: "platform", key: "api-key", string_value: "s3cr3t-value" });
    expect(await alice.secrets.listAcls({ scope: "platform" })).toEqual([
      { principal: ALICE, permission: "MANAGE" },
    ]);
    const read = () => bob.secrets.getSecret({ scope: "platform", key: "api-key" });
    await refused(read(), /does not have READ permission on scope platform/);
    await alice.secrets.putAcl({ scope: "platform", principal: BOB, permission: "READ" });
    const got = await read();
    expect(Buffer.from(got.value!, "base64").toString("utf8")).toBe("s3cr3t-value");
    expect((await bob.secrets.listSecrets({ scope: "platform" })).map((s) => s.key)).toEqual(["api-key"]);
    await refused(
      bob.secrets.putSecret({ scope: "platform", key: "x", string_value: "y" }),
      /does not have WRITE permission/,
    );
    await refused(bob.secrets.listAcls({ scope: "platform" }), /MANAGE permission/);
    expect(await alice.secrets.getAcl({ scope: "platform", principal: BOB })).toEqual({
      principal: BOB,
      permission: "READ",
    });
    await alice.secrets.deleteAcl({ scope: "platform", principal: BOB });
    await refused(read(), /READ permission/);
    // The admin manages every scope.
    expect((await admin.secrets.getSecret({ scope: "platform", key: "api-key" })).key).toBe("api-key");
    expect((await bob.secrets.listScopes()).map((s) => s.name)).toContain("platform");
    await alice.secrets.deleteSecret({ scope: "platform", key: "api-key" });
    await alice.secrets.deleteScope({ scope: "platform" });
    expect((await admin.secrets.listScopes()).map((s) => s.name)).not.toContain("platform");
  });

  it("experiments, clusters, workspace registry models and notebooks: deny → grant → allow → revoke → deny", async () => {
    const { experiment_id } = await alice.experiments.create({ name: "/Users/alice/exp" });
    const getExp = () => bob.experiments.get({ experiment_id });
    const cases: Array<{
      type: "experiments" | "clusters" | "notebooks" | "registered-models";
      id: string;
      level: string;
      call: () => Promise<unknown>;
    }> = [{ type: "experiments", id: experiment_id, level: "CAN_READ", call: getExp }];
    await alice.modelRegistry.createModel({ name: "legacy" });
    const legacy = (await alice.modelRegistry.getModel({ name: "legacy" })).registered_model_databricks!;
    expect(legacy.permission_level).toBe("CAN_MANAGE");
    cases.push({
      type: "registered-models",
      id: legacy.id!,
      level: "CAN_READ",
      call: async () => {
        const got = (await bob.modelRegistry.getModel({ name: "legacy" })).registered_model_databricks!;
        expect(got.permission_level).toBe("CAN_READ");
      },
    });
    const { cluster_id } = await alice.clusters.create({
      cluster_name: "c",
      spark_version: "15.4.x-scala2.12",
      node_type_id: "i3.xlarge",
      num_workers: 0,
    });
    cases.push({
      type: "clusters",
      id: cluster_id,
      level: "CAN_ATTACH_TO",
      call: () => bob.clusters.get({ cluster_id }),
    });
    await admin.workspace.mkdirs({ path: "/Shared/access" });
    await alice.workspace.import({
      path: "/Shared/access/nb",
      format: "SOURCE",
      language: "PYTHON",
      content: Buffer.from("print(1)").toString("base64"),
    });
    const { object_id } = await alice.workspace.getStatus({ path: "/Shared/access/nb" });
    cases.push({
      type: "notebooks",
      id: String(object_id),
      level: "CAN_READ",
      call: () => bob.workspace.export({ path: "/Shared/access/nb", format: "SOURCE" }),
    });
    for (const c of cases) {
      const target = { request_object_type: c.type, request_object_id: c.id };
      await refused(c.call(), new RegExp(`does not have ${c.level} permission`));
      await alice.permissions.update({
        ...target,
        access_control_list: [{ user_name: BOB, permission_level: c.level }],
      });
      await c.call();
      await alice.permissions.set({ ...target, access_control_list: [] });
      await refused(c.call(), new RegExp(c.level));
    }
  });

  it("permission levels and bad input", async () => {
    const { job_id } = await admin.jobs.create({ name: "levels" });
    const levels = await admin.permissions.getPermissionLevels({
      request_object_type: "jobs",
      request_object_id: String(job_id),
    });
    expect(levels.permission_levels?.map((l) => l.permission_level)).toEqual([
      "CAN_VIEW",
      "CAN_MANAGE_RUN",
      "CAN_MANAGE",
      "IS_OWNER",
    ]);
    const wrong = await rejection(
      admin.permissions.set({
        request_object_type: "jobs",
        request_object_id: String(job_id),
        access_control_list: [{ user_name: BOB, permission_level: "CAN_QUERY" }],
      }),
    );
    expect(wrong.name).toBe("ValidationError");
    expect(wrong.message).toMatch(/access_control_list.0.permission_level/);
    const missing = await rejection(
      admin.permissions.get({ request_object_type: "jobs", request_object_id: "999999" }),
    );
    expect(missing.statusCode).toBe(404);
    const grant = await rejection(
      admin.grants.update({
        securable_type: "table",
        full_name: "main.ml",
        changes: [{ principal: BOB, add: ["SELECT"] }],
      }),
    );
    expect(grant.message).toMatch(/full_name/);
    const badPrivilege = await rejection(
      admin.grants.update({
        securable_type: "volume",
        full_name: "a.b.c",
        changes: [{ principal: BOB, add: ["EXECUTE"] }],
      }),
    );
    expect(badPrivilege.message).toMatch(/EXECUTE is not a privilege of a volume/);
    const both = await rejection(
      admin.secrets.putSecret({ scope: "s", key: "k", string_value: "a", bytes_value: "YQ==" }),
    );
    expect(both.message).toMatch(/exactly one of string_value and bytes_value/);
  });
});

describe("serving endpoints with several users", () => {
  it("query needs CAN_QUERY on the endpoint's id; secrets in environment_vars must exist and stay references", async () => {
    const { emu, se } = await startServing({ users: [BOB] });
    try {
      const bob = new Databricks({ host: emu.url, token: emu.tokenFor(BOB), env: {}, maxRetries: 0 });
      const admin = servingClient(emu);
      await admin.secrets.createScope({ scope: "serving" });
      await admin.secrets.putSecret({ scope: "serving", key: "token", string_value: "abcdefgh12345678" });
      const missing = await rejection(
        se.create({
          name: "bad",
          config: { served_entities: [v(1, { environment_vars: { TOKEN: "{{secrets/serving/nope}}" } })] },
        }),
      );
      expect(missing.errorCode).toBe("INVALID_PARAMETER_VALUE");
      expect(missing.message).toMatch(/secret nope in scope serving, which does not exist/);
      const ep = await se.createAndWait({
        name: "churn",
        config: { served_entities: [v(1, { environment_vars: { TOKEN: "{{secrets/serving/token}}" } })] },
      });
      const got = await se.get({ name: "churn" });
      expect(JSON.stringify(got)).toContain("{{secrets/serving/token}}");
      expect(JSON.stringify(got)).not.toContain("abcdefgh12345678");
      const query = () => bob.servingEndpoints.query({ name: "churn", dataframe_records: [{ a: 1 }] });
      await refused(query(), /does not have CAN_QUERY permission on serving endpoint 'churn'/);
      await admin.servingEndpoints.updatePermissions({
        serving_endpoint_id: ep.id!,
        access_control_list: [{ user_name: BOB, permission_level: "CAN_QUERY" }],
      });
      expect((await query()).predictions).toHaveLength(1);
      await refused(bob.servingEndpoints.delete({ name: "churn" }), /CAN_MANAGE/);
      await admin.permissions.set({
        request_object_type: "serving-endpoints",
        request_object_id: ep.id!,
        access_control_list: [],
      });
      await refused(query(), /CAN_QUERY/);
    } finally {
      await emu.close();
    }
  });
});
