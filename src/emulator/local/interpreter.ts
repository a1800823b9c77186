import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

/** Which Python runs notebooks and serves models, and why (shown in the emulator's banner). */
export interface PythonChoice {
  /** The interpreter, exactly as given (a venv's `bin/python` symlink is not resolved); undefined: local mode off. */
  python: string | undefined;
  reason: string;
}

export const PYTHON_ENV = "BRICKML_EMULATOR_PYTHON";

/**
 * `false` turns local mode off; a path is used as given; otherwise `BRICKML_EMULATOR_PYTHON`, then
 * `python3` on PATH when it imports pandas. A given interpreter must exist: it is not started here,
 * so an emulator with one starts as fast as one without.
 */
export function choosePython(
  option: string | false | undefined,
  env: NodeJS.ProcessEnv = process.env,
): PythonChoice {
  if (option === false) return { python: undefined, reason: "local mode is off (python: false)" };
  const given = option ?? (env[PYTHON_ENV] || undefined);
  if (given !== undefined) {
    const source = option !== undefined ? "the python option" : PYTHON_ENV;
    const problem = missing(given);
    if (problem) throw new Error(`${source}: ${given} cannot run notebooks: ${problem}`);
    return { python: given, reason: `${given} (from ${source})` };
  }
  const problem = probe("python3");
  return problem
    ? {
        python: undefined,
        reason: `no Python with pandas found (python3: ${problem}); notebooks follow their scripts`,
      }
    : { python: "python3", reason: "python3 on PATH imports pandas" };
}

/** Why a given interpreter path cannot be executed; a bare name is looked up on PATH when used. */
function missing(python: string): string | undefined {
  if (!/[\\/]/.test(python)) return undefined;
  try {
    accessSync(python, constants.X_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : "not executable";
  }
}

const probed = new Map<string, string | undefined>();

/** Undefined when the interpreter starts and imports pandas, else what went wrong (asked once per process). */
function probe(python: string): string | undefined {
  if (!probed.has(python)) probed.set(python, ask(python));
  return probed.get(python);
}

function ask(python: string): string | undefined {
  const r = spawnSync(python, ["-c", "import pandas"], { encoding: "utf8", timeout: 30_000 });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : r.error.message;
  if (r.status !== 0) {
    const last = r.stderr.trim().split("\n").pop() ?? "";
    return /No module named 'pandas'/.test(last) ? "pandas is not installed (pip install pandas)" : last;
  }
  return undefined;
}
