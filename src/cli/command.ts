/** Where a command writes; tests and the real process pass different ones. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** One subcommand: `brickml <name> …`. Each lives in its own file in `commands/`. */
export interface Command {
  /** One or more words: `emulator`, `runs wait`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full help text of the command. */
  usage: string;
  /** Runs the command; resolves with the process exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** A mistake in how the command was called: exit code 2 and a pointer to the help. */
export class UsageError extends Error {}

/** Runs a `parseArgs` call, turning its errors (unknown option, missing value) into UsageErrors. */
export function parsing<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Parses a numeric option, or throws a UsageError naming it. */
export function numberOption(
  name: string,
  value: string | undefined,
  check: { integer?: boolean; min?: number; max?: number; above?: number },
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const ok =
    value.trim() !== "" &&
    Number.isFinite(n) &&
    (!check.integer || Number.isInteger(n)) &&
    (check.min === undefined || n >= check.min) &&
    (check.max === undefined || n <= check.max) &&
    (check.above === undefined || n > check.above);
  if (!ok) {
    const range = [
      check.integer ? "an integer" : "a number",
      check.above !== undefined ? `above ${check.above}` : "",
      check.min !== undefined && check.max !== undefined
        ? `from ${check.min} to ${check.max}`
        : check.min !== undefined
          ? `of at least ${check.min}`
          : "",
    ]
      .filter(Boolean)
      .join(" ");
    throw new UsageError(`--${name} must be ${range}, got "${value}"`);
  }
  return n;
}

/** Parses a positional argument that must be a positive integer (an id), or throws a UsageError naming it. */
export function positiveInteger(what: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`the ${what} must be a positive integer, got "${value}"`);
  }
  return n;
}
