/** Logging seam: silent by default; `BRICKML_LOG=debug|info|warn|error` enables the console logger. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

const noop = () => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

export function consoleLogger(level: Level = "info"): Logger {
  const min = LEVELS.indexOf(level);
  const make =
    (l: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (LEVELS.indexOf(l) < min) return;
      const extra = fields ? ` ${JSON.stringify(fields)}` : "";
      process.stderr.write(`[brickml] ${l} ${message}${extra}\n`);
    };
  return { debug: make("debug"), info: make("info"), warn: make("warn"), error: make("error") };
}

export function loggerFromEnv(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.BRICKML_LOG?.toLowerCase();
  return level && (LEVELS as readonly string[]).includes(level)
    ? consoleLogger(level as Level)
    : silentLogger;
}
