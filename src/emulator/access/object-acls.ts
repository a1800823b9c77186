import { invalidParameter } from "../errors.js";
import type { EmuRequest } from "../router.js";
import type { EmulatorContext } from "../types.js";
import { permissionDenied } from "./denied.js";
import { OBJECT_TYPES, type ObjectType } from "./object-types.js";
import type { Caller } from "./principals.js";

/** One direct grant: a principal (one of the three keys) and a level. */
export interface AclEntry {
  principal: { user_name?: string; group_name?: string; service_principal_name?: string };
  level: string;
}

interface ObjectAcl {
  /** User name of the creator (IS_OWNER of a job). */
  owner: string;
  acl: AclEntry[];
}

export interface PermissionsState {
  /** Keyed `{type}/{id}`, e.g. `jobs/123`. */
  objects: Record<string, ObjectAcl>;
}

export const PERMISSIONS_SERVICE = "permissions";

function objects(ctx: EmulatorContext): Record<string, ObjectAcl> {
  return ctx.state<PermissionsState>(PERMISSIONS_SERVICE).objects;
}

function typeOf(type: string): ObjectType {
  const t = OBJECT_TYPES[type];
  if (!t) throw new Error(`Unknown object type ${type}`);
  return t;
}

/**
 * Records the caller as the creator and owner of a new object, with the `access_control_list` a
 * create request may carry (jobs/create does).
 */
export function recordOwner(req: EmuRequest, type: string, id: string | number, body?: unknown): void {
  objects(req.ctx)[`${type}/${id}`] = { owner: req.caller.userName, acl: [] };
  if (body) setAcl(req.ctx, type, String(id), entriesFrom(type, body));
}

/** The object's ACL; objects made before owners were recorded belong to the admin. */
export function aclOf(ctx: EmulatorContext, type: string, id: string): ObjectAcl {
  const all = objects(ctx);
  const key = `${type}/${id}`;
  all[key] ??= { owner: ctx.principals.users[0]!.userName, acl: [] };
  return all[key];
}

const rank = (t: ObjectType, level: string) => t.levels.indexOf(level);

/** The strongest level the caller holds: admins and owners hold every level. */
export function levelOf(ctx: EmulatorContext, caller: Caller, type: string, id: string): string | undefined {
  const t = typeOf(type);
  const acl = aclOf(ctx, type, id);
  if (caller.admin || acl.owner === caller.userName) return t.levels.at(-1);
  let best: string | undefined;
  for (const e of acl.acl) {
    const mine =
      e.principal.user_name === caller.userName ||
      e.principal.service_principal_name === caller.userName ||
      e.principal.group_name === "users";
    if (mine && (best === undefined || rank(t, e.level) > rank(t, best))) best = e.level;
  }
  return best;
}

const JOB_WORDS: Record<string, string> = {
  CAN_VIEW: "View",
  CAN_MANAGE_RUN: "Manage Run or Owner or Admin",
  CAN_MANAGE: "Manage or Owner or Admin",
  IS_OWNER: "Owner or Admin",
};

/**
 * Throws 403 PERMISSION_DENIED unless the caller holds `level` (or a stronger one) on the object.
 * `name` is how messages name it (the endpoint's name, the job's id).
 */
export function requirePermission(
  req: EmuRequest,
  type: string,
  id: string | number,
  level: string,
  name: string | number = id,
): void {
  const t = typeOf(type);
  const held = levelOf(req.ctx, req.caller, type, String(id));
  if (held !== undefined && rank(t, held) >= rank(t, level)) return;
  const user = req.caller.userName;
  throw permissionDenied(
    type === "jobs"
      ? `User ${user} does not have ${JOB_WORDS[level]} permissions on job ${name}.`
      : `User ${user} does not have ${level} permission on ${t.noun} '${name}'.`,
  );
}

/**
 * The direct entries of a request body, checked against the type's levels. Principals are not
 * checked: the emulated workspace knows its users, not the account's groups and service principals.
 */
