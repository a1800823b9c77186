import { closest } from "../core/suggest.js";
import { VERSION } from "../version.js";
import { exitCodeOf, messageOf } from "./client.js";
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

/** The command whose name (one or more words, e.g. `runs wait`) starts `args`; the longest wins. */
function findCommand(commands: Command[], args: string[]): Command | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    const words = c.name.split(" ");
    if (words.every((w, i) => args[i] === w) && words.length > (best?.name.split(" ").length ?? 0)) best = c;
  }
  return best;
}

/** A command whose name is a likely typo of what was typed (compared word for word). */
function suggest(commands: Command[], words: string[]): string | undefined {
  return commands.find((c) => closest(words.slice(0, c.name.split(" ").length).join(" "), [c.name]))?.name;
}

/** Runs the command line `args` (without node and script); resolves with the exit code. */
export async function main(args: string[], io: CliIO, commands: Command[]): Promise<number> {
  const [name] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(overview(commands));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = findCommand(commands, args);
  if (!command) {
    const words = args.filter((a) => !a.startsWith("-"));
    const typed = words.slice(0, 2).join(" ");
    const suggestion = suggest(commands, words);
    const hint = suggestion ? ` Did you mean \`brickml ${suggestion}\`?` : "";
    io.stderr.write(`brickml: unknown command "${typed}".${hint}\n\n${overview(commands)}`);
    return 2;
  }
  try {
    return await command.run(args.slice(command.name.split(" ").length), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(
        `brickml ${command.name}: ${e.message}\nRun \`brickml ${command.name} --help\` for usage.\n`,
      );
      return 2;
    }
    io.stderr.write(`brickml ${command.name}: ${messageOf(e, io)}\n`);
    return exitCodeOf(e);
  }
}
