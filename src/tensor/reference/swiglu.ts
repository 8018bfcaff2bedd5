import { checkSameShape } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { toF64 } from "./convert.js";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function referenceSwiglu(gate: Tensor, up: Tensor): Tensor {
  const n = checkSameShape("swiglu", { gate, up });
  const g = toF64(gate);
  const u = toF64(up);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = g[i] * sigmoid(g[i]) * u[i];
  return new Tensor("f64", gate.shape, out);
}

/** d silu(g)/dg = σ(g)·(1 + g·(1 − σ(g))). */
export function referenceSwigluBackward(dy: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor } {
  const n = checkSameShape("swigluBackward", { dy, gate, up });
  const d = toF64(dy);
  const g = toF64(gate);
  const u = toF64(up);
  const dGate = new Float64Array(n);
  const dUp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = sigmoid(g[i]);
    dUp[i] = d[i] * g[i] * s;
    dGate[i] = d[i] * u[i] * s * (1 + g[i] * (1 - s));
  }
  return { dGate: new Tensor("f64", gate.shape, dGate), dUp: new Tensor("f64", gate.shape, dUp) };
}
