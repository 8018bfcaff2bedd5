import { checkSameShape } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data } from "./common.js";

/** The gated MLP activations act(gate) · up: swiglu (silu) and geglu (gelu_pytorch_tanh) share one call shape. */
type GatedOp = "swiglu" | "geglu";

function gated(op: GatedOp, gate: Tensor, up: Tensor): Tensor {
  checkSameShape(op, { gate, up });
  f32(op, { gate, up });
  const out = Tensor.zeros(gate.shape);
  nativeAddon()[op](f32Data(gate), f32Data(up), f32Data(out));
  return out;
}

function gatedBackward(op: GatedOp, dy: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor } {
  const name = `${op}Backward` as const;
  checkSameShape(name, { dy, gate, up });
  f32(name, { dy, gate, up });
  const dGate = Tensor.zeros(gate.shape);
  const dUp = Tensor.zeros(gate.shape);
  nativeAddon()[name](f32Data(dy), f32Data(gate), f32Data(up), f32Data(dGate), f32Data(dUp));
  return { dGate, dUp };
}

export const cpuSwiglu = (gate: Tensor, up: Tensor): Tensor => gated("swiglu", gate, up);
export const cpuSwigluBackward = (dy: Tensor, gate: Tensor, up: Tensor) => gatedBackward("swiglu", dy, gate, up);
export const cpuGeglu = (gate: Tensor, up: Tensor): Tensor => gated("geglu", gate, up);
export const cpuGegluBackward = (dy: Tensor, gate: Tensor, up: Tensor) => gatedBackward("geglu", dy, gate, up);
