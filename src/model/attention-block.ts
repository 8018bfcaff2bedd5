import type { AttentionOptions, RopeConfig } from "../tensor/index.js";
import { Tensor, releaseTensors } from "../tensor/index.js";
import type { FrozenLinear } from "./linear-layer.js";
import { linearBackward, linearForward } from "./linear-layer.js";
import type { AdapterBackward, AdapterCall, GroupBackward, LinearAdapter } from "./linear-adapter.js";
import { sharedInputBackward, sharedInputForward } from "./shared-input.js";
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
  /** "bf16": the attention products run in the bf16 compute mode (set through setComputeDtype). */
  compute?: "f32" | "bf16";
}

function productOptions(w: AttentionWeights): AttentionOptions {
  return { bf16: w.compute === "bf16" };
}

export interface AttentionShape {
  heads: number;
  kvHeads: number;
  headDim: number;
  rmsNormEps: number;
  rope: RopeConfig;
  /** Sliding window: a query sees itself and the window − 1 keys before it; null = the whole prefix. */
  window: number | null;
  /** Multiplier of q·k: headDim^-0.5, or Gemma's query_pre_attn_scalar^-0.5. */
  scale: number;
}

/** Adapters of this module's projections, by projection name. */
export type AttentionAdapters = Partial<Record<"q_proj" | "k_proj" | "v_proj" | "o_proj", LinearAdapter>>;

/** Where the rows of this call sit: positions and segment ids i32 [T]. */
export interface TokenLayout {
  positions: Tensor;
  segmentIds: Tensor;
}

/**
 * An inference call over KV caches: the call's rows belong to one or more sequences, in order; each sequence's
 * `rows` k/v are appended to its own cache at `start`, and its queries attend over that cache.
 */
export type CacheWrite = ReadonlyArray<{ cache: LayerKvCache; start: number; rows: number }>;

/** What attention's backward needs (never kept in inference). */
export interface AttentionSaved {
  /** The q/k/v adapters' backward (they read one input). */
  qkvBack?: GroupBackward;
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
  const rotated = backend.rope(x, positions, shape.rope);
  releaseTensors(x); // the projection, or with a norm its output (the norm keeps `projected` for its backward)
  return { rotated, normed };
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
  releaseTensors(dRotated);
  if (norm && normed) {
    const dNormed = backend.rmsNormBackward(d.reshape([tokens * heads, hd]), normed.x, norm, normed.rstd);
    releaseTensors(d);
    d = dNormed;
  }
  return d.reshape([tokens, heads * hd]);
}

/**
 * Self-attention of x [T, D] (already normed) → [T, D]. Without a cache, causal within segments over the call's
 * own rows; with caches, each sequence's k/v are appended to its cache and its rows attend over it, and nothing
 * is saved for backward.
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
  const qkv = sharedInputForward(backend, x, [w.qProj, w.kProj, w.vProj], [adapters.q_proj, adapters.k_proj, adapters.v_proj], call);
  const [qy, ky, vy] = qkv.ys;
  const q = prepareHeads(backend, qy, heads, w.qNorm, shape, layout.positions);
  const k = prepareHeads(backend, ky, kvHeads, w.kNorm, shape, layout.positions);
  const v = vy.reshape([tokens, kvHeads, headDim]);

  let out: Tensor;
  let lse: Tensor | undefined;
  const window = shape.window ?? undefined;
  if (cacheWrite) out = cachedAttention(backend, q.rotated, k.rotated, v, cacheWrite, shape.scale, window, productOptions(w));
  else ({ out, lse } = backend.attention(q.rotated, k.rotated, v, layout.segmentIds, shape.scale, window, productOptions(w)));
  const op = linearForward(backend, out.reshape([tokens, heads * headDim]), w.oProj, adapters.o_proj, call);
  if (!lse) return { y: op.y };
  return {
    y: op.y,
    saved: {
      qkvBack: qkv.adapterBackward,
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

function cachedAttention(
  backend: ModelBackend,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  write: CacheWrite,
  scale: number,
  window: number | undefined,
  options: AttentionOptions,
): Tensor {
  const [, heads, hd] = q.shape;
  const out = Tensor.zeros(q.shape, q.dtype);
  let row = 0;
  for (const { cache, start, rows } of write) {
    cache.write(start, k.rows(row, rows), v.rows(row, rows));
    // Every query row attends over its own prefix with the one-row kernel, so a row's arithmetic is the same
    // whether its sequence's tokens arrive in one call, in chunks, or beside other sequences (docs/serve.md).
    for (let i = 0; i < rows; i++) {
      const qi = q.rows(row + i, 1).reshape([heads, hd]);
      out.data.set(backend.attentionDecode(qi, cache.k, cache.v, start + i + 1, scale, window, options).data, (row + i) * heads * hd);
    }
    row += rows;
  }
  return out;
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
    shape.scale,
    shape.window ?? undefined,
    productOptions(w),
  );
  releaseTensors(dOut);
  const dq = prepareHeadsBackward(backend, grads.dq, w.qNorm, saved.qNormed, shape, layout.positions);
  const dk = prepareHeadsBackward(backend, grads.dk, w.kNorm, saved.kNormed, shape, layout.positions);
  const dv = grads.dv.reshape([tokens, grads.dv.shape[1] * headDim]);
  const dxOut = sharedInputBackward(backend, [dq, dk, dv], [w.qProj, w.kProj, w.vProj], saved.qkvBack, dx);
  releaseTensors(dq, dk, dv);
  return dxOut;
}

/** Hands what attention kept for its backward back to the step arena (once nothing reads it any more). */
export function releaseAttentionSaved(saved: AttentionSaved): void {
  const { qNormed, kNormed } = saved;
  releaseTensors(saved.q, saved.k, saved.v, saved.out, saved.lse, qNormed?.x, qNormed?.rstd, kNormed?.x, kNormed?.rstd);
}
