import { invalidParameter } from "../errors.js";
import type { EmuRequest } from "../router.js";
import type { EmulatorContext } from "../types.js";
import { permissionDenied } from "./denied.js";
import type { Caller } from "./principals.js";

/**
 * Unity Catalog privileges on catalogs, schemas and the objects in them (models are FUNCTION
 * securables). A privilege granted on a catalog or schema holds for everything inside it.
 */

export const SECURABLES: Record<string, { parts: number; privileges: readonly string[]; noun: string }> = {
  catalog: {
    parts: 1,
    noun: "Catalog",
    privileges: [
      "ALL_PRIVILEGES",
      "APPLY_TAG",
      "BROWSE",
      "CREATE_FUNCTION",
      "CREATE_MATERIALIZED_VIEW",
      "CREATE_MODEL",
      "CREATE_SCHEMA",
      "CREATE_TABLE",
      "CREATE_VOLUME",
      "EXECUTE",
      "MANAGE",
      "MODIFY",
      "READ_VOLUME",
      "REFRESH",
      "SELECT",
      "USE_CATALOG",
      "USE_SCHEMA",
      "WRITE_VOLUME",
    ],
  },
  schema: {
    parts: 2,
    noun: "Schema",
    privileges: [
      "ALL_PRIVILEGES",
      "APPLY_TAG",
      "CREATE_FUNCTION",
      "CREATE_MATERIALIZED_VIEW",
      "CREATE_MODEL",
      "CREATE_TABLE",
      "CREATE_VOLUME",
      "EXECUTE",
      "MANAGE",
      "MODIFY",
      "READ_VOLUME",
      "REFRESH",
      "SELECT",
      "USE_SCHEMA",
      "WRITE_VOLUME",
    ],
  },
  function: {
    parts: 3,
    noun: "Routine or Model",
    privileges: ["ALL_PRIVILEGES", "APPLY_TAG", "EXECUTE", "MANAGE"],
  },
  table: {
    parts: 3,
    noun: "Table",
    privileges: ["ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "SELECT"],
  },
  volume: {
    parts: 3,
    noun: "Volume",
    privileges: ["ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "READ_VOLUME", "WRITE_VOLUME"],
  },
};

export interface GrantsState {
  /** `{type}/{lower-case full name}` → principal → privileges. */
  grants: Record<string, Record<string, string[]>>;
}

export const GRANTS_SERVICE = "grants";

/** The securable type of a path segment (`FUNCTION` and `function` alike) and its normalised full name. */
export function securable(type: string, fullName: string): { type: string; name: string } {
  const t = type.toLowerCase();
  const spec = SECURABLES[t];
  if (!spec) {
    throw invalidParameter(
      `Securable type ${type} is not supported here; use one of ${Object.keys(SECURABLES).join(", ")}.`,
    );
  }
  const parts = fullName.split(".");
  if (parts.length !== spec.parts || parts.some((p) => p === "")) {
    throw invalidParameter(
      `Invalid full name '${fullName}' for a ${t}: expected ${["catalog", "catalog.schema", "catalog.schema.name"][spec.parts - 1]}.`,
    );
  }
  return { type: t, name: fullName.toLowerCase() };
}

export function grantsOf(ctx: EmulatorContext, type: string, name: string): Record<string, string[]> {
  const all = ctx.state<GrantsState>(GRANTS_SERVICE).grants;
  all[`${type}/${name}`] ??= {};
  return all[`${type}/${name}`]!;
}

/** The securable and its parents, nearest first. */
export function lineage(type: string, name: string): Array<{ type: string; name: string }> {
  const parts = name.split(".");
  const out = [{ type, name }];
  if (parts.length === 3) out.push({ type: "schema", name: parts.slice(0, 2).join(".") });
  if (parts.length >= 2) out.push({ type: "catalog", name: parts[0]! });
  return out;
}

/** Registered models record their owner; catalogs and schemas (not emulated objects) belong to the admin. */
function ownerOf(ctx: EmulatorContext, type: string, name: string): string | undefined {
  if (type !== "function") return undefined;
  return ctx.state<{ models?: Record<string, { owner?: string }> } | undefined>("registry")?.models?.[name]
    ?.owner;
}

const principalsOf = (caller: Caller) => [caller.userName, "account users"];

/** Whether the caller holds a privilege on the securable, directly, through a parent or as owner. */
export function holds(
  ctx: EmulatorContext,
  caller: Caller,
  type: string,
  name: string,
  privilege: string,
): boolean {
  if (caller.admin) return true;
  for (const s of lineage(type, name)) {
    if (ownerOf(ctx, s.type, s.name) === caller.userName) return true;
    const grants = grantsOf(ctx, s.type, s.name);
    for (const p of principalsOf(caller)) {
      const held = grants[p] ?? [];
      if (held.includes(privilege) || held.includes("ALL_PRIVILEGES")) return true;
    }
  }
  return false;
}

function requirePrivilege(req: EmuRequest, type: string, name: string, privilege: string): void {
  if (holds(req.ctx, req.caller, type, name, privilege)) return;
  throw permissionDenied(
    `User does not have ${privilege.replace("_", " ")} on ${SECURABLES[type]!.noun} '${name}'.`,
  );
}

/** USE CATALOG and USE SCHEMA on the parents of a model, then `privilege` on the model itself. */
export function requireModelPrivilege(req: EmuRequest, fullName: string, privilege: string): void {
  const name = fullName.toLowerCase();
  const [catalog, schema] = name.split(".");
  requirePrivilege(req, "catalog", catalog!, "USE_CATALOG");
  requirePrivilege(req, "schema", `${catalog}.${schema}`, "USE_SCHEMA");
  requirePrivilege(req, "function", name, privilege);
}

/** Creating a model: USE CATALOG, USE SCHEMA and CREATE MODEL on its schema. */
export function requireCreateModel(req: EmuRequest, catalog: string, schema: string): void {
  const c = String(catalog).toLowerCase();
  const s = `${c}.${String(schema).toLowerCase()}`;
  requirePrivilege(req, "catalog", c, "USE_CATALOG");
  requirePrivilege(req, "schema", s, "USE_SCHEMA");
  requirePrivilege(req, "schema", s, "CREATE_MODEL");
}

/** Changing grants: admins, owners, and holders of MANAGE. */
export function requireManage(req: EmuRequest, type: string, name: string): void {
  if (holds(req.ctx, req.caller, type, name, "MANAGE")) return;
  throw permissionDenied(`User does not have MANAGE on ${SECURABLES[type]!.noun} '${name}'.`);
}
