import type { RopeConfig, Tensor } from "../tensor/index.js";
import type { FrozenLinear } from "./linear-layer.js";
import { linearBackward, linearForward } from "./linear-layer.js";
import type { AdapterBackward, AdapterCall, LinearAdapter } from "./linear-adapter.js";
import type { ModelBackend } from "./model-backend.js";
import type { LayerKvCache } from "./kv-cache.js";

/** The frozen weights of one self-attention module (q_norm/k_norm: Qwen3's per-head RMSNorm before RoPE). */
export interface AttentionWeights {
  qProj: FrozenLinear;
  kProj: FrozenLinear;
  vProj: FrozenLinear;
  oProj: FrozenLinear;
  qNorm?: Tensor;
  kNorm?: Tensor;
}

export interface AttentionShape {
  heads: number;
  kvHeads: number;
  headDim: number;
  rmsNormEps: number;
  rope: RopeConfig;
}

/** Adapters of this module's projections, by projection name. */
export type AttentionAdapters = Partial<Record<"q_proj" | "k_proj" | "v_proj" | "o_proj", LinearAdapter>>;

/** Where the rows of this call sit: positions and segment ids i32 [T]. */
export interface TokenLayout {
  positions: Tensor;
  segmentIds: Tensor;
}

/** Appends this call's k/v to a cache at rows [start, start + T) and attends over the cache instead of the call. */
export interface CacheWrite {
  cache: LayerKvCache;
  start: number;
}

/** What attention's backward needs (never kept in inference). */
export interface AttentionSaved {
  qBack?: AdapterBackward;
  kBack?: AdapterBackward;
  vBack?: AdapterBackward;
  oBack?: AdapterBackward;
  /** q and k before their RMSNorm, [T·H, hd] and [T·Hkv, hd], with the norms' rstd (Qwen3 only). */
  qNormed?: { x: Tensor; rstd: Tensor };
  kNormed?: { x: Tensor; rstd: Tensor };
  q: Tensor;
  k: Tensor;
  v: Tensor;
  out: Tensor;
  lse: Tensor;
}

/** q, k after the optional per-head RMSNorm and RoPE, [T, heads, hd]. */
function prepareHeads(
  backend: ModelBackend,
  projected: Tensor,
  heads: number,
  norm: Tensor | undefined,
  shape: AttentionShape,
  positions: Tensor,
): { rotated: Tensor; normed?: { x: Tensor; rstd: Tensor } } {
  const tokens = projected.shape[0];
  let x = projected.reshape([tokens, heads, shape.headDim]);
  let normed: { x: Tensor; rstd: Tensor } | undefined;
  if (norm) {
    const flat = x.reshape([tokens * heads, shape.headDim]);
    const { y, rstd } = backend.rmsNorm(flat, norm, shape.rmsNormEps);
    normed = { x: flat, rstd };
    x = y.reshape([tokens, heads, shape.headDim]);
  }
  return { rotated: backend.rope(x, positions, shape.rope), normed };
}

function prepareHeadsBackward(
  backend: ModelBackend,
  dRotated: Tensor,
  norm: Tensor | undefined,
  normed: { x: Tensor; rstd: Tensor } | undefined,
  shape: AttentionShape,
  positions: Tensor,
): Tensor {
  const [tokens, heads, hd] = dRotated.shape;
  let d = backend.ropeBackward(dRotated, positions, shape.rope);
  if (norm && normed) d = backend.rmsNormBackward(d.reshape([tokens * heads, hd]), normed.x, norm, normed.rstd);
  return d.reshape([tokens, heads * hd]);
}

/**
 * Self-attention of x [T, D] (already normed) → [T, D]. Without a cache, causal within segments over the call's
 * own rows; with one, the call's k/v are appended and attention reads the cache (prefill or one decode step),
 * and nothing is saved for backward.
 */
