import type { Command } from "../command.js";
import { emulatorCommand } from "./emulator.js";

/** Every subcommand; a new one is one file in this folder plus one line here. */
export const COMMANDS: Command[] = [emulatorCommand];
