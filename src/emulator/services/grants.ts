import {
  GRANTS_SERVICE,
  type GrantsState,
  grantsOf,
  lineage,
  requireManage,
  SECURABLES,
  securable,
} from "../access/uc-privileges.js";
import { invalidParameter, notFound } from "../errors.js";
import type { EmuRequest } from "../router.js";
import type { EmulatorService } from "../types.js";

/** The securable a grants path names; a model (FUNCTION) must exist. */
function target(req: EmuRequest): { type: string; name: string } {
  const s = securable(req.params.type!, req.params.full_name!);
  if (
    s.type === "function" &&
    !req.ctx.state<{ models?: Record<string, unknown> } | undefined>("registry")?.models?.[s.name]
  ) {
    throw notFound(`Routine or Model '${s.name}' does not exist.`);
  }
  return s;
}

function principalFilter(req: EmuRequest): string | undefined {
  const p = req.query.principal;
  return typeof p === "string" && p !== "" ? p : undefined;
}

function assignments(grants: Record<string, string[]>, only: string | undefined) {
  return Object.entries(grants)
    .filter(([principal, privileges]) => privileges.length > 0 && (only === undefined || principal === only))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([principal, privileges]) => ({ principal, privileges: [...privileges].sort() }));
}

/** Unity Catalog grants: direct privileges per securable and the effective ones inherited from parents. */
export const grantsService: EmulatorService<GrantsState> = {
  name: GRANTS_SERVICE,
  init: () => ({ grants: {} }),
  routes(router) {
    const base = "/api/2.1/unity-catalog";
    router.get(`${base}/permissions/:type/:full_name`, (req) => {
      const { type, name } = target(req);
      return {
        body: { privilege_assignments: assignments(grantsOf(req.ctx, type, name), principalFilter(req)) },
      };
    });
    router.get(`${base}/effective-permissions/:type/:full_name`, (req) => {
      const { type, name } = target(req);
      const only = principalFilter(req);
      const byPrincipal = new Map<string, Array<Record<string, string>>>();
      for (const s of lineage(type, name)) {
        for (const { principal, privileges } of assignments(grantsOf(req.ctx, s.type, s.name), only)) {
          const list = byPrincipal.get(principal) ?? [];
          for (const privilege of privileges) {
            list.push(
              s.name === name
                ? { privilege }
                : { privilege, inherited_from_type: s.type.toUpperCase(), inherited_from_name: s.name },
            );
          }
          byPrincipal.set(principal, list);
        }
      }
      return {
        body: {
          privilege_assignments: [...byPrincipal].map(([principal, privileges]) => ({
            principal,
            privileges,
          })),
        },
      };
    });
    router.patch(`${base}/permissions/:type/:full_name`, (req) => {
      const { type, name } = target(req);
      const changes = req.body?.changes ?? [];
      if (!Array.isArray(changes)) throw invalidParameter("changes must be an array.");
      const allowed = SECURABLES[type]!.privileges;
      for (const [i, c] of changes.entries()) {
        if (typeof c?.principal !== "string" || c.principal === "")
          throw invalidParameter(`changes[${i}].principal is required.`);
        for (const p of [...(c.add ?? []), ...(c.remove ?? [])]) {
          if (!allowed.includes(p)) {
            throw invalidParameter(`Privilege ${p} is not applicable to this entity [${type}:${name}].`);
          }
        }
      }
      requireManage(req, type, name);
      const grants = grantsOf(req.ctx, type, name);
      for (const c of changes) {
        const held = new Set(grants[c.principal] ?? []);
        for (const p of c.add ?? []) held.add(p);
        for (const p of c.remove ?? []) held.delete(p);
        if (held.size) grants[c.principal] = [...held];
        else delete grants[c.principal];
      }
      return { body: { privilege_assignments: assignments(grants, undefined) } };
    });
  },
};
