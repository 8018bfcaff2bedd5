import { Tensor } from "../../../src/tensor/index.js";

/**
 * Central finite differences in float64: the gradient of the scalar `loss` with respect to every element of
 * `input` (perturbed in place and restored). Step 1e-6 balances truncation (h² ≈ 1e-12) against rounding
 * (1e-16 / h ≈ 1e-10), so a correct analytic gradient agrees to about 1e-8 relative.
 */
export function finiteDifference(input: Tensor, loss: () => number, step = 1e-6): Tensor {
  if (input.dtype !== "f64") throw new Error("finiteDifference needs an f64 input");
  const data = input.data as Float64Array;
  const grad = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const keep = data[i];
    data[i] = keep + step;
    const up = loss();
    data[i] = keep - step;
    const down = loss();
    data[i] = keep;
    grad[i] = (up - down) / (2 * step);
  }
  return new Tensor("f64", input.shape, grad);
}

/** Σ a ∘ b in float64: projects a tensor output onto a fixed random cotangent to make a scalar loss. */
export function dot(a: Tensor, b: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.numel; i++) s += a.get(i) * b.get(i);
  return s;
}

/** Segment ids of contiguous runs with the given lengths. */
export function segments(lengths: number[]): Tensor {
  const ids: number[] = [];
  lengths.forEach((len, s) => ids.push(...new Array<number>(len).fill(s)));
  return new Tensor("i32", [ids.length], Int32Array.from(ids));
}
