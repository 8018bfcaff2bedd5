import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, referenceBackend as ref } from "../../../src/index.js";

// Golden values from torch 2.13 (float64, torch.optim.AdamW(foreach=False), torch.nn.utils.clip_grad_norm_),
// printed with repr; the reference must agree to float64 rounding (1e-14 relative).
const ADAMW = {
  hyper: { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 },
  param: [0.5, -1.2, 3.0, 0.0, 1e-3],
  grads: [
    [0.1, -2.0, 0.0, 5.0, 1e-4],
    [-0.3, 1.0, 0.2, 5.0, -1e-4],
    [0.05, 0.5, -0.7, -1.0, 0.0],
  ],
  param3: [0.49622547770914865, -1.1831433799562414, 2.988135900276559, -0.02674306117339569, -0.008048552873562554],
  m3: [-0.013899999999999997, -0.022000000000000006, -0.051999999999999984, 0.7549999999999998, -9.000000000000006e-7],
  v3: [0.001014010000000001, 0.051604000000000046, 0.005296000000000004, 0.5025250000000004, 1.970100000000002e-10],
};

function close(actual: Tensor, expected: number[], what: string): void {
  expected.forEach((e, i) => assert.ok(Math.abs(actual.get(i) - e) <= 1e-14 * Math.max(1, Math.abs(e)), `${what}[${i}]: ${actual.get(i)} vs ${e}`));
}

describe("reference optimizers vs torch", () => {
  it("adamwStep: three steps match torch.optim.AdamW", () => {
    const n = ADAMW.param.length;
    const p = Tensor.fromNumbers([n], ADAMW.param, "f64");
    const m = Tensor.zeros([n], "f64");
    const v = Tensor.zeros([n], "f64");
    ADAMW.grads.forEach((g, i) => ref.adamwStep(p, Tensor.fromNumbers([n], g, "f64"), m, v, { ...ADAMW.hyper, step: i + 1 }));
    close(p, ADAMW.param3, "param");
    close(m, ADAMW.m3, "m");
    close(v, ADAMW.v3, "v");
  });

  it("clipGradNorm: norm 13 clipped to 6.5 as torch clip_grad_norm_", () => {
    const a = Tensor.fromNumbers([2], [3, 4], "f64");
    const b = Tensor.fromNumbers([1, 1], [12], "f64");
    assert.equal(ref.clipGradNorm([a, b], 6.5), 13);
    close(a, [1.4999998846153937, 1.9999998461538582], "a");
    close(b, [5.999999538461575], "b");
    assert.equal(ref.clipGradNorm([a, b], 100), ref.gradNorm([a, b]));
    close(b, [5.999999538461575], "b unchanged below the limit");
  });

  it("sgdStep and axpy", () => {
    const p = Tensor.fromNumbers([2], [1, -2], "f64");
    ref.sgdStep(p, Tensor.fromNumbers([2], [0.5, 0.5], "f64"), 0.1, 0.01);
    close(p, [1 - 0.1 * (0.5 + 0.01), -2 - 0.1 * (0.5 - 0.02)], "sgd");
    ref.axpy(p, Tensor.fromNumbers([2], [1, 1], "f64"), 2);
    close(p, [3 - 0.1 * 0.51, -0.1 * 0.48], "axpy");
  });
});
