import { InputError } from "../util/errors.js";
import { gemma3ConfigFields } from "./gemma3.js";
import type { GgufFile } from "./gguf-read.js";
import type { GgufArchitecture } from "./tensor-names.js";

/** GGUF `general.architecture` → the HF class and model_type loraforge builds for it (Mistral converts to llama). */
export const GGUF_ARCHITECTURES: Record<GgufArchitecture, { architecture: string; modelType: string }> = {
  llama: { architecture: "LlamaForCausalLM", modelType: "llama" },
  qwen2: { architecture: "Qwen2ForCausalLM", modelType: "qwen2" },
  qwen3: { architecture: "Qwen3ForCausalLM", modelType: "qwen3" },
  gemma3: { architecture: "Gemma3ForCausalLM", modelType: "gemma3_text" },
};

/** `general.architecture`, refused by name unless loraforge reads it. */
export function ggufArchitectureOf(gguf: GgufFile): GgufArchitecture {
  const arch = gguf.metadata.string("general.architecture");
  if (!Object.hasOwn(GGUF_ARCHITECTURES, arch)) {
    throw new InputError(`architecture "${arch}" is not supported (loraforge reads ${Object.keys(GGUF_ARCHITECTURES).join(", ")})`, {
      file: gguf.file,
      field: "general.architecture",
    });
  }
  return arch as GgufArchitecture;
}

/** HF's llama3 rope defaults (also what llama.cpp's converter assumes when a key is missing). */
const LLAMA3_DEFAULTS = { lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };

/**
 * The config.json a GGUF's `{arch}.*` keys stand for (docs/formats/gguf.md, "Hyper-parameters"), as transformers
 * would write it for the same model. Tensor presence decides what keys cannot: tied embeddings (no output.weight)
 * and attention / MLP biases.
 */
export function hfConfigFromGguf(gguf: GgufFile, storageDtype: "bfloat16" | "float32"): Record<string, unknown> {
  const md = gguf.metadata;
  const arch = ggufArchitectureOf(gguf);
  const target = GGUF_ARCHITECTURES[arch];
  const key = (name: string) => `${arch}.${name}`;
  // Sizes that shape tensors must be positive; a zero would become a division by zero downstream.
  const positive = (name: string, value: number) => {
    if (!(Number.isInteger(value) && value > 0)) throw new InputError(`${value} is not a positive integer`, { file: gguf.file, field: key(name) });
    return value;
  };
  const hidden = positive("embedding_length", md.u32(key("embedding_length")));
  const heads = positive("attention.head_count", md.u32(key("attention.head_count")));
  const kvHeads = positive("attention.head_count_kv", md.optU32(key("attention.head_count_kv")) ?? heads);
  if (heads % kvHeads !== 0) throw new InputError(`${kvHeads} KV heads do not divide ${heads} heads`, { file: gguf.file, field: key("attention.head_count_kv") });
  const headDim = positive("attention.key_length", md.optU32(key("attention.key_length")) ?? hidden / heads);
  const ropeDims = md.optU32(key("rope.dimension_count"));
  if (ropeDims !== undefined && ropeDims !== headDim) {
    throw new InputError(`RoPE over ${ropeDims} of ${headDim} head dimensions (partial rotary) is not supported`, { file: gguf.file, field: key("rope.dimension_count") });
  }
  const embed = gguf.tensor("token_embd.weight");
  const vocabSize = embed.ne[1];
  const has = (name: string) => gguf.tensors.has(name);
  const config: Record<string, unknown> = {
    architectures: [target.architecture],
    model_type: target.modelType,
    hidden_act: "silu",
    hidden_size: hidden,
    intermediate_size: positive("feed_forward_length", md.u32(key("feed_forward_length"))),
    num_hidden_layers: positive("block_count", md.u32(key("block_count"))),
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    rms_norm_eps: md.number(key("attention.layer_norm_rms_epsilon")),
    rope_theta: md.optNumber(key("rope.freq_base")) ?? 10000,
    max_position_embeddings: md.u32(key("context_length")),
    vocab_size: vocabSize,
    tie_word_embeddings: !has("output.weight"),
    torch_dtype: storageDtype,
  };
  if (target.modelType === "llama") {
    config.attention_bias = has("blk.0.attn_q.bias");
    config.mlp_bias = has("blk.0.ffn_up.bias");
  }
  const ropeScaling = ropeScalingFromGguf(gguf, arch, headDim, config.rope_theta as number);
  if (ropeScaling) config.rope_scaling = ropeScaling;
  if (arch === "gemma3") {
    // Gemma3TextConfig spells the activation hidden_activation and the rope bases rope_parameters (transformers 5).
    const shape = { numLayers: config.num_hidden_layers as number, hidden, heads, headDim, ropeTheta: config.rope_theta as number };
    delete config.hidden_act;
    delete config.rope_theta;
    Object.assign(config, gemma3ConfigFields(gguf, shape));
  }
  const bos = md.optU32("tokenizer.ggml.bos_token_id");
  const eos = md.optU32("tokenizer.ggml.eos_token_id");
  const pad = md.optU32("tokenizer.ggml.padding_token_id");
  if (bos !== undefined) config.bos_token_id = bos;
  if (eos !== undefined) config.eos_token_id = eos;
  if (pad !== undefined) config.pad_token_id = pad;
  return config;
}

