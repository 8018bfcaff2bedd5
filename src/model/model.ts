import type { Tensor } from "../tensor/index.js";
import type { AttentionShape } from "./attention-block.js";
import type { ModelConfig } from "./config.js";
import type { DecoderLayerWeights } from "./decoder-layer.js";
import type { LinearAdapter } from "./linear-adapter.js";
import type { FrozenLinear } from "./linear-layer.js";
import { ConfigError } from "../util/errors.js";
import type { ModelBackend } from "./model-backend.js";
import { LINEAR_MODULES } from "./weight-schema.js";

/** The frozen weights as the decoder reads them; `lmHead` is `embedTokens` itself when embeddings are tied. */
export interface DecoderWeights {
  embedTokens: Tensor;
  layers: DecoderLayerWeights[];
  norm: Tensor;
  lmHead: Tensor;
}

/**
 * How the frozen products compute: "f32", or "bf16" (the base projections, the attention products and the lm_head
 * on bf16-rounded operands with f32 sums, as torch.autocast; the adapters, their gradients and the optimizer stay
 * f32). See docs/performance.md.
 */
export type ComputeDtype = "f32" | "bf16";

/**
 * A loaded causal LM: its config, frozen weights, the backend it runs on, and the adapters attached to its linear
 * layers by module path (`model.layers.3.self_attn.q_proj`). Adapters are the only trainable part.
 */
export interface Model {
  readonly config: ModelConfig;
  /** Per layer: layers differ in their sliding window (docs/architecture.md). */
  readonly attention: readonly AttentionShape[];
  readonly weights: DecoderWeights;
  readonly backend: ModelBackend;
  readonly adapters: Map<string, LinearAdapter>;
  /** Where generation stops: generation_config.json's eos ids (end-of-turn included), else config.json's. */
  readonly eosTokenIds: readonly number[];
  /** Set with setComputeDtype (it also marks every frozen projection). */
  readonly computeDtype: ComputeDtype;
}

/**
 * The attention shape of each layer; only the layers listed in config.slidingWindow get its window, and with
 * ropeLocalTheta (Gemma 3) their own RoPE base. Scores are scaled by (queryPreAttnScalar ?? headDim)^-0.5.
 */
export function attentionShapes(config: ModelConfig): AttentionShape[] {
  const { ropeScaling, slidingWindow } = config;
  const scale = 1 / Math.sqrt(config.queryPreAttnScalar ?? config.headDim);
  return Array.from({ length: config.numLayers }, (_, layer) => {
    const sliding = slidingWindow?.layers.includes(layer) ?? false;
    const theta = sliding && config.ropeLocalTheta !== null ? config.ropeLocalTheta : config.ropeTheta;
    return {
      heads: config.numHeads,
      kvHeads: config.numKvHeads,
      headDim: config.headDim,
      rmsNormEps: config.rmsNormEps,
      rope: { theta, headDim: config.headDim, ...(ropeScaling ? { llama3: ropeScaling } : {}) },
      window: sliding && slidingWindow ? slidingWindow.size : null,
      scale,
    };
  });
}

/** The adapters of layer i among `adapters` (by module path), by projection name (q_proj … down_proj). */
export function layerAdapters(adapters: ReadonlyMap<string, LinearAdapter>, layer: number): Partial<Record<string, LinearAdapter>> {
  const found: Partial<Record<string, LinearAdapter>> = {};
  if (adapters.size === 0) return found;
  for (const path of Object.values(LINEAR_MODULES)) {
    found[path.slice(path.indexOf(".") + 1)] = adapters.get(`model.layers.${layer}.${path}`);
  }
  return found;
}

/** A model over weights already in memory (loading from a folder goes through `loadModel`). */
export function createModel(
  config: ModelConfig,
  weights: DecoderWeights,
  backend: ModelBackend,
  eosTokenIds: readonly number[] = config.eosTokenIds,
): Model {
  return { config, attention: attentionShapes(config), weights, backend, adapters: new Map(), eosTokenIds, computeDtype: "f32" };
}

/** Switches the model's frozen products (every projection, attention, the lm_head) between f32 and bf16 compute. */
export function setComputeDtype(model: Model, dtype: ComputeDtype): void {
  (model as { computeDtype: ComputeDtype }).computeDtype = dtype;
  for (const layer of model.weights.layers) {
    const { attention: a, mlp: m } = layer;
    a.compute = dtype;
    for (const linear of [a.qProj, a.kProj, a.vProj, a.oProj, m.gateProj, m.upProj, m.downProj]) linear.compute = dtype;
  }
}

/** The frozen linear layer at a module path such as `model.layers.3.mlp.down_proj`. */
export function frozenLinearAt(model: Model, path: string): FrozenLinear {
  const m = /^model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)$/.exec(path);
  const layer = m ? model.weights.layers[Number(m[1])] : undefined;
  const byName: Record<string, FrozenLinear | undefined> = layer
    ? {
        q_proj: layer.attention.qProj,
        k_proj: layer.attention.kProj,
        v_proj: layer.attention.vProj,
        o_proj: layer.attention.oProj,
        gate_proj: layer.mlp.gateProj,
        up_proj: layer.mlp.upProj,
        down_proj: layer.mlp.downProj,
      }
    : {};
  const found = m ? byName[m[3]] : undefined;
  if (!found) throw new ConfigError(`${path} is not a linear layer of this model`);
  return found;
}
