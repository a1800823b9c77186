import { BrickmlError, ConfigError, isBrickmlError } from "../errors.js";
import { TokenCache } from "./token-cache.js";
import type { CredentialsProvider } from "./types.js";

/**
 * A user-supplied async token provider. A token returned with `expiresAt` is reused until 40 s
 * before then; one without a known expiry is asked for again on every request (concurrent
 * requests share one call).
 */
export const customProvider: CredentialsProvider = {
  name: "custom",
  create(config, { clock, timeoutMs }) {
    const provider = config.tokenProvider;
    if (!provider)
      throw new ConfigError("authType is custom but no tokenProvider was passed to new Databricks().");
    const cache = new TokenCache(
      async (signal) => {
        let t: Awaited<ReturnType<typeof provider>>;
        try {
          t = await provider(signal);
        } catch (e) {
          // Not a connection problem: the transport must not treat it as one and retry.
          if (isBrickmlError(e)) throw e;
          throw new BrickmlError(`The token provider failed: ${(e as Error)?.message ?? String(e)}`, {
            cause: e,
          });
        }
        if (typeof t === "string") return { accessToken: t, expiresAt: 0 };
        const exp = t.expiresAt instanceof Date ? t.expiresAt.getTime() : t.expiresAt;
        return { accessToken: t.token, expiresAt: exp ?? 0 };
      },
      clock,
      timeoutMs,
    );
    return { headers: async (signal) => ({ Authorization: `Bearer ${await cache.get(signal)}` }) };
  },
};
