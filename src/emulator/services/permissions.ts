import {
  entriesFrom,
  PERMISSIONS_SERVICE,
  type PermissionsState,
  permissionsView,
  requirePermission,
  setAcl,
  updateAcl,
} from "../access/object-acls.js";
import { OBJECT_TYPES } from "../access/object-types.js";
import { invalidParameter, notFound } from "../errors.js";
import type { EmuRequest } from "../router.js";
import type { EmulatorContext, EmulatorService } from "../types.js";

type Loose = Record<string, any>;

/** How each object type is found by the id its permissions path uses; the answer is the name messages use. */
const FIND: Record<string, (ctx: EmulatorContext, id: string) => string | undefined> = {
  jobs: (ctx, id) => (ctx.state<Loose | undefined>("jobs")?.jobs[id] ? id : undefined),
  clusters: (ctx, id) => (ctx.state<Loose | undefined>("clusters")?.clusters[id] ? id : undefined),
  experiments: (ctx, id) => ctx.state<Loose | undefined>("mlflow")?.experiments[id]?.name,
  "registered-models": (ctx, id) =>
    Object.values((ctx.state<Loose | undefined>("model-registry")?.models ?? {}) as Loose).find(
      (m) => m.id === id,
    )?.name,
  "serving-endpoints": (ctx, id) =>
    Object.values((ctx.state<Loose | undefined>("serving")?.endpoints ?? {}) as Loose).find(
      (e) => e.id === id,
    )?.name,
  notebooks: (ctx, id) => workspaceObject(ctx, id, "NOTEBOOK"),
  directories: (ctx, id) => workspaceObject(ctx, id, "DIRECTORY"),
};

function workspaceObject(ctx: EmulatorContext, id: string, kind: string): string | undefined {
  return Object.values((ctx.state<Loose | undefined>("workspace")?.objects ?? {}) as Loose).find(
    (o) => String(o.object_id) === id && o.object_type === kind,
  )?.path;
}

/** The object a permissions path names; 404 when it does not exist, 400 for a type not served. */
function target(req: EmuRequest): { type: string; id: string; name: string } {
  const { type, id } = req.params as { type: string; id: string };
  if (!OBJECT_TYPES[type]) {
    throw invalidParameter(
      `Object type ${type} is not supported by this workspace's emulator; use one of ${Object.keys(OBJECT_TYPES).join(", ")}.`,
    );
  }
  const name = FIND[type]!(req.ctx, id);
  if (name === undefined)
    throw notFound(
      `${OBJECT_TYPES[type]!.noun[0]!.toUpperCase()}${OBJECT_TYPES[type]!.noun.slice(1)} ${id} does not exist.`,
    );
  return { type, id, name };
}

/** The Permissions API over every object type of `OBJECT_TYPES`; each object service records owners and checks levels. */
export const permissionsService: EmulatorService<PermissionsState> = {
  name: PERMISSIONS_SERVICE,
  init: () => ({ objects: {} }),
  routes(router) {
    const path = "/api/2.0/permissions/:type/:id";
    router.get(path, (req) => {
      const { type, id, name } = target(req);
      requirePermission(req, type, id, OBJECT_TYPES[type]!.levels[0]!, name);
      return { body: permissionsView(req.ctx, type, id) };
    });
    router.get(`${path}/permissionLevels`, (req) => {
      const { type } = target(req);
      const t = OBJECT_TYPES[type]!;
      return {
        body: {
          permission_levels: t.levels.map((permission_level) => ({
            permission_level,
            description: t.descriptions[permission_level],
          })),
        },
      };
    });
    for (const [method, apply] of [
      ["PUT", setAcl],
      ["PATCH", updateAcl],
    ] as const) {
      router.add(method, path, (req) => {
        const { type, id, name } = target(req);
        requirePermission(req, type, id, "CAN_MANAGE", name);
        apply(req.ctx, type, id, entriesFrom(type, req.body));
        return { body: permissionsView(req.ctx, type, id) };
      });
    }
  },
};
