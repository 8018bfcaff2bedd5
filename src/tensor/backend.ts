import type { GemmOps } from "./gemm-ops.js";

/**
 * Everything training and inference need from a compute device. `cpu` runs the native kernels in f32;
 * `reference` runs plain TypeScript in float64 and exists to check the others.
 * (The KernelOps of kernel-ops.ts join this interface once both backends implement them.)
 */
export interface Backend extends GemmOps {
  readonly name: string;
}
