import type { Tensor } from "../tensor/index.js";
import { releaseTensors } from "../tensor/index.js";
import type { AttentionAdapters, AttentionSaved, AttentionShape, AttentionWeights, CacheWrite, TokenLayout } from "./attention-block.js";
import { attentionBackward, attentionForward, releaseAttentionSaved } from "./attention-block.js";
import type { AdapterCall } from "./linear-adapter.js";
import type { MlpAdapters, MlpSaved, MlpWeights } from "./mlp-block.js";
import { mlpBackward, mlpForward, releaseMlpSaved } from "./mlp-block.js";
import type { ModelBackend } from "./model-backend.js";

/**
 * One decoder block's frozen weights. With `sandwich` (Gemma) post_attention_layernorm normalizes the attention
 * OUTPUT before the residual add, and the MLP sits between pre_feedforward_layernorm and post_feedforward_layernorm;
 * without it (Llama, Qwen) post_attention_layernorm is the MLP's input norm.
 */
export interface DecoderLayerWeights {
  inputLayernorm: Tensor;
  postAttentionLayernorm: Tensor;
  sandwich?: { preFeedforwardLayernorm: Tensor; postFeedforwardLayernorm: Tensor };
  attention: AttentionWeights;
  mlp: MlpWeights;
}

export type LayerAdapters = AttentionAdapters & MlpAdapters;

/** A norm's input and rstd, what its backward reads. */
interface NormSaved {
  x: Tensor;
  rstd: Tensor;
}

/**
 * Everything the layer's backward reads: its input, the residual in the middle, the norms' rstd and outputs (the
 * blocks' inputs, which their adapters' backward reads), the blocks.
 */
export interface LayerSaved {
  x: Tensor;
  rstd1: Tensor;
  attentionIn: Tensor;
  attention: AttentionSaved;
  h: Tensor;
  rstd2: Tensor;
  mlpIn: Tensor;
  mlp: MlpSaved;
  /** The sandwich norms' inputs (attention and MLP outputs) and rstd. */
  sandwich?: { attentionOut: NormSaved; mlpOut: NormSaved };
}

/**
 * h = x + attention(input_layernorm(x)); y = h + mlp(post_attention_layernorm(h)), or with sandwich norms
 * h = x + post_attention_layernorm(attention(input_layernorm(x))); y = h + post_ff(mlp(pre_ff(h))). x [T, D] → y [T, D].
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
  const eps = shape.rmsNormEps;
  const n1 = backend.rmsNorm(x, w.inputLayernorm, eps);
  const attention = attentionForward(backend, n1.y, w.attention, shape, adapters, layout, call, cacheWrite);
  const postAttention = w.sandwich ? backend.rmsNorm(attention.y, w.postAttentionLayernorm, eps) : undefined;
  const h = postAttention?.y ?? attention.y;
  backend.axpy(h, x, 1);
  const n2 = backend.rmsNorm(h, w.sandwich?.preFeedforwardLayernorm ?? w.postAttentionLayernorm, eps);
  const mlp = mlpForward(backend, n2.y, w.mlp, adapters, call);
  const postMlp = w.sandwich ? backend.rmsNorm(mlp.y, w.sandwich.postFeedforwardLayernorm, eps) : undefined;
  const y = postMlp?.y ?? mlp.y;
  backend.axpy(y, h, 1);
  if (!attention.saved) return { y };
  const saved: LayerSaved = { x, rstd1: n1.rstd, attentionIn: n1.y, attention: attention.saved, h, rstd2: n2.rstd, mlpIn: n2.y, mlp: mlp.saved };
  if (postAttention && postMlp) {
    saved.sandwich = { attentionOut: { x: attention.y, rstd: postAttention.rstd }, mlpOut: { x: mlp.y, rstd: postMlp.rstd } };
  }
  return { y, saved };
}

/**
 * dy [T, D] → dx [T, D] (or nothing for the first layer, whose input is the frozen embedding). Consumes dy and
 * `saved`: their buffers go back to the step arena as soon as this backward is done with them, and so do its
 * temporaries, so a step holds one layer's temporaries at a time.
 */
export function layerBackward(
  backend: ModelBackend,
  dy: Tensor,
  w: DecoderLayerWeights,
  shape: AttentionShape,
  saved: LayerSaved,
  layout: TokenLayout,
  dx: "none" | "new",
): Tensor | undefined {
  const { sandwich } = saved;
  const dMlpOut = sandwich && w.sandwich ? normBackward(backend, dy, w.sandwich.postFeedforwardLayernorm, sandwich.mlpOut) : dy;
  const dn2 = mlpBackward(backend, dMlpOut, w.mlp, saved.mlp);
  const dh = backend.rmsNormBackward(dn2, saved.h, w.sandwich?.preFeedforwardLayernorm ?? w.postAttentionLayernorm, saved.rstd2);
  backend.axpy(dh, dy, 1);
  releaseTensors(dn2, dy, dMlpOut === dy ? undefined : dMlpOut);
  const dAttentionOut = sandwich ? normBackward(backend, dh, w.postAttentionLayernorm, sandwich.attentionOut) : dh;
  const dn1 = attentionBackward(backend, dAttentionOut, w.attention, shape, saved.attention, layout, dx);
  const dxOut = dn1 && backend.rmsNormBackward(dn1, saved.x, w.inputLayernorm, saved.rstd1);
  if (dxOut) backend.axpy(dxOut, dh, 1);
  releaseTensors(dn1, dh, dAttentionOut === dh ? undefined : dAttentionOut);
  releaseLayerSaved(saved, true);
  return dxOut;
}

/**
 * Hands a layer's saved activations back to the step arena: after its backward, or right after its forward when
 * nothing will run backward through it. `input`: the layer's input too (not when it is kept as a checkpoint).
 */
export function releaseLayerSaved(saved: LayerSaved, input: boolean): void {
  const { sandwich } = saved;
  releaseTensors(input ? saved.x : undefined, saved.rstd1, saved.attentionIn, saved.h, saved.rstd2, saved.mlpIn);
  releaseTensors(sandwich?.attentionOut.x, sandwich?.attentionOut.rstd, sandwich?.mlpOut.x, sandwich?.mlpOut.rstd);
  releaseAttentionSaved(saved.attention);
  releaseMlpSaved(saved.mlp);
}

function normBackward(backend: ModelBackend, dy: Tensor, weight: Tensor, saved: NormSaved): Tensor {
  return backend.rmsNormBackward(dy, saved.x, weight, saved.rstd);
}
