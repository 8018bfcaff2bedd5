/**
 * The non-GEMM kernels (norms, RoPE, attention, loss, optimizers): each exists in the cpu backend and the
 * float64 reference backend.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface KernelOps {}
