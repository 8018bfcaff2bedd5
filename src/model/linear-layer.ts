import type { Tensor } from "../tensor/index.js";
import { linear, linearBackwardInput } from "../tensor/index.js";
import type { AdapterBackward, AdapterCall, LinearAdapter } from "./linear-adapter.js";
import type { ModelBackend } from "./model-backend.js";

/** A frozen linear layer y = x·Wᵀ + b, W [out, in] (f32 or bf16), b [out] optional. */
export interface FrozenLinear {
  weight: Tensor;
  bias?: Tensor;
}

/** y = x·Wᵀ + b (+ the adapter's output); returns the adapter's backward when there is an adapter. */
export function linearForward(
  backend: ModelBackend,
  x: Tensor,
  layer: FrozenLinear,
  adapter: LinearAdapter | undefined,
  call: AdapterCall,
): { y: Tensor; adapterBackward?: AdapterBackward } {
  const y = linear(backend, x, layer.weight);
  if (layer.bias) addRowBias(y, layer.bias);
  return { y, adapterBackward: adapter?.forward(backend, x, y, call) };
}

/**
 * Gradient of a frozen linear layer: the adapter's parameter gradients, and dx = dy·W (+ the adapter's part)
 * when `dx` is wanted. `into` accumulates dx into an existing tensor (several layers reading the same input).
 * The base weight and bias get no gradient: they are frozen.
 */
export function linearBackward(backend: ModelBackend, dy: Tensor, layer: FrozenLinear, adapterBackward: AdapterBackward | undefined, dx: "none"): undefined;
export function linearBackward(backend: ModelBackend, dy: Tensor, layer: FrozenLinear, adapterBackward: AdapterBackward | undefined, dx: "new" | Tensor): Tensor;
export function linearBackward(
  backend: ModelBackend,
  dy: Tensor,
  layer: FrozenLinear,
  adapterBackward: AdapterBackward | undefined,
  dx: "none" | "new" | Tensor,
): Tensor | undefined {
  if (dx === "none") {
    adapterBackward?.(dy, undefined);
    return undefined;
  }
  const out = dx === "new" ? linearBackwardInput(backend, dy, layer.weight) : linearBackwardInput(backend, dy, layer.weight, dx, 1);
  adapterBackward?.(dy, out);
  return out;
}

/** y[t, :] += b in place. */
function addRowBias(y: Tensor, bias: Tensor): void {
  const n = bias.numel;
  const b = new Float64Array(n);
  for (let j = 0; j < n; j++) b[j] = bias.get(j);
  const data = y.data;
  for (let row = 0; row < data.length; row += n) {
    for (let j = 0; j < n; j++) data[row + j] += b[j];
  }
}
