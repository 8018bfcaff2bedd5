import { ShapeError } from "../util/errors.js";
import type { Tensor } from "./tensor.js";
import { shapeString } from "./tensor.js";

/**
 * Shape and argument checks of the KernelOps, shared by both backends so that a bad call fails the same way on
 * each, with a message naming the op and the shapes. Dtype rules are each backend's own.
 */

export function fail(op: string, tensors: Record<string, Tensor>, problem: string): never {
  const parts = Object.entries(tensors).map(([name, t]) => `${name} ${shapeString(t)}`);
  throw new ShapeError(`${op}: ${parts.join(", ")}: ${problem}`);
}

function isFloat(t: Tensor): boolean {
  return t.dtype !== "i32";
}

/** Checks that every tensor named is a float tensor. */
export function requireFloat(op: string, tensors: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(tensors)) if (!isFloat(t)) fail(op, tensors, `${name} must be a float tensor`);
}

export function requireI32(op: string, tensors: Record<string, Tensor>, name: string): void {
  if (tensors[name].dtype !== "i32") fail(op, tensors, `${name} must be i32`);
}

export function requireShape(op: string, tensors: Record<string, Tensor>, name: string, shape: readonly number[]): void {
  const t = tensors[name];
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(op, tensors, `${name} must be [${shape.join(", ")}]`);
  }
}

function requireFiniteNumber(op: string, name: string, value: number): void {
  if (!Number.isFinite(value)) throw new ShapeError(`${op}: ${name} must be a finite number, got ${value}`);
}

export function checkRmsNorm(x: Tensor, weight: Tensor, eps: number): { rows: number; dim: number } {
  const ts = { x, weight };
  requireFloat("rmsNorm", ts);
  if (x.rank !== 2) fail("rmsNorm", ts, "x must be [T, D]");
  requireShape("rmsNorm", ts, "weight", [x.shape[1]]);
  requireFiniteNumber("rmsNorm", "eps", eps);
  if (eps < 0) throw new ShapeError(`rmsNorm: eps must be >= 0, got ${eps}`);
  return { rows: x.shape[0], dim: x.shape[1] };
}

export function checkRmsNormBackward(dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor): { rows: number; dim: number } {
  const ts = { dy, x, weight, rstd };
  requireFloat("rmsNormBackward", ts);
  if (x.rank !== 2) fail("rmsNormBackward", ts, "x must be [T, D]");
  const [rows, dim] = x.shape;
  requireShape("rmsNormBackward", ts, "dy", [rows, dim]);
  requireShape("rmsNormBackward", ts, "weight", [dim]);
  requireShape("rmsNormBackward", ts, "rstd", [rows]);
  return { rows, dim };
}

export interface RopeShape {
  tokens: number;
  heads: number;
  headDim: number;
  /** Rotated dimensions (even, <= headDim); the rest pass through. */
  rotary: number;
}

export function checkRope(op: string, x: Tensor, positions: Tensor, config: { theta: number; headDim: number; llama3?: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number } }): RopeShape {
  const ts = { x, positions };
  requireFloat(op, { x });
  requireI32(op, ts, "positions");
  if (x.rank !== 3) fail(op, ts, "x must be [T, heads, head_dim]");
  const [tokens, heads, headDim] = x.shape;
  requireShape(op, ts, "positions", [tokens]);
  const rotary = config.headDim;
  if (!Number.isInteger(rotary) || rotary < 2 || rotary % 2 !== 0 || rotary > headDim) {
    fail(op, ts, `config.headDim ${rotary} must be even and between 2 and head_dim ${headDim}`);
  }
  if (!(config.theta > 0) || !Number.isFinite(config.theta)) throw new ShapeError(`${op}: theta must be a positive number, got ${config.theta}`);
  const l3 = config.llama3;
  if (l3) {
    const ok = l3.factor > 0 && l3.lowFreqFactor > 0 && l3.highFreqFactor > l3.lowFreqFactor && l3.originalMaxPositionEmbeddings > 0;
    if (!ok) throw new ShapeError(`${op}: llama3 scaling needs factor > 0, 0 < lowFreqFactor < highFreqFactor, originalMaxPositionEmbeddings > 0`);
  }
  return { tokens, heads, headDim, rotary };
}

export function checkSameShape(op: string, tensors: Record<string, Tensor>): number {
  requireFloat(op, tensors);
  const entries = Object.entries(tensors);
  const first = entries[0][1];
  for (const [name] of entries.slice(1)) requireShape(op, tensors, name, first.shape);
  return first.numel;
}

