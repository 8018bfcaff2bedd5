import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CheckpointReader, tensorSources, writeCheckpoint } from "../../../src/formats/index.js";
import { Tensor } from "../../../src/tensor/index.js";
import { Rng } from "../../../src/util/rng.js";
import type { Model, ModelConfig } from "../../../src/model/index.js";
import { forwardLogits, generate, loadModel, lossAndGradients, makeBatch } from "../../../src/model/index.js";
import { planInitModel, writeInitModel } from "../../../src/model/init.js";
import type { LoraAdapter } from "../../../src/lora/index.js";
import { attachAdapter, buildLoraAdapter, detachAdapter, loadAdapter, loraConfig } from "../../../src/lora/index.js";

/**
 * One interop case, shared by the Python interop step (through driver.ts) and the golden re-check in npm test:
 * a random-initialized `tiny` folder of an architecture with a 256-token vocabulary, two sequences packed in one
 * batch, and a seeded LoRA adapter on all seven projections with B ≠ 0 (init_lora_weights false).
 */
export const CASE = {
  preset: "tiny",
  vocabSize: 256,
  modelSeed: 1,
  adapterSeed: 7,
  r: 4,
  loraAlpha: 8,
  sequences: [
    [5, 17, 250, 3, 99, 42, 42, 7, 130],
    [11, 200, 64, 9, 31, 77, 2],
  ],
} as const;

export const ARCHS = ["llama", "mistral", "qwen2", "qwen3", "gemma3"] as const;

/**
 * Greedy decoding of the second sequence with the seeded adapter and a repetition penalty (must match
 * interop/steps/20_model_peft.py): a random-init model alone repeats one token, which would check nothing, and the
 * first sequence starts with a near-tie on qwen2.
 */
export const GREEDY = { maxNewTokens: 12, repetitionPenalty: 1.3, eosTokenIds: [] as number[] };
const GREEDY_PROMPT = 1;

/** The sliding window of the windowed cases: shorter than both sequences (9 and 7 tokens) and the greedy run. */
export const WINDOW = 4;

/**
 * Mistral's case has its own config, so its golden is not llama's under another name: 2 KV heads (GQA 4:1), RoPE
 * base 1e6, and a sliding_window on every layer. Qwen2's turns use_sliding_window on for the layers from
 * max_window_layers = 2 up, so one model has full and windowed layers.
 */
const CONFIG_CHANGES: Partial<Record<(typeof ARCHS)[number], (c: ModelConfig) => void>> = {
  mistral: (c) => {
    c.numKvHeads = 2;
    c.ropeTheta = 1e6;
    c.slidingWindow = { size: WINDOW, layers: Array.from({ length: c.numLayers }, (_, i) => i) };
  },
  qwen2: (c) => {
    c.slidingWindow = { size: WINDOW, layers: Array.from({ length: c.numLayers }, (_, i) => i).filter((i) => i >= 2) };
  },
  // Gemma 3 with both layer types ([sliding, full, sliding, full], pattern 2) and a window of 3, shorter than the
  // 9- and 7-token sequences and the greedy continuation; its own rope bases and a scale ≠ head_dim^-0.5.
  gemma3: (c) => {
    c.slidingWindow = { size: 3, layers: [0, 2] };
    c.ropeTheta = 1e6;
    c.ropeLocalTheta = 1e4;
    c.queryPreAttnScalar = 24;
  },
};

/** Seeded norm weights w ∈ [−0.5, 0.5] (init-model writes 0, a multiplier of 1), so (1 + w) is checked too. */
export function randomizeNorms(dir: string, seed = CASE.modelSeed + 100): void {
  const reader = CheckpointReader.open(dir);
  const tensors = new Map(reader.names().map((n) => [n, reader.read(n)]));
  reader.close();
  const rng = new Rng(seed);
  for (const [name, t] of tensors) {
    if (!name.endsWith("norm.weight")) continue;
    const w = Tensor.zeros(t.shape, "f32");
    for (let i = 0; i < w.numel; i++) w.set(i, rng.uniform(-0.5, 0.5));
    tensors.set(name, w.to(t.dtype));
  }
  writeCheckpoint(dir, tensorSources(tensors));
}

export function makeFolder(arch: string, dir: string): void {
  const plan = planInitModel({ preset: CASE.preset, arch, vocabSize: CASE.vocabSize, seed: CASE.modelSeed });
  CONFIG_CHANGES[arch as (typeof ARCHS)[number]]?.(plan.config);
  writeInitModel(dir, plan, { overwrite: true });
  if (plan.config.rmsNormUnitOffset) randomizeNorms(dir);
}

export function tempFolder(arch: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `loraforge-interop-${arch}-`));
  makeFolder(arch, dir);
  return dir;
}

export function oursAdapter(model: Model): LoraAdapter {
  const config = loraConfig({ r: CASE.r, loraAlpha: CASE.loraAlpha, targetModules: "all-linear", initLoraWeights: false });
  return buildLoraAdapter(model, config, { seed: CASE.adapterSeed });
}

export function batch() {
  return makeBatch(CASE.sequences.map((s) => ({ inputIds: s })));
}

/** Loss and LoRA gradients (per module path, A and B) of the attached adapter on the case's batch. */
export function lossAndGrads(model: Model, adapter: LoraAdapter): { loss: number; grads: Map<string, { A: Tensor; B: Tensor }> } {
  attachAdapter(model, adapter);
  adapter.zeroGradients();
  const { loss } = lossAndGradients(model, batch());
  const grads = new Map([...adapter.modules].map(([p, m]) => [p, { A: m.gradA, B: m.gradB }]));
  detachAdapter(model);
  return { loss, grads };
}

export function logitsWith(model: Model, adapter?: LoraAdapter): Tensor {
  if (adapter) attachAdapter(model, adapter);
  const logits = forwardLogits(model, batch());
  detachAdapter(model);
  return logits;
}

/** GREEDY's continuation of the first sequence with the adapter attached. */
export function greedyWith(model: Model, adapter: LoraAdapter): number[] {
  attachAdapter(model, adapter);
  const tokens = generate(model, CASE.sequences[GREEDY_PROMPT], GREEDY).tokens;
  detachAdapter(model);
  return tokens;
}

/** ‖ours − ref‖ / ‖ref‖ over the entries of `ref`. */
export function relError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < ref.length; i++) {
    diff += (ours[i] - ref[i]) ** 2;
    norm += ref[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** The first `cols` vocabulary columns of each row of row-major logits, flattened. */
export function columns(logits: Float32Array, vocab: number, cols: number): number[] {
  const out: number[] = [];
  for (let row = 0; row < logits.length / vocab; row++) out.push(...logits.subarray(row * vocab, row * vocab + cols));
  return out;
}

export { loadAdapter, loadModel };
