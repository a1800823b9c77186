import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder holding the Python runtime (`brickml_local`, `mlflow_shim`): next to this file in the
 * source tree, `dist/brickml-python` once built (the build copies it there).
 */
export function pythonRuntimeDir(): string {
  const here = dirname(typeof __filename === "string" ? __filename : fileURLToPath(import.meta.url));
  const candidates: string[] = [join(here, "python")];
  for (let dir = here, i = 0; i < 4; i++, dir = dirname(dir)) candidates.push(join(dir, "brickml-python"));
  const found = candidates.find((d) => existsSync(join(d, "brickml_local", "__init__.py")));
  if (!found)
    throw new Error(`The emulator's Python runtime is missing (looked in ${candidates.join(", ")})`);
  return found;
}

/** The environment a Python process gets: the emulator's URL and token, nothing else secret. */
export function pythonEnv(url: string, token: string, home: string, extra: Record<string, string> = {}) {
  const env: Record<string, string> = {
    DATABRICKS_HOST: url,
    DATABRICKS_TOKEN: token,
    HOME: home,
    PYTHONPATH: pythonRuntimeDir(),
    PYTHONUNBUFFERED: "1",
    PYTHONDONTWRITEBYTECODE: "1",
    ...extra,
  };
  // Where programs and locale live is not secret, and a notebook's subprocesses need it.
  for (const key of ["PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR"]) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }
  return env;
}
