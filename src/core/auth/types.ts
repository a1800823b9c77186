import type { Clock } from "../clock.js";
import type { ResolvedConfig } from "../config.js";
import type { HttpClient } from "../http.js";

/** Produces the auth headers of each request. */
export interface Credentials {
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
}

export interface AuthContext {
  /** An HTTP client without auth, retries or logging, for token endpoints. */
  http: HttpClient;
  clock: Clock;
  /** Longest a token request may take (it is shared by concurrent callers, so no caller's signal bounds it). */
  timeoutMs: number;
}

/**
 * One credential kind. A new kind (Azure, GCP, workload identity) is one file exporting one of
 * these, listed in `providers.ts`.
 */
export interface CredentialsProvider {
  /** The `auth_type` name, e.g. `pat` or `oauth-m2m`. */
  readonly name: string;
  /** Builds credentials from the config; throws ConfigError when something it needs is missing. */
  create(config: ResolvedConfig, context: AuthContext): Credentials;
}
