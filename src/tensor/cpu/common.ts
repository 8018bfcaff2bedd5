import { fail } from "../kernel-shapes.js";
import type { Tensor } from "../tensor.js";

/** Dtype rules of the native kernels: activations and optimizer state are f32; some weights may be bf16. */

export function f32(op: string, tensors: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(tensors)) if (t.dtype !== "f32") fail(op, tensors, `${name} must be f32 on the cpu backend`);
}

export function f32Data(t: Tensor): Float32Array {
  return t.data as Float32Array;
}

/** A weight as the kernels take it: f32 or bf16 bits, with its type code. */
export function weightArg(op: string, tensors: Record<string, Tensor>, name: string): { data: Float32Array | Uint16Array; type: 0 | 1 } {
  const w = tensors[name];
  if (w.dtype === "f32") return { data: w.data as Float32Array, type: 0 };
  if (w.dtype === "bf16") return { data: w.data as Uint16Array, type: 1 };
  return fail(op, tensors, `${name} must be f32 or bf16 on the cpu backend`);
}
