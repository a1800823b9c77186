import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Clock } from "./clock.js";
import { ConfigError } from "./errors.js";
import type { Logger } from "./logger.js";

/** What a user-supplied token provider returns: a bare token, or one with its expiry. */
export type ProvidedToken = string | { token: string; expiresAt?: Date | number };
export type TokenProvider = (signal?: AbortSignal) => Promise<ProvidedToken>;

export interface DatabricksOptions {
  /** Workspace URL, e.g. `https://adb-123.4.azuredatabricks.net`. Env: `DATABRICKS_HOST`. */
  host?: string;
  /** Personal access token. Env: `DATABRICKS_TOKEN`. */
  token?: string;
  /** OAuth machine-to-machine client (service principal application id). Env: `DATABRICKS_CLIENT_ID`. */
  clientId?: string;
  /** OAuth machine-to-machine secret. Env: `DATABRICKS_CLIENT_SECRET`. */
  clientSecret?: string;
  /** Your own source of bearer tokens, called whenever a token is needed (cache inside it if useful). */
  tokenProvider?: TokenProvider;
  /** Forces one credential kind: `pat`, `oauth-m2m` or `custom`. Env: `DATABRICKS_AUTH_TYPE`. */
  authType?: string;
  /** Profile in the config file. Env: `DATABRICKS_CONFIG_PROFILE`. */
  profile?: string;
  /** Config file path; default `~/.databrickscfg`. Env: `DATABRICKS_CONFIG_FILE`. */
  configFile?: string;
  /** Sent as `X-Databricks-Workspace-Id` when set (unified hosts). Env: `DATABRICKS_WORKSPACE_ID`. */
  workspaceId?: string;
  /** OAuth scopes for machine-to-machine auth; default `all-apis`. */
  scopes?: string[];

  /** Per-attempt timeout of control-plane calls in ms (default 60 000). */
  timeout?: number;
  /** Per-attempt timeout of model queries in ms (default 300 000). */
  queryTimeout?: number;
  /** Budget for one call, retries included, in ms (default 300 000). */
  deadline?: number;
  /** Retries per call (default 6). */
  maxRetries?: number;
  /** Extra CA certificates (PEM) trusted in addition to the system ones. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Allow plain `http://` to hosts other than loopback. Off by default: tokens would travel in clear text. */
  allowInsecureHttp?: boolean;
  /** Appended to the User-Agent as `<name>/<version>`. */
  product?: { name: string; version: string };
  logger?: Logger;
  /** Time source for retries and waits (tests inject a fake one). */
  clock?: Clock;
  /** Environment to read instead of `process.env` (tests). */
  env?: Record<string, string | undefined>;
}

export interface ResolvedConfig {
  host: string;
  token?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  tokenProvider?: TokenProvider | undefined;
  authType: string;
  profile?: string | undefined;
  configFile: string;
  workspaceId?: string | undefined;
  scopes: string[];
  allowInsecureHttp: boolean;
  /** Where each value came from, for error messages. Never holds the values themselves. */
  sources: Record<string, string>;
  /** The host was written without a scheme and taken as https://. */
  schemeAdded: boolean;
}

/**
 * How error messages name the settings a caller passes in code: library options by default; the
 * command line names its flags instead.
 */
export interface SettingNames {
  /** The source of a value passed in code, e.g. `options` or `--host`. */
  given(attr: string): string;
  /** How to pass a host, e.g. `pass { host } to new Databricks()` or `pass --host`. */
  host: string;
  /** How to name a profile, e.g. `{ profile }` or `--profile`. */
  profile: string;
  /** How to pass credentials in code (`pass { token } / { tokenProvider }, `), or "". */
  credentials: string;
  /** How to allow plain http to other hosts, or why it cannot be. */
  insecureHttp: string;
}

export const LIBRARY_NAMES: SettingNames = {
  given: () => "options",
  host: "Pass { host } to new Databricks()",
  profile: "{ profile }",
  credentials: "or pass { token } / { tokenProvider }, ",
  insecureHttp: "or pass { allowInsecureHttp: true } for a trusted local network",
};

