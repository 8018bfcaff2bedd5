import type { AttentionOptions } from "../kernel-ops.js";
import { checkAttention, checkAttentionBackward, checkAttentionDecode } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { roundToBf16, roundedToBf16, toF64 } from "./convert.js";

/**
 * Plain softmax attention in float64, one score row at a time (O(T) memory per row): token i attends to the
 * tokens j ≤ i of its own segment with i − j < window (window 0 = unlimited); query head h reads kv head
 * floor(h / (H / Hkv)). The bf16 compute mode (AttentionOptions.bf16) rounds the operands of every product to
 * bf16 and nothing else: q·k, P·v, dO·v, Pᵀ·dO, dS·k and dSᵀ·q.
 */

/** The values a product reads: the tensor's, rounded to bf16 in the bf16 mode. */
function operand(t: Tensor, bf16: boolean): Float64Array {
  return bf16 ? roundedToBf16(toF64(t)) : toF64(t);
}

/** First key each token attends to: its segment's first token (segments are contiguous runs of equal ids), or the window's. */
function rowStarts(segmentIds: Tensor, window: number): Int32Array {
  const ids = segmentIds.data;
  const starts = new Int32Array(ids.length);
  for (let i = 1; i < ids.length; i++) starts[i] = ids[i] === ids[i - 1] ? starts[i - 1] : i;
  if (window > 0) for (let i = 0; i < ids.length; i++) starts[i] = Math.max(starts[i], i - window + 1);
  return starts;
}

/**
 * Softmax probabilities of row i over keys [start, end), their log-sum-exp, and the weights the forward multiplies
 * v by: p itself, or in the bf16 mode the numerators exp(s − M) rounded to bf16 over their unrounded sum, with M a
 * multiple of ln 2 at or above the row's max score. (Numerators under any such M differ by powers of two, which
 * rounding commutes with, so a flash-attention kernel whose running max takes only such values gets these
 * weights whatever its key blocks.)
 */
function scoreRow(
  qv: Float64Array,
  kv: Float64Array,
  qBase: number,
  kOffset: number,
  kStride: number,
  start: number,
  end: number,
  hd: number,
  scale: number,
  bf16: boolean,
): { p: Float64Array; lse: number; weights: Float64Array } {
  const p = new Float64Array(end - start);
  let max = -Infinity;
  for (let j = start; j < end; j++) {
    let dot = 0;
    for (let d = 0; d < hd; d++) dot += qv[qBase + d] * kv[j * kStride + kOffset + d];
    p[j - start] = dot * scale;
    max = Math.max(max, p[j - start]);
  }
  const shift = bf16 ? Math.ceil(max / Math.LN2) * Math.LN2 : max;
  let sum = 0;
  for (let j = 0; j < p.length; j++) sum += Math.exp(p[j] - shift);
  const lse = shift + Math.log(sum);
  const weights = bf16 ? p.map((s) => roundToBf16(Math.exp(s - shift)) / sum) : undefined;
  for (let j = 0; j < p.length; j++) p[j] = Math.exp(p[j] - lse);
  return { p, lse, weights: weights ?? p };
}

export function referenceAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  segmentIds: Tensor,
  scale?: number,
  window?: number,
  options: AttentionOptions = {},
): { out: Tensor; lse: Tensor } {
  const s = checkAttention("attention", q, k, v, segmentIds, scale, window);
  const { tokens: T, heads: H, kvHeads: Hkv, headDim: hd } = s;
  const group = H / Hkv;
  const bf16 = options.bf16 ?? false;
  const [qv, kv, vv] = [q, k, v].map((t) => operand(t, bf16));
  const starts = rowStarts(segmentIds, s.window);
  const out = new Float64Array(T * H * hd);
  const lse = new Float64Array(H * T);
  for (let h = 0; h < H; h++) {
    const kOff = Math.floor(h / group) * hd;
    for (let i = 0; i < T; i++) {
      const row = scoreRow(qv, kv, (i * H + h) * hd, kOff, Hkv * hd, starts[i], i + 1, hd, s.scale, bf16);
      lse[h * T + i] = row.lse;
      const o = (i * H + h) * hd;
      for (let j = starts[i]; j <= i; j++) {
        const pj = row.weights[j - starts[i]];
        for (let d = 0; d < hd; d++) out[o + d] += pj * vv[j * Hkv * hd + kOff + d];
      }
    }
  }
  return { out: new Tensor("f64", q.shape, out), lse: new Tensor("f64", [H, T], lse) };
}

