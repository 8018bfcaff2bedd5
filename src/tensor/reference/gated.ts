import { checkSameShape } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { toF64 } from "./convert.js";

/** The gate's activation of a gated MLP (SwiGLU's silu, GeGLU's gelu_pytorch_tanh) and its derivative, in float64. */
export interface GateActivation {
  value(g: number): number;
  derivative(g: number): number;
}

/** act(gate) · up, elementwise. */
export function referenceGated(op: string, act: GateActivation, gate: Tensor, up: Tensor): Tensor {
  const n = checkSameShape(op, { gate, up });
  const g = toF64(gate);
  const u = toF64(up);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = act.value(g[i]) * u[i];
  return new Tensor("f64", gate.shape, out);
}

/** dUp = dy · act(gate), dGate = dy · up · act'(gate). */
export function referenceGatedBackward(op: string, act: GateActivation, dy: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor } {
  const n = checkSameShape(op, { dy, gate, up });
  const d = toF64(dy);
  const g = toF64(gate);
  const u = toF64(up);
  const dGate = new Float64Array(n);
  const dUp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    dUp[i] = d[i] * act.value(g[i]);
    dGate[i] = d[i] * u[i] * act.derivative(g[i]);
  }
  return { dGate: new Tensor("f64", gate.shape, dGate), dUp: new Tensor("f64", gate.shape, dUp) };
}
