import type { Tensor } from "../tensor/index.js";
import type { ModelBackend } from "./model-backend.js";

/** Per-call settings an adapter sees: training enables dropout; the seed makes dropout masks replayable. */
export interface AdapterCall {
  training: boolean;
  dropoutSeed: number;
  /**
   * false: no backward will run through this call (evaluation, inference, a checkpointed forward), so an adapter
   * keeps nothing for one and its returned backward must not be called. Absent: it may run.
   */
  backward?: boolean;
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
  /** The group it runs in when the layers reading its input are called together (src/model/shared-input.ts). */
  readonly group?: AdapterGroup;
}

/**
 * Backward of layers that read one input: dys[i] [T, out_i] is layer i's output gradient; when dx [T, in] is
 * given, their adapters' part of the input gradient is added into it.
 */
export type GroupBackward = (dys: readonly Tensor[], dx: Tensor | undefined) => void;

/**
 * Adapters of several linear layers that read the same input (a layer's q/k/v, or gate/up), run as one call, so
 * an adapter can share work between them (LoRA computes their x·Aᵀ in one GEMM). The model uses a group only when
 * the layers' adapters are exactly its members, in order.
 */
export interface AdapterGroup {
  readonly members: readonly LinearAdapter[];
  /** Adds member i's output for x [T, in] into ys[i] [T, out_i] in place. */
  forward(backend: ModelBackend, x: Tensor, ys: readonly Tensor[], call: AdapterCall): GroupBackward;
}
