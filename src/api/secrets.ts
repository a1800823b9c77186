import { z } from "zod";
import type { RequestOptions } from "../core/http.js";
import { Service } from "../core/service.js";
import { parseLenient, validate } from "../core/validation.js";

export const SECRET_ACL_PERMISSIONS = ["READ", "WRITE", "MANAGE"] as const;
/** Largest value a secret holds. */
const MAX_VALUE_BYTES = 128 * 1024;
const name = (what: string) =>
  z.string().regex(/^[\w.-]{1,128}$/, `${what}: up to 128 letters, digits, dashes, underscores and periods`);
const scope = name("scope name");
const key = name("secret key");
const principal = z.string().min(1, "must not be empty");

const createScopeRequest = z.looseObject({
  scope,
  initial_manage_principal: principal.optional(),
  scope_backend_type: z.enum(["DATABRICKS", "AZURE_KEYVAULT"]).optional(),
});
const scopeRequest = z.looseObject({ scope });
const keyRequest = z.looseObject({ scope, key });
const putSecretRequest = z
  .looseObject({
    scope,
    key,
    string_value: z.string().optional(),
    bytes_value: z.base64("must be base64").optional(),
  })
  .refine((r) => (r.string_value === undefined) !== (r.bytes_value === undefined), {
    message: "give exactly one of string_value and bytes_value",
  })
  .refine(
    (r) =>
      (r.string_value === undefined || Buffer.byteLength(r.string_value) <= MAX_VALUE_BYTES) &&
      (r.bytes_value === undefined || Buffer.from(r.bytes_value, "base64").length <= MAX_VALUE_BYTES),
    { message: `a secret holds at most ${MAX_VALUE_BYTES} bytes` },
  );
const aclRequest = z.looseObject({ scope, principal });
const putAclRequest = aclRequest.extend({ permission: z.enum(SECRET_ACL_PERMISSIONS) });

export const secretScope = z.looseObject({
  name: z.string().optional(),
  backend_type: z.string().optional(),
});
export const secretMetadata = z.looseObject({
  key: z.string().optional(),
  last_updated_timestamp: z.number().optional(),
});
export const aclItem = z.looseObject({ principal: z.string().optional(), permission: z.string().optional() });
/** `value` is base64, as the API answers. */
export const secretValue = z.looseObject({ key: z.string().optional(), value: z.string().optional() });

export type CreateScopeRequest = z.input<typeof createScopeRequest>;
export type ScopeRequest = z.input<typeof scopeRequest>;
export type SecretKeyRequest = z.input<typeof keyRequest>;
export type PutSecretRequest = z.input<typeof putSecretRequest>;
export type AclRequest = z.input<typeof aclRequest>;
export type PutAclRequest = z.input<typeof putAclRequest>;
export type SecretScope = z.output<typeof secretScope>;
export type SecretMetadata = z.output<typeof secretMetadata>;
export type AclItem = z.output<typeof aclItem>;
export type SecretValue = z.output<typeof secretValue>;

const BASE = "/api/2.0/secrets";

/**
 * Secret scopes, secrets and their ACLs. A value being stored is scrubbed from any error its
 * request meets, like a credential; logs and request events never hold bodies.
 */
export class SecretsAPI extends Service {
  /** Creates a scope; without `initial_manage_principal` only the caller may manage it. */
  async createScope(req: CreateScopeRequest, options?: RequestOptions): Promise<void> {
    const body = validate(createScopeRequest, req, "secrets.createScope request");
    await this.request({ method: "POST", path: `${BASE}/scopes/create`, body }, options);
  }

  async deleteScope(req: ScopeRequest, options?: RequestOptions): Promise<void> {
    const body = validate(scopeRequest, req, "secrets.deleteScope request");
    await this.request({ method: "POST", path: `${BASE}/scopes/delete`, body }, options);
  }

  async listScopes(options?: RequestOptions): Promise<SecretScope[]> {
    const raw = await this.request<{ scopes?: unknown }>(
      { method: "GET", path: `${BASE}/scopes/list` },
      options,
    );
    return parseLenient(z.array(secretScope), raw.scopes ?? []);
  }

  /** Stores a secret (`string_value` or base64 `bytes_value`); needs WRITE on the scope. */
  async putSecret(req: PutSecretRequest, options?: RequestOptions): Promise<void> {
    const body = validate(putSecretRequest, req, "secrets.putSecret request");
    await this.request(
      { method: "POST", path: `${BASE}/put`, body, idempotent: true, secrets: valueForms(body) },
      options,
    );
  }

  async deleteSecret(req: SecretKeyRequest, options?: RequestOptions): Promise<void> {
    const body = validate(keyRequest, req, "secrets.deleteSecret request");
    await this.request({ method: "POST", path: `${BASE}/delete`, body }, options);
  }

  /** The keys of a scope (never values); needs READ. */
  async listSecrets(req: ScopeRequest, options?: RequestOptions): Promise<SecretMetadata[]> {
    const query = validate(scopeRequest, req, "secrets.listSecrets request");
    const raw = await this.request<{ secrets?: unknown }>(
      { method: "GET", path: `${BASE}/list`, query },
      options,
    );
    return parseLenient(z.array(secretMetadata), raw.secrets ?? []);
  }

  /** A secret's value, base64-encoded as the API answers; needs READ on the scope. */
  async getSecret(req: SecretKeyRequest, options?: RequestOptions): Promise<SecretValue> {
    const query = validate(keyRequest, req, "secrets.getSecret request");
    return parseLenient(
      secretValue,
      await this.request<unknown>({ method: "GET", path: `${BASE}/get`, query }, options),
    );
  }

  /** Gives a principal READ, WRITE or MANAGE on a scope; needs MANAGE. */
  async putAcl(req: PutAclRequest, options?: RequestOptions): Promise<void> {
    const body = validate(putAclRequest, req, "secrets.putAcl request");
    await this.request({ method: "POST", path: `${BASE}/acls/put`, body, idempotent: true }, options);
  }

  async getAcl(req: AclRequest, options?: RequestOptions): Promise<AclItem> {
    const query = validate(aclRequest, req, "secrets.getAcl request");
    return parseLenient(
      aclItem,
      await this.request<unknown>({ method: "GET", path: `${BASE}/acls/get`, query }, options),
    );
  }

  async deleteAcl(req: AclRequest, options?: RequestOptions): Promise<void> {
    const body = validate(aclRequest, req, "secrets.deleteAcl request");
    await this.request({ method: "POST", path: `${BASE}/acls/delete`, body }, options);
  }

  async listAcls(req: ScopeRequest, options?: RequestOptions): Promise<AclItem[]> {
    const query = validate(scopeRequest, req, "secrets.listAcls request");
    const raw = await this.request<{ items?: unknown }>(
      { method: "GET", path: `${BASE}/acls/list`, query },
      options,
    );
    return parseLenient(z.array(aclItem), raw.items ?? []);
  }
}

/** A value in every form a server could echo it: as given, and base64 (the form secrets are returned in). */
function valueForms(body: { string_value?: string | undefined; bytes_value?: string | undefined }): string[] {
  if (body.string_value !== undefined) {
    return [body.string_value, Buffer.from(body.string_value, "utf8").toString("base64")];
  }
  const bytes = body.bytes_value ?? "";
  return [bytes, Buffer.from(bytes, "base64").toString("utf8")];
}
