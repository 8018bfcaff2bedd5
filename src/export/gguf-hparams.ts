import type { GgufKv } from "../gguf/index.js";
import { kv } from "../gguf/index.js";
import type { Llama3RopeScaling, ModelConfig } from "../model/index.js";

/**
 * config.json → `general.architecture` and the `{arch}.*` hyper-parameters llama.cpp's converter writes
 * (docs/formats/gguf.md, "Hyper-parameters"). Mistral and SmolLM2 convert to `llama`.
 */
export function ggufArchitecture(config: ModelConfig): "llama" | "qwen2" | "qwen3" {
  return config.modelType === "qwen2" ? "qwen2" : config.modelType === "qwen3" ? "qwen3" : "llama";
}

export function ggufHparams(config: ModelConfig): GgufKv[] {
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