type Attr =
  | "host"
  | "token"
  | "clientId"
  | "clientSecret"
  | "authType"
  | "profile"
  | "configFile"
  | "workspaceId";

const ENV: Record<Attr, string> = {
  host: "DATABRICKS_HOST",
  token: "DATABRICKS_TOKEN",
  clientId: "DATABRICKS_CLIENT_ID",
  clientSecret: "DATABRICKS_CLIENT_SECRET",
  authType: "DATABRICKS_AUTH_TYPE",
  profile: "DATABRICKS_CONFIG_PROFILE",
  configFile: "DATABRICKS_CONFIG_FILE",
  workspaceId: "DATABRICKS_WORKSPACE_ID",
};

const FILE_KEYS: Record<string, Attr> = {
  host: "host",
  token: "token",
  client_id: "clientId",
  client_secret: "clientSecret",
  auth_type: "authType",
  workspace_id: "workspaceId",
};

/** Parses the INI format of `~/.databrickscfg`. */
export function parseConfigFile(text: string): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      current = {};
      sections.set(header[1].trim(), current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0 && current) current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return sections;
}

/** Host normalisation as the official SDKs do it: add https://, drop `:443` and trailing slashes. */
export function normalizeHost(host: string): string {
  let h = host.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(h)) h = `https://${h}`;
  const url = new URL(h);
  if (url.protocol === "https:" && url.port === "443") url.port = "";
  let s = url.toString();
  while (s.endsWith("/")) s = s.slice(0, -1);
  return s;
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The first setting that makes the config file irrelevant when no profile is named, e.g. `token (from options)`. */
function explicitSetting(
  values: Partial<Record<Attr, string>>,
  sources: Record<string, string>,
  options: DatabricksOptions,
): string | undefined {
  for (const attr of ["token", "clientId", "clientSecret", "host"] as const) {
    if (values[attr]) return `${attr} (from ${sources[attr]})`;
  }
  return options.tokenProvider ? "tokenProvider (from options)" : undefined;
}

/**
 * Fills unset values from the config file, as the official SDKs do: the file is read when a
 * profile is named, or when nothing was given explicitly; profile values never overwrite values
 * already set. Returns a sentence saying what happened, for error messages.
 */
