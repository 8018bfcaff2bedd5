import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor } from "../../src/tensor/index.js";
import { FP4_CODE, NF4_CODE, code4At, dynamicMap8, quantizeTensor, quantScheme } from "../../src/quant/index.js";

// Golden vectors derived by hand from the published tables and rules (docs/formats/nf4.md §4), not from a run of
// bitsandbytes (test/quant/bnb-golden.test.ts checks against bitsandbytes' own output separately).
//
// Rules used below:
//   absmax[b] = max |x| over block b (64 consecutive elements of the flattened [out, in] tensor);
//   s = clamp(f32(x · f32(1 / absmax)), −1, 1);
//   code = number of f32 midpoints m_i = f32(c_i + c_{i+1}) / 2 with s > m_i   (a tie takes the lower code);
//   byte k = code[2k] << 4 | code[2k + 1];   dequant = f32(table[code] · absmax).

const f = Math.fround;
const codes = (q: { packed: Uint8Array; numel: number }) => Array.from({ length: q.numel }, (_, i) => code4At(q.packed, i));
const nf4 = quantScheme("nf4-no-double-quant");
const mid = (i: number) => f(f(NF4_CODE[i] + NF4_CODE[i + 1]) / 2);
/** The next float32 above / below v. */
function nextF32(v: number, dir: 1 | -1): number {
  const b = new Float32Array([v]);
  const u = new Int32Array(b.buffer);
  u[0] += (v >= 0 ? dir : -dir);
  return b[0];
}

describe("NF4 golden vectors", () => {
  it("exact midpoints take the lower code; one ulp above takes the upper", () => {
    // Block of 64: x[0] = 1 sets absmax = 1 (so s = x exactly); then the 15 midpoints, then each one ulp up,
    // then each one ulp down. Midpoint m_i lies between codes i and i+1: on it → i, above → i+1, below → i.
    const x = [1];
    for (let i = 0; i < 15; i++) x.push(mid(i));
    for (let i = 0; i < 15; i++) x.push(nextF32(mid(i), 1));
    for (let i = 0; i < 15; i++) x.push(nextF32(mid(i), -1));
    while (x.length < 64) x.push(0.5); // 0.5 lies between 0.4407 (12) and 0.5626 (13), midpoint 0.5017 → 12
    const q = quantizeTensor(Tensor.fromNumbers([64], x), nf4);
    const expected = [15, ...range(15), ...range(15).map((i) => i + 1), ...range(15), ...new Array(64 - 46).fill(12)];
    assert.deepEqual(codes(q), expected);
    assert.deepEqual(Array.from(q.scales.absmax!), [1]);
    // Packing: elements 0, 1 = codes 15, 0 → 0xF0; elements 2, 3 = codes 1, 2 → 0x12.
    assert.equal(q.packed[0], 0xf0);
    assert.equal(q.packed[1], 0x12);
  });

  it("blocks straddle rows; the last block is partial; scaling multiplies by the float32 reciprocal", () => {
    // [3, 40] = 120 elements: block 0 = row 0 and the first 24 of row 1; block 1 = the other 56 (partial).
    const x = new Array(120).fill(0.25);
    x[50] = -2; // row 1, column 10: block 0's absmax is 2; s = 0.25 · 0.5 = 0.125 > m_8 = 0.12025525 → code 9; −2 → −1 → 0
    for (let i = 64; i < 120; i++) x[i] = 0.1;
    x[119] = 0.4; // block 1: absmax 0.4 (as float32), s = f32(f32(0.1) · f32(1/f32(0.4))) ≈ 0.25 < m_10 = 0.29201 → code 10
    const q = quantizeTensor(Tensor.fromNumbers([3, 40], x), nf4);
    assert.deepEqual(Array.from(q.scales.absmax!), [2, f(0.4)]);
    const c = codes(q);
    assert.equal(c[0], 9);
    assert.equal(c[50], 0);
    assert.equal(c[63], 9);
    assert.equal(c[64], 10);
    assert.equal(c[119], 15);
    const d = q.dequantize();
    assert.equal(d.data[50], -2);
    assert.equal(d.data[1], f(NF4_CODE[9] * 2));
    assert.equal(d.data[70], f(NF4_CODE[10] * f(0.4)));
  });

  it("a zero block, a partial zero block, negative zero, and the odd-length pad", () => {
    // 64 zeros: absmax 0, every s = 0 → code 7 (0.0 lies between m_6 < 0 and m_7 > 0). A partial all-zero last
    // block stores absmax 1e-38 (bitsandbytes floors a partial block's absmax). −0 scales to −0 → code 7, and
    // dequantizes to +0 (table[7] = +0). An odd count is padded with s = 0 → code 7 in the last low nibble.
    const x = new Array(64).fill(0);
    x.push(-0, -0, 0);
    const q = quantizeTensor(Tensor.fromNumbers([67], x), nf4);
    assert.deepEqual(Array.from(q.scales.absmax!), [0, f(1e-38)]);
    assert.ok(codes(q).every((c) => c === 7));
    assert.equal(q.packed.length, 34);
    assert.equal(q.packed[33], 0x77);
    assert.ok(Array.from(q.dequantize().data).every((v) => Object.is(v, 0)));
    // −0 inside a non-zero block: s = −0 is above m_0..m_6 (all negative) but not above m_7 = 0.0398 → code 7.
    const z = quantizeTensor(Tensor.fromNumbers([2], [-0, 3]), nf4);
    assert.deepEqual(codes(z), [7, 15]);
  });

  it("clamps to ±1 and is sign-symmetric only where the table is", () => {
    // Extremes: ±absmax → ±1 → codes 0 and 15. 0.5·absmax sits between codes 12 and 13 (m_12 = 0.50166) → 12,
    // but −0.5 sits between codes 2 (−0.525) and 3 (−0.395), m_2 = −0.46, −0.5 < m_2 → code 2.
    const q = quantizeTensor(Tensor.fromNumbers([4], [4, -4, 2, -2]), nf4);
    assert.deepEqual(codes(q), [15, 0, 12, 2]);
  });
});

