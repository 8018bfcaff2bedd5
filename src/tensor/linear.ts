import { ShapeError } from "../util/errors.js";
import type { Backend } from "./backend.js";
import type { Tensor } from "./tensor.js";
import { shapeString } from "./tensor.js";

// The three GEMM forms of a linear layer y = x·Wᵀ with W [out, in]. Leading dimensions of x are flattened
// into rows, as a batch of tokens. `bf16` selects the bf16 compute mode (GemmOptions.bf16) for the product.

function rows2d(t: Tensor, op: string): Tensor {
  if (t.rank < 1) throw new ShapeError(`${op}: ${shapeString(t)} needs at least one dimension`);
  const last = t.shape[t.rank - 1];
  return t.reshape([t.numel / Math.max(last, 1), last]);
}

/** y = x·Wᵀ (+ beta·out). x [..., in], W [out, in] → y [..., out]. */
export function linear(backend: Backend, x: Tensor, w: Tensor, out?: Tensor, beta = 0, bf16 = false): Tensor {
  const x2 = rows2d(x, "linear");
  const y = backend.gemm(x2, w, { transB: true, out: out ? rows2d(out, "linear") : undefined, beta, bf16 });
  return y.reshape([...x.shape.slice(0, -1), w.shape[0]]);
}

/** dX = dY·W (+ beta·out). dY [..., out], W [out, in] → dX [..., in]. */
export function linearBackwardInput(backend: Backend, dy: Tensor, w: Tensor, out?: Tensor, beta = 0, bf16 = false): Tensor {
  const dy2 = rows2d(dy, "linearBackwardInput");
  const dx = backend.gemm(dy2, w, { out: out ? rows2d(out, "linearBackwardInput") : undefined, beta, bf16 });
  return dx.reshape([...dy.shape.slice(0, -1), w.shape[1]]);
}

/** dW = dYᵀ·X (+ beta·out). dY [..., out], X [..., in] → dW [out, in]. */
export function linearBackwardWeight(backend: Backend, dy: Tensor, x: Tensor, out?: Tensor, beta = 0): Tensor {
  return backend.gemm(rows2d(dy, "linearBackwardWeight"), rows2d(x, "linearBackwardWeight"), {
    transA: true,
    out,
    beta,
  });
}
