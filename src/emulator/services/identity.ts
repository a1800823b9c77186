import type { Caller } from "../access/principals.js";
import type { EmuRequest } from "../router.js";
import type { EmulatorService } from "../types.js";

const SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/** A user's SCIM record, as `Me` and `Users` answer it. */
function userView(user: Caller): Record<string, unknown> {
  const [given, family] = user.admin ? ["Emulator", "User"] : [user.displayName, ""];
  return {
    schemas: [
      "urn:ietf:params:scim:schemas:core:2.0:User",
      "urn:ietf:params:scim:schemas:extension:workspace:2.0:User",
    ],
    id: user.id,
    userName: user.userName,
    displayName: user.admin ? "Emulator User" : user.displayName,
    name: { givenName: given, familyName: family },
    active: true,
    emails: [{ type: "work", value: user.userName, primary: true }],
    groups: user.admin ? [{ display: "admins", type: "direct", value: "1", $ref: "Groups/1" }] : [],
    entitlements: [
      ...(user.admin ? [{ value: "allow-cluster-create" }, { value: "allow-instance-pool-create" }] : []),
      { value: "databricks-sql-access" },
      { value: "workspace-access" },
    ],
  };
}

/** SCIM's error body: no `error_code`, a string status, and a `scimType` for bad requests. */
function scimError(status: number, detail: string, scimType?: string) {
  return {
    status,
    body: { schemas: [SCIM_ERROR], detail, status: String(status), ...(scimType ? { scimType } : {}) },
  };
}

const FILTER = /^\s*(\w+)\s+(eq|ne|co|sw|ew)\s+"((?:[^"\\]|\\.)*)"\s*$/i;

/** One SCIM comparison (`userName eq "alice@example.com"`), the form lookups by name use. */
function parseFilter(filter: string): ((r: Record<string, unknown>) => boolean) | undefined {
  const m = FILTER.exec(filter);
  if (!m) return undefined;
  const [, attr, op, raw] = m;
  const want = raw!.replace(/\\(.)/g, "$1").toLowerCase();
  return (r) => {
    const value = r[attr!] ?? Object.entries(r).find(([k]) => k.toLowerCase() === attr!.toLowerCase())?.[1];
    const got = String(value ?? "").toLowerCase();
    switch (op!.toLowerCase()) {
      case "eq":
        return got === want;
      case "ne":
        return got !== want;
      case "co":
        return got.includes(want);
      case "sw":
        return got.startsWith(want);
      default:
        return got.endsWith(want);
    }
  };
}

/** `GET …/Users` and `…/ServicePrincipals`: filtered, paged by `startIndex` (1-based) and `count`. */
function list(req: EmuRequest, records: Array<Record<string, unknown>>) {
  const filter = typeof req.query.filter === "string" ? req.query.filter : undefined;
  let all = records;
  if (filter) {
    const test = parseFilter(filter);
    if (!test) {
      return scimError(
        400,
        `Invalid filter '${filter}': use one comparison such as userName eq "alice@example.com".`,
        "invalidFilter",
      );
    }
    all = all.filter(test);
  }
  const start = Math.max(1, Number(req.query.startIndex ?? 1) || 1);
  const count = Math.max(0, Number(req.query.count ?? 10_000) || 0);
  const page = all.slice(start - 1, start - 1 + count);
  return {
    body: {
      schemas: [LIST_RESPONSE],
      totalResults: all.length,
      startIndex: start,
      itemsPerPage: page.length,
      Resources: page,
    },
  };
}

/** Who the token belongs to, and the workspace's users (the admin and `startEmulator({ users })`). */
export const identityService: EmulatorService<Record<string, never>> = {
  name: "identity",
  init: () => ({}),
  routes(router) {
    const scim = "/api/2.0/preview/scim/v2";
    router.get(`${scim}/Me`, (req) => ({ body: userView(req.caller) }));
    router.get(`${scim}/Users`, (req) => list(req, req.ctx.principals.users.map(userView)));
    router.get(`${scim}/Users/:id`, (req) => {
      const user = req.ctx.principals.users.find((u) => u.id === req.params.id);
      return user ? { body: userView(user) } : scimError(404, `User with id ${req.params.id} not found.`);
    });
    // The emulated workspace has no service principals: lookups answer an empty list.
    router.get(`${scim}/ServicePrincipals`, (req) => list(req, []));
  },
};
