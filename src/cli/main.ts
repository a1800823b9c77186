import { VERSION } from "../version.js";
import { type CliIO, type Command, UsageError } from "./command.js";

function overview(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: brickml <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `brickml <command> --help` for the options of a command.",
    "",
  ].join("\n");
}

/** Runs the command line `args` (without node and script); resolves with the exit code. */
export async function main(args: string[], io: CliIO, commands: Command[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(overview(commands));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`brickml: unknown command "${name}"\n\n${overview(commands)}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(
        `brickml ${command.name}: ${e.message}\nRun \`brickml ${command.name} --help\` for usage.\n`,
      );
      return 2;
    }
    io.stderr.write(`brickml ${command.name}: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
