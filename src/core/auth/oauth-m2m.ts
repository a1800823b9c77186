import { errorFromResponse } from "../error-mapping.js";
import { ConfigError, ConnectionError } from "../errors.js";
import { TokenCache } from "./token-cache.js";
import type { CredentialsProvider } from "./types.js";

const TOKEN_PATH = "/oidc/v1/token";

/** OAuth client credentials (service principal) against the workspace's `/oidc/v1/token`. */
export const oauthM2MProvider: CredentialsProvider = {
  name: "oauth-m2m",
  create(config, { http, clock, timeoutMs }) {
    const { clientId, clientSecret } = config;
    if (!clientId || !clientSecret) {
      const found = (what: string, attr: string) =>
        config.sources[attr] ? `a ${what} (from ${config.sources[attr]})` : `no ${what}`;
      throw new ConfigError(
        "OAuth machine-to-machine needs both a client id and a client secret; found " +
          `${found("client id", "clientId")} and ${found("client secret", "clientSecret")}. ` +
          "Set DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, or pass { clientId, clientSecret }.",
      );
    }
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString("base64");
    const cache = new TokenCache(
      async (signal) => {
        const body = new URLSearchParams({
          grant_type: "client_credentials",
          scope: config.scopes.join(" "),
        });
        let res: import("axios").AxiosResponse;
        try {
          res = await http.post(`${config.host}${TOKEN_PATH}`, body.toString(), {
            headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
            signal,
            validateStatus: () => true,
            maxRedirects: 0,
          });
        } catch (cause) {
          throw new ConnectionError(
            `Cannot reach the OAuth token endpoint ${TOKEN_PATH}`,
            "POST",
            TOKEN_PATH,
            {
              cause: strip(cause),
            },
          );
        }
        const data = parseBody(res.data) as {
          access_token?: string;
          expires_in?: number | string;
          error?: string;
          error_description?: string;
        };
        if (res.status >= 400 || !data?.access_token) {
          const err = errorFromResponse({
            status: res.status >= 400 ? res.status : 401,
            body: data?.error
              ? {
                  error_code: String(data.error).toUpperCase(),
                  message: data.error_description ?? data.error,
                }
              : res.data,
            method: "POST",
            path: TOKEN_PATH,
            secrets: [clientSecret, basic],
          });
          throw err;
        }
        return {
          accessToken: data.access_token,
          expiresAt: expiresAt(data.expires_in, clock.now()),
        };
      },
      clock,
      timeoutMs,
    );
    return { headers: async (signal) => ({ Authorization: `Bearer ${await cache.get(signal)}` }) };
  },
};

/** Some token servers send `expires_in` as a string; without it, the token is kept until rejected. */
function expiresAt(expiresIn: unknown, now: number): number | undefined {
  const seconds = typeof expiresIn === "string" && expiresIn.trim() !== "" ? Number(expiresIn) : expiresIn;
  return typeof seconds === "number" && Number.isFinite(seconds) ? now + seconds * 1000 : undefined;
}

function parseBody(data: unknown): unknown {
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/** Drops the request config (which holds the Basic credentials) from an axios error. */
function strip(cause: unknown): unknown {
  if (cause && typeof cause === "object" && "code" in cause) {
    return { code: (cause as { code: unknown }).code, message: (cause as { message?: unknown }).message };
  }
  return undefined;
}
