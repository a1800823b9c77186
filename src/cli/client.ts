import { type ParseArgsConfig, parseArgs } from "node:util";
import { Databricks } from "../client.js";
import { isConfigError, isUnauthenticated, isWaitTimeout } from "../core/errors.js";
import { type CliIO, parsing } from "./command.js";

/** Exit codes every command uses, so scripts can rely on them. */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed (a failed run, a failed deployment, an endpoint not serving). */
  failed: 1,
  usage: 2,
  /** Waiting ran out of time; the operation may still finish. */
  timeout: 3,
  /** The configuration or credentials do not work. */
  config: 4,
} as const;

/** A client from the environment (DATABRICKS_* variables, ~/.databrickscfg), optionally a named profile. */
export function clientFor(io: CliIO, profile?: string): Databricks {
  return new Databricks({ env: io.env, ...(profile ? { profile } : {}) });
}

/** The exit code for an error a command did not handle itself. */
export function exitCodeOf(error: unknown): number {
  if (isWaitTimeout(error)) return EXIT.timeout;
  if (isConfigError(error) || isUnauthenticated(error)) return EXIT.config;
  return EXIT.failed;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every workspace command takes. */
const COMMON = {
  profile: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/**
 * Parses a workspace command's arguments (its own options plus --profile, --json, --help).
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
