import type { Tensor } from "../tensor.js";
import type { GateActivation } from "./gated.js";
import { referenceGated, referenceGatedBackward } from "./gated.js";

/** gelu_pytorch_tanh's constants: gelu(g) = ½·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))). */
const C = Math.sqrt(2 / Math.PI);
const A = 0.044715;

const tanhArg = (g: number) => Math.tanh(C * (g + A * g ** 3));

/** d gelu(g)/dg = ½·(1 + t) + ½·g·(1 − t²)·√(2/π)·(1 + 3·0.044715·g²), t = tanh(√(2/π)·(g + 0.044715·g³)). */
const GELU_TANH: GateActivation = {
  value: (g) => 0.5 * g * (1 + tanhArg(g)),
  derivative: (g) => {
    const t = tanhArg(g);
    return 0.5 * (1 + t) + 0.5 * g * (1 - t * t) * C * (1 + 3 * A * g ** 2);
  },
};

export function referenceGeglu(gate: Tensor, up: Tensor): Tensor {
  return referenceGated("geglu", GELU_TANH, gate, up);
}

export function referenceGegluBackward(dy: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor } {
  return referenceGatedBackward("gegluBackward", GELU_TANH, dy, gate, up);
}
