import type { Command } from "commander";
import { ARCH_BY_NAME, PRESET_NAMES, planInitModel, writeInitModel } from "../model/index.js";
import { ConfigError } from "../util/errors.js";

function integer(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new ConfigError(`${flag} ${value}: expected a non-negative integer`);
    return Number(value);
  };
}

function positiveNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0 && Number.isFinite(n))) throw new ConfigError(`${flag} ${value}: expected a positive number`);
    return n;
  };
}

interface InitModelFlags {
  preset: string;
  out: string;
  arch?: string;
  tokenizer?: string;
  vocabSize?: number;
  seed: number;
  tieWordEmbeddings?: boolean;
  finalNormWeight?: number;
  overwrite?: boolean;
}

export function registerInitModel(program: Command): void {
  program
    .command("init-model")
    .description("write a random-initialized Hugging Face model folder with a preset's real shapes (fixtures, no download)")
    .requiredOption("--preset <name>", `model shapes: ${PRESET_NAMES.join(", ")}`)
    .requiredOption("--out <dir>", "folder to create")
    .option("--arch <arch>", `architecture with the preset's shapes: ${Object.keys(ARCH_BY_NAME).join(", ")}`)
    .option("--tokenizer <dir>", "copy this folder's tokenizer files; the vocabulary and special tokens become the tokenizer's")
    .option("--vocab-size <n>", "embedding rows (small values make micro models for fast tests)", integer("--vocab-size"))
    .option("--seed <n>", "random seed", integer("--seed"), 0)
    .option("--tie-word-embeddings", "one matrix for embed_tokens and lm_head (tie_word_embeddings: true)")
    .option("--final-norm-weight <w>", "value of the final norm's weight (default 1): larger lets a frozen random lm_head give confident logits", positiveNumber("--final-norm-weight"))
    .option("--overwrite", "replace a non-empty --out")
    .action((opts: InitModelFlags) => {
      const plan = planInitModel(opts);
      const started = Date.now();
      const files = writeInitModel(opts.out, plan, { overwrite: opts.overwrite });
      const c = plan.config;
      console.log(
        `${opts.out}: ${c.architecture} (${opts.preset}), ${c.numLayers} layers, hidden ${c.hiddenSize}, vocab ${c.vocabSize}` +
          `${c.tieWordEmbeddings ? " (tied embeddings)" : ""}, ` +
          `bf16, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      console.log(`files: ${files.join(", ")}`);
      if (!plan.tokenizer) {
        console.log("no tokenizer files written (pass --tokenizer DIR to copy one); eos ids: " + (c.eosTokenIds.join(", ") || "none"));
      } else {
        console.log(`tokenizer from ${opts.tokenizer}; generation stops on ids ${plan.generationEosIds.join(", ")}`);
      }
    });
}
