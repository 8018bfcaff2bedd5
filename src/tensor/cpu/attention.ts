import type { AttentionOptions } from "../kernel-ops.js";
import { checkAttention, checkAttentionBackward, checkAttentionDecode } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data } from "./common.js";

export function cpuAttention(q: Tensor, k: Tensor, v: Tensor, segmentIds: Tensor, scale?: number, window?: number, options: AttentionOptions = {}): { out: Tensor; lse: Tensor } {
  const s = checkAttention("attention", q, k, v, segmentIds, scale, window);
  f32("attention", { q, k, v });
  const out = Tensor.zeros(q.shape);
  const lse = Tensor.zeros([s.heads, s.tokens]);
  if (s.tokens > 0) {
    nativeAddon().attention(f32Data(q), f32Data(k), f32Data(v), segmentIds.data as Int32Array, s.tokens, s.heads, s.kvHeads, s.headDim, s.scale, f32Data(out), f32Data(lse), s.window, options.bf16 ?? false);
  }
  return { out, lse };
}

export function cpuAttentionBackward(
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
  f32("attentionBackward", { dOut, q, k, v, out, lse });
  const dq = Tensor.zeros(q.shape);
  const dk = Tensor.zeros(k.shape);
  const dv = Tensor.zeros(v.shape);
  if (s.tokens > 0) {
    nativeAddon().attentionBackward(
      f32Data(dOut),
      f32Data(q),
      f32Data(k),
      f32Data(v),
      f32Data(out),
      f32Data(lse),
      segmentIds.data as Int32Array,
      s.tokens,
      s.heads,
      s.kvHeads,
      s.headDim,
      s.scale,
      f32Data(dq),
      f32Data(dk),
      f32Data(dv),
      s.window,
      options.bf16 ?? false,
    );
  }
  return { dq, dk, dv };
}

export function cpuAttentionDecode(q: Tensor, kCache: Tensor, vCache: Tensor, length: number, scale?: number, window?: number, options: AttentionOptions = {}): Tensor {
  const s = checkAttentionDecode(q, kCache, vCache, length, scale, window);
  f32("attentionDecode", { q, kCache, vCache });
  const out = Tensor.zeros(q.shape);
  nativeAddon().attentionDecode(f32Data(q), f32Data(kCache), f32Data(vCache), s.capacity, s.length, s.heads, s.kvHeads, s.headDim, s.scale, f32Data(out), s.window, options.bf16 ?? false);
  return out;
}
