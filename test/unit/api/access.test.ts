import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { rejection } from "../../helpers.js";
import { HOST, testClient } from "../helpers.js";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const ACL = { object_id: "/jobs/12", object_type: "job", access_control_list: [] };

describe("permissions", () => {
  it("get, getPermissionLevels, set (PUT) and update (PATCH) on /api/2.0/permissions/{type}/{id}", async () => {
    const acl = [{ user_name: "bob@example.com", permission_level: "CAN_MANAGE_RUN" }];
    const scope = nock(HOST)
      .get("/api/2.0/permissions/jobs/12")
      .reply(200, ACL)
      .get("/api/2.0/permissions/serving-endpoints/abc/permissionLevels")
      .reply(200, { permission_levels: [{ permission_level: "CAN_QUERY", description: "q" }] })
      .put("/api/2.0/permissions/jobs/12", { access_control_list: acl })
      .reply(200, ACL)
      .patch("/api/2.0/permissions/registered-models/m1", {
        access_control_list: [{ group_name: "users", permission_level: "CAN_READ" }],
      })
      .reply(200, ACL);
    const db = testClient();
    expect(await db.permissions.get({ request_object_type: "jobs", request_object_id: "12" })).toEqual(ACL);
    const levels = await db.permissions.getPermissionLevels({
      request_object_type: "serving-endpoints",
      request_object_id: "abc",
    });
    expect(levels.permission_levels?.[0]?.permission_level).toBe("CAN_QUERY");
    await db.permissions.set({
      request_object_type: "jobs",
      request_object_id: "12",
      access_control_list: acl,
    });
    await db.permissions.update({
      request_object_type: "registered-models",
      request_object_id: "m1",
      access_control_list: [{ group_name: "users", permission_level: "CAN_READ" }],
    });
    scope.done();
  });

  it("refuses an unknown object type, a level the type lacks, and an entry with two principals, before sending", async () => {
    const db = testClient();
    const type = await rejection(
      db.permissions.get({ request_object_type: "rockets" as "jobs", request_object_id: "1" }),
    );
    expect(type.message).toMatch(/request_object_type/);
    const level = await rejection(
      db.permissions.set({
        request_object_type: "serving-endpoints",
        request_object_id: "abc",
        access_control_list: [{ user_name: "bob@example.com", permission_level: "CAN_MANAGE_RUN" }],
      }),
    );
    expect(level.message).toMatch(/access_control_list.0.permission_level.*CAN_VIEW, CAN_QUERY, CAN_MANAGE/);
    const two = await rejection(
      db.permissions.update({
        request_object_type: "jobs",
        request_object_id: "1",
        access_control_list: [{ user_name: "a@x.com", group_name: "users", permission_level: "CAN_VIEW" }],
      }),
    );
    expect(two.message).toMatch(/exactly one of user_name, group_name and service_principal_name/);
  });
});

describe("grants", () => {
  it("get, getEffective and update over Unity Catalog's permissions paths; the type is sent lower case", async () => {
    const list = { privilege_assignments: [{ principal: "bob@example.com", privileges: ["EXECUTE"] }] };
    const scope = nock(HOST)
      .get("/api/2.1/unity-catalog/permissions/function/main.ml.churn")
      .query({ principal: "bob@example.com" })
      .reply(200, list)
      .get("/api/2.1/unity-catalog/effective-permissions/schema/main.ml")
      .reply(200, { privilege_assignments: [] })
      .patch("/api/2.1/unity-catalog/permissions/catalog/main", {
        changes: [{ principal: "bob@example.com", add: ["USE_CATALOG"], remove: ["BROWSE"] }],
      })
      .reply(200, list);
    const db = testClient();
    expect(
      await db.grants.get({
        securable_type: "FUNCTION",
        full_name: "main.ml.churn",
        principal: "bob@example.com",
      }),
    ).toEqual(list);
    await db.grants.getEffective({ securable_type: "schema", full_name: "main.ml" });
    await db.grants.update({
      securable_type: "catalog",
      full_name: "main",
      changes: [{ principal: "bob@example.com", add: ["USE_CATALOG"], remove: ["BROWSE"] }],
    });
    scope.done();
  });

  it("refuses a name with the wrong number of parts and a privilege the securable lacks", async () => {
    const db = testClient();
    expect((await rejection(db.grants.get({ securable_type: "schema", full_name: "main" }))).message).toMatch(
      /full_name: a schema is named catalog.schema/,
    );
    expect(
      (await rejection(db.grants.get({ securable_type: "share" as "table", full_name: "x" }))).message,
    ).toMatch(/securable_type/);
    const bad = await rejection(
      db.grants.update({
        securable_type: "table",
        full_name: "a.b.c",
        changes: [{ principal: "p", add: ["EXECUTE"] }],
      }),
    );
    expect(bad.message).toMatch(/changes.0.add.0: EXECUTE is not a privilege of a table/);
  });
});

