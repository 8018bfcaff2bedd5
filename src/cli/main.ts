import { Command, CommanderError } from "commander";
import { LoraforgeError } from "../util/errors.js";
import { COMMANDS } from "./commands.js";
import { versionLine } from "./doctor.js";

function buildProgram(): Command {
  const program = new Command("loraforge")
    .description("Fine-tune open LLMs with LoRA / QLoRA from Node: prepare data, train, merge, export")
    .option("-V, --version", "print the version, kernel path, thread count and build flags")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  program.on("option:version", () => {
    console.log(versionLine());
    process.exit(0);
  });
  for (const register of COMMANDS) register(program);
  return program;
}

/** Prints an error the user can act on; a bug gets its stack only with LORAFORGE_DEBUG=1. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  if (err instanceof LoraforgeError) {
    console.error(`error: ${err.message}`);
    if (err.hint) console.error(`hint: ${err.hint}`);
    return 1;
  }
  const e = err as Error;
  console.error(`internal error: ${e?.message ?? String(err)}`);
  if (process.env.LORAFORGE_DEBUG === "1" && e?.stack) console.error(e.stack);
  else console.error("(this is a bug in loraforge; run with LORAFORGE_DEBUG=1 for the stack trace)");
  return 70;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}