describe("FP4 golden vectors", () => {
  it("codes in bit-pattern order; zero-magnitude values; midpoints", () => {
    // Sorted FP4 values with their codes: −1 (11), −2/3 (10), −1/2 (13), −1/3 (12), −1/4 (15), −1/6 (14),
    // −1/192 (9), 0 (0), 0 (8), 1/192 (1), 1/6 (6), 1/4 (7), 1/3 (4), 1/2 (5), 2/3 (2), 1 (3). The two zeros are
    // separate entries with midpoint 0 between them, so 0 and −0 → code 0, tiny positive → code 8, tiny
    // negative → 0. 0.4 lies between 1/3 and 1/2 (midpoint 5/12 = 0.41667) → 1/3 → code 4; −0.6 lies between
    // −2/3 and −1/2 (midpoint −0.58333) → −2/3 → code 10.
    const fp4 = quantScheme("fp4-no-double-quant");
    const q = quantizeTensor(Tensor.fromNumbers([8], [1, 0, -0, 1e-5, -1e-5, 0.4, -0.6, -1]), fp4);
    assert.deepEqual(codes(q), [3, 0, 0, 8, 0, 4, 10, 11]);
    assert.equal(FP4_CODE[8], 0);
    assert.equal(FP4_CODE[1], f(0.0625 / 12));
  });
});

describe("double quantization golden vectors", () => {
  it("absmax − mean, 8-bit dynamic code in blocks of 256, stored with the offset", () => {
    // Four blocks with absmax 1, 3, 2, 2 → offset = mean = 2; centered −1, 1, 0, 0; the nested block's absmax is
    // 1. The dynamic map is 127 negatives, 0 (index 127), 127 positives and 1.0 (index 255), sorted: −1 is below
    // the lowest entry (−0.99296875) → code 0; 1 → 255; 0 → 127. Dequantized absmax = map[c] · 1 + 2.
    const x = new Array(256).fill(0);
    x[0] = 1;
    x[64] = 3;
    x[128] = -2;
    x[192] = 2;
    const q = quantizeTensor(Tensor.fromNumbers([4, 64], x), quantScheme("nf4"));
    const n = q.scales.nested!;
    const map = dynamicMap8();
    assert.equal(n.offset, 2);
    assert.deepEqual(Array.from(n.absmax), [1]);
    assert.deepEqual(Array.from(n.codes), [0, 255, 127, 127]);
    assert.equal(map[0], f(-0.99296875));
    assert.equal(map[127], 0);
    assert.equal(map[255], 1);
    assert.deepEqual(Array.from(q.blockAbsmax()), [f(f(map[0] * 1) + 2), 3, 2, 2]);
    assert.equal(q.byteLength, 128 + 4 + 4 + 1024);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
