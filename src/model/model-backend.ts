import type { Backend, DType } from "../tensor/index.js";

/** The backend a model runs on (GEMMs and kernels). */
export type ModelBackend = Backend;

/** The dtype this backend's kernels produce for activations: f64 on the reference backend, f32 elsewhere. */
export function activationDtype(backend: Backend): DType {
  return backend.name === "reference" ? "f64" : "f32";
}