describe("secrets", () => {
  it("every method on its /api/2.0/secrets path", async () => {
    const scope = nock(HOST)
      .post("/api/2.0/secrets/scopes/create", { scope: "s", initial_manage_principal: "users" })
      .reply(200, {})
      .post("/api/2.0/secrets/scopes/delete", { scope: "s" })
      .reply(200, {})
      .get("/api/2.0/secrets/scopes/list")
      .reply(200, { scopes: [{ name: "s", backend_type: "DATABRICKS" }] })
      .post("/api/2.0/secrets/put", { scope: "s", key: "k", string_value: "v" })
      .reply(200, {})
      .post("/api/2.0/secrets/delete", { scope: "s", key: "k" })
      .reply(200, {})
      .get("/api/2.0/secrets/list")
      .query({ scope: "s" })
      .reply(200, { secrets: [{ key: "k", last_updated_timestamp: 1 }] })
      .get("/api/2.0/secrets/get")
      .query({ scope: "s", key: "k" })
      .reply(200, { key: "k", value: "dg==" })
      .post("/api/2.0/secrets/acls/put", { scope: "s", principal: "bob", permission: "READ" })
      .reply(200, {})
      .get("/api/2.0/secrets/acls/get")
      .query({ scope: "s", principal: "bob" })
      .reply(200, { principal: "bob", permission: "READ" })
      .post("/api/2.0/secrets/acls/delete", { scope: "s", principal: "bob" })
      .reply(200, {})
      .get("/api/2.0/secrets/acls/list")
      .query({ scope: "s" })
      .reply(200, { items: [{ principal: "bob", permission: "READ" }] });
    const s = testClient().secrets;
    await s.createScope({ scope: "s", initial_manage_principal: "users" });
    await s.deleteScope({ scope: "s" });
    expect(await s.listScopes()).toEqual([{ name: "s", backend_type: "DATABRICKS" }]);
    await s.putSecret({ scope: "s", key: "k", string_value: "v" });
    await s.deleteSecret({ scope: "s", key: "k" });
    expect(await s.listSecrets({ scope: "s" })).toEqual([{ key: "k", last_updated_timestamp: 1 }]);
    expect(await s.getSecret({ scope: "s", key: "k" })).toEqual({ key: "k", value: "dg==" });
    await s.putAcl({ scope: "s", principal: "bob", permission: "READ" });
    expect(await s.getAcl({ scope: "s", principal: "bob" })).toEqual({
      principal: "bob",
      permission: "READ",
    });
    await s.deleteAcl({ scope: "s", principal: "bob" });
    expect(await s.listAcls({ scope: "s" })).toEqual([{ principal: "bob", permission: "READ" }]);
    scope.done();
  });

  it("refuses a bad scope name, a bad ACL permission and a value given twice or not in base64", async () => {
    const s = testClient().secrets;
    expect((await rejection(s.createScope({ scope: "has space" }))).message).toMatch(/scope/);
    expect(
      (await rejection(s.putAcl({ scope: "s", principal: "p", permission: "OWN" as "READ" }))).message,
    ).toMatch(/permission/);
    expect((await rejection(s.putSecret({ scope: "s", key: "k" }))).message).toMatch(
      /exactly one of string_value and bytes_value/,
    );
    expect(
      (await rejection(s.putSecret({ scope: "s", key: "k", bytes_value: "not base64!" }))).message,
    ).toMatch(/bytes_value/);
    expect(
      (await rejection(s.putSecret({ scope: "s", key: "k", string_value: "x".repeat(128 * 1024 + 1) })))
        .message,
    ).toMatch(/at most 131072 bytes/);
  });
});

describe("users and service principals", () => {
  it("list with a filter pages by startIndex until totalResults", async () => {
    const user = (n: number) => ({ id: String(n), userName: `u${n}@example.com` });
    const scope = nock(HOST)
      .get("/api/2.0/preview/scim/v2/Users")
      .query({ filter: 'userName sw "u"', count: "2", startIndex: "1" })
      .reply(200, { totalResults: 3, startIndex: 1, itemsPerPage: 2, Resources: [user(1), user(2)] })
      .get("/api/2.0/preview/scim/v2/Users")
      .query({ filter: 'userName sw "u"', count: "2", startIndex: "3" })
      .reply(200, { totalResults: 3, startIndex: 3, itemsPerPage: 1, Resources: [user(3)] })
      .get("/api/2.0/preview/scim/v2/ServicePrincipals")
      .query({ filter: 'displayName eq "ci"', startIndex: "1" })
      .reply(200, { totalResults: 1, Resources: [{ id: "9", applicationId: "app", displayName: "ci" }] })
      .get("/api/2.0/preview/scim/v2/Users/7")
      .reply(200, user(7));
    const db = testClient();
    const users = await db.users.list({ filter: 'userName sw "u"', count: 2 }).toArray({ limit: 10 });
    expect(users.map((u) => u.userName)).toEqual(["u1@example.com", "u2@example.com", "u3@example.com"]);
    const sps = await db.servicePrincipals.list({ filter: 'displayName eq "ci"' }).toArray({ limit: 10 });
    expect(sps[0]?.applicationId).toBe("app");
    expect((await db.users.get({ id: "7" })).userName).toBe("u7@example.com");
    scope.done();
  });

  it("refuses an empty filter and a zero count", async () => {
    const db = testClient();
    expect(() => db.users.list({ filter: "" })).toThrow(/filter/);
    expect(() => db.servicePrincipals.list({ count: 0 })).toThrow(/count/);
  });
});
