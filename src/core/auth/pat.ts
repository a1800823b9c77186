import { ConfigError } from "../errors.js";
import type { CredentialsProvider } from "./types.js";

/** Personal access token: `Authorization: Bearer <token>`. */
export const patProvider: CredentialsProvider = {
  name: "pat",
  create(config) {
    const token = config.token;
    if (!token)
      throw new ConfigError(
        `authType is pat (from ${config.sources.authType ?? "options"}) but no token is configured. ` +
          "Set DATABRICKS_TOKEN or pass { token }.",
      );
    const headers = { Authorization: `Bearer ${token}` };
    return { headers: async () => headers };
  },
};
