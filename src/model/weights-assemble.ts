import type { Quant4Tensor } from "../quant/index.js";
import type { Tensor } from "../tensor/index.js";
import type { HiddenAct } from "./config.js";
import type { DecoderLayerWeights } from "./decoder-layer.js";
import { frozenLinear } from "./linear-layer.js";
import type { DecoderWeights } from "./model.js";
import type { LayerWeightKey } from "./weight-schema.js";

/** The projections of a decoder layer: the weights QLoRA quantizes and LoRA adapts. */
export const LINEAR_KEYS: ReadonlySet<LayerWeightKey> = new Set<LayerWeightKey>(["q", "k", "v", "o", "gate", "up", "down"]);
/** The RMSNorm weights: what Gemma stores as w for a multiplier of 1 + w. */
const NORM_KEYS: ReadonlySet<LayerWeightKey | keyof GlobalTensors> = new Set(["inputNorm", "postNorm", "preFfnNorm", "postFfnNorm", "qNorm", "kNorm", "norm"]);

/**
 * A norm weight as the model holds it: Gemma's stored w (f32) becomes its multiplier 1 + w, in place, computed in
 * f32 as transformers' Gemma3RMSNorm does (`1.0 + weight.float()`), so the norm kernels stay x̂ · w
 * (docs/models/gemma3.md). Any other tensor, or any tensor of a model without unit-offset norms, is returned as is.
 */
export function asHeldWeight(unitOffsetNorms: boolean, key: LayerWeightKey | keyof GlobalTensors, w: Tensor): Tensor {
  if (!unitOffsetNorms || !NORM_KEYS.has(key)) return w;
  if (w.dtype !== "f32") throw new Error(`asHeldWeight: expected an f32 norm weight, got ${w.dtype}`);
  const data = w.data as Float32Array;
  for (let i = 0; i < data.length; i++) data[i] = 1 + data[i];
  return w;
}

export type LayerTensors = Partial<Record<LayerWeightKey, Tensor | Quant4Tensor>>;
export type GlobalTensors = Partial<Record<"embedTokens" | "norm" | "lmHead", Tensor>>;

/**
 * The decoder's weight structure from tensors read by schema slot; a tied model's lm_head is its embedding.
 * `activation` is the config's hiddenAct (the MLP's gate activation).
 */
export function assembleWeights(global: GlobalTensors, layers: LayerTensors[], activation: HiddenAct): DecoderWeights {
  const embedTokens = global.embedTokens!;
  return { embedTokens, layers: layers.map((w) => assembleLayer(w, activation)), norm: global.norm!, lmHead: global.lmHead ?? embedTokens };
}

function assembleLayer(w: LayerTensors, activation: HiddenAct): DecoderLayerWeights {
  const dense = (t: Tensor | Quant4Tensor | undefined) => t as Tensor | undefined;
  return {
    inputLayernorm: dense(w.inputNorm)!,
    postAttentionLayernorm: dense(w.postNorm)!,
    sandwich: w.preFfnNorm ? { preFeedforwardLayernorm: dense(w.preFfnNorm)!, postFeedforwardLayernorm: dense(w.postFfnNorm)! } : undefined,
    attention: {
      qProj: frozenLinear(w.q!, dense(w.qBias)),
      kProj: frozenLinear(w.k!, dense(w.kBias)),
      vProj: frozenLinear(w.v!, dense(w.vBias)),
      oProj: frozenLinear(w.o!, dense(w.oBias)),
      qNorm: dense(w.qNorm),
      kNorm: dense(w.kNorm),
    },
    mlp: {
      gateProj: frozenLinear(w.gate!, dense(w.gateBias)),
      upProj: frozenLinear(w.up!, dense(w.upBias)),
      downProj: frozenLinear(w.down!, dense(w.downBias)),
      activation,
    },
  };
}
