import { permissionDenied } from "../access/denied.js";
import { ApiFault, invalidParameter, requireFields } from "../errors.js";
import type { EmuRequest } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";

/**
 * Secret scopes (Databricks-backed): secrets stored as base64, ACLs of READ < WRITE < MANAGE per
 * principal. Values leave only through `GET /api/2.0/secrets/get`, to a caller with READ.
 */

const LEVELS = ["READ", "WRITE", "MANAGE"] as const;
const NAME = /^[\w.-]{1,128}$/;
/** Largest value a secret holds. */
const MAX_VALUE_BYTES = 128 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface Scope {
  /** principal → level */
  acls: Record<string, string>;
  secrets: Record<string, { value: string; last_updated_timestamp: number }>;
}

export interface SecretsState {
  scopes: Record<string, Scope>;
}

const scopes = (ctx: EmulatorContext) => ctx.state<SecretsState>("secrets").scopes;

function scopeOr404(ctx: EmulatorContext, name: unknown): Scope {
  const scope = scopes(ctx)[String(name)];
  if (!scope) throw new ApiFault(404, "RESOURCE_DOES_NOT_EXIST", `Scope ${String(name)} does not exist!`);
  return scope;
}

/** The caller's level on a scope: admins manage every scope; `users` covers everyone. */
function levelOn(req: EmuRequest, scope: Scope): number {
  if (req.caller.admin) return LEVELS.length - 1;
  const held = [scope.acls[req.caller.userName], scope.acls.users].map((l) => LEVELS.indexOf(l as never));
  return Math.max(-1, ...held);
}

function requireLevel(req: EmuRequest, scopeName: unknown, level: (typeof LEVELS)[number]): Scope {
  const scope = scopeOr404(req.ctx, scopeName);
  if (levelOn(req, scope) < LEVELS.indexOf(level)) {
    throw permissionDenied(
      `User ${req.caller.userName} does not have ${level} permission on scope ${String(scopeName)} to perform this action.`,
    );
  }
  return scope;
}

function checkName(what: string, value: unknown): string {
  const s = String(value);
  if (!NAME.test(s)) {
    throw invalidParameter(
      `${what} '${s}' is invalid: use up to 128 alphanumeric characters, dashes, underscores and periods.`,
    );
  }
  return s;
}

function query(req: EmuRequest, field: string): string {
  const v = req.query[field];
  if (typeof v !== "string" || v === "") throw invalidParameter(`Missing required field: ${field}`);
  return v;
}

const REFERENCE = /^\{\{secrets\/([^/{}]+)\/([^/{}]+)\}\}$/;

/**
 * Checks every `{{secrets/scope/key}}` among a served entity's environment variables: the scope
 * and key exist and the caller (whom the endpoint reads them as) may read the scope.
 */
export function checkSecretReferences(req: EmuRequest, config: unknown): void {
  const entities = (config as { served_entities?: unknown; served_models?: unknown } | undefined) ?? {};
  const list = [entities.served_entities, entities.served_models].flatMap((l) => (Array.isArray(l) ? l : []));
  for (const entity of list) {
    const env = (entity as { environment_vars?: unknown } | null)?.environment_vars;
    if (!env || typeof env !== "object") continue;
    for (const [name, value] of Object.entries(env)) {
      const m = typeof value === "string" ? REFERENCE.exec(value.trim()) : null;
      if (!m) continue;
      const scope = requireLevel(req, m[1], "READ");
      if (!scope.secrets[m[2]!]) {
        throw invalidParameter(
          `Environment variable ${name} refers to secret ${m[2]} in scope ${m[1]}, which does not exist.`,
        );
      }
    }
  }
}

