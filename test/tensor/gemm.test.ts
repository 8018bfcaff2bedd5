import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, cpuBackend, referenceBackend, ShapeError } from "../../src/index.js";
import { nativeAddon } from "../../src/tensor/cpu/addon.js";
import { bitIdentical, randomTensor, relativeError } from "../helpers/numeric.js";
import { nativeConfigurations, withNative } from "../helpers/native-paths.js";

// Tolerance: f32 accumulation over K terms has a worst-case relative error of about K·u (u = 6e-8); for random
// signs it grows like √K·u, about 2e-6 at K = 1000. 2e-5 leaves a 10× margin over that and is still five orders
// of magnitude below the O(1) error of any wrong index, transposition or missed tile.
const TOL = 2e-5;

// Awkward shapes: not multiples of the 6x16 / 4x8 tiles or of the 144/320/3072 blocks, single rows/columns,
// K = 1, rank-1 LoRA factors, and sizes that cross a K panel (K is cut into equal panels of at most 320).
// The skinny rows exercise the paths that read an operand in place instead of packing it: N of one or two
// column slivers (A read in place, rows past M repeat the last row), M of at most three row slivers (B read in
// place, its partial edge sliver packed), and K of a few (LoRA rank) with many rows and columns.
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 17, 5],
  [7, 1, 3],
  [5, 9, 1],
  [13, 35, 300],
  [97, 33, 257],
  [64, 1, 576],
  [200, 16, 96],
  [16, 130, 200],
  [3, 3100, 20],
  [50, 16, 700],
  [61, 30, 641],
  [131, 8, 333],
  [17, 45, 333],
  [13, 16, 650],
  [2, 100, 900],
  [300, 40, 16],
  [40, 300, 3],
];

const FORMS = [
  { name: "Y = X·Wᵀ", transA: false, transB: true },
  { name: "dX = dY·W", transA: false, transB: false },
  { name: "dW = dYᵀ·X", transA: true, transB: false },
  { name: "Aᵀ·Bᵀ", transA: true, transB: true },
];

function operands(m: number, n: number, k: number, transA: boolean, transB: boolean, bDtype: "f32" | "bf16", seed: number) {
  const a = randomTensor(transA ? [k, m] : [m, k], seed);
  const b = randomTensor(transB ? [n, k] : [k, n], seed + 1, bDtype);
  return { a, b };
}

describe("gemm: native vs float64 reference", () => {
  for (const config of nativeConfigurations()) {
    it(`${config.isa}, ${config.threads} thread(s): all forms, f32 and bf16 B, awkward shapes`, () => {
      withNative(config, () => {
        let seed = 1;
        for (const [m, n, k] of SHAPES) {
          for (const form of FORMS) {
            for (const bDtype of ["f32", "bf16"] as const) {
              const { a, b } = operands(m, n, k, form.transA, form.transB, bDtype, seed++);
              const opts = { transA: form.transA, transB: form.transB, alpha: 0.75 };
              const got = cpuBackend.gemm(a, b, opts);
              const want = referenceBackend.gemm(a, b, opts);
              const err = relativeError(got, want);
              assert.ok(err < TOL, `${form.name} ${bDtype} m=${m} n=${n} k=${k}: relative error ${err}`);
            }
          }
        }
      });
    });
  }

  it("accumulates with beta and leaves untouched memory alone", () => {
    for (const config of nativeConfigurations()) {
      withNative(config, () => {
        const a = randomTensor([37, 45], 11);
        const b = randomTensor([29, 45], 12);
        const c0 = randomTensor([37, 29], 13);
        const got = cpuBackend.gemm(a, b, { transB: true, beta: 0.5, alpha: 2, out: c0.to("f32") });
        const want = referenceBackend.gemm(a, b, { transB: true, beta: 0.5, alpha: 2, out: c0.to("f64") });
        assert.ok(relativeError(got, want) < TOL);
      });
    }
  });

  it("beta = 0 overwrites C without reading it (NaN in C does not leak)", () => {
    const a = randomTensor([20, 10], 21);
    const b = randomTensor([10, 30], 22);
    const out = Tensor.zeros([20, 30]);
    (out.data as Float32Array).fill(NaN);
    cpuBackend.gemm(a, b, { out });
    for (const v of out.data) assert.ok(Number.isFinite(v));
  });

  it("K = 0 gives beta·C", () => {
    const a = Tensor.zeros([3, 0]);
    const b = Tensor.zeros([0, 4]);
    const out = Tensor.fromNumbers([3, 4], new Array(12).fill(2));
    cpuBackend.gemm(a, b, { out, beta: 0.5 });
    assert.deepEqual(Array.from(out.data), new Array(12).fill(1));
  });
});

describe("gemm: determinism", () => {
  it("results are bit-identical for 1, 2 and 3 threads", () => {
    for (const isa of nativeConfigurations().map((c) => c.isa).filter((v, i, all) => all.indexOf(v) === i)) {
      for (const form of FORMS) {
        const { a, b } = operands(300, 700, 1100, form.transA, form.transB, "f32", 5);
        const results = [1, 2, 3].map((threads) => withNative({ isa, threads }, () => cpuBackend.gemm(a, b, form)));
        assert.ok(bitIdentical(results[0], results[1]), `${isa} ${form.name}: 1 vs 2 threads`);
        assert.ok(bitIdentical(results[0], results[2]), `${isa} ${form.name}: 1 vs 3 threads`);
      }
    }
  });

  it("skinny (LoRA-shaped) products are bit-identical for 1, 2, 3 and 5 threads, f32 and bf16 B", () => {
    // The task grid, and with it whether an operand is packed or read in place, changes with the thread count.
    const shapes: Array<[number, number, number]> = [
      [260, 16, 700],
      [250, 30, 333],
      [17, 400, 650],
      [300, 500, 16],
      [700, 9, 300],
    ];
    for (const isa of nativeConfigurations().map((c) => c.isa).filter((v, i, all) => all.indexOf(v) === i)) {
      for (const [m, n, k] of shapes) {
        for (const form of FORMS) {
          for (const bDtype of ["f32", "bf16"] as const) {
            const { a, b } = operands(m, n, k, form.transA, form.transB, bDtype, 9);
            const results = [1, 2, 3, 5].map((threads) => withNative({ isa, threads }, () => cpuBackend.gemm(a, b, form)));
            for (let i = 1; i < results.length; ++i) {
              assert.ok(bitIdentical(results[0], results[i]), `${isa} ${form.name} ${bDtype} ${m}x${n}x${k}: thread counts differ`);
            }
          }
        }
      }
    }
  });
});