export function attentionForward(
  backend: ModelBackend,
  x: Tensor,
  w: AttentionWeights,
  shape: AttentionShape,
  adapters: AttentionAdapters,
  layout: TokenLayout,
  call: AdapterCall,
  cacheWrite?: CacheWrite,
): { y: Tensor; saved?: AttentionSaved } {
  const tokens = x.shape[0];
  const { heads, kvHeads, headDim } = shape;
  const qp = linearForward(backend, x, w.qProj, adapters.q_proj, call);
  const kp = linearForward(backend, x, w.kProj, adapters.k_proj, call);
  const vp = linearForward(backend, x, w.vProj, adapters.v_proj, call);
  const q = prepareHeads(backend, qp.y, heads, w.qNorm, shape, layout.positions);
  const k = prepareHeads(backend, kp.y, kvHeads, w.kNorm, shape, layout.positions);
  const v = vp.y.reshape([tokens, kvHeads, headDim]);

  let out: Tensor;
  let lse: Tensor | undefined;
  if (cacheWrite) out = cachedAttention(backend, q.rotated, k.rotated, v, cacheWrite, layout.segmentIds);
  else ({ out, lse } = backend.attention(q.rotated, k.rotated, v, layout.segmentIds));
  const op = linearForward(backend, out.reshape([tokens, heads * headDim]), w.oProj, adapters.o_proj, call);
  if (!lse) return { y: op.y };
  return {
    y: op.y,
    saved: {
      qBack: qp.adapterBackward,
      kBack: kp.adapterBackward,
      vBack: vp.adapterBackward,
      oBack: op.adapterBackward,
      qNormed: q.normed,
      kNormed: k.normed,
      q: q.rotated,
      k: k.rotated,
      v,
      out,
      lse,
    },
  };
}

function cachedAttention(backend: ModelBackend, q: Tensor, k: Tensor, v: Tensor, write: CacheWrite, segmentIds: Tensor): Tensor {
  const tokens = q.shape[0];
  write.cache.write(write.start, k, v);
  if (tokens === 1) {
    const [, heads, hd] = q.shape;
    const out = backend.attentionDecode(q.reshape([heads, hd]), write.cache.k, write.cache.v, write.start + 1);
    return out.reshape([1, heads, hd]);
  }
  // A prefill: the call's rows are the whole cache so far, so plain causal attention over them is the same.
  write.cache.requirePrefill(write.start);
  return backend.attention(q, k, v, segmentIds).out;
}

/**
 * Backward of attentionForward from dy [T, D]: LoRA gradients of q/k/v/o, and dx [T, D] unless dx is "none"
 * (the first layer's input needs no gradient).
 */
export function attentionBackward(
  backend: ModelBackend,
  dy: Tensor,
  w: AttentionWeights,
  shape: AttentionShape,
  saved: AttentionSaved,
  layout: TokenLayout,
  dx: "none" | "new",
): Tensor | undefined {
  const tokens = dy.shape[0];
  const { heads, headDim } = shape;
  const dOut = linearBackward(backend, dy, w.oProj, saved.oBack, "new");
  const grads = backend.attentionBackward(
    dOut.reshape([tokens, heads, headDim]),
    saved.q,
    saved.k,
    saved.v,
    saved.out,
    saved.lse,
    layout.segmentIds,
  );
  const dq = prepareHeadsBackward(backend, grads.dq, w.qNorm, saved.qNormed, shape, layout.positions);
  const dk = prepareHeadsBackward(backend, grads.dk, w.kNorm, saved.kNormed, shape, layout.positions);
  const dv = grads.dv.reshape([tokens, grads.dv.shape[1] * headDim]);
  if (dx === "none") {
    linearBackward(backend, dq, w.qProj, saved.qBack, "none");
    linearBackward(backend, dk, w.kProj, saved.kBack, "none");
    linearBackward(backend, dv, w.vProj, saved.vBack, "none");
    return undefined;
  }
  const dxOut = linearBackward(backend, dq, w.qProj, saved.qBack, "new");
  linearBackward(backend, dk, w.kProj, saved.kBack, dxOut);
  linearBackward(backend, dv, w.vProj, saved.vBack, dxOut);
  return dxOut;
}
