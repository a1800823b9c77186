import { z } from "zod";
import { encodePath, type RequestOptions } from "../core/http.js";
import { Paginated } from "../core/pagination.js";
import { Service } from "../core/service.js";
import { parseLenient, pathSegment, validate } from "../core/validation.js";
import { type ScimUser, scimUser } from "./current-user.js";

const SCIM = "/api/2.0/preview/scim/v2";

const listRequest = z.looseObject({
  /** SCIM filter, e.g. `userName eq "alice@example.com"`. */
  filter: z.string().min(1, "must not be empty").optional(),
  attributes: z.string().optional(),
  excludedAttributes: z.string().optional(),
  sortBy: z.string().optional(),
  sortOrder: z.enum(["ascending", "descending"]).optional(),
  /** First item (1-based). */
  startIndex: z.number().int().min(1).optional(),
  /** Items per page. */
  count: z.number().int().min(1).optional(),
});
const idRequest = z.looseObject({ id: pathSegment.refine((s) => !s.includes("/"), "must not contain '/'") });

export const scimServicePrincipal = z.looseObject({
  id: z.string().optional(),
  applicationId: z.string().optional(),
  displayName: z.string().optional(),
  active: z.boolean().optional(),
  externalId: z.string().optional(),
  groups: z.array(z.looseObject({ display: z.string().optional(), value: z.string().optional() })).optional(),
  entitlements: z.array(z.looseObject({ value: z.string().optional() })).optional(),
  schemas: z.array(z.string()).optional(),
});

export type ScimListRequest = z.input<typeof listRequest>;
export type ScimIdRequest = z.input<typeof idRequest>;
export type ScimServicePrincipal = z.output<typeof scimServicePrincipal>;

abstract class ScimService extends Service {
  /** A SCIM list: pages by `startIndex` (1-based) until `totalResults` are read. */
  protected scimList<T>(
    path: string,
    req: ScimListRequest,
    what: string,
    item: z.ZodType<T>,
    options?: RequestOptions,
  ): Paginated<T> {
    const query = validate(listRequest, req, what);
    return new Paginated<T>(async (cursor) => {
      const start = (cursor as number | undefined) ?? query.startIndex ?? 1;
      const raw = await this.request<Record<string, unknown>>(
        { method: "GET", path, query: { ...query, startIndex: start } },
        options,
      );
      const items = Array.isArray(raw.Resources) ? raw.Resources.map((r) => parseLenient(item, r)) : [];
      const total = typeof raw.totalResults === "number" ? raw.totalResults : 0;
      const next = items.length > 0 && start - 1 + items.length < total ? start + items.length : undefined;
      return { items, next, raw };
    });
  }

  protected async getOne<T>(path: string, item: z.ZodType<T>, options?: RequestOptions): Promise<T> {
    return parseLenient(item, await this.request<unknown>({ method: "GET", path }, options));
  }
}

/** Workspace users (SCIM): look one up by name with a filter. */
export class UsersAPI extends ScimService {
  /** Users matching `filter`, e.g. `db.users.list({ filter: 'userName eq "alice@example.com"' })`. */
  list(req: ScimListRequest = {}, options?: RequestOptions): Paginated<ScimUser> {
    return this.scimList(`${SCIM}/Users`, req, "users.list request", scimUser, options);
  }

  async get(req: ScimIdRequest, options?: RequestOptions): Promise<ScimUser> {
    const { id } = validate(idRequest, req, "users.get request");
    return this.getOne(encodePath`/api/2.0/preview/scim/v2/Users/${id}`, scimUser, options);
  }
}

/** Workspace service principals (SCIM): look one up by name or application id with a filter. */
export class ServicePrincipalsAPI extends ScimService {
  /** Service principals matching `filter`, e.g. `{ filter: 'displayName eq "ci-bot"' }`. */
  list(req: ScimListRequest = {}, options?: RequestOptions): Paginated<ScimServicePrincipal> {
    return this.scimList(
      `${SCIM}/ServicePrincipals`,
      req,
      "servicePrincipals.list request",
      scimServicePrincipal,
      options,
    );
  }

  async get(req: ScimIdRequest, options?: RequestOptions): Promise<ScimServicePrincipal> {
    const { id } = validate(idRequest, req, "servicePrincipals.get request");
    return this.getOne(
      encodePath`/api/2.0/preview/scim/v2/ServicePrincipals/${id}`,
      scimServicePrincipal,
      options,
    );
  }
}
