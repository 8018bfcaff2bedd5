import type { Command } from "commander";
import type { MergeDtype } from "../export/index.js";
import { MERGE_DTYPES, mergeToFolder } from "../export/index.js";
import { parseByteSize } from "../quant/index.js";
import { ConfigError } from "../util/errors.js";

interface MergeFlags {
  model: string;
  adapter: string;
  out: string;
  dtype: string;
  run?: string;
  mergeInto: string;
  ignoreBaseName?: boolean;
  maxShardSize?: string;
  overwrite?: boolean;
}

export function registerMerge(program: Command): void {
  program
    .command("merge")
    .description("merge a LoRA adapter into its base and write a standalone Hugging Face model folder")
    .requiredOption("--model <model>", "base model: a Hugging Face folder, a .gguf file, or ollama:NAME[:TAG]")
    .requiredOption("--adapter <dir>", "PEFT LoRA adapter folder")
    .requiredOption("--out <dir>", "folder to write")
    .option("--dtype <dtype>", `storage dtype of the merged weights: ${MERGE_DTYPES.join(", ")}`, "bf16")
    .option("--run <dir>", "the adapter's training run folder (run.json says whether it trained on a 4-bit base; default: the adapter's parent)")
    .option("--merge-into <base>", "for a QLoRA adapter: 'trained' (dequantized 4-bit base, default) or 'full' (the 16-bit base)", "trained")
    .option("--ignore-base-name", "accept an adapter whose base_model_name_or_path names another model (shapes are still checked)")
    .option("--max-shard-size <size>", "shard the safetensors above this size (e.g. 2GB; default 5GB)")
    .option("--overwrite", "replace an existing --out")
    .action((opts: MergeFlags) => {
      if (!(MERGE_DTYPES as readonly string[]).includes(opts.dtype)) throw new ConfigError(`--dtype ${opts.dtype}: expected one of ${MERGE_DTYPES.join(", ")}`);
      if (opts.mergeInto !== "trained" && opts.mergeInto !== "full") throw new ConfigError(`--merge-into ${opts.mergeInto}: expected trained or full`);
      const maxShardBytes = opts.maxShardSize === undefined ? undefined : parseByteSize(opts.maxShardSize);
      if (maxShardBytes === undefined && opts.maxShardSize !== undefined) throw new ConfigError(`--max-shard-size ${opts.maxShardSize}: expected a size such as 2GB or 500MB`);
      const r = mergeToFolder({
        model: opts.model,
        adapter: opts.adapter,
        adapterOptions: { run: opts.run, into: opts.mergeInto, ignoreBaseName: opts.ignoreBaseName },
        out: opts.out,
        dtype: opts.dtype as MergeDtype,
        maxShardBytes,
        overwrite: opts.overwrite,
      });
      const a = r.adapter;
      console.log(`merged ${opts.adapter} into ${opts.model}: ${a.weights.size} modules, s = ${a.scale}, stored as ${r.dtype}, ${r.seconds.toFixed(1)} s`);
      if (r.qloraDifference) {
        console.log(
          `QLoRA adapter (${a.quantizationSource}): merged into dequant(${a.quantization}) base it was trained on; ` +
            `vs merging into the 16-bit base: ‖ΔW‖/‖W‖ = ${r.qloraDifference.relativeFrobenius.toExponential(3)}, max |ΔW| = ${r.qloraDifference.maxAbs.toExponential(3)} (--merge-into full for the other)`,
        );
      } else if (a.trainedOn) {
        console.log(`merged into the 16-bit base although ${a.quantizationSource} says the adapter was trained on a ${a.trainedOn} base (--merge-into full)`);
      }
      console.log(`${r.out}: ${r.files.join(", ")}`);
    });
}
