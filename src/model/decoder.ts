import type { Tensor } from "../tensor/index.js";
import { releaseTensors } from "../tensor/index.js";
import type { TokenLayout } from "./attention-block.js";
import type { LayerSaved } from "./decoder-layer.js";
import { layerBackward, layerForward, releaseLayerSaved } from "./decoder-layer.js";
import type { KvCache } from "./kv-cache.js";
import type { AdapterCall, LinearAdapter } from "./linear-adapter.js";
import type { Model } from "./model.js";
import { embeddingScale, scaleRows } from "./embedding-scale.js";
import { layerAdapters } from "./model.js";

/**
 * An inference call over KV caches: the call's rows are `rows` new tokens of each sequence in turn, appended to
 * that sequence's cache. `adapters` (by module path) replaces the model's attached ones for this call.
 */
export interface CachedCall {
  sequences: ReadonlyArray<{ cache: KvCache; rows: number }>;
  adapters?: ReadonlyMap<string, LinearAdapter>;
}

/** What a forward keeps for backward: every layer's activations, or with checkpointing only each layer's input. */
export type Keep = "nothing" | "all" | "checkpoints";

/** Activations a backward pass consumes, last layer first. */
export interface DecoderTape {
  layout: TokenLayout;
  call: AdapterCall;
  /** Per layer: its saved activations, or its input alone when checkpointed (recomputed in backward). */
  layers: Array<LayerSaved | { checkpoint: Tensor }>;
  /** The final norm's input and rstd. */
  finalNorm: { x: Tensor; rstd: Tensor };
}

/**
 * Embedding (× √hidden_size for Gemma) → decoder layers → final RMSNorm, over ids i32 [T] → hidden [T, D]. With `cached` each sequence's
 * k/v are appended to its cache at its `length` (and the call keeps nothing for backward).
 */
export function decoderForward(
  model: Model,
  ids: Tensor,
  layout: TokenLayout,
  call: AdapterCall,
  keep: Keep,
  cached?: CachedCall,
): { hidden: Tensor; tape?: DecoderTape } {
  const { backend, weights, config, attention } = model;
  if (cached && keep !== "nothing") throw new Error("decoderForward: a call that fills a KV cache keeps nothing for backward");
  const adapters = cached?.adapters ?? model.adapters;
  let x = backend.embedding(weights.embedTokens, ids);
  if (config.scaleEmbeddings) scaleRows(x, embeddingScale(config.hiddenSize, weights.embedTokens.dtype));
  const layers: DecoderTape["layers"] = [];
  // Only a forward that keeps every layer's activations runs backward through these calls (a checkpointed layer
  // runs again in backward, with the tape's call).
  const layerCall = keep === "all" ? call : { ...call, backward: false };
  for (let i = 0; i < config.numLayers; i++) {
    const cacheWrite = cached?.sequences.map(({ cache, rows }) => ({ cache: cache.layers[i], start: cache.length, rows }));
    if (keep === "checkpoints") layers.push({ checkpoint: x });
    const out = layerForward(backend, x, weights.layers[i], attention[i], layerAdapters(adapters, i), layout, layerCall, cacheWrite);
    if (keep === "all" && out.saved) layers.push(out.saved);
    // What no backward will read goes back to the step arena now (a checkpoint is the layer's input).
    else if (out.saved) releaseLayerSaved(out.saved, keep === "nothing");
    x = out.y;
  }
  for (const { cache, rows } of cached?.sequences ?? []) cache.length += rows;
  const { y, rstd } = backend.rmsNorm(x, weights.norm, config.rmsNormEps);
  if (keep === "nothing") {
    releaseTensors(x, rstd);
    return { hidden: y };
  }
  return { hidden: y, tape: { layout, call, layers, finalNorm: { x, rstd } } };
}

/**
 * Backward from dHidden [T, D] through the final norm and the layers, last first, into the adapters' gradients.
 * Consumes dHidden and the tape: each layer's activations go back to the step arena as soon as its backward is
 * done (src/tensor/arena.ts); a checkpointed layer is recomputed first.
 */
export function decoderBackward(model: Model, dHidden: Tensor, tape: DecoderTape): void {
  const { backend, weights, config, attention } = model;
  let dy: Tensor | undefined = backend.rmsNormBackward(dHidden, tape.finalNorm.x, weights.norm, tape.finalNorm.rstd);
  releaseTensors(dHidden, tape.finalNorm.x, tape.finalNorm.rstd);
  for (let i = config.numLayers - 1; i >= 0 && dy; i--) {
    const entry = tape.layers.pop();
    if (!entry) throw new Error(`decoderBackward: no saved activations for layer ${i}`);
    const saved = "checkpoint" in entry ? recompute(model, i, entry.checkpoint, tape) : entry;
    dy = layerBackward(backend, dy, weights.layers[i], attention[i], saved, tape.layout, i === 0 ? "none" : "new");
  }
}

function recompute(model: Model, layer: number, x: Tensor, tape: DecoderTape): LayerSaved {
  const { backend, weights, attention } = model;
  const { y, saved } = layerForward(backend, x, weights.layers[layer], attention[layer], layerAdapters(model.adapters, layer), tape.layout, tape.call);
  if (!saved) throw new Error("decoderBackward: recomputing a layer kept no activations");
  releaseTensors(y); // the next layer's checkpoint already holds these values
  return saved;
}
