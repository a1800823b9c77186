import { tmpdir } from "node:os";
import { PassThrough } from "node:stream";
import { COMMANDS } from "../src/cli/commands/index.js";
import { main } from "../src/cli/main.js";
import type { Emulator } from "../src/emulator/index.js";

/** Runs `brickml <args>` in this process against the emulator; returns the exit code and output. */
export function cli(emu: Emulator, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return cliWithEnv({ DATABRICKS_HOST: emu.url, DATABRICKS_TOKEN: emu.token }, args);
}

/** Runs `brickml <args>` in this process with these DATABRICKS_* variables (HOME: an empty folder). */
export async function cliWithEnv(
  vars: Record<string, string>,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => {
    out += d;
  });
  stderr.on("data", (d) => {
    err += d;
  });
  const env = { ...vars, HOME: tmpdir() };
  const code = await main(args, { stdout, stderr, env }, COMMANDS);
  return { code, out, err };
}
