import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");

/** A `brickml emulator` running as its own process, so its CPU never mixes with the client's. */
export interface EmulatorProcess {
  url: string;
  token: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string | null>;
  /** Stops it with `signal` (SIGTERM: saves and exits cleanly; SIGKILL: dies on the spot). */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export interface SpawnOptions {
  /** Run the built CLI (`dist/cli/index.js`) instead of the sources through tsx. */
  dist?: boolean;
}

/** Starts `brickml emulator --port 0 …` and resolves once it prints its URL. */
export async function spawnEmulator(
  args: string[] = [],
  options: SpawnOptions = {},
): Promise<EmulatorProcess> {
  const token = `dapi-${randomBytes(12).toString("hex")}`;
  const entry = options.dist ? ["dist/cli/index.js"] : ["--import", "tsx", "src/cli/index.ts"];
  const child = spawn(process.execPath, [...entry, "emulator", "--port", "0", "--token", token, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | string | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (c) => (err += c));
    child.stdout!.on("data", (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    exited.then((code) => reject(new Error(`emulator exited (${code}) before listening: ${out}${err}`)));
  });
  child.stdout!.resume();
  return {
    url,
    token,
    child,
    exited,
    stop: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
