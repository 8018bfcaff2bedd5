import type { Tensor } from "./tensor.js";

/**
 * The non-GEMM kernels that training and inference need. Each exists in the cpu backend (native, f32) and the
 * float64 reference backend. Shapes are row-major; T = tokens (a batch is flattened into rows), D = model width,
 * H = query heads, Hkv = key/value heads, hd = head_dim, V = vocabulary. Weights may be f32 or bf16; activations
 * are f32 on cpu and f64 (or any float dtype as input) on reference. Ops return new tensors unless they say
 * "in place".
 */
export interface RopeConfig {
  /** rope_theta */
  theta: number;
  /** Rotated dimensions per head, even (= head_dim for the Llama family; fewer = partial rotary, the rest pass through). */
  headDim: number;
  /** `rope_type: "llama3"` frequency scaling; absent = default RoPE. */
  llama3?: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };
}

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count after this update (bias correction uses it). */
  step: number;
}

export interface KernelOps {
  /** y = w · x / sqrt(mean(x²) + eps) per row. x [T, D], w [D] → y [T, D]; rstd [T] kept for backward. */
  rmsNorm(x: Tensor, weight: Tensor, eps: number): { y: Tensor; rstd: Tensor };
  /** dx of rmsNorm (weight frozen). */
  rmsNormBackward(dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor): Tensor;

  /** Rotate-half RoPE (Hugging Face convention). x [T, heads, hd], positions i32 [T] → rotated copy. */
  rope(x: Tensor, positions: Tensor, config: RopeConfig): Tensor;
  /** Gradient of rope (the inverse rotation of dy). */
  ropeBackward(dy: Tensor, positions: Tensor, config: RopeConfig): Tensor;

  /** silu(gate) * up, elementwise. */
  swiglu(gate: Tensor, up: Tensor): Tensor;
  swigluBackward(dy: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor };
  /** gelu_pytorch_tanh(gate) * up, elementwise (Gemma's GeGLU). */
  geglu(gate: Tensor, up: Tensor): Tensor;
  gegluBackward(dy: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor };

  /** Rows of weight [V, D] gathered by ids i32 [T] → [T, D]. */
  embedding(weight: Tensor, ids: Tensor): Tensor;
  /** Scatter-add of dy [T, D] into a [V, D] gradient (rows of repeated ids add up). */
  embeddingBackward(dy: Tensor, ids: Tensor, vocabSize: number): Tensor;

  /**
   * Causal self-attention with grouped-query heads and segments: token i attends to tokens j ≤ i with
   * segmentIds[j] = segmentIds[i] (segments must be contiguous runs: an id that resumes after another segment is
   * a ShapeError). q [T, H, hd], k and v [T, Hkv, hd], H a
   * multiple of Hkv (query head h uses kv head floor(h / (H/Hkv))). Scale = 1/sqrt(hd) unless given.
   * A sliding `window` W > 0 further limits token i to keys with i − j < W (W keys counting itself); undefined or
   * 0 = unlimited. Returns out [T, H, hd] and the log-sum-exp of each softmax row, lse [H, T], for backward.
   */
  attention(q: Tensor, k: Tensor, v: Tensor, segmentIds: Tensor, scale?: number, window?: number, options?: AttentionOptions): { out: Tensor; lse: Tensor };
  attentionBackward(
    dOut: Tensor,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    out: Tensor,
    lse: Tensor,
    segmentIds: Tensor,
    scale?: number,
    window?: number,
    options?: AttentionOptions,
  ): { dq: Tensor; dk: Tensor; dv: Tensor };
  /**
   * One decoding step: q [H, hd] against the first `length` positions of a KV cache kCache/vCache
   * [capacity, Hkv, hd] (the new token's k/v already written at length-1) → out [H, hd]. With a sliding `window`
   * W > 0 the query sees cache rows max(0, length − W) … length − 1 only.
   */
  attentionDecode(q: Tensor, kCache: Tensor, vCache: Tensor, length: number, scale?: number, window?: number, options?: AttentionOptions): Tensor;

  /**
   * Fused lm_head + cross-entropy in token chunks, never holding [T, V] logits. h [T, D], w [V, D],
   * targets i32 [T] already aligned to rows (−100 = not counted). Returns the loss sum over counted targets,
   * their count, and (when gradScale is given) dh = gradScale · d(lossSum)/dh [T, D]. w is frozen (no dW).
   * The cpu backend holds one chunk of logits at a time: rows per chunk = min(T, max(256, min(1024, 2²³ / V))), i.e.
   * ~32 MiB, or 256 rows for a large vocabulary (268 MB at V = 262,144).
   */
  crossEntropyLinear(
    h: Tensor,
    w: Tensor,
    targets: Tensor,
    gradScale?: number,
    options?: CrossEntropyOptions,
  ): { lossSum: number; count: number; dh?: Tensor };
  /**
   * Inverted dropout as torch.nn.Dropout (multiply by 0 with probability p, scale the rest by 1/(1 − p)), with a
   * counter-based mask: element i drops when a 32-bit hash of (key, i) falls below p·2³². The mask is a pure
   * function of (key, i), so the same key replays it (backward, recomputation) on any backend and thread count.
   * Writes into `out` when given (it may be x itself).
   */
  dropout(x: Tensor, p: number, key: number, out?: Tensor): Tensor;
  /** In place: y += alpha · x (same shapes). */
  axpy(y: Tensor, x: Tensor, alpha: number): void;

  /** In place AdamW step, exactly torch.optim.AdamW (decoupled decay, bias-corrected moments). */
  adamwStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: AdamWHyper): void;
  /** In place: param -= lr · (grad + weightDecay · param). */
  sgdStep(param: Tensor, grad: Tensor, lr: number, weightDecay: number): void;
  /** Global L2 norm over all tensors (fixed reduction order). */
  gradNorm(grads: Tensor[]): number;
  /** Scales all grads in place by min(1, maxNorm / (norm + 1e-6)), as torch clip_grad_norm_; returns the norm. */
  clipGradNorm(grads: Tensor[], maxNorm: number): number;
}

export interface AttentionOptions {
  /**
   * The bf16 compute mode for every attention product (QKᵀ, P·V and the backward's): operands rounded to bf16
   * (nearest-even, as GemmOptions.bf16), f32 sums; softmax, log-sum-exp, scaling and masks stay f32, as torch
   * autocast's CPU flash attention. The forward rounds P's numerators exp(s − M) with M the row's max score
   * rounded up to a multiple of ln 2, and divides by their unrounded sum after the product.
   */
  bf16?: boolean;
}

export interface CrossEntropyOptions {
  /** The bf16 compute mode for both lm_head products (GemmOptions.bf16); the softmax and the loss stay f32. */
  bf16?: boolean;
}
