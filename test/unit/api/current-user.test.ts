import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { isDatabricksError } from "../../../src/index.js";
import { rejection } from "../../helpers.js";
import { HOST, testClient } from "../helpers.js";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("currentUser", () => {
  it("reads the caller's SCIM record and keeps fields it does not know", async () => {
    const scope = nock(HOST)
      .get("/api/2.0/preview/scim/v2/Me")
      .reply(200, {
        id: "123",
        userName: "ana@example.com",
        emails: [{ value: "ana@example.com", primary: true }],
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        newer: 1,
      });
    const me = await testClient().currentUser.me();
    expect(me).toEqual({
      id: "123",
      userName: "ana@example.com",
      emails: [{ value: "ana@example.com", primary: true }],
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      newer: 1,
    });
    scope.done();
  });

  it("surfaces a SCIM error body (detail/status, no error_code) as an API error", async () => {
    nock(HOST)
      .get("/api/2.0/preview/scim/v2/Me")
      .reply(403, {
        detail: "User is not allowed",
        status: "403",
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      });
    const err = await rejection(testClient().currentUser.me());
    expect(isDatabricksError(err)).toBe(true);
    expect(err.statusCode).toBe(403);
    expect(String(err.message)).toContain("User is not allowed");
  });
});
