import type { Backend } from "../backend.js";
import { nativeAddon } from "./addon.js";
import { cpuGemm } from "./gemm.js";

/** The native CPU backend (f32 compute; weights f32 or bf16). */
export const cpuBackend: Backend = {
  name: "cpu",
  gemm: cpuGemm,
};

export interface NativeInfo {
  /** Kernel path in use: "portable" or "avx2". */
  isa: string;
  /** Kernel paths this CPU can run. */
  isas: string[];
  threads: number;
  buildFlags: string;
  compiler: string;
}

export function nativeInfo(): NativeInfo {
  return nativeAddon().info();
}

/** Picks the kernel path ("portable" | "avx2"); throws when this CPU cannot run it. */
export function setKernelPath(isa: string): void {
  nativeAddon().setIsa(isa);
}

/** Resizes the native thread pool. Results do not depend on the thread count. */
export function setThreads(threads: number): void {
  nativeAddon().setThreads(threads);
}
