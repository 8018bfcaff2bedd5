import type { Command } from "commander";
import { resolveModelReference } from "../hub/index.js";
import { PullBars } from "./pull-progress.js";

/** resolveModelReference with download bars and notes on stderr. */
export async function resolveModelWithProgress(spec: string): Promise<string> {
  const bars = new PullBars();
  try {
    return await resolveModelReference(spec, { progress: bars, onNote: (note) => console.error(`note: ${note}`) });
  } finally {
    bars.stop();
  }
}

/**
 * Lets every command's --model name a Hub id (owner/name[@revision]): before the command runs, the id becomes its
 * snapshot folder in the Hugging Face cache, downloaded when missing (docs/hub.md).
 */
export function registerHubModelResolution(program: Command): void {
  program.hook("preAction", async (_program, command) => {
    const model: unknown = command.getOptionValue("model");
    if (typeof model === "string") command.setOptionValue("model", await resolveModelWithProgress(model));
  });
}
