import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, referenceBackend as ref } from "../../../src/index.js";
import { randomTensor, relativeError } from "../../helpers/numeric.js";
import { dot, finiteDifference, segments } from "./fd.js";

// Analytic backward vs central finite differences of a scalar projection, all in float64 on small shapes.
// Expected agreement ~1e-8 (see fd.ts); 1e-6 still catches any wrong term, which errs at O(1).
const TOL = 1e-6;

const f64 = (shape: number[], seed: number, scale = 1) => randomTensor(shape, seed, "f64", scale);

function expectClose(name: string, analytic: Tensor, numeric: Tensor): void {
  const err = relativeError(analytic, numeric);
  assert.ok(err < TOL, `${name}: relative error ${err}`);
}

describe("reference backward vs finite differences", () => {
  it("rmsNorm: dx", () => {
    const x = f64([3, 7], 1);
    const w = f64([7], 2);
    const dy = f64([3, 7], 3);
    const { rstd } = ref.rmsNorm(x, w, 1e-5);
    const dx = ref.rmsNormBackward(dy, x, w, rstd);
    expectClose("dx", dx, finiteDifference(x, () => dot(ref.rmsNorm(x, w, 1e-5).y, dy)));
  });

  it("rope: dx, default and llama3 scaling, partial rotary, restarting positions", () => {
    const positions = new Tensor("i32", [5], Int32Array.from([0, 1, 2, 0, 9000]));
    const configs = [
      { theta: 10000, headDim: 8 },
      { theta: 500000, headDim: 6, llama3: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 } },
    ];
    for (const config of configs) {
      const x = f64([5, 2, 8], 4);
      const dy = f64([5, 2, 8], 5);
      const dx = ref.ropeBackward(dy, positions, config);
      expectClose(`rope ${config.headDim}`, dx, finiteDifference(x, () => dot(ref.rope(x, positions, config), dy)));
    }
  });

  it("swiglu: dGate and dUp", () => {
    const gate = f64([4, 5], 6, 3);
    const up = f64([4, 5], 7);
    const dy = f64([4, 5], 8);
    const { dGate, dUp } = ref.swigluBackward(dy, gate, up);
    expectClose("dGate", dGate, finiteDifference(gate, () => dot(ref.swiglu(gate, up), dy)));
    expectClose("dUp", dUp, finiteDifference(up, () => dot(ref.swiglu(gate, up), dy)));
  });

  it("geglu: dGate and dUp", () => {
    const gate = f64([4, 5], 16, 3);
    const up = f64([4, 5], 17);
    const dy = f64([4, 5], 18);
    const { dGate, dUp } = ref.gegluBackward(dy, gate, up);
    expectClose("dGate", dGate, finiteDifference(gate, () => dot(ref.geglu(gate, up), dy)));
    expectClose("dUp", dUp, finiteDifference(up, () => dot(ref.geglu(gate, up), dy)));
  });

  it("embedding: dWeight with repeated ids", () => {
    const w = f64([6, 3], 9);
    const ids = new Tensor("i32", [5], Int32Array.from([2, 0, 2, 5, 2]));
    const dy = f64([5, 3], 10);
    const dw = ref.embeddingBackward(dy, ids, 6);
    expectClose("dWeight", dw, finiteDifference(w, () => dot(ref.embedding(w, ids), dy)));
  });

  it("attention: dq, dk, dv with GQA and segments", () => {
    const seg = segments([3, 1, 4]);
    const q = f64([8, 4, 3], 11);
    const k = f64([8, 2, 3], 12);
    const v = f64([8, 2, 3], 13);
    const dOut = f64([8, 4, 3], 14);
    const { out, lse } = ref.attention(q, k, v, seg, 0.7);
    const g = ref.attentionBackward(dOut, q, k, v, out, lse, seg, 0.7);
    const loss = () => dot(ref.attention(q, k, v, seg, 0.7).out, dOut);
    expectClose("dq", g.dq, finiteDifference(q, loss));
    expectClose("dk", g.dk, finiteDifference(k, loss));
    expectClose("dv", g.dv, finiteDifference(v, loss));
  });

  it("attention with a sliding window: dq, dk, dv with GQA and segments", () => {
    const seg = segments([6, 1, 5]);
    const q = f64([12, 4, 3], 40);
    const k = f64([12, 2, 3], 41);
    const v = f64([12, 2, 3], 42);
    const dOut = f64([12, 4, 3], 43);
    const { out, lse } = ref.attention(q, k, v, seg, 0.7, 3);
    const g = ref.attentionBackward(dOut, q, k, v, out, lse, seg, 0.7, 3);
    const loss = () => dot(ref.attention(q, k, v, seg, 0.7, 3).out, dOut);
    expectClose("dq", g.dq, finiteDifference(q, loss));
    expectClose("dk", g.dk, finiteDifference(k, loss));
    expectClose("dv", g.dv, finiteDifference(v, loss));
  });

  it("crossEntropyLinear: dh = gradScale · d(lossSum)/dh, ignored rows get zero", () => {
    const h = f64([4, 5], 15);
    const w = f64([7, 5], 16);
    const targets = new Tensor("i32", [4], Int32Array.from([3, -100, 0, 6]));
    const { dh, count } = ref.crossEntropyLinear(h, w, targets, 0.25);
    assert.equal(count, 3);
    assert.ok(dh);
    expectClose("dh", dh, finiteDifference(h, () => 0.25 * ref.crossEntropyLinear(h, w, targets).lossSum));
    for (let d = 0; d < 5; d++) assert.equal(dh.get(5 + d), 0);
  });
});

