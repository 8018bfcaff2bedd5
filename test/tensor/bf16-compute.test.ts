import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, bf16ToF32, cpuBackend, f32ToBf16, referenceBackend } from "../../src/index.js";
import { bitIdentical, randomTensor, relativeError } from "../helpers/numeric.js";
import { nativeConfigurations, withNative } from "../helpers/native-paths.js";

// The bf16 compute mode (GemmOptions.bf16): both operands rounded to bf16, products summed in f32.
//
// Exactness bound. A product of two bf16 values has at most 16 significant bits, so it is exact in f32; the only
// error left is the f32 summation of K such products (in panels, pairs or FMAs, in whatever order a path uses),
// which for any order is at most γ_K·Σ_p |a_ip·b_pj| with γ_K = K·u/(1 − K·u), u = 2⁻²⁴ (Higham, Accuracy and
// Stability, §3.1), plus one rounding for alpha. So each element is checked against the float64 product of the
// bf16-rounded operands with |got − want| ≤ (γ_K + 2u)·|alpha|·Σ_p |a_ip·b_pj|.
const U = 2 ** -24;

function absProducts(a: Tensor, b: Tensor, m: number, n: number, k: number, transA: boolean, transB: boolean): Float64Array {
  const r = (x: number) => bf16ToF32(f32ToBf16(x));
  const lda = a.shape[1];
  const ldb = b.shape[1];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a.get(p * lda + i) : a.get(i * lda + p);
        const y = transB ? b.get(j * ldb + p) : b.get(p * ldb + j);
        s += Math.abs(r(x) * r(y));
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

/** The largest |got − want| / bound over the elements (≤ 1 passes). */
function worstRatio(got: Tensor, want: Tensor, scale: Float64Array, k: number, alpha: number): number {
  const gamma = (k * U) / (1 - k * U) + 2 * U;
  let worst = 0;
  for (let i = 0; i < got.numel; i++) {
    const bound = gamma * Math.abs(alpha) * scale[i] + 1e-30;
    worst = Math.max(worst, Math.abs(got.get(i) - want.get(i)) / bound);
  }
  return worst;
}

const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [7, 1, 3],
  [5, 9, 1],
  [13, 35, 300],
  [97, 33, 257],
  [16, 130, 200],
  [3, 70, 20],
  [61, 30, 641],
  [9, 33, 17],
  [40, 64, 33],
];

const FORMS = [
  { name: "Y = X·Wᵀ", transA: false, transB: true },
  { name: "dX = dY·W", transA: false, transB: false },
  { name: "dW = dYᵀ·X", transA: true, transB: false },
];

