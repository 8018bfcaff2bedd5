import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, cpuBackend, nativeInfo } from "../../src/index.js";
import { bitIdentical, randomTensor } from "../helpers/numeric.js";
import { withNative } from "../helpers/native-paths.js";

// The avx512 path's attention runs its products with 512-bit tiles but keeps each output element's FMA chain over
// k in the AVX2 order (native/src/avx512/simd_avx512.h), so the two paths agree bit for bit; the op tests check
// both against the float64 reference. In the bf16 compute mode both paths round the same operands into the same
// bf16-pair layouts; avx512 multiplies them with VDPBF16PS, avx2 emulates it (per pair: the high halves' product
// added, then the low halves', each add rounded, as the instruction is specified), so it agrees bit for bit too.
const both = ["avx2", "avx512"].every((isa) => nativeInfo().isas.includes(isa));

describe("avx512 path", () => {
  it("attention forward and backward give the AVX2 path's bits (GQA, segments, ragged blocks)", { skip: both ? false : "this CPU lacks AVX2 or AVX-512 BF16" }, () => {
    const [t, heads, kvHeads, hd] = [150, 6, 2, 40];
    const q = randomTensor([t, heads, hd], 1);
    const k = randomTensor([t, kvHeads, hd], 2);
    const v = randomTensor([t, kvHeads, hd], 3);
    const dOut = randomTensor([t, heads, hd], 4);
    const seg = new Tensor("i32", [t], Int32Array.from({ length: t }, (_, i) => (i < 70 ? 0 : 1)));
    for (const bf16 of [false, true]) {
      const run = (isa: string) =>
        withNative({ isa, threads: 2 }, () => {
          const f = cpuBackend.attention(q, k, v, seg, 0.15, undefined, { bf16 });
          return { ...f, ...cpuBackend.attentionBackward(dOut, q, k, v, f.out, f.lse, seg, 0.15, undefined, { bf16 }) };
        });
      const a = run("avx2");
      const b = run("avx512");
      for (const key of ["out", "lse", "dq", "dk", "dv"] as const) assert.ok(bitIdentical(a[key], b[key]), `${key}${bf16 ? " (bf16)" : ""}`);
    }
  });
});