/**
 * dS = P ∘ (dP − rowsum(dO ∘ O)), dQ = scale·dS·K, dK = scale·dSᵀ·Q, dV = Pᵀ·dO. P is recomputed from q and k
 * in float64 (lse is only shape-checked), so this check does not inherit the caller's rounding of lse. In the bf16
 * mode the products read rounded operands (P and dS included); δ = rowsum(dO ∘ O) and dS are formed unrounded.
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
  options: AttentionOptions = {},
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const s = checkAttentionBackward(dOut, q, k, v, out, lse, segmentIds, scale, window);
  const { tokens: T, heads: H, kvHeads: Hkv, headDim: hd } = s;
  const group = H / Hkv;
  const bf16 = options.bf16 ?? false;
  const [qv, kv, vv, dov] = [q, k, v, dOut].map((t) => operand(t, bf16));
  const [dOutExact, ov] = [dOut, out].map(toF64);
  const rounded = (x: number) => (bf16 ? roundToBf16(x) : x);
  const starts = rowStarts(segmentIds, s.window);
  const dq = new Float64Array(T * H * hd);
  const dk = new Float64Array(T * Hkv * hd);
  const dv = new Float64Array(T * Hkv * hd);
  const kStride = Hkv * hd;
  for (let h = 0; h < H; h++) {
    const kOff = Math.floor(h / group) * hd;
    for (let i = 0; i < T; i++) {
      const qBase = (i * H + h) * hd;
      const { p } = scoreRow(qv, kv, qBase, kOff, kStride, starts[i], i + 1, hd, s.scale, bf16);
      let delta = 0;
      for (let d = 0; d < hd; d++) delta += dOutExact[qBase + d] * ov[qBase + d];
      for (let j = starts[i]; j <= i; j++) {
        const pj = p[j - starts[i]];
        const kBase = j * kStride + kOff;
        let dp = 0;
        for (let d = 0; d < hd; d++) dp += dov[qBase + d] * vv[kBase + d];
        const ds = rounded(pj * (dp - delta)) * s.scale;
        const pv = rounded(pj);
        for (let d = 0; d < hd; d++) {
          dv[kBase + d] += pv * dov[qBase + d];
          dq[qBase + d] += ds * kv[kBase + d];
          dk[kBase + d] += ds * qv[qBase + d];
        }
      }
    }
  }
  return { dq: new Tensor("f64", q.shape, dq), dk: new Tensor("f64", k.shape, dk), dv: new Tensor("f64", v.shape, dv) };
}

export function referenceAttentionDecode(
  q: Tensor,
  kCache: Tensor,
  vCache: Tensor,
  length: number,
  scale?: number,
  window?: number,
  options: AttentionOptions = {},
): Tensor {
  const s = checkAttentionDecode(q, kCache, vCache, length, scale, window);
  const { heads: H, kvHeads: Hkv, headDim: hd } = s;
  const group = H / Hkv;
  const bf16 = options.bf16 ?? false;
  const [qv, kv, vv] = [q, kCache, vCache].map((t) => operand(t, bf16));
  const start = s.window > 0 ? Math.max(0, length - s.window) : 0;
  const out = new Float64Array(H * hd);
  for (let h = 0; h < H; h++) {
    const kOff = Math.floor(h / group) * hd;
    const { weights } = scoreRow(qv, kv, h * hd, kOff, Hkv * hd, start, length, hd, s.scale, bf16);
    for (let j = start; j < length; j++) {
      for (let d = 0; d < hd; d++) out[h * hd + d] += weights[j - start] * vv[j * Hkv * hd + kOff + d];
    }
  }
  return new Tensor("f64", q.shape, out);
}
