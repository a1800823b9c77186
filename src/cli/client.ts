import { type ParseArgsConfig, parseArgs } from "node:util";
import { Databricks } from "../client.js";
import { type ResolvedConfig, resolveConfig, type SettingNames } from "../core/config.js";
import {
  isConfigError,
  isConnectionError,
  isNotFound,
  isUnauthenticated,
  isWaitTimeout,
} from "../core/errors.js";
import { type CliIO, parsing } from "./command.js";

/** Exit codes every command uses, so scripts can rely on them. */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed (a failed run, a failed deployment, an endpoint not serving). */
  failed: 1,
  usage: 2,
  /** Waiting ran out of time; the operation may still finish. */
  timeout: 3,
  /** The configuration or credentials do not work, or the workspace cannot be reached. */
  config: 4,
  /** The run, endpoint or other resource named on the command line does not exist. */
  notFound: 5,
} as const;

/** Until the workspace has answered once, a request gets this long before the command gives up. */
const FIRST_CONTACT_TIMEOUT_MS = 10_000;

/** How configuration errors name what a command-line user can set. */
const CLI_NAMES: SettingNames = {
  given: (attr) => `--${attr}`,
  host: "Pass --host",
  profile: "--profile",
  credentials: "",
  insecureHttp: "plain http:// is accepted for loopback hosts only (e.g. the emulator on 127.0.0.1)",
};

/** What error messages say about the workspace a command talks to (no credentials). */
type Workspace = Pick<ResolvedConfig, "host" | "sources" | "authType" | "schemeAdded">;
/** The workspace each command run talks to. */
const workspaces = new WeakMap<CliIO, Workspace>();

/** The settings every workspace command takes. */
export interface WorkspaceFlags {
  profile?: string | undefined;
  host?: string | undefined;
}

/**
 * A client from the flags and the environment (DATABRICKS_* variables, ~/.databrickscfg). A host
 * that has never answered fails the command in seconds; once it answered, the retry policy applies.
 */
export function clientFor(io: CliIO, flags: WorkspaceFlags = {}): Databricks {
  const options = {
    env: io.env,
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags.host ? { host: flags.host } : {}),
  };
  const { host, sources, authType, schemeAdded } = resolveConfig(options, CLI_NAMES);
  workspaces.set(io, { host, sources, authType, schemeAdded });
  const db = new Databricks(options);
  db.ctx.transport = db.ctx.transport.with({ firstContactTimeoutMs: FIRST_CONTACT_TIMEOUT_MS });
  return db;
}

/** The exit code for an error a command did not handle itself. */
export function exitCodeOf(error: unknown): number {
  if (isWaitTimeout(error)) return EXIT.timeout;
  if (isConfigError(error) || isUnauthenticated(error)) return EXIT.config;
  if (isConnectionError(error) && error.hostNeverAnswered) return EXIT.config;
  if (isNotFound(error)) return EXIT.notFound;
  return EXIT.failed;
}

/** The message for an error a command did not handle itself, in command-line terms. */
export function messageOf(error: unknown, io: CliIO): string {
  const message = (error as Error)?.message ?? String(error);
  const ws = workspaces.get(io);
  if (!ws) return message;
  const where = `${ws.host} (host from ${ws.sources.host})`;
  if (isConnectionError(error) && error.hostNeverAnswered) {
    const scheme =
      ws.schemeAdded && /TLS/.test(message)
        ? ` The host was given without a scheme and taken as https://; if the workspace serves plain http, write http://${ws.host.replace(/^https:\/\//, "")}.`
        : "";
    return (
      `cannot reach the workspace at ${where}: ${message.replace(`${ws.host} never answered: `, "")}.${scheme} ` +
      "Check the host: --host, DATABRICKS_HOST or the host of the profile (--profile)."
    );
  }
  if (isUnauthenticated(error)) {
    const credentials =
      ws.authType === "pat"
        ? `the token from ${ws.sources.token}`
        : ws.authType === "oauth-m2m"
          ? `the OAuth client from ${ws.sources.clientId}`
          : `the ${ws.authType} credentials`;
    return `the workspace at ${where} did not accept ${credentials}: ${message}`;
  }
  return message;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every workspace command takes. */
const COMMON = {
  profile: { type: "string" },
  host: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/**
 * Parses a workspace command's arguments (its own options plus --profile, --host, --json, --help).
 * Returns undefined after printing the usage when --help was given.
 */
export function parseCommand<O extends Options>(args: string[], options: O, usage: string, io: CliIO) {
  const config = {
    args,
    allowPositionals: true as const,
    strict: true as const,
    options: { ...options, ...COMMON } as O & typeof COMMON,
  };
  const parsed = parsing(() => parseArgs(config));
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout.write(`${usage}\n`);
    return undefined;
  }
  return parsed;
}
