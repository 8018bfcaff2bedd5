import type { Tensor } from "../tensor/index.js";
import type { ModelBackend } from "./model-backend.js";

/** Per-call settings an adapter sees: training enables dropout; the seed makes dropout masks replayable. */
export interface AdapterCall {
  training: boolean;
  dropoutSeed: number;
}

/**
 * Backward of one adapter call: accumulates the adapter's parameter gradients from dy [T, out] and, when dx
 * [T, in] is given, adds the adapter's part of the input gradient into it.
 */
export type AdapterBackward = (dy: Tensor, dx: Tensor | undefined) => void;

/**
 * A trainable addition to a frozen linear layer (LoRA implements it in src/lora). The model calls it by module
 * path, e.g. `model.layers.3.self_attn.q_proj`, and knows nothing else about it.
 */
export interface LinearAdapter {
  /** Adds the adapter's output for x [T, in] into y [T, out] in place. */
  forward(backend: ModelBackend, x: Tensor, y: Tensor, call: AdapterCall): AdapterBackward;
}