describe("gemm, bf16 compute mode: within the f32-summation bound of the float64 product of bf16-rounded operands", () => {
  for (const config of nativeConfigurations()) {
    it(`${config.isa}, ${config.threads} thread(s): all forms, f32 and bf16 B, awkward shapes`, () => {
      withNative(config, () => {
        let seed = 100;
        for (const [m, n, k] of SHAPES) {
          for (const form of FORMS) {
            for (const bDtype of ["f32", "bf16"] as const) {
              const a = randomTensor(form.transA ? [k, m] : [m, k], seed++);
              const b = randomTensor(form.transB ? [n, k] : [k, n], seed++, bDtype);
              const opts = { transA: form.transA, transB: form.transB, alpha: 0.75, bf16: true };
              const got = cpuBackend.gemm(a, b, opts);
              const want = referenceBackend.gemm(a, b, opts);
              const ratio = worstRatio(got, want, absProducts(a, b, m, n, k, form.transA, form.transB), k, 0.75);
              assert.ok(ratio <= 1, `${form.name} ${bDtype} m=${m} n=${n} k=${k}: error ${ratio.toFixed(2)}× the bound`);
            }
          }
        }
      });
    });
  }

  it("the operands really are rounded: the f32 product of the unrounded operands misses the bound several times over", () => {
    const [m, n, k] = [24, 40, 300];
    const a = randomTensor([m, k], 7);
    const b = randomTensor([n, k], 8);
    const scale = absProducts(a, b, m, n, k, false, true);
    const bf16Want = referenceBackend.gemm(a, b, { transB: true, bf16: true });
    for (const config of nativeConfigurations().filter((c) => c.threads === 1)) {
      withNative(config, () => {
        const f32 = cpuBackend.gemm(a, b, { transB: true });
        const f32Ratio = worstRatio(f32, bf16Want, scale, k, 1);
        assert.ok(f32Ratio > 5, `${config.isa}: f32 mode is indistinguishable from bf16 (${f32Ratio})`);
        const bf16 = cpuBackend.gemm(a, b, { transB: true, bf16: true });
        assert.ok(worstRatio(bf16, bf16Want, scale, k, 1) <= 1, `${config.isa}: bf16 mode outside its bound`);
      });
    }
  });

  it("accumulates with beta like the f32 mode", () => {
    for (const config of nativeConfigurations()) {
      withNative(config, () => {
        const a = randomTensor([37, 45], 11);
        const b = randomTensor([29, 45], 12, "bf16");
        const c0 = randomTensor([37, 29], 13);
        const got = cpuBackend.gemm(a, b, { transB: true, beta: 0.5, alpha: 2, out: c0.to("f32"), bf16: true });
        const want = referenceBackend.gemm(a, b, { transB: true, beta: 0.5, alpha: 2, out: c0.to("f64"), bf16: true });
        // Bound as above plus the beta·C rounding, well inside 1e-5 relative for these sizes.
        assert.ok(relativeError(got, want) < 1e-5, `${config.isa}`);
      });
    }
  });

  it("is bit-identical for 1, 2, 3 and 5 threads on every path", () => {
    const shapes: Array<[number, number, number]> = [
      [300, 500, 700],
      [260, 16, 700],
      [17, 400, 650],
      [700, 9, 300],
    ];
    for (const isa of new Set(nativeConfigurations().map((c) => c.isa))) {
      for (const [m, n, k] of shapes) {
        for (const form of FORMS) {
          const a = randomTensor(form.transA ? [k, m] : [m, k], 3);
          const b = randomTensor(form.transB ? [n, k] : [k, n], 4, "bf16");
          const opts = { ...form, bf16: true };
          const results = [1, 2, 3, 5].map((threads) => withNative({ isa, threads }, () => cpuBackend.gemm(a, b, opts)));
          for (let i = 1; i < results.length; i++) {
            assert.ok(bitIdentical(results[0], results[i]), `${isa} ${form.name} ${m}x${n}x${k}: thread counts differ`);
          }
        }
      }
    }
  });
});

describe("crossEntropyLinear, bf16 compute mode", () => {
  // Loss: each logit is within γ_D·Σ|h||w| (≈ 2e-5·Σ|h||w| at D = 96) of the reference's, and the loss moves by at
  // most the largest logit error; dh: the softmax gradient is rounded to bf16 on both sides, from f32 here and
  // from float64 in the reference, which can land one bf16 step apart on a rare element (a 2⁻⁸ relative change of
  // one term), so dh is compared by relative error over the tensor.
  const [tokens, dim, vocab] = [23, 96, 300];
  const h = randomTensor([tokens, dim], 31);
  const w = randomTensor([vocab, dim], 32, "bf16", 0.2);
  const targets = new Tensor("i32", [tokens], Int32Array.from({ length: tokens }, (_, i) => (i % 5 === 4 ? -100 : (i * 37) % vocab)));
  const want = referenceBackend.crossEntropyLinear(h, w, targets, 1 / tokens, { bf16: true });
  const wantF32 = referenceBackend.crossEntropyLinear(h, w, targets, 1 / tokens);
  for (const config of nativeConfigurations()) {
    it(`${config.isa}, ${config.threads} thread(s): loss and dh match the bf16-rounded float64 reference`, () => {
      withNative(config, () => {
        const got = cpuBackend.crossEntropyLinear(h, w, targets, 1 / tokens, { bf16: true });
        assert.equal(got.count, want.count);
        const lossErr = Math.abs(got.lossSum - want.lossSum) / Math.abs(want.lossSum);
        assert.ok(lossErr < 1e-5, `loss relative error ${lossErr}`);
        assert.ok(got.dh && want.dh);
        const dhErr = relativeError(got.dh, want.dh);
        assert.ok(dhErr < 1e-3, `dh relative error ${dhErr}`);
        // And it is not the f32 mode: that one sits measurably further from the bf16 reference.
        const f32Loss = Math.abs(wantF32.lossSum - want.lossSum) / Math.abs(want.lossSum);
        assert.ok(f32Loss > 10 * lossErr, `bf16 and f32 references too close to tell apart (${f32Loss})`);
      });
    });
  }
});
