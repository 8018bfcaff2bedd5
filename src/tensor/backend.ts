import type { GemmOps } from "./gemm-ops.js";
import type { KernelOps } from "./kernel-ops.js";

/**
 * Everything training and inference need from a compute device. `cpu` runs the native kernels in f32;
 * `reference` runs plain TypeScript in float64 and exists to check the others.
 */
export interface Backend extends GemmOps, KernelOps {
  readonly name: string;
}
