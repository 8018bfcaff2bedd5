import type { Command } from "commander";
import { pullModel } from "../hub/index.js";
import { parseHubId } from "../formats/index.js";
import { ConfigError } from "../util/errors.js";
import { PullBars } from "./pull-progress.js";

interface PullFlags {
  revision?: string;
  include?: string[];
  ggufFile?: string;
}

export function registerPull(program: Command): void {
  program
    .command("pull <id>")
    .description("download a model from the Hugging Face Hub into its cache (shared with Python); prints the snapshot folder")
    .option("--revision <rev>", "branch, tag or commit (default main; or write ID@REV)")
    .option("--include <glob...>", "only the files matching these globs (fnmatch, as huggingface-cli download --include)")
    .option("--gguf-file <file>", "this one GGUF file of the repo instead of a safetensors checkpoint")
    .action(async (id: string, flags: PullFlags) => {
      const ref = parseHubId(id);
      if (!ref) throw new ConfigError(`${id} is not a Hub id`, { hint: "write owner/name, e.g. HuggingFaceTB/SmolLM2-135M-Instruct (optionally @revision)" });
      const bars = new PullBars();
      try {
        const result = await pullModel(ref.repo, { revision: flags.revision ?? ref.revision, include: flags.include, ggufFile: flags.ggufFile, progress: bars });
        bars.stop();
        console.error(`${ref.repo}@${result.commit.slice(0, 10)}: ${result.files.length} files`);
        console.log(result.snapshot);
      } finally {
        bars.stop();
      }
    });
}
