import type { GgufArchitecture, GgufKv } from "../gguf/index.js";
import { kv, llamaCppQueryPreAttnScalar, swaPeriodOf } from "../gguf/index.js";
import type { Llama3RopeScaling, ModelConfig } from "../model/index.js";
import { InputError } from "../util/errors.js";

/**
 * config.json → `general.architecture` and the `{arch}.*` hyper-parameters llama.cpp's converter writes
 * (docs/formats/gguf.md, "Hyper-parameters"). Mistral and SmolLM2 convert to `llama`.
 */
export function ggufArchitecture(config: ModelConfig): GgufArchitecture {
  if (config.modelType === "gemma3_text") return "gemma3";
  return config.modelType === "qwen2" ? "qwen2" : config.modelType === "qwen3" ? "qwen3" : "llama";
}

/** `source` (the model's folder or file) is named in refusals. */
export function ggufHparams(config: ModelConfig, source: string): GgufKv[] {
  const arch = ggufArchitecture(config);
  const k = (name: string) => `${arch}.${name}`;
  const out: GgufKv[] = [
    kv.u32(k("context_length"), config.maxPositionEmbeddings),
    kv.u32(k("embedding_length"), config.hiddenSize),
    kv.u32(k("block_count"), config.numLayers),
    kv.u32(k("feed_forward_length"), config.intermediateSize),
    kv.u32(k("attention.head_count"), config.numHeads),
    kv.u32(k("attention.head_count_kv"), config.numKvHeads),
    kv.f32(k("attention.layer_norm_rms_epsilon"), config.rmsNormEps),
    kv.f32(k("rope.freq_base"), config.ropeTheta),
    // Always written: llama.cpp would otherwise derive them as hidden / heads, wrong for Qwen3-like shapes.
    kv.u32(k("attention.key_length"), config.headDim),
    kv.u32(k("attention.value_length"), config.headDim),
  ];
  if (arch === "llama") out.push(kv.u32(k("rope.dimension_count"), config.headDim), kv.u32(k("vocab_size"), config.vocabSize));
  if (arch === "gemma3") out.push(...gemma3Hparams(config, source));
  return out;
}

/**
 * Gemma 3's window, layer pattern and local rope base (docs/formats/gguf.md, "Gemma 3"). llama.cpp derives the
 * attention scale from the shapes and the layer pattern from one period, so a config it would compute differently
 * is refused by field rather than written to run wrong.
 */
function gemma3Hparams(config: ModelConfig, source: string): GgufKv[] {
  const expected = llamaCppQueryPreAttnScalar(config.numLayers, config.hiddenSize, config.numHeads, config.headDim);
  const scalar = config.queryPreAttnScalar ?? config.headDim;
  if (scalar !== expected) {
    throw new InputError(`${scalar} cannot be written to a gemma3 GGUF: llama.cpp scales attention by 1/√${expected} for this shape`, { file: source, field: "query_pre_attn_scalar" }, {
      hint: `llama.cpp uses head_dim (or hidden_size / num_attention_heads for 62 layers); set query_pre_attn_scalar to ${expected}`,
    });
  }
  // The local rope base under llama.cpp's key and Ollama's own engine's spelling (each reads only its own).
  const localTheta = config.ropeLocalTheta ?? config.ropeTheta;
  const out: GgufKv[] = [kv.f32("gemma3.rope.freq_base_swa", localTheta), kv.f32("gemma3.rope.local.freq_base", localTheta)];
  const window = config.slidingWindow;
  if (!window) return out;
  const period = swaPeriodOf(window.layers, config.numLayers);
  if (period === undefined) {
    throw new InputError(`sliding layers ${window.layers.join(", ")} of ${config.numLayers} are not a repeating pattern llama.cpp can read`, { file: source, field: "layer_types" }, {
      hint: "llama.cpp's gemma3 takes one period n: layer i slides unless i mod n = n − 1 (Gemma 3: n = 6)",
    });
  }
  out.push(kv.u32("gemma3.attention.sliding_window", window.size), kv.u32("gemma3.attention.sliding_window_pattern", period));
  return out;
}

/**
 * Llama 3.x rope scaling as llama.cpp stores it: `rope_freqs.weight`, one divisor per frequency (1 for high
 * frequencies, `factor` for low ones, a smooth blend between), computed in float64 and stored as f32.
 */
export function ropeFreqDivisors(headDim: number, theta: number, s: Llama3RopeScaling): Float32Array {
  const out = new Float32Array(headDim / 2);
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  for (let i = 0; i < out.length; i++) {
    const freq = 1 / theta ** ((2 * i) / headDim);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = s.factor;
    else {
      const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}
