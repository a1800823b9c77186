import { z } from "zod";
import type { RequestOptions } from "../core/http.js";
import { Service } from "../core/service.js";
import { parseLenient } from "../core/validation.js";

const complexValue = z.looseObject({
  display: z.string().optional(),
  primary: z.boolean().optional(),
  $ref: z.string().optional(),
  type: z.string().optional(),
  value: z.string().optional(),
});

/** A workspace user in SCIM's shape (camelCase, as the SCIM API answers). */
export const scimUser = z.looseObject({
  id: z.string().optional(),
  userName: z.string().optional(),
  displayName: z.string().optional(),
  active: z.boolean().optional(),
  externalId: z.string().optional(),
  name: z.looseObject({ givenName: z.string().optional(), familyName: z.string().optional() }).optional(),
  emails: z.array(complexValue).optional(),
  groups: z.array(complexValue).optional(),
  entitlements: z.array(complexValue).optional(),
  roles: z.array(complexValue).optional(),
  schemas: z.array(z.string()).optional(),
});

export type ScimUser = z.output<typeof scimUser>;

/** The identity the client's credentials belong to. */
export class CurrentUserAPI extends Service {
  /** The calling user or service principal (`GET /api/2.0/preview/scim/v2/Me`). */
  async me(options?: RequestOptions): Promise<ScimUser> {
    return parseLenient(
      scimUser,
      await this.request<unknown>({ method: "GET", path: "/api/2.0/preview/scim/v2/Me" }, options),
    );
  }
}
