import { spawnSync } from "node:child_process";

/** Which Python runs notebooks and serves models, and why (shown in the emulator's banner). */
export interface PythonChoice {
  /** The interpreter, exactly as given (a venv's `bin/python` symlink is not resolved); undefined: local mode off. */
  python: string | undefined;
  reason: string;
}

export const PYTHON_ENV = "BRICKML_EMULATOR_PYTHON";

/**
 * `false` turns local mode off; a path is used as given; otherwise `BRICKML_EMULATOR_PYTHON`, then
 * `python3` on PATH when it imports pandas. A given interpreter must run and import pandas.
 */
export function choosePython(
  option: string | false | undefined,
  env: NodeJS.ProcessEnv = process.env,
): PythonChoice {
  if (option === false) return { python: undefined, reason: "local mode is off (python: false)" };
  const given = option ?? (env[PYTHON_ENV] || undefined);
  if (given !== undefined) {
    const source = option !== undefined ? "the python option" : PYTHON_ENV;
    const problem = probe(given);
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

/** Undefined when the interpreter starts and imports pandas, else what went wrong. */
function probe(python: string): string | undefined {
  const r = spawnSync(python, ["-c", "import pandas"], { encoding: "utf8", timeout: 30_000 });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : r.error.message;
  if (r.status !== 0) {
    const last = r.stderr.trim().split("\n").pop() ?? "";
    return /No module named 'pandas'/.test(last) ? "pandas is not installed (pip install pandas)" : last;
  }
  return undefined;
}
