import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, cpuBackend as cpu, referenceBackend as ref } from "../../../src/index.js";
import { nativeConfigurations, withNative } from "../../helpers/native-paths.js";
import { randomTensor, relativeError } from "../../helpers/numeric.js";

// Tolerances (relative error vs float64). Loss: f32 logits (dot products over D) and a polynomial exp, summed in
// double: measured ~1e-8; 1e-6. dh: sums over V of f32 products: measured ≤ 5e-7; 5e-6. Optimizer steps round a
// few f32 operations per element: 1e-6.
const TOL_LOSS = 1e-6;
const TOL_DH = 5e-6;
const TOL_OPT = 1e-6;

function targetsFor(tokens: number, vocab: number, seed: number): Tensor {
  const t = new Int32Array(tokens);
  for (let i = 0; i < tokens; i++) t[i] = (i * 7 + seed) % 5 === 0 ? -100 : (i * 7919 + seed * 31) % vocab;
  return new Tensor("i32", [tokens], t);
}

describe("crossEntropyLinear: native vs float64 reference", () => {
  // Chunks hold at most max(16, 2^23 / V) rows: V = 70000 allows 119, so 130 tokens run as 2 chunks of 65.
  const cases = [
    { tokens: 1, dim: 8, vocab: 5 },
    { tokens: 130, dim: 5, vocab: 70000 },
    { tokens: 40, dim: 57, vocab: 1001 },
  ];
  for (const { tokens, dim, vocab } of cases) {
    it(`T=${tokens} D=${dim} V=${vocab}, f32 and bf16 W, with and without dh`, () => {
      const h = randomTensor([tokens, dim], tokens, "f32", 2);
      const targets = targetsFor(tokens, vocab, dim);
      for (const wType of ["f32", "bf16"] as const) {
        const w = randomTensor([vocab, dim], vocab, wType);
        const want = ref.crossEntropyLinear(h, w, targets, 0.125);
        for (const config of nativeConfigurations()) {
          withNative(config, () => {
            const tag = `${wType} ${config.isa}/${config.threads}t`;
            const got = cpu.crossEntropyLinear(h, w, targets, 0.125);
            assert.equal(got.count, want.count, tag);
            assert.ok(Math.abs(got.lossSum - want.lossSum) <= TOL_LOSS * Math.abs(want.lossSum), `${tag} loss ${got.lossSum} vs ${want.lossSum}`);
            assert.ok(got.dh && want.dh);
            const err = relativeError(got.dh, want.dh);
            assert.ok(err < TOL_DH, `${tag} dh relative error ${err}`);
            const lossOnly = cpu.crossEntropyLinear(h, w, targets);
            assert.equal(lossOnly.dh, undefined);
            assert.equal(lossOnly.lossSum, got.lossSum, `${tag}: the loss does not depend on computing dh`);
          });
        }
      }
    });
  }

  it("all targets ignored: zero loss, zero count, zero dh", () => {
    const got = cpu.crossEntropyLinear(randomTensor([3, 4], 1), randomTensor([6, 4], 2), new Tensor("i32", [3], Int32Array.from([-100, -100, -100])), 1);
    assert.equal(got.lossSum, 0);
    assert.equal(got.count, 0);
    assert.ok(got.dh && got.dh.data.every((x) => x === 0));
  });
});

describe("optimizers: native vs float64 reference", () => {
  const n = 40000; // crosses the 16384-element task blocks
  it("adamwStep: several steps of param, m and v", () => {
    const want = { p: randomTensor([n], 1, "f64"), m: Tensor.zeros([n], "f64"), v: Tensor.zeros([n], "f64") };
    const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    for (const config of nativeConfigurations()) {
      withNative(config, () => {
        const got = { p: want.p.to("f32"), m: Tensor.zeros([n]), v: Tensor.zeros([n]) };
        const r = { p: want.p.to("f64"), m: Tensor.zeros([n], "f64"), v: Tensor.zeros([n], "f64") };
        for (let step = 1; step <= 3; step++) {
          const g = randomTensor([n], 10 + step);
          cpu.adamwStep(got.p, g, got.m, got.v, { ...hyper, step });
          ref.adamwStep(r.p, g, r.m, r.v, { ...hyper, step });
        }
        for (const key of ["p", "m", "v"] as const) {
          const err = relativeError(got[key], r[key]);
          assert.ok(err < TOL_OPT, `${config.isa}/${config.threads}t ${key}: relative error ${err}`);
        }
      });
    }
  });

  it("sgdStep, axpy, gradNorm and clipGradNorm", () => {
    const grads = [randomTensor([n], 20), randomTensor([3, 5], 21), Tensor.zeros([0])];
    const wantNorm = ref.gradNorm(grads);
    for (const config of nativeConfigurations()) {
      withNative(config, () => {
        const tag = `${config.isa}/${config.threads}t`;
        assert.ok(Math.abs(cpu.gradNorm(grads) - wantNorm) <= 1e-12 * wantNorm, `${tag} gradNorm`);
        const mine = grads.map((g) => g.to("f32"));
        const theirs = grads.map((g) => g.to("f64"));
        assert.equal(cpu.clipGradNorm(mine, wantNorm / 4), cpu.gradNorm(grads));
        ref.clipGradNorm(theirs, wantNorm / 4);
        mine.forEach((g, i) => assert.ok(relativeError(g, theirs[i]) < TOL_OPT, `${tag} clipped grads[${i}]`));
        const p = randomTensor([n], 22);
        const pr = p.to("f64");
        cpu.sgdStep(p, grads[0], 0.1, 0.01);
        ref.sgdStep(pr, grads[0], 0.1, 0.01);
        cpu.axpy(p, grads[0], -0.5);
        ref.axpy(pr, grads[0], -0.5);
        assert.ok(relativeError(p, pr) < TOL_OPT, `${tag} sgd + axpy`);
      });
    }
  });
});