function applyConfigFile(
  configFile: string,
  values: Partial<Record<Attr, string>>,
  sources: Record<string, string>,
  set: (attr: Attr, value: string | undefined, source: string) => void,
  options: DatabricksOptions,
  names: SettingNames,
): string {
  const explicit = explicitSetting(values, sources, options);
  if (!values.profile && explicit) {
    return (
      `The config file ${configFile} was not read because ${explicit} was set and no profile was named; ` +
      `name one with ${names.profile} or DATABRICKS_CONFIG_PROFILE to use it.`
    );
  }
  let text: string;
  try {
    text = readFileSync(configFile, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : "cannot be read";
    if (values.profile) {
      throw new ConfigError(
        `Profile "${values.profile}" (from ${sources.profile}) was requested but the config file ${configFile} ${reason}. ` +
          "Create the file, set DATABRICKS_CONFIG_FILE to the right path, or stop naming a profile.",
      );
    }
    return `The config file ${configFile} ${reason}.`;
  }
  const sections = parseConfigFile(text);
  const fromSettings = values.profile ? undefined : sections.get("__settings__")?.default_profile;
  const name = values.profile ?? fromSettings ?? "DEFAULT";
  const profile = sections.get(name);
  if (!profile) {
    if (!values.profile && !fromSettings) return `The config file ${configFile} has no DEFAULT profile.`;
    const known = [...sections.keys()].filter((s) => s !== "__settings__");
    const origin = values.profile ? `from ${sources.profile}` : "default_profile in [__settings__]";
    throw new ConfigError(
      `Profile "${name}" (${origin}) is not in ${configFile}. ` +
        `Profiles found: ${known.length ? known.join(", ") : "none"}. Fix the name or add the profile.`,
    );
  }
  for (const [key, attr] of Object.entries(FILE_KEYS))
    set(attr, profile[key], `profile ${name} in ${configFile}`);
  if (!values.profile) {
    values.profile = name;
    sources.profile = fromSettings ? `default_profile in [__settings__] of ${configFile}` : "default";
  }
  return `Profile ${name} in ${configFile} was read.`;
}

export function resolveConfig(
  options: DatabricksOptions = {},
  names: SettingNames = LIBRARY_NAMES,
): ResolvedConfig {
  const env = options.env ?? process.env;
  const values: Partial<Record<Attr, string>> = {};
  const sources: Record<string, string> = {};
  const set = (attr: Attr, value: string | undefined, source: string) => {
    if (value === undefined || value === "" || values[attr] !== undefined) return;
    values[attr] = value;
    sources[attr] = source;
  };

  for (const attr of Object.keys(ENV) as Attr[])
    set(attr, options[attr] as string | undefined, names.given(attr));
  for (const attr of Object.keys(ENV) as Attr[]) set(attr, env[ENV[attr]], `env ${ENV[attr]}`);

  const configFile = values.configFile ?? join(options.env?.HOME ?? homedir(), ".databrickscfg");
  const fileNote = applyConfigFile(configFile, values, sources, set, options, names);

  if (!values.host) {
    throw new ConfigError(
      `No Databricks host configured. ${names.host}, set DATABRICKS_HOST, ` +
        `or add host = https://<workspace> to a profile in ${configFile}. ${fileNote}`,
    );
  }
  let host: string;
  try {
    host = normalizeHost(values.host);
  } catch {
    throw new ConfigError(
      `The host (from ${sources.host}) is not a valid URL. Use e.g. https://my-workspace.cloud.databricks.com.`,
    );
  }
  const url = new URL(host);
  if (url.protocol === "http:" && !isLoopback(url.hostname) && !options.allowInsecureHttp) {
    throw new ConfigError(
      `The host ${host} (from ${sources.host}) uses plain http://, which would send credentials in clear text. ` +
        `Use https://, ${names.insecureHttp}.`,
    );
  }

  const kinds: string[] = [];
  if (values.token) kinds.push(`pat (token from ${sources.token})`);
  if (values.clientId || values.clientSecret)
    kinds.push(
      `oauth-m2m (client id from ${sources.clientId ?? "nowhere"}, secret from ${sources.clientSecret ?? "nowhere"})`,
    );
  if (options.tokenProvider) kinds.push("custom (tokenProvider from options)");

  let authType = values.authType;
  if (!authType) {
    if (kinds.length === 0) {
      throw new ConfigError(
        `No credentials configured for ${host} (host from ${sources.host}). Set DATABRICKS_TOKEN (personal access token), ` +
          "or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET (OAuth service principal), " +
          `${names.credentials}or add them to a profile in ${configFile}. ${fileNote}`,
      );
    }
    if (kinds.length > 1) {
      throw new ConfigError(
        `More than one kind of credentials configured: ${kinds.join("; ")}. ` +
          "Remove all but one, or choose one with authType / DATABRICKS_AUTH_TYPE.",
      );
    }
    authType = values.token ? "pat" : options.tokenProvider ? "custom" : "oauth-m2m";
  }

  return {
    host,
    token: values.token,
    clientId: values.clientId,
    clientSecret: values.clientSecret,
    tokenProvider: options.tokenProvider,
    authType,
    profile: values.profile,
    configFile,
    workspaceId: values.workspaceId,
    scopes: options.scopes ?? ["all-apis"],
    allowInsecureHttp: options.allowInsecureHttp ?? false,
    sources,
    schemeAdded: !/^[a-z][a-z0-9+.-]*:\/\//i.test(values.host.trim()),
  };
}
