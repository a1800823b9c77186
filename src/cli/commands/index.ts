import type { Command } from "../command.js";
import { deployCommand } from "./deploy.js";
import { emulatorCommand } from "./emulator.js";
import { endpointsStatusCommand } from "./endpoints-status.js";
import { monitorCommand } from "./monitor.js";
import { runsWaitCommand } from "./runs-wait.js";
import { typesCommand } from "./types.js";

/** Every subcommand; a new one is one file in this folder plus one line here. */
export const COMMANDS: Command[] = [
  emulatorCommand,
  deployCommand,
  runsWaitCommand,
  endpointsStatusCommand,
  monitorCommand,
  typesCommand,
];
