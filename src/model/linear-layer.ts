import type { Tensor } from "../tensor/index.js";
import { linear, linearBackwardInput } from "../tensor/index.js";
import type { Quant4Tensor } from "../quant/index.js";
import { quantLinear, quantLinearBackwardInput } from "../quant/index.js";
import type { AdapterBackward, AdapterCall, LinearAdapter } from "./linear-adapter.js";
import type { ModelBackend } from "./model-backend.js";

/**
 * A frozen linear layer y = x·Wᵀ + b, W [out, in] (f32 or bf16), b [out] optional. When `quant` is set the
 * weight is held in 4-bit form and the layer computes with it; `weight` is then its float32 dequantization,
 * computed on each access (for merging or inspection; the forward and backward never read it). Assigning a
 * dense `weight` to such a layer replaces the 4-bit weight.
 */
export interface FrozenLinear {
  weight: Tensor;
  bias?: Tensor;
  quant?: Quant4Tensor;
  /** "bf16": the dense product runs in the bf16 compute mode (set through setComputeDtype; 4-bit layers ignore it). */
  compute?: "f32" | "bf16";
}

/** A frozen linear layer over a dense or 4-bit weight. */
export function frozenLinear(weight: Tensor | Quant4Tensor, bias?: Tensor): FrozenLinear {
  if (!("kind" in weight)) return { weight, bias };
  let dense: Tensor | undefined;
  const layer: FrozenLinear = {
    quant: weight,
    bias,
    get weight(): Tensor {
      return dense ?? weight.dequantize();
    },
    set weight(t: Tensor) {
      dense = t;
      layer.quant = undefined;
    },
  };
  return layer;
}

/** y = x·Wᵀ + b (+ the adapter's output); returns the adapter's backward when there is an adapter. */
export function linearForward(
  backend: ModelBackend,
  x: Tensor,
  layer: FrozenLinear,
  adapter: LinearAdapter | undefined,
  call: AdapterCall,
): { y: Tensor; adapterBackward?: AdapterBackward } {
  const y = layer.quant ? quantLinear(backend, x, layer.quant) : linear(backend, x, layer.weight, undefined, 0, layer.compute === "bf16");
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
  const out = layer.quant
    ? dx === "new"
      ? quantLinearBackwardInput(backend, dy, layer.quant)
      : quantLinearBackwardInput(backend, dy, layer.quant, dx, 1)
    : dx === "new"
      ? linearBackwardInput(backend, dy, layer.weight, undefined, 0, layer.compute === "bf16")
      : linearBackwardInput(backend, dy, layer.weight, dx, 1, layer.compute === "bf16");
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
