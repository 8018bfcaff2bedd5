import { it } from "node:test";
import { nativeInfo, setKernelPath, setThreads } from "../../src/tensor/index.js";

// The per-path tests loop over the paths this CPU has; on a CPU without AVX2 the AVX2 cases would vanish without a
// word, so every test file that uses this helper shows a skipped test saying so.
if (!nativeInfo().isas.includes("avx2")) {
  it("kernels on the AVX2+FMA path", { skip: "skipped: no AVX2 on this CPU (only the portable path was tested)" }, () => {});
}

/** Every (kernel path, thread count) pair the op tests run on: all paths this CPU has, 1 and 2 threads. */
export function nativeConfigurations(): Array<{ isa: string; threads: number }> {
  const out: Array<{ isa: string; threads: number }> = [];
  for (const isa of nativeInfo().isas) for (const threads of [1, 2]) out.push({ isa, threads });
  return out;
}

/** Runs `body` under a kernel path and thread count, restoring the previous ones afterwards. */
export function withNative<T>(config: { isa: string; threads: number }, body: () => T): T {
  const before = nativeInfo();
  setKernelPath(config.isa);
  setThreads(config.threads);
  try {
    return body();
  } finally {
    setKernelPath(before.isa);
    setThreads(before.threads);
  }
}
