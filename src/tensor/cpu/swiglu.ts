import { checkSameShape } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data } from "./common.js";

export function cpuSwiglu(gate: Tensor, up: Tensor): Tensor {
  checkSameShape("swiglu", { gate, up });
  f32("swiglu", { gate, up });
  const out = Tensor.zeros(gate.shape);
  nativeAddon().swiglu(f32Data(gate), f32Data(up), f32Data(out));
  return out;
}

export function cpuSwigluBackward(dy: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor } {
  checkSameShape("swigluBackward", { dy, gate, up });
  f32("swigluBackward", { dy, gate, up });
  const dGate = Tensor.zeros(gate.shape);
  const dUp = Tensor.zeros(gate.shape);
  nativeAddon().swigluBackward(f32Data(dy), f32Data(gate), f32Data(up), f32Data(dGate), f32Data(dUp));
  return { dGate, dUp };
}
