import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ShapeError, Tensor, cpuBackend, referenceBackend } from "../../../src/index.js";
import { nativeAddon } from "../../../src/tensor/cpu/addon.js";
import { segments } from "./fd.js";

const f32 = (shape: number[]) => Tensor.zeros(shape);
const i32 = (values: number[]) => new Tensor("i32", [values.length], Int32Array.from(values));

/** Throws a ShapeError whose message matches every pattern, on both backends. */
function rejects(call: (b: typeof cpuBackend) => unknown, ...patterns: RegExp[]): void {
  for (const b of [cpuBackend, referenceBackend]) {
    assert.throws(
      () => call(b),
      (e: Error) => e instanceof ShapeError && patterns.every((p) => p.test(e.message)),
      `${b.name}: expected a ShapeError matching ${patterns.join(" and ")}`,
    );
  }
}

describe("bad calls throw ShapeError naming the op and the shapes", () => {
  it("rmsNorm, rope, swiglu, geglu, embedding", () => {
    rejects((b) => b.rmsNorm(f32([2, 3]), f32([4]), 1e-5), /^rmsNorm: x f32\[2, 3\], weight f32\[4\]/, /weight must be \[3\]/);
    rejects((b) => b.rmsNormBackward(f32([2, 3]), f32([2, 3]), f32([3]), f32([3])), /rmsNormBackward: .*rstd f32\[3\]/, /rstd must be \[2\]/);
    rejects((b) => b.rope(f32([2, 1, 8]), i32([0, 1, 2]), { theta: 1e4, headDim: 8 }), /rope: x f32\[2, 1, 8\], positions i32\[3\]/);
    rejects((b) => b.rope(f32([2, 1, 8]), i32([0, 1]), { theta: 1e4, headDim: 7 }), /config.headDim 7 must be even/);
    rejects((b) => b.swiglu(f32([2, 3]), f32([3, 2])), /swiglu: gate f32\[2, 3\], up f32\[3, 2\]/);
    rejects((b) => b.geglu(f32([2, 3]), f32([3, 2])), /geglu: gate f32\[2, 3\], up f32\[3, 2\]/);
    rejects((b) => b.gegluBackward(f32([2, 3]), f32([2, 3]), f32([3, 2])), /gegluBackward: dy f32\[2, 3\], gate f32\[2, 3\], up f32\[3, 2\]/);
    rejects((b) => b.embedding(f32([4, 2]), i32([0, 4])), /embedding: .*id 4 at position 1 is outside \[0, 4\)/);
    rejects((b) => b.embeddingBackward(f32([2, 2]), i32([0, -1]), 3), /embeddingBackward: .*id -1/);
  });

  it("attention", () => {
    const q = f32([4, 6, 8]);
    const k = f32([4, 4, 8]);
    rejects((b) => b.attention(q, k, k, segments([4])), /attention: q f32\[4, 6, 8\], k f32\[4, 4, 8\]/, /multiple of kv heads 4/);
    rejects((b) => b.attention(q, f32([4, 2, 8]), f32([4, 2, 7]), segments([4])), /v must be \[4, 2, 8\]/);
    rejects((b) => b.attention(q, f32([4, 2, 8]), f32([4, 2, 8]), i32([0, 1, 0, 0])), /segment id 0 at position 2 resumes/);
    rejects((b) => b.attentionBackward(q, q, f32([4, 2, 8]), f32([4, 2, 8]), q, f32([4, 6]), segments([4])), /lse must be \[6, 4\]/);
    rejects((b) => b.attentionDecode(f32([6, 8]), f32([5, 2, 8]), f32([5, 2, 8]), 6), /attentionDecode: .*length 6 must be an integer in \[1, 5\]/);
    rejects((b) => b.attention(q, f32([4, 2, 8]), f32([4, 2, 8]), segments([4]), undefined, 2.5), /attention: window must be a non-negative integer \(0 = unlimited\), got 2.5/);
    rejects((b) => b.attentionDecode(f32([6, 8]), f32([5, 2, 8]), f32([5, 2, 8]), 5, undefined, -1), /attentionDecode: window must be a non-negative integer/);
  });

  it("crossEntropyLinear and optimizers", () => {
    rejects((b) => b.crossEntropyLinear(f32([2, 3]), f32([5, 4]), i32([0, 1])), /crossEntropyLinear: h f32\[2, 3\], w f32\[5, 4\]/, /w must be \[V, 3\]/);
    rejects((b) => b.crossEntropyLinear(f32([2, 3]), f32([5, 3]), i32([5, 1])), /id 5 at position 0 is outside \[0, 5\) and is not -100/);
    rejects((b) => b.adamwStep(f32([3]), f32([3]), f32([3]), f32([2]), { lr: 1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, step: 1 }), /adamwStep: .*v must be \[3\]/);
    rejects((b) => b.adamwStep(f32([3]), f32([3]), f32([3]), f32([3]), { lr: 1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, step: 0 }), /step must be an integer >= 1/);
    rejects((b) => b.axpy(f32([3]), f32([4]), 1), /axpy: y f32\[3\], x f32\[4\]/);
    rejects((b) => b.gradNorm([f32([2]), Tensor.zeros([2], "i32")]), /gradNorm: grads\[1\] i32\[2\]/);
  });

  it("cpu dtype rules: activations f32, weights f32 or bf16", () => {
    assert.throws(() => cpuBackend.swiglu(Tensor.zeros([2], "f64"), Tensor.zeros([2], "f64")), /swiglu: .*gate must be f32 on the cpu backend/);
    assert.throws(() => cpuBackend.crossEntropyLinear(f32([1, 2]), Tensor.zeros([3, 2], "f16"), i32([0])), /w must be f32 or bf16/);
    assert.doesNotThrow(() => cpuBackend.embedding(Tensor.zeros([3, 2], "bf16"), i32([2])));
  });
});

