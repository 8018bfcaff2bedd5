import type { Command } from "commander";
import { TOKENIZER_ONLY, resolveModelReference } from "../hub/index.js";
import { PullBars } from "./pull-progress.js";

/** resolveModelReference with download bars and notes on stderr; `include` limits a download to those files. */
export async function resolveModelWithProgress(spec: string, include?: string[]): Promise<string> {
  const bars = new PullBars();
  try {
    return await resolveModelReference(spec, { include, progress: bars, onNote: (note) => console.error(`note: ${note}`) });
  } finally {
    bars.stop();
  }
}

/** Commands that read only part of a model: `estimate` its config, the data commands its tokenizer. */
function filesNeeded(command: Command): string[] | undefined {
  if (command.name() === "estimate") return ["config.json"];
  if (command.parent?.name() === "data") return TOKENIZER_ONLY;
  return undefined;
}

/**
 * Lets every command's --model name a Hub id (owner/name[@revision]): before the command runs, the id becomes its
 * snapshot folder in the Hugging Face cache, downloaded when missing (docs/hub.md).
 */
export function registerHubModelResolution(program: Command): void {
  program.hook("preAction", async (_program, command) => {
    const model: unknown = command.getOptionValue("model");
    if (typeof model === "string") command.setOptionValue("model", await resolveModelWithProgress(model, filesNeeded(command)));
  });
}
