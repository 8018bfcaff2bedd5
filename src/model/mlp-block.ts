import type { Tensor } from "../tensor/index.js";
import { releaseTensors } from "../tensor/index.js";
import type { HiddenAct } from "./config.js";
import type { FrozenLinear } from "./linear-layer.js";
import { linearBackward, linearForward } from "./linear-layer.js";
import type { AdapterBackward, AdapterCall, GroupBackward, LinearAdapter } from "./linear-adapter.js";
import { sharedInputBackward, sharedInputForward } from "./shared-input.js";
import type { ModelBackend } from "./model-backend.js";

/** The frozen weights of a gated MLP: down(act(gate(x)) * up(x)), SwiGLU (silu) or GeGLU (gelu_pytorch_tanh). */
export interface MlpWeights {
  gateProj: FrozenLinear;
  upProj: FrozenLinear;
  downProj: FrozenLinear;
  activation: HiddenAct;
}

export type MlpAdapters = Partial<Record<"gate_proj" | "up_proj" | "down_proj", LinearAdapter>>;

export interface MlpSaved {
  gate: Tensor;
  up: Tensor;
  /** act(gate) * up, the down projection's input (its adapter's backward reads it). */
  act: Tensor;
  /** The gate/up adapters' backward (they read one input). */
  gateUpBack?: GroupBackward;
  downBack?: AdapterBackward;
}

/** x [T, D] (already normed) → [T, D]. */
export function mlpForward(backend: ModelBackend, x: Tensor, w: MlpWeights, adapters: MlpAdapters, call: AdapterCall): { y: Tensor; saved: MlpSaved } {
  const gateUp = sharedInputForward(backend, x, [w.gateProj, w.upProj], [adapters.gate_proj, adapters.up_proj], call);
  const [gate, up] = gateUp.ys;
  const act = w.activation === "silu" ? backend.swiglu(gate, up) : backend.geglu(gate, up);
  const down = linearForward(backend, act, w.downProj, adapters.down_proj, call);
  return { y: down.y, saved: { gate, up, act, gateUpBack: gateUp.adapterBackward, downBack: down.adapterBackward } };
}

/** dy [T, D] → dx [T, D], accumulating the adapters' gradients. */
export function mlpBackward(backend: ModelBackend, dy: Tensor, w: MlpWeights, saved: MlpSaved): Tensor {
  const dAct = linearBackward(backend, dy, w.downProj, saved.downBack, "new");
  const { dGate, dUp } = w.activation === "silu" ? backend.swigluBackward(dAct, saved.gate, saved.up) : backend.gegluBackward(dAct, saved.gate, saved.up);
  releaseTensors(dAct);
  const dx = sharedInputBackward(backend, [dGate, dUp], [w.gateProj, w.upProj], saved.gateUpBack, "new");
  releaseTensors(dGate, dUp);
  return dx;
}

/** Hands what the MLP kept for its backward back to the step arena (once nothing reads it any more). */
export function releaseMlpSaved(saved: MlpSaved): void {
  releaseTensors(saved.gate, saved.up, saved.act);
}