describe("native entry points refuse bad arguments instead of touching memory out of bounds", () => {
  const addon = nativeAddon();
  const a = (n: number) => new Float32Array(n);

  it("too-short arrays throw RangeError naming the op and the array", () => {
    assert.throws(() => addon.rmsNorm(a(6), a(3), 1e-5, 2, 3, a(5), a(2)), (e: Error) => e instanceof RangeError && /^rmsNorm: y: needs 6 elements, array has 5/.test(e.message));
    assert.throws(() => addon.attention(a(48), a(32), a(32), new Int32Array(4), 4, 3, 1, 4, 0.5, a(48), a(11), 0), /attention: lse: needs 12/);
    assert.throws(() => addon.attentionBackward(a(48), a(48), a(16), a(16), a(48), a(12), new Int32Array(4), 4, 3, 1, 4, 0.5, a(48), a(16), a(15), 0), /attentionBackward: dv/);
    assert.throws(() => addon.attentionDecode(a(12), a(40), a(40), 10, 11, 3, 1, 4, 0.5, a(12), 0), /length must lie in \[1, capacity\]/);
    assert.throws(() => addon.crossEntropyLinear(a(6), a(9), 0, new Int32Array(2), 2, 3, 4, 1, null), /crossEntropyLinear: w: needs 12/);
    assert.throws(() => addon.swiglu(a(4), a(4), a(3)), RangeError);
    assert.throws(() => addon.geglu(a(4), a(4), a(3)), /geglu: gate, up and out must have equal lengths/);
    assert.throws(() => addon.gegluBackward(a(4), a(4), a(4), a(4), a(3)), /gegluBackward: dy, gate, up, dGate and dUp/);
    assert.throws(() => addon.adamw(a(4), a(4), a(4), a(3), 1e-3, 0.9, 0.999, 1e-8, 0, 1), RangeError);
  });

  it("indices out of range throw RangeError before any gather or scatter", () => {
    assert.throws(() => addon.embedding(a(8), 0, Int32Array.from([0, 4]), 4, 2, a(4)), /embedding: ids\[1\] = 4 is outside \[0, 4\)/);
    assert.throws(() => addon.embeddingBackward(a(4), Int32Array.from([-1, 0]), 4, 2, a(8)), RangeError);
    assert.throws(() => addon.crossEntropyLinear(a(6), a(12), 0, Int32Array.from([0, 7]), 2, 3, 4, 1, null), /targets\[1\] = 7/);
  });

  it("wrong types and impossible dimensions throw TypeError / RangeError", () => {
    assert.throws(() => addon.swiglu(new Float64Array(2) as unknown as Float32Array, a(2), a(2)), TypeError);
    assert.throws(() => addon.crossEntropyLinear(a(6), a(12), 1, new Int32Array(2), 2, 3, 4, 1, null), /Uint16Array/);
    assert.throws(() => addon.attention(a(48), a(32), a(32), new Int32Array(4), 4, 3, 2, 4, 0.5, a(48), a(12), 0), /heads must be a multiple of kvHeads/);
    assert.throws(() => addon.attention(a(48), a(16), a(16), new Int32Array(4), 4, 3, 1, 4, 0.5, a(48), a(12), -1), /attention: window must be a non-negative integer/);
    // @ts-expect-error -- the window argument left out on purpose
    assert.throws(() => addon.attentionDecode(a(12), a(40), a(40), 10, 10, 3, 1, 4, 0.5, a(12)), /attentionDecode: window must be a number/);
    assert.throws(() => addon.attention(a(48), a(16), a(16), new Int32Array(4), 4, 3, 1, 4, 0.5, a(48), a(12), 0, 1 as unknown as boolean), /attention: bf16Ops must be a boolean/);
    assert.throws(() => addon.rope(a(8), new Int32Array(1), 1, 1, 8, 9, 1e4, null, 1, a(8)), /rotary must be even/);
    assert.throws(() => addon.rmsNorm(a(6), a(3), NaN, 2, 3, a(6), a(2)), /eps must be finite/);
  });
});
