import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import path from "node:path";
import { LoraforgeError } from "../../util/errors.js";
import { PACKAGE_ROOT } from "../../util/package-info.js";

/** What the native addon exports (see native/src/addon.cpp and the bind_*.cpp files). */
export interface NativeAddon {
  info(): { isa: string; isas: string[]; threads: number; buildFlags: string; compiler: string };
  setIsa(name: string): void;
  setThreads(threads: number): void;
  gemm(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOffset: number,
    lda: number,
    transA: boolean,
    b: Float32Array | Uint16Array,
    bOffset: number,
    ldb: number,
    transB: boolean,
    bType: 0 | 1,
    c: Float32Array,
    cOffset: number,
    ldc: number,
    alpha: number,
    beta: number,
    /** The bf16 compute mode: both operands rounded to bf16, f32 accumulation (native/src/gemm.h). */
    bf16Ops?: boolean,
  ): void;
  // Non-GEMM kernels (native/src/bind_ops.cpp): flat arrays, dimensions, outputs written in place.
  rmsNorm(x: Float32Array, w: Float32Array, eps: number, rows: number, dim: number, y: Float32Array, rstd: Float32Array): void;
  rmsNormBackward(dy: Float32Array, x: Float32Array, w: Float32Array, rstd: Float32Array, rows: number, dim: number, dx: Float32Array): void;
  rope(
    x: Float32Array,
    positions: Int32Array,
    tokens: number,
    heads: number,
    headDim: number,
    rotary: number,
    theta: number,
    llama3: [number, number, number, number] | null,
    sign: 1 | -1,
    out: Float32Array,
  ): void;
  swiglu(gate: Float32Array, up: Float32Array, out: Float32Array): void;
  swigluBackward(dy: Float32Array, gate: Float32Array, up: Float32Array, dGate: Float32Array, dUp: Float32Array): void;
  geglu(gate: Float32Array, up: Float32Array, out: Float32Array): void;
  gegluBackward(dy: Float32Array, gate: Float32Array, up: Float32Array, dGate: Float32Array, dUp: Float32Array): void;
  embedding(w: Float32Array | Uint16Array, wType: 0 | 1, ids: Int32Array, vocab: number, dim: number, out: Float32Array): void;
  embeddingBackward(dy: Float32Array, ids: Int32Array, vocab: number, dim: number, dw: Float32Array): void;
  attention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    segmentIds: Int32Array,
    tokens: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    scale: number,
    out: Float32Array,
    lse: Float32Array,
    window: number,
    bf16Ops?: boolean,
  ): void;
  attentionBackward(
    dOut: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    out: Float32Array,
    lse: Float32Array,
    segmentIds: Int32Array,
    tokens: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    scale: number,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    window: number,
    bf16Ops?: boolean,
  ): void;
  attentionDecode(
    q: Float32Array,
    kCache: Float32Array,
    vCache: Float32Array,
    capacity: number,
    length: number,
    heads: number,
    kvHeads: number,
    headDim: number,
    scale: number,
    out: Float32Array,
    window: number,
    bf16Ops?: boolean,
  ): void;
  /** Returns [lossSum, count]. */
  crossEntropyLinear(
    h: Float32Array,
    w: Float32Array | Uint16Array,
    wType: 0 | 1,
    targets: Int32Array,
    tokens: number,
    dim: number,
    vocab: number,
    gradScale: number,
    dh: Float32Array | null,
    bf16Ops?: boolean,
  ): [number, number];
  dropout(x: Float32Array, key: number, threshold: number, scale: number, out: Float32Array): void;
  axpy(y: Float32Array, x: Float32Array, alpha: number): void;
  scale(x: Float32Array, alpha: number): void;
  adamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;
  sgd(p: Float32Array, g: Float32Array, lr: number, weightDecay: number): void;
  sumSquares(x: Float32Array): number;
}

let cached: NativeAddon | undefined;

/** Loads build/Release/loraforge.node once. */
export function nativeAddon(): NativeAddon {
  if (cached) return cached;
  const file = path.join(PACKAGE_ROOT, "build", "Release", "loraforge.node");
  if (!existsSync(file)) {
    throw new LoraforgeError(`the native addon is not built (${file} is missing)`, {
      hint: "run `npm install` (or `npm run build:native`) in the loraforge folder",
    });
  }
  const require = createRequire(import.meta.url);
  cached = require(file) as NativeAddon;
  return cached;
}
