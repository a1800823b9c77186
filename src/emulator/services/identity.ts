import { EMULATOR_USER, EMULATOR_USER_ID } from "../ids.js";
import type { EmulatorService } from "../types.js";

/** The caller's own SCIM record, as `GET /api/2.0/preview/scim/v2/Me` answers it. */
function me(): Record<string, unknown> {
  return {
    schemas: [
      "urn:ietf:params:scim:schemas:core:2.0:User",
      "urn:ietf:params:scim:schemas:extension:workspace:2.0:User",
    ],
    id: EMULATOR_USER_ID,
    userName: EMULATOR_USER,
    displayName: "Emulator User",
    name: { givenName: "Emulator", familyName: "User" },
    active: true,
    emails: [{ type: "work", value: EMULATOR_USER, primary: true }],
    groups: [{ display: "admins", type: "direct", value: "1", $ref: "Groups/1" }],
    entitlements: [
      { value: "allow-cluster-create" },
      { value: "allow-instance-pool-create" },
      { value: "databricks-sql-access" },
      { value: "workspace-access" },
    ],
  };
}

/** Who the token belongs to: the workspace has one user, the one every other service reports. */
export const identityService: EmulatorService<Record<string, never>> = {
  name: "identity",
  init: () => ({}),
  routes(router) {
    router.get("/api/2.0/preview/scim/v2/Me", () => ({ body: me() }));
  },
};
