import type { Tensor } from "../tensor/index.js";
import { linear, releaseTensors } from "../tensor/index.js";
import type { AdapterBackward, AdapterCall, AdapterGroup, LinearAdapter, ModelBackend } from "../model/index.js";
import { dropoutKey } from "./dropout.js";

/**
 * The LoRA path of one frozen linear layer: adds s·B·A·dropout(x) to its output, A [r, in], B [out, r].
 * Gradients accumulate into gradA, gradB until the caller zeroes them. With modules that read the same input it
 * may belong to a group (src/lora/lora-group.ts), its A and gradA then rows of the group's stacked tensors.
 */
export class LoraLinear implements LinearAdapter {
  group?: AdapterGroup;

  constructor(
    readonly path: string,
    readonly a: Tensor,
    readonly b: Tensor,
    readonly gradA: Tensor,
    readonly gradB: Tensor,
    readonly scale: number,
    readonly dropout: number,
    /** Distinguishes this module's dropout masks from the other modules' in the same step. */
    readonly dropoutStream: number,
  ) {}

  get r(): number {
    return this.a.shape[0];
  }

  forward(backend: ModelBackend, x: Tensor, y: Tensor, call: AdapterCall): AdapterBackward {
    const s = this.scale;
    const key = call.training && this.dropout > 0 ? dropoutKey(call.dropoutSeed, this.dropoutStream) : undefined;
    // x̃ is not kept for backward: its mask replays from the key, so backward draws the same x̃ again, and
    // between them the step holds r floats per token instead of a copy of x.
    const dropped = () => (key === undefined ? x : backend.dropout(x, this.dropout, key));
    const xIn = dropped();
    const xa = linear(backend, xIn, this.a); // [T, r]
    if (xIn !== x) releaseTensors(xIn);
    backend.gemm(xa, this.b, { transB: true, alpha: s, beta: 1, out: y });
    if (call.backward === false) {
      releaseTensors(xa);
      return noBackward;
    }
    return (dy, dx) => {
      backend.gemm(dy, xa, { transA: true, alpha: s, beta: 1, out: this.gradB }); // dB += s·dyᵀ·xa
      releaseTensors(xa);
      const dxa = backend.gemm(dy, this.b, { alpha: s }); // [T, r]
      const xAgain = dropped();
      backend.gemm(dxa, xAgain, { transA: true, beta: 1, out: this.gradA }); // dA += dxaᵀ·x̃
      if (xAgain !== x) releaseTensors(xAgain);
      if (dx && key === undefined) backend.gemm(dxa, this.a, { beta: 1, out: dx }); // dx += dxa·A
      else if (dx && key !== undefined) {
        // dx += dropout(dxa·A) with the forward's mask
        const dxIn = backend.gemm(dxa, this.a);
        backend.axpy(dx, backend.dropout(dxIn, this.dropout, key, dxIn), 1);
        releaseTensors(dxIn);
      }
      releaseTensors(dxa);
    };
  }
}

/** What a forward called with `backward: false` returns: it kept nothing a backward could use. */
export function noBackward(): never {
  throw new Error("LoRA: this forward was called with backward: false and kept nothing for a backward");
}
