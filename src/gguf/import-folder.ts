import fs from "node:fs";
import path from "node:path";
import type { TensorSource } from "../formats/index.js";
import { stringifySorted, writeCheckpoint } from "../formats/index.js";
import { Tensor } from "../tensor/index.js";
import { writeDirAtomic } from "../util/atomic-write.js";
import { ConfigError } from "../util/errors.js";
import { GgufModel } from "./gguf-model.js";

export interface ImportOptions {
  /** How 2-D weights are stored: bf16 (half the size; the dequantized values rounded once) or f32 (exact). */
  dtype?: "bf16" | "f32";
  overwrite?: boolean;
}

export interface ImportResult {
  files: string[];
  config: Record<string, unknown>;
  /** ggml type → number of tensors that had it in the GGUF. */
  storedTypes: Record<string, number>;
}

/**
 * Writes the Hugging Face folder a GGUF stands for — config.json, generation_config.json, tokenizer.json,
 * tokenizer_config.json (chat template, special tokens) and safetensors — streamed tensor by tensor. Norms and
 * biases stay f32 (as loraforge holds them), so loading the folder gives exactly the weights loading the .gguf
 * with the same dtype gives. The folder appears whole or not at all.
 */
export function importGguf(file: string, out: string, options: ImportOptions = {}): ImportResult {
  const dtype = options.dtype ?? "bf16";
  const exists = fs.existsSync(out);
  if (exists && !fs.statSync(out).isDirectory()) throw new ConfigError(`--out ${out} is a file, not a folder`);
  if (exists && fs.readdirSync(out).length > 0 && !options.overwrite) {
    throw new ConfigError(`--out ${out} is not empty`, { hint: "pass --overwrite to replace it, or choose another folder" });
  }
  const model = GgufModel.open(file);
  try {
    const config = { ...model.config, torch_dtype: dtype === "bf16" ? "bfloat16" : "float32" };
    const storedTypes: Record<string, number> = {};
    const sources: TensorSource[] = model.tensorNames().map((name) => {
      const shape = model.shape(name);
      const type = model.storedType(name);
      storedTypes[type] = (storedTypes[type] ?? 0) + 1;
      const as = shape.length === 1 ? "f32" : dtype;
      return { name, dtype: as, shape, load: () => new Tensor("f32", shape, model.readF32(name)).to(as) };
    });
    const files = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"];
    writeDirAtomic(
      out,
      (dir) => {
        const write = (name: string, value: unknown) => fs.writeFileSync(path.join(dir, name), stringifySorted(value));
        write("config.json", config);
        write("generation_config.json", model.generationConfig);
        write("tokenizer.json", model.tokenizer.tokenizerJson);
        write("tokenizer_config.json", model.tokenizer.tokenizerConfig);
        files.push(...writeCheckpoint(dir, sources));
      },
      { replace: exists },
    );
    return { files, config, storedTypes };
  } finally {
    model.close();
  }
}
