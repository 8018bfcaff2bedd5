import type { Command } from "commander";
import { importGguf, locateModel } from "../gguf/index.js";
import { ConfigError } from "../util/errors.js";

interface ImportFlags {
  out: string;
  dtype: string;
  overwrite?: boolean;
}

export function registerImport(program: Command): void {
  program
    .command("import")
    .description("write the Hugging Face model folder a GGUF (a .gguf file or ollama:NAME) stands for: config, tokenizer with chat template, safetensors")
    .argument("<model>", "a .gguf file, or an Ollama model as ollama:NAME[:TAG]")
    .requiredOption("--out <dir>", "folder to create")
    .option("--dtype <dtype>", "storage of the dequantized 2-D weights: bf16 (rounded once) or f32 (exact)", "bf16")
    .option("--overwrite", "replace a non-empty --out")
    .action((model: string, opts: ImportFlags) => {
      if (opts.dtype !== "bf16" && opts.dtype !== "f32") throw new ConfigError(`--dtype ${opts.dtype}: expected bf16 or f32`);
      const location = locateModel(model);
      if (location.kind !== "gguf") throw new ConfigError(`${model} is already a model folder; import reads a .gguf file or ollama:NAME`);
      const started = Date.now();
      const result = importGguf(location.file, opts.out, { dtype: opts.dtype, overwrite: opts.overwrite });
      const c = result.config;
      const stored = Object.entries(result.storedTypes).map(([t, n]) => `${n} ${t}`).join(", ");
      console.log(
        `imported ${c.architectures as string[]} (${c.num_hidden_layers} layers, hidden ${c.hidden_size}, vocab ${c.vocab_size}) from ${location.file} into ${opts.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      console.log(`tensors dequantized from ${stored}; stored as ${opts.dtype} (norms and biases f32)`);
      console.log(`files: ${result.files.join(", ")}`);
    });
}