export function entriesFrom(type: string, body: unknown): AclEntry[] {
  const t = typeOf(type);
  const list = (body as { access_control_list?: unknown } | undefined)?.access_control_list ?? [];
  if (!Array.isArray(list)) throw invalidParameter("access_control_list must be an array.");
  return list.map((raw: Record<string, unknown>) => {
    const level = String(raw?.permission_level ?? "");
    if (!t.levels.includes(level)) {
      throw invalidParameter(
        `Permission level ${level || "(none)"} is not supported for ${t.noun}s; use one of ${t.levels.join(", ")}.`,
      );
    }
    const keys = (["user_name", "group_name", "service_principal_name"] as const).filter(
      (k) => typeof raw[k] === "string",
    );
    if (keys.length !== 1) {
      throw invalidParameter(
        "Each access control entry needs exactly one of user_name, group_name or service_principal_name.",
      );
    }
    const key = keys[0]!;
    const who = String(raw[key]);
    return { principal: { [key]: who }, level };
  });
}

/** PUT: the given entries replace the direct ones. A job keeps exactly one owner. */
export function setAcl(ctx: EmulatorContext, type: string, id: string, entries: AclEntry[]): void {
  const acl = aclOf(ctx, type, id);
  acl.owner = ownerAfter(type, acl.owner, entries);
  acl.acl = entries.filter((e) => e.level !== "IS_OWNER");
}

/** PATCH: the given entries replace those of the same principals; the rest stay. */
export function updateAcl(ctx: EmulatorContext, type: string, id: string, entries: AclEntry[]): void {
  const acl = aclOf(ctx, type, id);
  acl.owner = ownerAfter(type, acl.owner, entries);
  const keys = new Set(entries.map((e) => JSON.stringify(e.principal)));
  acl.acl = [
    ...acl.acl.filter((e) => !keys.has(JSON.stringify(e.principal))),
    ...entries.filter((e) => e.level !== "IS_OWNER"),
  ];
}

function ownerAfter(type: string, owner: string, entries: AclEntry[]): string {
  const owners = entries.filter((e) => e.level === "IS_OWNER");
  if (owners.length === 0) return owner;
  if (owners.length > 1) throw invalidParameter(`A ${typeOf(type).noun} can have only one owner.`);
  const next = owners[0]!.principal.user_name;
  if (!next) throw invalidParameter("The owner of a job must be a user or a service principal, not a group.");
  return next;
}

/** The object's permissions as `GET /api/2.0/permissions/{type}/{id}` answers them. */
export function permissionsView(ctx: EmulatorContext, type: string, id: string): Record<string, unknown> {
  const t = typeOf(type);
  const acl = aclOf(ctx, type, id);
  const displayName = (user: string) => ctx.principals.users.find((u) => u.userName === user)?.displayName;
  const merged = new Map<string, { principal: AclEntry["principal"]; levels: string[] }>();
  const direct = [
    { principal: { user_name: acl.owner }, level: t.isOwnerLevel ? "IS_OWNER" : "CAN_MANAGE" },
    ...acl.acl,
  ];
  for (const e of direct) {
    const key = JSON.stringify(e.principal);
    const m = merged.get(key) ?? { principal: e.principal, levels: [] };
    if (!m.levels.includes(e.level)) m.levels.push(e.level);
    merged.set(key, m);
  }
  return {
    object_id: `/${type}/${id}`,
    object_type: t.objectType,
    access_control_list: [
      ...[...merged.values()].map((m) => ({
        ...m.principal,
        ...(m.principal.user_name && displayName(m.principal.user_name)
          ? { display_name: displayName(m.principal.user_name) }
          : {}),
        all_permissions: m.levels.map((permission_level) => ({ permission_level, inherited: false })),
      })),
      {
        group_name: "admins",
        all_permissions: [
          { permission_level: "CAN_MANAGE", inherited: true, inherited_from_object: [`/${type}/`] },
        ],
      },
    ],
  };
}
