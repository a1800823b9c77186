import { z } from "zod";
import { encodePath, type RequestOptions } from "../core/http.js";
import { Service } from "../core/service.js";
import { parseLenient, pathSegment, validate } from "../core/validation.js";

const NOTEBOOK_LEVELS = ["CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"] as const;

/** The permission levels of each object type the Permissions API governs, as workspaces define them. */
export const PERMISSION_LEVELS = {
  jobs: ["CAN_VIEW", "CAN_MANAGE_RUN", "IS_OWNER", "CAN_MANAGE"],
  clusters: ["CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"],
  "cluster-policies": ["CAN_USE"],
  "instance-pools": ["CAN_ATTACH_TO", "CAN_MANAGE"],
  experiments: ["CAN_READ", "CAN_EDIT", "CAN_MANAGE"],
  "registered-models": [
    "CAN_READ",
    "CAN_EDIT",
    "CAN_MANAGE_STAGING_VERSIONS",
    "CAN_MANAGE_PRODUCTION_VERSIONS",
    "CAN_MANAGE",
  ],
  "serving-endpoints": ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"],
  notebooks: NOTEBOOK_LEVELS,
  directories: NOTEBOOK_LEVELS,
  files: NOTEBOOK_LEVELS,
  repos: NOTEBOOK_LEVELS,
  pipelines: ["CAN_VIEW", "CAN_RUN", "CAN_MANAGE", "IS_OWNER"],
  warehouses: ["CAN_VIEW", "CAN_MONITOR", "CAN_USE", "IS_OWNER", "CAN_MANAGE"],
} as const satisfies Record<string, readonly string[]>;

export type PermissionObjectType = keyof typeof PERMISSION_LEVELS;
const OBJECT_TYPES = Object.keys(PERMISSION_LEVELS) as [PermissionObjectType, ...PermissionObjectType[]];

const objectRequest = z.looseObject({
  request_object_type: z.enum(OBJECT_TYPES),
  request_object_id: pathSegment.refine((s) => !s.includes("/"), "must not contain '/'"),
});

const accessControlRequest = z
  .looseObject({
    user_name: z.string().min(1).optional(),
    group_name: z.string().min(1).optional(),
    service_principal_name: z.string().min(1).optional(),
    permission_level: z.string(),
  })
  .refine((a) => [a.user_name, a.group_name, a.service_principal_name].filter(Boolean).length === 1, {
    message: "give exactly one of user_name, group_name and service_principal_name",
  });

const writeRequest = objectRequest
  .extend({ access_control_list: z.array(accessControlRequest) })
  .superRefine((req, ctx) => {
    const levels: readonly string[] = PERMISSION_LEVELS[req.request_object_type];
    req.access_control_list.forEach((entry, i) => {
      if (!levels.includes(entry.permission_level)) {
        ctx.addIssue({
          code: "custom",
          path: ["access_control_list", i, "permission_level"],
          message: `${req.request_object_type} take one of ${levels.join(", ")}`,
        });
      }
    });
  });

const permission = z.looseObject({
  permission_level: z.string().optional(),
  inherited: z.boolean().optional(),
  inherited_from_object: z.array(z.string()).optional(),
});

export const objectPermissions = z.looseObject({
  object_id: z.string().optional(),
  object_type: z.string().optional(),
  access_control_list: z
    .array(
      z.looseObject({
        user_name: z.string().optional(),
        group_name: z.string().optional(),
        service_principal_name: z.string().optional(),
        display_name: z.string().optional(),
        all_permissions: z.array(permission).optional(),
      }),
    )
    .optional(),
});

export const permissionLevels = z.looseObject({
  permission_levels: z
    .array(z.looseObject({ permission_level: z.string().optional(), description: z.string().optional() }))
    .optional(),
});

export type PermissionObjectRequest = z.input<typeof objectRequest>;
export type SetPermissionsRequest = z.input<typeof writeRequest>;
export type ObjectPermissions = z.output<typeof objectPermissions>;
export type PermissionLevels = z.output<typeof permissionLevels>;

/** Permissions API: who may do what on jobs, clusters, experiments, models, endpoints, notebooks and folders. */
export class PermissionsAPI extends Service {
  /** The object's permissions, direct and inherited. */
  async get(req: PermissionObjectRequest, options?: RequestOptions): Promise<ObjectPermissions> {
    const { request_object_type: type, request_object_id: id } = validate(
      objectRequest,
      req,
      "permissions.get request",
    );
    return parseLenient(
      objectPermissions,
      await this.request<unknown>(
        { method: "GET", path: encodePath`/api/2.0/permissions/${type}/${id}` },
        options,
      ),
    );
  }

  /** The levels the object's type offers. */
  async getPermissionLevels(
    req: PermissionObjectRequest,
    options?: RequestOptions,
  ): Promise<PermissionLevels> {
    const { request_object_type: type, request_object_id: id } = validate(
      objectRequest,
      req,
      "permissions.getPermissionLevels request",
    );
    return parseLenient(
      permissionLevels,
      await this.request<unknown>(
        { method: "GET", path: encodePath`/api/2.0/permissions/${type}/${id}/permissionLevels` },
        options,
      ),
    );
  }

  /** Replaces the object's direct permissions (a job keeps its owner unless the list names a new IS_OWNER). */
  set(req: SetPermissionsRequest, options?: RequestOptions): Promise<ObjectPermissions> {
    return this.write("PUT", "permissions.set", req, options);
  }

  /** Adds to the object's direct permissions; entries for the same principal are replaced. */
  update(req: SetPermissionsRequest, options?: RequestOptions): Promise<ObjectPermissions> {
    return this.write("PATCH", "permissions.update", req, options);
  }

  private async write(
    method: "PUT" | "PATCH",
    what: string,
    req: SetPermissionsRequest,
    options?: RequestOptions,
  ): Promise<ObjectPermissions> {
    const {
      request_object_type: type,
      request_object_id: id,
      ...body
    } = validate(writeRequest, req, `${what} request`);
    return parseLenient(
      objectPermissions,
      await this.request<unknown>(
        { method, path: encodePath`/api/2.0/permissions/${type}/${id}`, body, idempotent: true },
        options,
      ),
    );
  }
}