export function checkEmbedding(weight: Tensor, ids: Tensor): { vocab: number; dim: number; tokens: number } {
  const ts = { weight, ids };
  requireFloat("embedding", { weight });
  requireI32("embedding", ts, "ids");
  if (weight.rank !== 2) fail("embedding", ts, "weight must be [V, D]");
  if (ids.rank !== 1) fail("embedding", ts, "ids must be [T]");
  const vocab = weight.shape[0];
  requireIdsInRange("embedding", ts, ids, vocab, false);
  return { vocab, dim: weight.shape[1], tokens: ids.shape[0] };
}

export function checkEmbeddingBackward(dy: Tensor, ids: Tensor, vocabSize: number): { dim: number; tokens: number } {
  const ts = { dy, ids };
  requireFloat("embeddingBackward", { dy });
  requireI32("embeddingBackward", ts, "ids");
  if (dy.rank !== 2) fail("embeddingBackward", ts, "dy must be [T, D]");
  requireShape("embeddingBackward", ts, "ids", [dy.shape[0]]);
  if (!Number.isInteger(vocabSize) || vocabSize < 0) throw new ShapeError(`embeddingBackward: vocabSize must be a non-negative integer, got ${vocabSize}`);
  requireIdsInRange("embeddingBackward", ts, ids, vocabSize, false);
  return { dim: dy.shape[1], tokens: dy.shape[0] };
}

function requireIdsInRange(op: string, ts: Record<string, Tensor>, ids: Tensor, limit: number, allowIgnore: boolean): void {
  const data = ids.data;
  for (let i = 0; i < data.length; i++) {
    const id = data[i];
    if ((id < 0 || id >= limit) && !(allowIgnore && id === -100)) {
      fail(op, ts, `id ${id} at position ${i} is outside [0, ${limit})${allowIgnore ? " and is not -100" : ""}`);
    }
  }
}

export interface AttentionShape {
  tokens: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  scale: number;
  /** Sliding window in keys (0 = unlimited). */
  window: number;
}

function resolveScale(op: string, headDim: number, scale: number | undefined): number {
  const s = scale ?? 1 / Math.sqrt(headDim);
  requireFiniteNumber(op, "scale", s);
  return s;
}

function resolveWindow(op: string, window: number | undefined): number {
  const w = window ?? 0;
  if (!Number.isSafeInteger(w) || w < 0) throw new ShapeError(`${op}: window must be a non-negative integer (0 = unlimited), got ${w}`);
  return w;
}

function checkHeads(op: string, ts: Record<string, Tensor>, heads: number, kvHeads: number): void {
  if (kvHeads === 0 || heads % kvHeads !== 0) fail(op, ts, `query heads ${heads} must be a multiple of kv heads ${kvHeads}`);
}

export function checkAttention(op: string, q: Tensor, k: Tensor, v: Tensor, segmentIds: Tensor, scale: number | undefined, window: number | undefined): AttentionShape {
  const ts = { q, k, v, segmentIds };
  requireFloat(op, { q, k, v });
  requireI32(op, ts, "segmentIds");
  if (q.rank !== 3) fail(op, ts, "q must be [T, H, hd]");
  const [tokens, heads, headDim] = q.shape;
  if (k.rank !== 3 || k.shape[0] !== tokens || k.shape[2] !== headDim) fail(op, ts, "k must be [T, Hkv, hd]");
  const kvHeads = k.shape[1];
  requireShape(op, ts, "v", k.shape);
  requireShape(op, ts, "segmentIds", [tokens]);
  checkHeads(op, ts, heads, kvHeads);
  if (headDim === 0) fail(op, ts, "head_dim must be positive");
  requireContiguousSegments(op, ts, segmentIds);
  return { tokens, heads, kvHeads, headDim, scale: resolveScale(op, headDim, scale), window: resolveWindow(op, window) };
}

/** Segments must be contiguous runs: an id that ended may not come back later. */
function requireContiguousSegments(op: string, ts: Record<string, Tensor>, segmentIds: Tensor): void {
  const seen = new Set<number>();
  const ids = segmentIds.data;
  for (let i = 0; i < ids.length; i++) {
    if (i > 0 && ids[i] === ids[i - 1]) continue;
    if (seen.has(ids[i])) fail(op, ts, `segment id ${ids[i]} at position ${i} resumes after another segment (segments must be contiguous)`);
    seen.add(ids[i]);
  }
}

