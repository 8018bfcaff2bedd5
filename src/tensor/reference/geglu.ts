import { checkSameShape } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { toF64 } from "./convert.js";

/** gelu_pytorch_tanh's constants: gelu(g) = ½·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))). */
const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;

export function referenceGeglu(gate: Tensor, up: Tensor): Tensor {
  const n = checkSameShape("geglu", { gate, up });
  const g = toF64(gate);
  const u = toF64(up);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = 0.5 * g[i] * (1 + Math.tanh(C * (g[i] + A * g[i] ** 3))) * u[i];
  return new Tensor("f64", gate.shape, out);
}

/** d gelu(g)/dg = ½·(1 + t) + ½·g·(1 − t²)·√(2/π)·(1 + 3·0.044715·g²), t = tanh(√(2/π)·(g + 0.044715·g³)). */
export function referenceGegluBackward(dy: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor } {
  const n = checkSameShape("gegluBackward", { dy, gate, up });
  const d = toF64(dy);
  const g = toF64(gate);
  const u = toF64(up);
  const dGate = new Float64Array(n);
  const dUp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = Math.tanh(C * (g[i] + A * g[i] ** 3));
    dUp[i] = d[i] * 0.5 * g[i] * (1 + t);
    dGate[i] = d[i] * u[i] * (0.5 * (1 + t) + 0.5 * g[i] * (1 - t * t) * C * (1 + 3 * A * g[i] ** 2));
  }
  return { dGate: new Tensor("f64", gate.shape, dGate), dUp: new Tensor("f64", gate.shape, dUp) };
}
