import type { Tensor } from "../tensor/index.js";
import type { AttentionAdapters, AttentionSaved, AttentionShape, AttentionWeights, CacheWrite, TokenLayout } from "./attention-block.js";
import { attentionBackward, attentionForward } from "./attention-block.js";
import type { AdapterCall } from "./linear-adapter.js";
import type { MlpAdapters, MlpSaved, MlpWeights } from "./mlp-block.js";
import { mlpBackward, mlpForward } from "./mlp-block.js";
import type { ModelBackend } from "./model-backend.js";

/** One decoder block's frozen weights. */
export interface DecoderLayerWeights {
  inputLayernorm: Tensor;
  postAttentionLayernorm: Tensor;
  attention: AttentionWeights;
  mlp: MlpWeights;
}

export type LayerAdapters = AttentionAdapters & MlpAdapters;

/** Everything the layer's backward reads: its input, the residual in the middle, the norms' rstd, the blocks. */
export interface LayerSaved {
  x: Tensor;
  rstd1: Tensor;
  attention: AttentionSaved;
  h: Tensor;
  rstd2: Tensor;
  mlp: MlpSaved;
}

/**
 * h = x + attention(input_layernorm(x)); y = h + mlp(post_attention_layernorm(h)). x [T, D] → y [T, D].
 * `saved` is present only when the call keeps activations for backward (no cache).
 */
export function layerForward(
  backend: ModelBackend,
  x: Tensor,
  w: DecoderLayerWeights,
  shape: AttentionShape,
  adapters: LayerAdapters,
  layout: TokenLayout,
  call: AdapterCall,
  cacheWrite?: CacheWrite,
): { y: Tensor; saved?: LayerSaved } {
  const n1 = backend.rmsNorm(x, w.inputLayernorm, shape.rmsNormEps);
  const attention = attentionForward(backend, n1.y, w.attention, shape, adapters, layout, call, cacheWrite);
  const h = attention.y;
  backend.axpy(h, x, 1);
  const n2 = backend.rmsNorm(h, w.postAttentionLayernorm, shape.rmsNormEps);
  const mlp = mlpForward(backend, n2.y, w.mlp, adapters, call);
  const y = mlp.y;
  backend.axpy(y, h, 1);
  if (!attention.saved) return { y };
  return { y, saved: { x, rstd1: n1.rstd, attention: attention.saved, h, rstd2: n2.rstd, mlp: mlp.saved } };
}

/** dy [T, D] → dx [T, D] (or nothing for the first layer, whose input is the frozen embedding). */
export function layerBackward(
  backend: ModelBackend,
  dy: Tensor,
  w: DecoderLayerWeights,
  shape: AttentionShape,
  saved: LayerSaved,
  layout: TokenLayout,
  dx: "none" | "new",
): Tensor | undefined {
  const dn2 = mlpBackward(backend, dy, w.mlp, saved.mlp);
  const dh = backend.rmsNormBackward(dn2, saved.h, w.postAttentionLayernorm, saved.rstd2);
  backend.axpy(dh, dy, 1);
  const dn1 = attentionBackward(backend, dh, w.attention, shape, saved.attention, layout, dx);
  if (!dn1) return undefined;
  const dxOut = backend.rmsNormBackward(dn1, saved.x, w.inputLayernorm, saved.rstd1);
  backend.axpy(dxOut, dh, 1);
  return dxOut;
}
