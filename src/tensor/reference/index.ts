import type { Backend } from "../backend.js";
import { referenceAttention, referenceAttentionBackward, referenceAttentionDecode } from "./attention.js";
import { referenceCrossEntropyLinear } from "./cross-entropy.js";
import { referenceDropout } from "./dropout.js";
import { referenceEmbedding, referenceEmbeddingBackward } from "./embedding.js";
import { referenceGemm } from "./gemm.js";
import { referenceRmsNorm, referenceRmsNormBackward } from "./norm.js";
import { referenceAdamwStep, referenceAxpy, referenceClipGradNorm, referenceGradNorm, referenceSgdStep } from "./optim.js";
import { referenceRope, referenceRopeBackward } from "./rope.js";
import { referenceSwiglu, referenceSwigluBackward } from "./swiglu.js";
import { referenceGeglu, referenceGegluBackward } from "./geglu.js";

/**
 * The float64 reference backend: plain TypeScript, slow and exact. It imports nothing from the native side,
 * so comparing it with the cpu backend is an independent check.
 */
export const referenceBackend: Backend = {
  name: "reference",
  gemm: referenceGemm,
  rmsNorm: referenceRmsNorm,
  rmsNormBackward: referenceRmsNormBackward,
  rope: referenceRope,
  ropeBackward: referenceRopeBackward,
  swiglu: referenceSwiglu,
  swigluBackward: referenceSwigluBackward,
  geglu: referenceGeglu,
  gegluBackward: referenceGegluBackward,
  embedding: referenceEmbedding,
  embeddingBackward: referenceEmbeddingBackward,
  attention: referenceAttention,
  attentionBackward: referenceAttentionBackward,
  attentionDecode: referenceAttentionDecode,
  crossEntropyLinear: referenceCrossEntropyLinear,
  dropout: referenceDropout,
  axpy: referenceAxpy,
  adamwStep: referenceAdamwStep,
  sgdStep: referenceSgdStep,
  gradNorm: referenceGradNorm,
  clipGradNorm: referenceClipGradNorm,
};
