import type { Backend, DType, KernelOps } from "../tensor/index.js";

/**
 * What the model needs from a backend: the GEMMs and the kernels. `Backend` does not yet extend `KernelOps`
 * (src/tensor/backend.ts says they join once both backends implement them); until then the model asks for both.
 */
export type ModelBackend = Backend & KernelOps;

/** The dtype this backend's kernels produce for activations: f64 on the reference backend, f32 elsewhere. */
export function activationDtype(backend: Backend): DType {
  return backend.name === "reference" ? "f64" : "f32";
}