export const secretsService: EmulatorService<SecretsState> = {
  name: "secrets",
  init: () => ({ scopes: {} }),
  routes(router) {
    const base = "/api/2.0/secrets";

    router.post(`${base}/scopes/create`, (req) => {
      requireFields(req.body, "scope");
      const name = checkName("Scope name", req.body.scope);
      const backend = req.body.scope_backend_type ?? "DATABRICKS";
      if (backend !== "DATABRICKS")
        throw invalidParameter(`scope_backend_type ${backend} is not supported here; use DATABRICKS.`);
      if (scopes(req.ctx)[name])
        throw new ApiFault(400, "RESOURCE_ALREADY_EXISTS", `Scope ${name} already exists!`);
      const initial = req.body.initial_manage_principal;
      const owner = initial === undefined ? req.caller.userName : String(initial);
      scopes(req.ctx)[name] = { acls: { [owner]: "MANAGE" }, secrets: {} };
      return { body: {} };
    });
    router.post(`${base}/scopes/delete`, (req) => {
      requireFields(req.body, "scope");
      requireLevel(req, req.body.scope, "MANAGE");
      delete scopes(req.ctx)[String(req.body.scope)];
      return { body: {} };
    });
    router.get(`${base}/scopes/list`, (req) => ({
      body: {
        scopes: Object.keys(scopes(req.ctx))
          .sort()
          .map((name) => ({ name, backend_type: "DATABRICKS" })),
      },
    }));

    router.post(`${base}/put`, (req) => {
      requireFields(req.body, "scope", "key");
      const key = checkName("Secret key", req.body.key);
      const { string_value, bytes_value } = req.body as { string_value?: unknown; bytes_value?: unknown };
      if ((string_value === undefined) === (bytes_value === undefined))
        throw invalidParameter("Exactly one of string_value and bytes_value must be given.");
      if (bytes_value !== undefined && (typeof bytes_value !== "string" || !BASE64.test(bytes_value)))
        throw invalidParameter("bytes_value must be base64-encoded.");
      const value =
        bytes_value !== undefined
          ? String(bytes_value)
          : Buffer.from(String(string_value), "utf8").toString("base64");
      if (Buffer.from(value, "base64").length > MAX_VALUE_BYTES)
        throw invalidParameter(`A secret value can be at most ${MAX_VALUE_BYTES} bytes.`);
      const scope = requireLevel(req, req.body.scope, "WRITE");
      scope.secrets[key] = { value, last_updated_timestamp: req.ctx.clock.now() };
      return { body: {} };
    });
    router.post(`${base}/delete`, (req) => {
      requireFields(req.body, "scope", "key");
      const scope = requireLevel(req, req.body.scope, "WRITE");
      const key = String(req.body.key);
      if (!scope.secrets[key])
        throw new ApiFault(404, "RESOURCE_DOES_NOT_EXIST", `Secret ${key} does not exist.`);
      delete scope.secrets[key];
      return { body: {} };
    });
    router.get(`${base}/list`, (req) => {
      const scope = requireLevel(req, query(req, "scope"), "READ");
      return {
        body: {
          secrets: Object.entries(scope.secrets)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, s]) => ({ key, last_updated_timestamp: s.last_updated_timestamp })),
        },
      };
    });
    router.get(`${base}/get`, (req) => {
      const scope = requireLevel(req, query(req, "scope"), "READ");
      const key = query(req, "key");
      const secret = scope.secrets[key];
      if (!secret) throw new ApiFault(404, "RESOURCE_DOES_NOT_EXIST", `Secret ${key} does not exist.`);
      return { body: { key, value: secret.value } };
    });

    router.post(`${base}/acls/put`, (req) => {
      requireFields(req.body, "scope", "principal", "permission");
      const permission = String(req.body.permission);
      if (!LEVELS.includes(permission as never))
        throw invalidParameter(`Invalid permission ${permission}; use one of ${LEVELS.join(", ")}.`);
      const scope = requireLevel(req, req.body.scope, "MANAGE");
      scope.acls[String(req.body.principal)] = permission;
      return { body: {} };
    });
    router.get(`${base}/acls/get`, (req) => {
      const scope = requireLevel(req, query(req, "scope"), "MANAGE");
      const principal = query(req, "principal");
      const permission = scope.acls[principal];
      if (!permission)
        throw new ApiFault(
          404,
          "RESOURCE_DOES_NOT_EXIST",
          `No ACL for principal ${principal} in scope ${req.query.scope}.`,
        );
      return { body: { principal, permission } };
    });
    router.post(`${base}/acls/delete`, (req) => {
      requireFields(req.body, "scope", "principal");
      const scope = requireLevel(req, req.body.scope, "MANAGE");
      const principal = String(req.body.principal);
      if (!scope.acls[principal])
        throw new ApiFault(
          404,
          "RESOURCE_DOES_NOT_EXIST",
          `No ACL for principal ${principal} in scope ${req.body.scope}.`,
        );
      delete scope.acls[principal];
      return { body: {} };
    });
    router.get(`${base}/acls/list`, (req) => {
      const scope = requireLevel(req, query(req, "scope"), "MANAGE");
      return {
        body: {
          items: Object.entries(scope.acls).map(([principal, permission]) => ({ principal, permission })),
        },
      };
    });
  },
};
