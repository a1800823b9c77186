import { z } from "zod";
import { encodePath, type RequestOptions } from "../core/http.js";
import { Service } from "../core/service.js";
import { parseLenient, validate } from "../core/validation.js";

/**
 * The Unity Catalog securables this client grants on, with the privileges each takes. A
 * registered model is a FUNCTION securable; the type is accepted in either case and sent lower case.
 */
export const SECURABLE_PRIVILEGES = {
  catalog: [
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
  schema: [
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
  function: ["ALL_PRIVILEGES", "APPLY_TAG", "EXECUTE", "MANAGE"],
  table: ["ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "SELECT"],
  volume: ["ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "READ_VOLUME", "WRITE_VOLUME"],
} as const satisfies Record<string, readonly string[]>;

export type SecurableType = keyof typeof SECURABLE_PRIVILEGES;
const TYPES = Object.keys(SECURABLE_PRIVILEGES) as [SecurableType, ...SecurableType[]];
const PARTS: Record<SecurableType, number> = { catalog: 1, schema: 2, function: 3, table: 3, volume: 3 };

const securableType = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(TYPES, { message: `must be one of ${TYPES.join(", ")} (either case)` }));

const securableShape = { securable_type: securableType, full_name: z.string().min(1, "must not be empty") };

/** A full name with as many parts as its type takes: `catalog`, `catalog.schema`, `catalog.schema.name`. */
function checkFullName(
  req: { securable_type: SecurableType; full_name: string },
  ctx: z.RefinementCtx,
): void {
  const parts = req.full_name.split(".");
  if (parts.length !== PARTS[req.securable_type] || parts.some((p) => p === "" || p.includes("/"))) {
    ctx.addIssue({
      code: "custom",
      path: ["full_name"],
      message: `a ${req.securable_type} is named ${["catalog", "catalog.schema", "catalog.schema.name"][PARTS[req.securable_type] - 1]}`,
    });
  }
}

const getRequest = z
  .looseObject({
    ...securableShape,
    principal: z.string().min(1).optional(),
    max_results: z.number().int().min(0).optional(),
    page_token: z.string().optional(),
  })
  .superRefine(checkFullName);

const change = z.looseObject({
  principal: z.string().min(1, "must not be empty"),
  add: z.array(z.string()).optional(),
  remove: z.array(z.string()).optional(),
});

const updateRequest = z
  .looseObject({ ...securableShape, changes: z.array(change) })
  .superRefine(checkFullName)
  .superRefine((req, ctx) => {
    const allowed: readonly string[] = SECURABLE_PRIVILEGES[req.securable_type];
    req.changes.forEach((c, i) => {
      for (const key of ["add", "remove"] as const) {
        (c[key] ?? []).forEach((p, j) => {
          if (!allowed.includes(p)) {
            ctx.addIssue({
              code: "custom",
              path: ["changes", i, key, j],
              message: `${p} is not a privilege of a ${req.securable_type}; use one of ${allowed.join(", ")}`,
            });
          }
        });
      }
    });
  });

export const permissionsList = z.looseObject({
  privilege_assignments: z
    .array(z.looseObject({ principal: z.string().optional(), privileges: z.array(z.string()).optional() }))
    .optional(),
  next_page_token: z.string().optional(),
});

export const effectivePermissionsList = z.looseObject({
  privilege_assignments: z
    .array(
      z.looseObject({
        principal: z.string().optional(),
        privileges: z
          .array(
            z.looseObject({
              privilege: z.string().optional(),
              inherited_from_type: z.string().optional(),
              inherited_from_name: z.string().optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  next_page_token: z.string().optional(),
});

export type GetGrantsRequest = z.input<typeof getRequest>;
export type UpdateGrantsRequest = z.input<typeof updateRequest>;
export type PermissionsList = z.output<typeof permissionsList>;
export type EffectivePermissionsList = z.output<typeof effectivePermissionsList>;

/** Unity Catalog grants on catalogs, schemas, models (FUNCTION), tables and volumes. */
export class GrantsAPI extends Service {
  /** The privileges granted directly on the securable (optionally for one principal). */
  async get(req: GetGrantsRequest, options?: RequestOptions): Promise<PermissionsList> {
    const { securable_type, full_name, ...query } = validate(getRequest, req, "grants.get request");
    return parseLenient(
      permissionsList,
      await this.request<unknown>(
        {
          method: "GET",
          path: encodePath`/api/2.1/unity-catalog/permissions/${securable_type}/${full_name}`,
          query,
        },
        options,
      ),
    );
  }

  /** The privileges in force on the securable, including those inherited from its catalog and schema. */
  async getEffective(req: GetGrantsRequest, options?: RequestOptions): Promise<EffectivePermissionsList> {
    const { securable_type, full_name, ...query } = validate(getRequest, req, "grants.getEffective request");
    return parseLenient(
      effectivePermissionsList,
      await this.request<unknown>(
        {
          method: "GET",
          path: encodePath`/api/2.1/unity-catalog/effective-permissions/${securable_type}/${full_name}`,
          query,
        },
        options,
      ),
    );
  }

  /** Adds and removes privileges per principal; answers the direct grants that result. */
  async update(req: UpdateGrantsRequest, options?: RequestOptions): Promise<PermissionsList> {
    const { securable_type, full_name, ...body } = validate(updateRequest, req, "grants.update request");
    return parseLenient(
      permissionsList,
      await this.request<unknown>(
        {
          method: "PATCH",
          path: encodePath`/api/2.1/unity-catalog/permissions/${securable_type}/${full_name}`,
          body,
          idempotent: true,
        },
        options,
      ),
    );
  }
}