/** generation_config.json: the stop ids llama.cpp uses (EOS, and EOT when it differs). */
export function hfGenerationConfigFromGguf(gguf: GgufFile): Record<string, unknown> {
  const md = gguf.metadata;
  const ids = ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"].map((k) => md.optU32(k)).filter((id): id is number => id !== undefined);
  const eos = [...new Set(ids)];
  const out: Record<string, unknown> = {};
  const bos = md.optU32("tokenizer.ggml.bos_token_id");
  if (bos !== undefined) out.bos_token_id = bos;
  if (eos.length > 0) out.eos_token_id = eos.length === 1 ? eos[0] : eos;
  return out;
}

function ropeScalingFromGguf(gguf: GgufFile, arch: string, headDim: number, theta: number): Record<string, unknown> | undefined {
  const type = gguf.metadata.optString(`${arch}.rope.scaling.type`);
  if (type !== undefined && type !== "none") {
    throw new InputError(`rope scaling "${type}" is not supported (loraforge runs plain RoPE and llama3 scaling)`, {
      file: gguf.file,
      field: `${arch}.rope.scaling.type`,
    });
  }
  if (!gguf.tensors.has("rope_freqs.weight")) return undefined;
  const info = gguf.tensor("rope_freqs.weight");
  if (info.type.name !== "F32" || info.ne.length !== 1 || info.ne[0] !== headDim / 2) {
    throw new InputError(`rope_freqs.weight must be F32 of ${headDim / 2} values`, { file: gguf.file });
  }
  const bytes = gguf.readBytes(info);
  const divisors = new Float32Array(bytes.buffer, bytes.byteOffset, info.ne[0]);
  return llama3ScalingFromDivisors(divisors, headDim, theta, gguf.file);
}

/**
 * llama.cpp stores Llama 3.x rope scaling as per-frequency divisors (rope_freqs.weight) instead of the four HF
 * parameters. The factor is the largest divisor; the other three are HF's defaults, accepted only when they
 * reproduce every stored divisor.
 */
function llama3ScalingFromDivisors(divisors: Float32Array, headDim: number, theta: number, file: string): Record<string, unknown> {
  const factor = Math.max(...divisors);
  const { lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: orig } = LLAMA3_DEFAULTS;
  for (let i = 0; i < divisors.length; i++) {
    const freq = 1 / theta ** ((2 * i) / headDim);
    const wavelen = (2 * Math.PI) / freq;
    let expected: number;
    if (wavelen < orig / high) expected = 1;
    else if (wavelen > orig / low) expected = factor;
    else {
      const smooth = (orig / wavelen - low) / (high - low);
      expected = 1 / ((1 - smooth) / factor + smooth);
    }
    if (Math.abs(divisors[i] - expected) > 1e-3 * expected) {
      throw new InputError(
        `rope_freqs.weight[${i}] = ${divisors[i]} is not llama3 rope scaling with factor ${factor} and the default low/high frequency factors (expected ${expected})`,
        { file },
      );
    }
  }
  return {
    rope_type: "llama3",
    factor,
    low_freq_factor: low,
    high_freq_factor: high,
    original_max_position_embeddings: orig,
  };
}
