import { execFile } from "node:child_process";
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
 * `python3` on PATH when it has pandas. A given interpreter must exist: it is not started here,
 * so an emulator with one starts as fast as one without.
 */
export async function choosePython(
  option: string | false | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PythonChoice> {
  if (option === false) return { python: undefined, reason: "local mode is off (python: false)" };
  const given = option ?? (env[PYTHON_ENV] || undefined);
  if (given !== undefined) {
    const source = option !== undefined ? "the python option" : PYTHON_ENV;
    const problem = missing(given);
    if (problem) throw new Error(`${source}: ${given} cannot run notebooks: ${problem}`);
    return { python: given, reason: `${given} (from ${source})` };
  }
  const problem = await probe("python3");
  return problem
    ? {
        python: undefined,
        reason: `no Python with pandas found (python3: ${problem}); notebooks follow their scripts`,
      }
    : { python: "python3", reason: "python3 on PATH has pandas" };
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

const probed = new Map<string, Promise<string | undefined>>();

/** Undefined when the interpreter has pandas, else what is wrong (asked once per process). */
function probe(python: string): Promise<string | undefined> {
  let answer = probed.get(python);
  if (!answer) {
    answer = ask(python);
    probed.set(python, answer);
  }
  return answer;
}

function ask(python: string): Promise<string | undefined> {
  // Finding pandas without importing it keeps the probe to an interpreter start; it runs while
  // the server starts listening, without blocking the event loop.
  const code = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('pandas') else 3)";
  return new Promise((resolve) => {
    execFile(python, ["-c", code], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve(undefined);
      const code = (error as { code?: unknown }).code;
      if (code === "ENOENT") return resolve("not found");
      if (code === 3) return resolve("pandas is not installed (pip install pandas)");
      resolve(String(stderr).trim().split("\n").pop() || error.message);
    });
  });
}
