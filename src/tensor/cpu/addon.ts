import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import path from "node:path";
import { LoraforgeError } from "../../util/errors.js";
import { PACKAGE_ROOT } from "../../util/package-info.js";

/** What the native addon exports (see native/src/addon.cpp and the bind_*.cpp files). */
export interface NativeAddon {
  info(): { isa: string; isas: string[]; threads: number; buildFlags: string; compiler: string };
  setIsa(name: string): void;
  setThreads(threads: number): void;
  gemm(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOffset: number,
    lda: number,
    transA: boolean,
    b: Float32Array | Uint16Array,
    bOffset: number,
    ldb: number,
    transB: boolean,
    bType: 0 | 1,
    c: Float32Array,
    cOffset: number,
    ldc: number,
    alpha: number,
    beta: number,
  ): void;
}

let cached: NativeAddon | undefined;

/** Loads build/Release/loraforge.node once. */
export function nativeAddon(): NativeAddon {
  if (cached) return cached;
  const file = path.join(PACKAGE_ROOT, "build", "Release", "loraforge.node");
  if (!existsSync(file)) {
    throw new LoraforgeError(`the native addon is not built (${file} is missing)`, {
      hint: "run `npm install` (or `npm run build:native`) in the loraforge folder",
    });
  }
  const require = createRequire(import.meta.url);
  cached = require(file) as NativeAddon;
  return cached;
}
