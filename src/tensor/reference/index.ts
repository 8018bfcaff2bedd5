import type { Backend } from "../backend.js";
import { referenceGemm } from "./gemm.js";

/**
 * The float64 reference backend: plain TypeScript, slow and exact. It imports nothing from the native side,
 * so comparing it with the cpu backend is an independent check.
 */
export const referenceBackend: Backend = {
  name: "reference",
  gemm: referenceGemm,
};
