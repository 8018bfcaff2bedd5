import { InputError } from "../util/errors.js";
import type { GgufFile } from "./gguf-read.js";

/*
 * What llama.cpp's `gemma3` reads beyond the common hyper-parameters (src/models/gemma3.cpp; docs/formats/gguf.md,
 * "Gemma 3"): the window, the period of the sliding/full layer pattern, the rope base of the sliding layers, and an
 * attention scale it derives from the shapes rather than reading query_pre_attn_scalar.
 */

/** llama.cpp's period when `gemma3.attention.sliding_window_pattern` is absent (5 sliding layers, then 1 full). */
export const GEMMA3_DEFAULT_SWA_PERIOD = 6;
/** llama.cpp's rope base of the sliding layers when `gemma3.rope.freq_base_swa` is absent. */
export const GEMMA3_DEFAULT_SWA_ROPE_BASE = 10000;

/** The sliding layers of llama.cpp's period n: layer i slides iff n == 0 or i mod n < n − 1 (transformers' pattern rule). */
export function slidingLayersOfPeriod(period: number, numLayers: number): number[] {
  return Array.from({ length: numLayers }, (_, i) => i).filter((i) => period === 0 || i % period < period - 1);
}

/**
 * The period that gives exactly these sliding layers (0 = all of them), or undefined when no period does (such a
 * model cannot be written as a gemma3 GGUF) or when none slides (no window is written then).
 */
export function swaPeriodOf(sliding: readonly number[], numLayers: number): number | undefined {
  if (sliding.length === 0) return undefined;
  const set = new Set(sliding);
  let firstFull = 0;
  while (firstFull < numLayers && set.has(firstFull)) firstFull++;
  const period = firstFull === numLayers ? 0 : firstFull + 1;
  const expected = slidingLayersOfPeriod(period, numLayers);
  return expected.length === set.size && expected.every((i) => set.has(i)) ? period : undefined;
}

/**
 * The query_pre_attn_scalar llama.cpp's attention scale stands for: it scales q by 1/√head_dim, except for the
 * 62-layer model (Gemma 3 27B), where it uses 1/√(hidden / heads) (integer division).
 */
export function llamaCppQueryPreAttnScalar(numLayers: number, hidden: number, heads: number, headDim: number): number {
  return numLayers === 62 ? Math.floor(hidden / heads) : headDim;
}

/** The Gemma3TextConfig fields a gemma3 GGUF's keys stand for (transformers 5 spelling: layer_types, rope_parameters). */
export function gemma3ConfigFields(gguf: GgufFile, shape: { numLayers: number; hidden: number; heads: number; headDim: number; ropeTheta: number }): Record<string, unknown> {
  const md = gguf.metadata;
  const window = md.optU32("gemma3.attention.sliding_window") ?? 0;
  const sliding = window > 0 ? slidingLayersOf(gguf, shape.numLayers) : [];
  const softcap = md.optNumber("gemma3.final_logit_softcapping") ?? 0;
  // Ollama's converter spells the local base rope.local.freq_base.
  const localKey = ["gemma3.rope.freq_base_swa", "gemma3.rope.local.freq_base"].find((k) => md.has(k));
  const localTheta = localKey ? md.number(localKey) : GEMMA3_DEFAULT_SWA_ROPE_BASE;
  if (!(localTheta > 0)) throw new InputError(`${localTheta} is not a positive rope base`, { file: gguf.file, field: localKey });
  return {
    hidden_activation: "gelu_pytorch_tanh",
    query_pre_attn_scalar: llamaCppQueryPreAttnScalar(shape.numLayers, shape.hidden, shape.heads, shape.headDim),
    // Never null: transformers' Gemma3TextModel builds a sliding mask even when every layer is full (4096 is its default).
    sliding_window: window > 0 ? window : 4096,
    layer_types: Array.from({ length: shape.numLayers }, (_, i) => (sliding.includes(i) ? "sliding_attention" : "full_attention")),
    rope_parameters: {
      full_attention: { rope_type: "default", rope_theta: shape.ropeTheta },
      sliding_attention: { rope_type: "default", rope_theta: localTheta },
    },
    final_logit_softcapping: softcap === 0 ? null : softcap,
    attn_logit_softcapping: null,
    use_bidirectional_attention: false,
    attention_bias: false,
  };
}

/**
 * The sliding layers a gemma3 GGUF declares: llama.cpp's u32 period (default 6), or the per-layer list of bools
 * (true = sliding) that Ollama's converter writes under the same key.
 */
function slidingLayersOf(gguf: GgufFile, numLayers: number): number[] {
  const key = "gemma3.attention.sliding_window_pattern";
  const raw = gguf.metadata.raw(key);
  if (!Array.isArray(raw)) return slidingLayersOfPeriod(gguf.metadata.optU32(key) ?? GEMMA3_DEFAULT_SWA_PERIOD, numLayers);
  if (raw.length !== numLayers || !raw.every((v) => typeof v === "boolean")) {
    throw new InputError(`expected a period or one bool per layer (${numLayers}), found an array of ${raw.length}`, { file: gguf.file, field: key });
  }
  return raw.flatMap((isSliding, i) => (isSliding ? [i] : []));
}