export function checkAttentionBackward(dOut: Tensor, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, segmentIds: Tensor, scale: number | undefined, window: number | undefined): AttentionShape {
  const s = checkAttention("attentionBackward", q, k, v, segmentIds, scale, window);
  const ts = { dOut, q, k, v, out, lse };
  requireFloat("attentionBackward", ts);
  requireShape("attentionBackward", ts, "dOut", q.shape);
  requireShape("attentionBackward", ts, "out", q.shape);
  requireShape("attentionBackward", ts, "lse", [s.heads, s.tokens]);
  return s;
}

export interface DecodeShape {
  heads: number;
  kvHeads: number;
  headDim: number;
  capacity: number;
  length: number;
  scale: number;
  window: number;
}

export function checkAttentionDecode(q: Tensor, kCache: Tensor, vCache: Tensor, length: number, scale: number | undefined, window: number | undefined): DecodeShape {
  const op = "attentionDecode";
  const ts = { q, kCache, vCache };
  requireFloat(op, ts);
  if (q.rank !== 2) fail(op, ts, "q must be [H, hd]");
  const [heads, headDim] = q.shape;
  if (kCache.rank !== 3 || kCache.shape[2] !== headDim) fail(op, ts, "kCache must be [capacity, Hkv, hd]");
  requireShape(op, ts, "vCache", kCache.shape);
  const [capacity, kvHeads] = kCache.shape;
  checkHeads(op, ts, heads, kvHeads);
  if (headDim === 0) fail(op, ts, "head_dim must be positive");
  if (!Number.isInteger(length) || length < 1 || length > capacity) fail(op, ts, `length ${length} must be an integer in [1, ${capacity}]`);
  return { heads, kvHeads, headDim, capacity, length, scale: resolveScale(op, headDim, scale), window: resolveWindow(op, window) };
}

export function checkCrossEntropy(h: Tensor, w: Tensor, targets: Tensor, gradScale: number | undefined): { tokens: number; dim: number; vocab: number } {
  const op = "crossEntropyLinear";
  const ts = { h, w, targets };
  requireFloat(op, { h, w });
  requireI32(op, ts, "targets");
  if (h.rank !== 2) fail(op, ts, "h must be [T, D]");
  const [tokens, dim] = h.shape;
  if (w.rank !== 2 || w.shape[1] !== dim) fail(op, ts, `w must be [V, ${dim}]`);
  requireShape(op, ts, "targets", [tokens]);
  const vocab = w.shape[0];
  if (vocab === 0) fail(op, ts, "vocabulary must not be empty");
  requireIdsInRange(op, ts, targets, vocab, true);
  if (gradScale !== undefined) requireFiniteNumber(op, "gradScale", gradScale);
  return { tokens, dim, vocab };
}

export function checkAdamW(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number }): number {
  const n = checkSameShape("adamwStep", { param, grad, m, v });
  for (const key of ["lr", "beta1", "beta2", "eps", "weightDecay", "step"] as const) requireFiniteNumber("adamwStep", key, hyper[key]);
  if (!Number.isInteger(hyper.step) || hyper.step < 1) throw new ShapeError(`adamwStep: step must be an integer >= 1, got ${hyper.step}`);
  if (!(hyper.beta1 >= 0 && hyper.beta1 < 1 && hyper.beta2 >= 0 && hyper.beta2 < 1)) {
    throw new ShapeError(`adamwStep: betas must lie in [0, 1), got ${hyper.beta1}, ${hyper.beta2}`);
  }
  return n;
}

/** Dropout's arguments, and the drop threshold (p·2³², hashes below it drop) and keep scale 1/(1 − p). */
export function checkDropout(x: Tensor, p: number, key: number, out: Tensor | undefined): { n: number; threshold: number; scale: number } {
  const n = out ? checkSameShape("dropout", { x, out }) : checkSameShape("dropout", { x });
  if (!(p >= 0 && p < 1)) throw new ShapeError(`dropout: p must lie in [0, 1), got ${p}`);
  if (!Number.isInteger(key) || key < 0 || key > 0xffffffff) throw new ShapeError(`dropout: key must be a 32-bit unsigned integer, got ${key}`);
  return { n, threshold: Math.min(0xffffffff, Math.floor(p * 2 ** 32)), scale: 1 / (1 - p) };
}

export function checkScalars(op: string, values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) requireFiniteNumber(op, name, value);
}

export function checkGradList(op: string, grads: Tensor[]): void {
  grads.forEach((g, i) => {
    if (g.dtype === "i32") throw new ShapeError(`${op}: grads[${i}] ${shapeString(g)} must be a float tensor`);
  });
}
