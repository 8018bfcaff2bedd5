import type { Command } from "commander";
import { registerDoctor } from "./doctor.js";

/** Every CLI command, one register function per file. */
export const COMMANDS: Array<(program: Command) => void> = [registerDoctor];