describe("reference forward: definitions", () => {
  it("attention with segments equals each segment on its own", () => {
    const lengths = [1, 4, 2, 5];
    const seg = segments(lengths);
    const T = 12;
    const q = f64([T, 6, 4], 20);
    const k = f64([T, 2, 4], 21);
    const v = f64([T, 2, 4], 22);
    const packed = ref.attention(q, k, v, seg).out;
    let start = 0;
    for (const len of lengths) {
      const slice = (t: Tensor) => new Tensor("f64", [len, ...t.shape.slice(1)], (t.data as Float64Array).slice(start * t.numel / T, (start + len) * t.numel / T));
      const alone = ref.attention(slice(q), slice(k), slice(v), segments([len])).out;
      expectClose(`segment at ${start}`, slice(packed), alone);
      start += len;
    }
  });

  it("decode equals the last row of full attention over the cache", () => {
    const k = f64([7, 2, 8], 24);
    const v = f64([7, 2, 8], 25);
    const qs = f64([7, 4, 8], 26);
    const last = ref.attention(qs, k, v, segments([7])).out;
    const decoded = ref.attentionDecode(new Tensor("f64", [4, 8], (qs.data as Float64Array).slice(6 * 32)), k, v, 7);
    expectClose("decode", decoded, new Tensor("f64", [4, 8], (last.data as Float64Array).slice(6 * 32)));
  });

  it("a sliding window is a mask: row i equals full attention over keys i − W + 1 … i alone", () => {
    const T = 9;
    const W = 4;
    const q = f64([T, 2, 4], 44);
    const k = f64([T, 1, 4], 45);
    const v = f64([T, 1, 4], 46);
    const windowed = ref.attention(q, k, v, segments([T]), undefined, W).out;
    for (let i = 0; i < T; i++) {
      const lo = Math.max(0, i - W + 1);
      const rows = (t: Tensor) => new Tensor("f64", [i + 1 - lo, ...t.shape.slice(1)], (t.data as Float64Array).slice((lo * t.numel) / T, ((i + 1) * t.numel) / T));
      const alone = (ref.attention(rows(q), rows(k), rows(v), segments([i + 1 - lo])).out.data as Float64Array).slice((i - lo) * 8);
      expectClose(`row ${i}`, new Tensor("f64", [2, 4], (windowed.data as Float64Array).slice(i * 8, i * 8 + 8)), new Tensor("f64", [2, 4], alone));
    }
  });

  it("decode with a window equals the last row of windowed attention over the cache", () => {
    const k = f64([7, 2, 8], 47);
    const v = f64([7, 2, 8], 48);
    const qs = f64([7, 4, 8], 49);
    const last = ref.attention(qs, k, v, segments([7]), undefined, 3).out;
    const decoded = ref.attentionDecode(new Tensor("f64", [4, 8], (qs.data as Float64Array).slice(6 * 32)), k, v, 7, undefined, 3);
    expectClose("decode", decoded, new Tensor("f64", [4, 8], (last.data as Float64Array).slice(6 * 32)));
  });

  it("crossEntropyLinear: all-ignored targets give zero loss and count", () => {
    const r = ref.crossEntropyLinear(f64([2, 3], 30), f64([4, 3], 31), new Tensor("i32", [2], Int32Array.from([-100, -100])), 1);
    assert.equal(r.lossSum, 0);
    assert.equal(r.count, 0);
  });

  it("rope: llama3 scaling keeps high frequencies and divides low ones by the factor", () => {
    const x = Tensor.fromNumbers([1, 1, 128], new Array(128).fill(0).map((_, i) => (i === 0 || i === 63 ? 1 : 0)), "f64");
    const config = { theta: 500000, headDim: 128, llama3: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } };
    const pos = new Tensor("i32", [1], Int32Array.from([1000]));
    const y = ref.rope(x, pos, config);
    // pair 0: inv_freq 1 (wavelength 2π, below 8192/4): unchanged; pair 63: 500000^(-126/128) / 8.
    assert.ok(Math.abs(y.get(0) - Math.cos(1000)) < 1e-12);
    const slow = 500000 ** (-126 / 128) / 8;
    assert.ok(Math.abs(y.get(63) - Math.cos(1000 * slow)) < 1e-12);
    assert.ok(Math.abs(y.get(127) - Math.sin(1000 * slow)) < 1e-12);
  });
});
