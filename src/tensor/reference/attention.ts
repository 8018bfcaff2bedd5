import { checkAttention, checkAttentionBackward, checkAttentionDecode } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { toF64 } from "./convert.js";

/**
 * Plain softmax attention in float64, one score row at a time (O(T) memory per row): token i attends to the
 * tokens j ≤ i of its own segment with i − j < window (window 0 = unlimited); query head h reads kv head
 * floor(h / (H / Hkv)).
 */

/** First key each token attends to: its segment's first token (segments are contiguous runs of equal ids), or the window's. */
function rowStarts(segmentIds: Tensor, window: number): Int32Array {
  const ids = segmentIds.data;
  const starts = new Int32Array(ids.length);
  for (let i = 1; i < ids.length; i++) starts[i] = ids[i] === ids[i - 1] ? starts[i - 1] : i;
  if (window > 0) for (let i = 0; i < ids.length; i++) starts[i] = Math.max(starts[i], i - window + 1);
  return starts;
}

/** Softmax probabilities of row i over keys [start, i], and their log-sum-exp. */
function scoreRow(qv: Float64Array, kv: Float64Array, qBase: number, kOffset: number, kStride: number, start: number, end: number, hd: number, scale: number): { p: Float64Array; lse: number } {
  const p = new Float64Array(end - start);
  let max = -Infinity;
  for (let j = start; j < end; j++) {
    let dot = 0;
    for (let d = 0; d < hd; d++) dot += qv[qBase + d] * kv[j * kStride + kOffset + d];
    p[j - start] = dot * scale;
    max = Math.max(max, p[j - start]);
  }
  let sum = 0;
  for (let j = 0; j < p.length; j++) sum += Math.exp(p[j] - max);
  const lse = max + Math.log(sum);
  for (let j = 0; j < p.length; j++) p[j] = Math.exp(p[j] - lse);
  return { p, lse };
}

export function referenceAttention(q: Tensor, k: Tensor, v: Tensor, segmentIds: Tensor, scale?: number, window?: number): { out: Tensor; lse: Tensor } {
  const s = checkAttention("attention", q, k, v, segmentIds, scale, window);
  const { tokens: T, heads: H, kvHeads: Hkv, headDim: hd } = s;
  const group = H / Hkv;
  const qv = toF64(q);
  const kv = toF64(k);
  const vv = toF64(v);
  const starts = rowStarts(segmentIds, s.window);
  const out = new Float64Array(T * H * hd);
  const lse = new Float64Array(H * T);
  for (let h = 0; h < H; h++) {
    const kOff = Math.floor(h / group) * hd;
    for (let i = 0; i < T; i++) {
      const row = scoreRow(qv, kv, (i * H + h) * hd, kOff, Hkv * hd, starts[i], i + 1, hd, s.scale);
      lse[h * T + i] = row.lse;
      const o = (i * H + h) * hd;
      for (let j = starts[i]; j <= i; j++) {
        const pj = row.p[j - starts[i]];
        for (let d = 0; d < hd; d++) out[o + d] += pj * vv[j * Hkv * hd + kOff + d];
      }
    }
  }
  return { out: new Tensor("f64", q.shape, out), lse: new Tensor("f64", [H, T], lse) };
}

/**
 * dS = P ∘ (dP − rowsum(dO ∘ O)), dQ = scale·dS·K, dK = scale·dSᵀ·Q, dV = Pᵀ·dO. P is recomputed from q and k
 * in float64 (lse is only shape-checked), so this check does not inherit the caller's rounding of lse.
 */
export function referenceAttentionBackward(
  dOut: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  segmentIds: Tensor,
  scale?: number,
  window?: number,
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const s = checkAttentionBackward(dOut, q, k, v, out, lse, segmentIds, scale, window);
  const { tokens: T, heads: H, kvHeads: Hkv, headDim: hd } = s;
  const group = H / Hkv;
  const [qv, kv, vv, dov, ov] = [q, k, v, dOut, out].map(toF64);
  const starts = rowStarts(segmentIds, s.window);
  const dq = new Float64Array(T * H * hd);
  const dk = new Float64Array(T * Hkv * hd);
  const dv = new Float64Array(T * Hkv * hd);
  const kStride = Hkv * hd;
  for (let h = 0; h < H; h++) {
    const kOff = Math.floor(h / group) * hd;
    for (let i = 0; i < T; i++) {
      const qBase = (i * H + h) * hd;
      const { p } = scoreRow(qv, kv, qBase, kOff, kStride, starts[i], i + 1, hd, s.scale);
      let delta = 0;
      for (let d = 0; d < hd; d++) delta += dov[qBase + d] * ov[qBase + d];
      for (let j = starts[i]; j <= i; j++) {
        const pj = p[j - starts[i]];
        const kBase = j * kStride + kOff;
        let dp = 0;
        for (let d = 0; d < hd; d++) dp += dov[qBase + d] * vv[kBase + d];
        const ds = pj * (dp - delta) * s.scale;
        for (let d = 0; d < hd; d++) {
          dv[kBase + d] += pj * dov[qBase + d];
          dq[qBase + d] += ds * kv[kBase + d];
          dk[kBase + d] += ds * qv[qBase + d];
        }
      }
    }
  }
  return { dq: new Tensor("f64", q.shape, dq), dk: new Tensor("f64", k.shape, dk), dv: new Tensor("f64", v.shape, dv) };
}

export function referenceAttentionDecode(q: Tensor, kCache: Tensor, vCache: Tensor, length: number, scale?: number, window?: number): Tensor {
  const s = checkAttentionDecode(q, kCache, vCache, length, scale, window);
  const { heads: H, kvHeads: Hkv, headDim: hd } = s;
  const group = H / Hkv;
  const qv = toF64(q);
  const kv = toF64(kCache);
  const vv = toF64(vCache);
  const start = s.window > 0 ? Math.max(0, length - s.window) : 0;
  const out = new Float64Array(H * hd);
  for (let h = 0; h < H; h++) {
    const kOff = Math.floor(h / group) * hd;
    const { p } = scoreRow(qv, kv, h * hd, kOff, Hkv * hd, start, length, hd, s.scale);
    for (let j = start; j < length; j++) {
      for (let d = 0; d < hd; d++) out[h * hd + d] += p[j - start] * vv[j * Hkv * hd + kOff + d];
    }
  }
  return new Tensor("f64", q.shape, out);
}
