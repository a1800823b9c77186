import type { ResolvedConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { customProvider } from "./custom.js";
import { oauthM2MProvider } from "./oauth-m2m.js";
import { patProvider } from "./pat.js";
import type { AuthContext, Credentials, CredentialsProvider } from "./types.js";

const PROVIDERS: CredentialsProvider[] = [patProvider, oauthM2MProvider, customProvider];

export function createCredentials(config: ResolvedConfig, context: AuthContext): Credentials {
  const provider = PROVIDERS.find((p) => p.name === config.authType);
  if (!provider) {
    throw new ConfigError(
      `Unknown auth type "${config.authType}" (from ${config.sources.authType ?? "options"}). ` +
        `Supported: ${PROVIDERS.map((p) => p.name).join(", ")}.`,
    );
  }
  return provider.create(config, context);
}
