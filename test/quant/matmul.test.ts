import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, cpuBackend, referenceBackend } from "../../src/tensor/index.js";
import { nativeQuant4Dequantize, quantLinear, quantLinearBackwardInput, quantizeTensor, quantScheme } from "../../src/quant/index.js";
import type { Quant4Tensor } from "../../src/quant/index.js";
import { nativeConfigurations, withNative } from "../helpers/native-paths.js";
import { bitIdentical, randomTensor, relativeError } from "../helpers/numeric.js";

// The fused 4-bit products against the reference backend (which multiplies the exactly dequantized weight in
// float64). Same tolerance reasoning as the f32 GEMM tests: f32 accumulation error ~√K·u, far below the O(1)
// error of a wrong nibble, block or tile.
const TOL = 2e-5;

// [m, out, in]: in not a multiple of 64 (blocks straddle rows), odd element counts, in < 8, M = 1 (the
// matrix-vector path), and sizes that cut into several row tiles (x·Wᵀ) or column tiles (dy·W).
const SHAPES: Array<[number, number, number]> = [
  [1, 7, 93],
  [1, 33, 100],
  [1, 3, 5],
  [2, 7, 93],
  [5, 17, 70],
  [13, 40, 3],
  [64, 130, 200],
  [3, 300, 257],
  [1, 301, 1200],
  [7, 2100, 130],
];

function weight(out: number, inF: number, seed: number, name: string): Quant4Tensor {
  return quantizeTensor(randomTensor([out, inF], seed, "bf16", 0.1), quantScheme(name));
}

describe("4-bit dequantize (native decode)", () => {
  for (const cfg of nativeConfigurations()) {
    it(`${cfg.isa}: bit-identical to the TypeScript dequantization, any start and count`, () => {
      withNative(cfg, () => {
        for (const name of ["nf4", "fp4-no-double-quant"]) {
          const w = weight(9, 93, 5, name);
          const ref = w.dequantize();
          assert.ok(bitIdentical(new Tensor("f32", w.shape, nativeQuant4Dequantize(w)), ref));
          for (const [start, count] of [[1, 50], [63, 2], [64, 64], [100, 737], [836, 1]]) {
            const part = nativeQuant4Dequantize(w, start, count);
            assert.deepEqual(Array.from(part), Array.from(ref.data.subarray(start, start + count)), `${name} ${start}+${count}`);
          }
        }
      });
    });
  }
});

describe("4-bit fused products vs the reference backend", () => {
  for (const cfg of nativeConfigurations()) {
    it(`${cfg.isa}, ${cfg.threads} thread(s): x·Wᵀ and dy·W on awkward shapes, plain and double-quantized`, () => {
      withNative(cfg, () => {
        SHAPES.forEach(([m, out, inF], s) => {
          const w = weight(out, inF, 100 + s, s % 2 === 0 ? "nf4" : "nf4-no-double-quant");
          const x = randomTensor([m, inF], 200 + s);
          const dy = randomTensor([m, out], 300 + s);
          const y = quantLinear(cpuBackend, x, w);
          const yRef = quantLinear(referenceBackend, x, w);
          assert.ok(relativeError(y, yRef) < TOL, `y [${m}, ${out}, ${inF}]: ${relativeError(y, yRef)}`);
          const dx = quantLinearBackwardInput(cpuBackend, dy, w);
          const dxRef = quantLinearBackwardInput(referenceBackend, dy, w);
          assert.ok(relativeError(dx, dxRef) < TOL, `dx [${m}, ${out}, ${inF}]: ${relativeError(dx, dxRef)}`);
        });
      });
    });
  }

  it("accumulates with beta = 1 into an existing output, leading dimensions kept", () => {
    const w = weight(20, 70, 9, "nf4");
    const x = randomTensor([2, 3, 70], 10);
    const base = randomTensor([2, 3, 20], 11);
    const y = quantLinear(cpuBackend, x, w, base.to("f32"), 1);
    assert.deepEqual(y.shape, [2, 3, 20]);
    const expected = quantLinear(referenceBackend, x, w);
    for (let i = 0; i < expected.numel; i++) expected.data[i] += base.data[i];
    assert.ok(relativeError(y, expected) < TOL);
    const dyBase = randomTensor([5, 70], 12);
    const dx = quantLinearBackwardInput(cpuBackend, randomTensor([5, 20], 13), w, dyBase.to("f32"), 1);
    const dxRef = quantLinearBackwardInput(referenceBackend, randomTensor([5, 20], 13), w);
    for (let i = 0; i < dxRef.numel; i++) dxRef.data[i] += dyBase.data[i];
    assert.ok(relativeError(dx, dxRef) < TOL);
  });

  it("bit-identical results for 1, 2 and 3 threads on every kernel path", () => {
    const w = weight(300, 257, 21, "nf4");
    const x = randomTensor([9, 257], 22);
    const dy = randomTensor([9, 300], 23);
    const x1 = randomTensor([1, 257], 24);
    for (const isa of new Set(nativeConfigurations().map((c) => c.isa))) {
      const runs = [1, 2, 3].map((threads) =>
        withNative({ isa, threads }, () => [quantLinear(cpuBackend, x, w), quantLinearBackwardInput(cpuBackend, dy, w), quantLinear(cpuBackend, x1, w)]),
      );
      for (const run of runs.slice(1)) run.forEach((t, i) => assert.ok(bitIdentical(t, runs[0][i]), `${isa} product ${i}`));
    }
  });

  it("rejects mismatched shapes", () => {
    const w = weight(8, 70, 1, "nf4");
    assert.throws(() => quantLinear(cpuBackend, randomTensor([2, 71], 1), w), /last dimension of 70/);
    assert.throws(() => quantLinearBackwardInput(cpuBackend, randomTensor([2, 70], 1), w), /last dimension of 8/);
  });
});
