import type { Backend } from "../tensor/index.js";
import { Tensor, shapeString } from "../tensor/index.js";
import { ShapeError } from "../util/errors.js";
import { nativeQuant4Dequantize, nativeQuant4Gemm } from "./native.js";
import type { Quant4Tensor } from "./quant-tensor.js";

// The two products of a frozen linear layer whose weight W [out, in] is 4-bit: y = x·Wᵀ and dx = dy·W. On the
// cpu backend they run the fused native kernels (W decoded tile by tile, read once in 4-bit form); on any other
// backend W is dequantized to float32 and handed to that backend's gemm (the reference backend then computes in
// float64 on the exact dequantized values).

function rows2d(t: Tensor, op: string, cols: number): Tensor {
  if (t.rank < 1 || t.shape[t.rank - 1] !== cols) throw new ShapeError(`${op}: ${shapeString(t)} needs a last dimension of ${cols}`);
  return t.reshape([t.numel / Math.max(cols, 1), cols]);
}

function checkWeight(w: Quant4Tensor, op: string): [number, number] {
  if (w.rank !== 2) throw new ShapeError(`${op}: the 4-bit weight must be 2-D, got [${w.shape.join(", ")}]`);
  return [w.shape[0], w.shape[1]];
}

/** W as a float32 tensor [out, in] (the cpu backend decodes natively; bit-identical to Quant4Tensor.dequantize). */
export function dequantizeWeight(backend: Backend, w: Quant4Tensor): Tensor {
  if (backend.name === "cpu") return new Tensor("f32", w.shape, nativeQuant4Dequantize(w));
  return w.dequantize();
}

function product(backend: Backend, mode: 0 | 1, a: Tensor, w: Quant4Tensor, out: Tensor | undefined, beta: number): Tensor {
  const op = mode === 0 ? "quantLinear" : "quantLinearBackwardInput";
  const [outF, inF] = checkWeight(w, op);
  const [aCols, cCols] = mode === 0 ? [inF, outF] : [outF, inF];
  const a2 = rows2d(a, op, aCols);
  const m = a2.shape[0];
  const shape = [...a.shape.slice(0, -1), cCols];
  if (out && out.numel !== m * cCols) throw new ShapeError(`${op}: out ${shapeString(out)} must hold [${shape.join(", ")}]`);
  if (beta !== 0 && !out) throw new ShapeError(`${op}: beta ${beta} needs an out tensor`);
  if (backend.name === "cpu") {
    if (a.dtype !== "f32") throw new ShapeError(`${op}: input must be f32, got ${shapeString(a)}`);
    const c = out ?? Tensor.zeros(shape, "f32");
    if (c.dtype !== "f32") throw new ShapeError(`${op}: out must be f32, got ${shapeString(c)}`);
    nativeQuant4Gemm(mode, m, a2.data as Float32Array, w, c.data as Float32Array, beta);
    return c.reshape(shape);
  }
  const dense = w.dequantize();
  const c2 = backend.gemm(a2, dense, { transB: mode === 0, out: out?.reshape([m, cCols]), beta });
  return c2.reshape(shape);
}

/** y = x·Wᵀ (+ beta·out). x [..., in], W [out, in] 4-bit → y [..., out]. */
export function quantLinear(backend: Backend, x: Tensor, w: Quant4Tensor, out?: Tensor, beta = 0): Tensor {
  return product(backend, 0, x, w, out, beta);
}

/** dX = dY·W (+ beta·out). dY [..., out], W [out, in] 4-bit → dX [..., in]. */
export function quantLinearBackwardInput(backend: Backend, dy: Tensor, w: Quant4Tensor, out?: Tensor, beta = 0): Tensor {
  return product(backend, 1, dy, w, out, beta);
}
