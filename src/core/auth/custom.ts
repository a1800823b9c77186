import { ConfigError } from "../errors.js";
import { TokenCache } from "./token-cache.js";
import type { CredentialsProvider } from "./types.js";

/** A user-supplied async token provider; tokens with an expiry are cached until shortly before it. */
export const customProvider: CredentialsProvider = {
  name: "custom",
  create(config, { clock }) {
    const provider = config.tokenProvider;
    if (!provider)
      throw new ConfigError("authType is custom but no tokenProvider was passed to new Databricks().");
    const cache = new TokenCache(
      async (signal) => {
        const t = await provider(signal);
        if (typeof t === "string") return { accessToken: t, expiresAt: clock.now() };
        const exp = t.expiresAt instanceof Date ? t.expiresAt.getTime() : t.expiresAt;
        return { accessToken: t.token, expiresAt: exp ?? clock.now() };
      },
      clock,
      // A bare string has no known lifetime: ask the provider again on every request.
      0,
    );
    return { headers: async (signal) => ({ Authorization: `Bearer ${await cache.get(signal)}` }) };
  },
};
