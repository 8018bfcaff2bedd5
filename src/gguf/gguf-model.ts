import { dequantizeGgml } from "../quant/index.js";
import { InputError } from "../util/errors.js";
import type { GgufTensorInfo } from "./gguf-read.js";
import { GgufFile } from "./gguf-read.js";
import { ggufArchitectureOf, hfConfigFromGguf, hfGenerationConfigFromGguf } from "./hf-config.js";
import { ggufRowToHf } from "./qk-permute.js";
import type { HfTokenizerJson } from "./tokenizer-json.js";
import { hfTokenizerFromGguf } from "./tokenizer-json.js";
import type { GgufArchitecture } from "./tensor-names.js";
import { DERIVED_GGUF_TENSORS, hfTensorName, normWeightOffset } from "./tensor-names.js";

/**
 * A GGUF model seen as the Hugging Face folder it stands for: config.json, generation_config.json, the tokenizer
 * files, and float32 tensors under HF names in HF layout (q/k rows back in HF order for `llama` models, Gemma norms
 * back to the w of HF's (1 + w)). Loading a
 * .gguf and loading the folder `loraforge import` writes from it go through this one view.
 */
export class GgufModel {
  readonly file: string;
  readonly gguf: GgufFile;
  readonly arch: GgufArchitecture;
  /** config.json as transformers would write it; torch_dtype says how import stores the weights. */
  readonly config: Record<string, unknown>;
  readonly generationConfig: Record<string, unknown>;
  private readonly byHfName: Map<string, GgufTensorInfo>;
  private tokenizerCache?: HfTokenizerJson;

  private constructor(gguf: GgufFile) {
    this.file = gguf.file;
    this.gguf = gguf;
    this.arch = ggufArchitectureOf(gguf);
    this.config = hfConfigFromGguf(gguf, "bfloat16");
    this.generationConfig = hfGenerationConfigFromGguf(gguf);
    this.byHfName = new Map();
    for (const info of gguf.tensors.values()) {
      if (DERIVED_GGUF_TENSORS.has(info.name)) continue;
      const hf = hfTensorName(info.name, this.arch);
      if (!hf) throw new InputError(`tensor ${info.name} has no Hugging Face counterpart for ${this.config.model_type} models`, { file: gguf.file });
      this.byHfName.set(hf, info);
    }
  }

  static open(file: string): GgufModel {
    const gguf = GgufFile.open(file);
    try {
      return new GgufModel(gguf);
    } catch (err) {
      gguf.close();
      throw err;
    }
  }

  /** tokenizer.json + tokenizer_config.json rebuilt from `tokenizer.ggml.*` (built on first use). */
  get tokenizer(): HfTokenizerJson {
    this.tokenizerCache ??= hfTokenizerFromGguf(this.gguf.metadata);
    return this.tokenizerCache;
  }

  /** Where generation stops: generation_config.json's eos_token_id as a list. */
  get eosTokenIds(): number[] {
    const eos = this.generationConfig.eos_token_id;
    return eos === undefined ? [] : ([] as number[]).concat(eos as number | number[]);
  }

  /** HF names of the weight tensors, in file order. */
  tensorNames(): string[] {
    return [...this.byHfName.keys()];
  }

  has(hfName: string): boolean {
    return this.byHfName.has(hfName);
  }

  /** PyTorch shape (GGUF's ne reversed). */
  shape(hfName: string): number[] {
    return [...this.info(hfName).ne].reverse();
  }

  /** The stored ggml type's name (F32, Q4_1, …). */
  storedType(hfName: string): string {
    return this.info(hfName).type.name;
  }

  /** The tensor dequantized to float32, in HF layout. */
  readF32(hfName: string): Float32Array {
    const info = this.info(hfName);
    const count = info.ne.reduce((a, b) => a * b, 1);
    const values = dequantizeGgml(info.type, this.gguf.readBytes(info), count);
    const offset = normWeightOffset(hfName, this.arch);
    if (offset !== 0) return values.map((v) => v - offset);
    if (this.arch !== "llama") return values;
    // llama.cpp reorders q/k rows for its RoPE; undo it (docs/formats/gguf.md, "The q/k permutation").
    const heads = /\.self_attn\.q_proj\./.test(hfName)
      ? (this.config.num_attention_heads as number)
      : /\.self_attn\.k_proj\./.test(hfName)
        ? (this.config.num_key_value_heads as number)
        : undefined;
    return heads === undefined ? values : ggufRowToHf(values, heads, info.ne.length === 1 ? 1 : info.ne[0]);
  }

  close(): void {
    this.gguf.close();
  }

  private info(hfName: string): GgufTensorInfo {
    const info = this.byHfName.get(hfName);
    if (!info) throw new InputError(`no tensor for ${hfName}`, { file: this.file });
    return info;
  }
}
