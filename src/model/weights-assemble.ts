import type { Quant4Tensor } from "../quant/index.js";
import type { Tensor } from "../tensor/index.js";
import type { DecoderLayerWeights } from "./decoder-layer.js";
import { frozenLinear } from "./linear-layer.js";
import type { DecoderWeights } from "./model.js";
import type { LayerWeightKey } from "./weight-schema.js";

/** The projections of a decoder layer: the weights QLoRA quantizes and LoRA adapts. */
export const LINEAR_KEYS: ReadonlySet<LayerWeightKey> = new Set<LayerWeightKey>(["q", "k", "v", "o", "gate", "up", "down"]);
export type LayerTensors = Partial<Record<LayerWeightKey, Tensor | Quant4Tensor>>;
export type GlobalTensors = Partial<Record<"embedTokens" | "norm" | "lmHead", Tensor>>;

/** The decoder's weight structure from tensors read by schema slot; a tied model's lm_head is its embedding. */
export function assembleWeights(global: GlobalTensors, layers: LayerTensors[]): DecoderWeights {
  const embedTokens = global.embedTokens!;
  return { embedTokens, layers: layers.map(assembleLayer), norm: global.norm!, lmHead: global.lmHead ?? embedTokens };
}

function assembleLayer(w: LayerTensors): DecoderLayerWeights {
  const dense = (t: Tensor | Quant4Tensor | undefined) => t as Tensor | undefined;
  return {
    inputLayernorm: dense(w.inputNorm)!,
    postAttentionLayernorm: dense(w.postNorm)!,
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
    },
  };
}
