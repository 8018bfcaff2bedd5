// Peak-memory planner for LoRA / QLoRA training steps on loraforge's CPU backend. The model enters as plain
// dimensions (no dependency on src/model); each term is counted from what the code holds:
//   weights      embeddings and lm_head in bf16, norms f32, the seven projections bf16 (lora) or 4-bit (qlora)
//   LoRA state   A, B (f32), their gradients, AdamW's two moments: 16 bytes per parameter
//   activations  per layer and token, f32: layer input and residual (2H), the two norm outputs the adapters keep
//                (2H), q, k, v, attention output (2q + 2kv), gate, up and down's input (3F), LoRA x·Aᵀ (7r), and
//                with dropout each adapter's masked input and its mask (8 bytes per input element); Gemma's sandwich
//                norms also keep the attention and MLP outputs (2H) and hold two more norm weights; with gradient
//                checkpointing only each layer's input (H) is kept, plus one layer in full during its backward
//   scratch      backward temporaries of one layer, the final hidden states and their gradient, the fused
//                cross-entropy's logits chunk (32 MiB, or 256 rows × vocab), GEMM packing and 4-bit panels per thread
//   runtime      Node, V8 and the addon: a constant, calibrated (bench/qlora/calibrate.ts)
// Calibration multiplies the activation and scratch terms by measured factors (ACTIVATION_FACTOR).

export interface PlanDims {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  /** Gemma: post-attention and post-feedforward norms on the blocks' outputs (docs/models/gemma3.md). */
  sandwichNorms?: boolean;
}

export interface PlanOptions {
  method: "lora" | "qlora";
  batchSize: number;
  maxSeqLength: number;
  gradientCheckpointing: boolean;
  loraR?: number;
  /** Dropout on the adapters' input (the trainer's default 0.05); > 0 keeps a masked copy per adapter. */
  loraDropout?: number;
  /** Native threads (per-thread scratch). */
  threads?: number;
  /** 4-bit scheme for qlora: double quantization on (default) or off. */
  doubleQuant?: boolean;
  /** Override the calibrated constants (the calibration script fits them). */
  calibration?: { runtimeBytes: number; activationFactor: number };
}

export interface MemoryPlan {
  weights: { embeddings: number; lmHead: number; linears: number; norms: number; total: number };
  lora: { parameters: number; params: number; gradients: number; optimizer: number; total: number };
  activations: number;
  scratch: number;
  runtime: number;
  /** While loading: weights so far plus one projection in bf16 (qlora quantizes tensor by tensor). */
  loadPeak: number;
  total: number;
}

/**
 * Calibrated constants: least squares over measured peak RSS of smollm2-135m steps (lora and qlora, batch 1,
 * 256 tokens, checkpointing on and off; 2 threads) by bench/qlora/calibrate.ts, which also reports the
 * held-out configurations. The activation factor is below 1 because some kept tensors are views of others
 * and freed pages are reused before the peak.
 */
export const RUNTIME_BYTES = 118 * 2 ** 20;
export const ACTIVATION_FACTOR = 0.816;

const MiB = 2 ** 20;

/** Bytes of one [out, in] weight in bitsandbytes 4-bit form, blocks of 64 (double quant: 8-bit codes, blocks of 256). */
export function quant4Bytes(out: number, inF: number, doubleQuant = true): number {
  const n = out * inF;
  const blocks = Math.ceil(n / 64);
  return Math.ceil(n / 2) + (doubleQuant ? blocks + 4 * Math.ceil(blocks / 256) + 1024 : 4 * blocks);
}

export function linearDims(d: PlanDims): Array<[number, number]> {
  const H = d.hiddenSize;
  const q = d.numHeads * d.headDim;
  const kv = d.numKvHeads * d.headDim;
  const F = d.intermediateSize;
  return [[q, H], [kv, H], [kv, H], [H, q], [F, H], [F, H], [H, F]];
}

export function planMemory(d: PlanDims, o: PlanOptions): MemoryPlan {
  const H = d.hiddenSize;
  const F = d.intermediateSize;
  const L = d.numLayers;
  const q = d.numHeads * d.headDim;
  const kv = d.numKvHeads * d.headDim;
  const r = o.loraR ?? 16;
  const dropout = (o.loraDropout ?? 0.05) > 0;
  const threads = o.threads ?? 2;
  const lin = linearDims(d);
  const tokens = o.batchSize * o.maxSeqLength;

  const linearBytes = L * lin.reduce((s, [out, inF]) => s + (o.method === "qlora" ? quant4Bytes(out, inF, o.doubleQuant ?? true) : 2 * out * inF), 0);
  const embeddings = 2 * d.vocabSize * H;
  const lmHead = d.tieWordEmbeddings ? 0 : 2 * d.vocabSize * H;
  const sandwich = d.sandwichNorms ? 1 : 0;
  const norms = 4 * ((2 + 2 * sandwich) * L + 1) * H;
  const weightsTotal = embeddings + lmHead + linearBytes + norms;

  const loraParams = L * lin.reduce((s, [out, inF]) => s + r * (out + inF), 0);
  const lora = { parameters: loraParams, params: 4 * loraParams, gradients: 4 * loraParams, optimizer: 8 * loraParams, total: 16 * loraParams };

  const perLayerToken = 4 * ((4 + 2 * sandwich) * H + 2 * q + 2 * kv + 3 * F + 7 * r + d.numHeads) + (dropout ? 8 * (5 * H + q + F) : 0);
  const kept = o.gradientCheckpointing ? tokens * (L * 4 * H + perLayerToken) : tokens * L * perLayerToken;
  const runtime = o.calibration?.runtimeBytes ?? RUNTIME_BYTES;
  const factor = o.calibration?.activationFactor ?? ACTIVATION_FACTOR;
  const activations = factor * kept;

  // Rows of one logits chunk, as ce_chunk_rows in native/src/kernels/cross_entropy_impl.h picks them.
  const ceRows = Math.min(tokens, Math.max(256, Math.min(1024, Math.floor(2 ** 23 / d.vocabSize))));
  const scratch =
    factor * tokens * 4 * (2 * F + 3 * H + q + 3 * H) + 4 * ceRows * d.vocabSize + threads * 5 * MiB;

  const largestLinear = Math.max(...lin.map(([out, inF]) => out * inF));
  const loadPeak = runtime + weightsTotal + (o.method === "qlora" ? 2 * largestLinear : 0);
  const train = runtime + weightsTotal + lora.total + activations + scratch;
  return {
    weights: { embeddings, lmHead, linears: linearBytes, norms, total: weightsTotal },
    lora,
    activations,
    scratch,
    runtime,
    loadPeak,
    total: Math.max(train, loadPeak),
  };
}

/** "16GB", "512MiB", "1.5G" → bytes (GB and G are GiB here, as memory is sized in binary units). */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m|g|t)?(i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? "").toLowerCase();
  const scale = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[unit]!;
  return Math.round(Number(m[1]) * scale);
}
