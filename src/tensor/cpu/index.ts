import type { Backend } from "../backend.js";
import { nativeAddon } from "./addon.js";
import { cpuAttention, cpuAttentionBackward, cpuAttentionDecode } from "./attention.js";
import { cpuCrossEntropyLinear } from "./cross-entropy.js";
import { cpuDropout } from "./dropout.js";
import { cpuEmbedding, cpuEmbeddingBackward } from "./embedding.js";
import { cpuGemm } from "./gemm.js";
import { cpuRmsNorm, cpuRmsNormBackward } from "./norm.js";
import { cpuAdamwStep, cpuAxpy, cpuClipGradNorm, cpuGradNorm, cpuSgdStep } from "./optim.js";
import { cpuRope, cpuRopeBackward } from "./rope.js";
import { cpuGeglu, cpuGegluBackward, cpuSwiglu, cpuSwigluBackward } from "./gated.js";

/** The native CPU backend (f32 compute; weights f32 or bf16). */
export const cpuBackend: Backend = {
  name: "cpu",
  gemm: cpuGemm,
  rmsNorm: cpuRmsNorm,
  rmsNormBackward: cpuRmsNormBackward,
  rope: cpuRope,
  ropeBackward: cpuRopeBackward,
  swiglu: cpuSwiglu,
  swigluBackward: cpuSwigluBackward,
  geglu: cpuGeglu,
  gegluBackward: cpuGegluBackward,
  embedding: cpuEmbedding,
  embeddingBackward: cpuEmbeddingBackward,
  attention: cpuAttention,
  attentionBackward: cpuAttentionBackward,
  attentionDecode: cpuAttentionDecode,
  crossEntropyLinear: cpuCrossEntropyLinear,
  dropout: cpuDropout,
  axpy: cpuAxpy,
  adamwStep: cpuAdamwStep,
  sgdStep: cpuSgdStep,
  gradNorm: cpuGradNorm,
  clipGradNorm: cpuClipGradNorm,
};

export interface NativeInfo {
  /** Kernel path in use: "portable", "avx2" or "avx512". */
  isa: string;
  /** Kernel paths this CPU can run. */
  isas: string[];
  threads: number;
  buildFlags: string;
  compiler: string;
}

export function nativeInfo(): NativeInfo {
  return nativeAddon().info();
}

/** Picks the kernel path ("portable" | "avx2" | "avx512"); throws when this CPU cannot run it. */
export function setKernelPath(isa: string): void {
  nativeAddon().setIsa(isa);
}

/** Resizes the native thread pool. Results do not depend on the thread count. */
export function setThreads(threads: number): void {
  nativeAddon().setThreads(threads);
}