describe("gemm: batch invariance", () => {
  // A row's result must not depend on the rows computed beside it (served streams give the same answer alone or
  // batched). Products of at most one row sliver (a decode step) take their own loop; they must agree bit for
  // bit with the same rows inside a product of 40 rows.
  /** Rows [r0, r0 + m) of op(A), stored as A is. */
  function rowsOf(a: Tensor, transA: boolean, r0: number, m: number): Tensor {
    if (!transA) return a.rows(r0, m);
    const [k, total] = a.shape;
    const out = Tensor.zeros([k, m]);
    for (let p = 0; p < k; p++) for (let i = 0; i < m; i++) out.data[p * m + i] = a.data[p * total + r0 + i];
    return out;
  }

  for (const config of nativeConfigurations()) {
    it(`${config.isa}, ${config.threads} thread(s): M = 1..8 rows equal the same rows of M = 40, all forms, f32 and bf16 B, beta 0 and 1`, () => {
      withNative(config, () => {
        let seed = 40;
        for (const [n, k] of [[100, 700], [33, 333], [64, 650], [1540, 96]] as const) {
          for (const form of FORMS) {
            for (const bDtype of ["f32", "bf16"] as const) {
              const { a, b } = operands(40, n, k, form.transA, form.transB, bDtype, seed++);
              const c0 = randomTensor([40, n], seed++);
              for (const beta of [0, 1]) {
                const opts = { transA: form.transA, transB: form.transB, alpha: 0.75, beta };
                const whole = cpuBackend.gemm(a, b, { ...opts, out: c0.to("f32") });
                for (const [r0, m] of [[0, 1], [7, 1], [3, 2], [11, 3], [20, 5], [32, 8]]) {
                  const part = cpuBackend.gemm(rowsOf(a, form.transA, r0, m), b, { ...opts, out: c0.rows(r0, m).to("f32") });
                  assert.ok(bitIdentical(part, whole.rows(r0, m)), `${form.name} ${bDtype} n=${n} k=${k} beta=${beta}: rows ${r0}..${r0 + m - 1} differ`);
                }
              }
            }
          }
        }
      });
    });
  }
});

describe("gemm: bad calls", () => {
  it("mismatched shapes throw a ShapeError naming the op and shapes", () => {
    const a = Tensor.zeros([4, 5]);
    const b = Tensor.zeros([6, 7]);
    assert.throws(() => cpuBackend.gemm(a, b), (e: Error) => e instanceof ShapeError && /gemm: a f32\[4, 5\]/.test(e.message) && /inner dimensions differ/.test(e.message));
    assert.throws(() => cpuBackend.gemm(a, Tensor.zeros([5, 2]), { out: Tensor.zeros([4, 3]) }), ShapeError);
    assert.throws(() => cpuBackend.gemm(Tensor.zeros([2, 2], "bf16"), Tensor.zeros([2, 2])), /a must be f32/);
    assert.throws(() => cpuBackend.gemm(Tensor.zeros([2, 2]), Tensor.zeros([2, 2], "i32")), /b must be f32 or bf16/);
    assert.throws(() => cpuBackend.gemm(a, Tensor.zeros([5, 2]), { beta: 1 }), /needs an out tensor/);
  });

  it("the native entry point refuses out-of-bounds views instead of writing past the arrays", () => {
    const addon = nativeAddon();
    const a = new Float32Array(12);
    const b = new Float32Array(12);
    const c = new Float32Array(8);
    // c is 3x4 = 12 elements, but only 8 exist.
    assert.throws(() => addon.gemm(3, 4, 3, a, 0, 3, false, b, 0, 4, false, 0, c, 0, 4, 1, 0), RangeError);
    // a offset runs past the end.
    assert.throws(() => addon.gemm(3, 4, 3, a, 5, 3, false, b, 0, 4, false, 0, new Float32Array(12), 0, 4, 1, 0), /a: 3x3/);
    // leading dimension smaller than the row.
    assert.throws(() => addon.gemm(3, 4, 3, a, 0, 2, false, b, 0, 4, false, 0, new Float32Array(12), 0, 4, 1, 0), /leading dimension/);
    // wrong array types.
    assert.throws(() => addon.gemm(1, 1, 1, new Float64Array(1) as unknown as Float32Array, 0, 1, false, b, 0, 1, false, 0, c, 0, 1, 1, 0), TypeError);
    assert.throws(() => addon.gemm(1, 1, 1, a, 0, 1, false, b, 0, 1, false, 1, c, 0, 1, 1, 0), /Uint16Array/);
    assert.throws(() => addon.gemm(-1, 1, 1, a, 0, 1, false, b, 0, 1, false, 0, c, 0, 1, 1, 0), RangeError);
  });
});
