import type { Tensor } from "../tensor.js";
import type { GateActivation } from "./gated.js";
import { referenceGated, referenceGatedBackward } from "./gated.js";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** silu(g) = g·σ(g); d silu(g)/dg = σ(g)·(1 + g·(1 − σ(g))). */
const SILU: GateActivation = {
  value: (g) => g * sigmoid(g),
  derivative: (g) => sigmoid(g) * (1 + g * (1 - sigmoid(g))),
};

export function referenceSwiglu(gate: Tensor, up: Tensor): Tensor {
  return referenceGated("swiglu", SILU, gate, up);
}

export function referenceSwigluBackward(dy: Tensor, gate: Tensor, up: Tensor): { dGate: Tensor; dUp: Tensor } {
  return referenceGatedBackward("swigluBackward", SILU, dy, gate, up);
}
