import type { DType } from "../../../src/tensor/index.js";
import { Tensor } from "../../../src/tensor/index.js";
import type { DecoderLayerWeights, DecoderWeights, FrozenLinear, Model, ModelBackend, ModelConfig } from "../../../src/model/index.js";
import { createModel, presetConfig } from "../../../src/model/index.js";
import { Rng } from "../../../src/util/rng.js";

/**
 * A micro config of a real architecture: hidden 24, 2 layers, 4 query / 2 kv heads of width 8 (≠ 24/4, as
 * Qwen3 allows), intermediate 40, vocabulary 50.
 */
export function microConfig(arch: "llama" | "qwen2" | "qwen3" | "mistral" | "gemma3", overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    ...presetConfig("tiny", arch),
    vocabSize: 50,
    hiddenSize: 24,
    intermediateSize: 40,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    ropeTheta: 10000,
    rmsNormEps: 1e-6,
    ...overrides,
  };
}

function uniform(rng: Rng, shape: number[], bound: number, dtype: DType, center = 0): Tensor {
  const t = Tensor.zeros(shape, dtype);
  for (let i = 0; i < t.numel; i++) t.set(i, center + rng.uniform(-bound, bound));
  return t;
}

/** Random weights with O(1) activations: linears ±√3/√in, norms 1 ± 0.2, biases ±0.1. */
export function randomWeights(config: ModelConfig, seed: number, dtype: DType = "f64"): DecoderWeights {
  const rng = new Rng(seed);
  const lin = (out: number, inF: number, bias: boolean): FrozenLinear => ({
    weight: uniform(rng, [out, inF], Math.sqrt(3 / inF), dtype),
    ...(bias ? { bias: uniform(rng, [out], 0.1, dtype) } : {}),
  });
  const norm = (n: number) => uniform(rng, [n], 0.2, dtype, 1);
  const { hiddenSize: d, intermediateSize: f, numHeads: h, numKvHeads: kv, headDim: hd } = config;
  const embedTokens = uniform(rng, [config.vocabSize, d], 1, dtype);
  const layers: DecoderLayerWeights[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    layers.push({
      inputLayernorm: norm(d),
      postAttentionLayernorm: norm(d),
      attention: {
        qProj: lin(h * hd, d, config.qkvBias),
        kProj: lin(kv * hd, d, config.qkvBias),
        vProj: lin(kv * hd, d, config.qkvBias),
        oProj: lin(d, h * hd, config.oBias),
        ...(config.qkNorm ? { qNorm: norm(hd), kNorm: norm(hd) } : {}),
      },
      ...(config.sandwichNorms ? { sandwich: { preFeedforwardLayernorm: norm(d), postFeedforwardLayernorm: norm(d) } } : {}),
      mlp: { gateProj: lin(f, d, config.mlpBias), upProj: lin(f, d, config.mlpBias), downProj: lin(d, f, config.mlpBias), activation: config.hiddenAct },
    });
  }
  const normW = norm(d);
  const lmHead = config.tieWordEmbeddings ? embedTokens : uniform(rng, [config.vocabSize, d], Math.sqrt(3 / d), dtype);
  return { embedTokens, layers, norm: normW, lmHead };
}

export function microModel(config: ModelConfig, backend: ModelBackend, seed = 1, dtype: DType = "f64"): Model {
  return createModel(config, randomWeights(config, seed, dtype), backend);
}

/** Fills every LoRA B (and A) with random values, so gradients reach both factors. */
export function randomizeAdapter(params: Tensor[], seed: number, bound = 0.3): void {
  const rng = new Rng(seed);
  for (const t of params) for (let i = 0; i < t.numel; i++) t.set(i, rng.uniform(-bound, bound));
}
