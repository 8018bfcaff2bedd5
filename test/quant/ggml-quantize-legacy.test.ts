import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dequantizeGgml, ggmlTypeByName, quantizeGgml } from "../../src/quant/index.js";
import { InputError, ShapeError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";
import { withNative } from "../helpers/native-paths.js";
import { f16Bits, f16Value, referenceDecode, referenceQuantizeLegacy } from "./ggml-reference.js";

const LEGACY = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"] as const;

/** Blocks of 32 that hit the reference quantizers' edge cases, then random blocks of several scales. */
function edgeCaseValues(seed: number): Float32Array {
  const rng = new Rng(seed);
  const blocks: number[][] = [];
  const fill = (g: (j: number) => number) => blocks.push(Array.from({ length: 32 }, (_, j) => g(j)));
  fill(() => 0); // all zeros: d = 0, id = 0
  fill((j) => (j % 2 ? -0 : 0)); // signed zeros: the first extreme wins
  fill(() => 0.75); // constant positive: Q4_1/Q5_1 d = 0
  fill(() => -3.25); // constant negative
  fill((j) => (j === 5 ? -8 : (j % 17) * 0.5 - 4)); // Q4_0 d = 1 exactly: x·id + 8.5 lands on integers
  fill((j) => (j === 0 ? 3 : j === 1 ? -3 : j * 0.01)); // |max| tie: the first (positive) sets the sign
  fill((j) => (j === 3 ? -7 : j * 0.2)); // the largest magnitude is negative
  fill((j) => (j === 0 ? 127 : j === 1 ? -127 : [2.5, -2.5, 0.5, -0.5, 126.5, -126.5][j % 6])); // Q8_0 d = 1: roundf ties
  fill((j) => (j === 0 ? 15 : j === 1 ? 0 : [0.49999997, 0.5, 1.5, 14.5, 7.49999952][j % 5])); // Q4_1 d = 1: fp32 +0.5 rounding up
  fill((j) => (j === 0 ? 31 : j === 1 ? 0 : [0.49999997, 2.5, 30.5, 15.5][j % 4])); // Q5_1 d = 1
  fill((j) => (j === 0 ? -16 : j - 16.5)); // Q5_0 d = 1
  fill((j) => (j + 1) * 1e-7); // tiny: d is an f16 subnormal
  fill((j) => (j % 3 ? 1 : -1) * (1000 + j)); // large
  fill((j) => (j === 9 ? 1e-3 : 0)); // one non-zero
  for (const scale of [1, 0.02, 300]) {
    for (let b = 0; b < 40; b++) fill(() => rng.normal() * scale);
  }
  return Float32Array.from(blocks.flat());
}

function hex(bytes: Uint8Array, block: number, size: number): string {
  return Buffer.from(bytes.subarray(block * size, (block + 1) * size)).toString("hex");
}

describe("quantizeGgml reproduces llama.cpp's reference quantizers bit for bit", () => {
  const values = edgeCaseValues(7);
  for (const name of LEGACY) {
    it(`${name}: edge-case and random blocks equal the restated quantize_row_${name.toLowerCase()}_ref`, () => {
      const type = ggmlTypeByName(name);
      const want = referenceQuantizeLegacy(name, values);
      const got = quantizeGgml(type, values, 64);
      assert.equal(got.length, want.length);
      for (let b = 0; b < values.length / 32; b++) {
        assert.equal(hex(got, b, type.typeSize), hex(want, b, type.typeSize), `${name} block ${b}`);
      }
    });

    it(`${name}: decoding the encoded block stays within half a step of each value`, () => {
      const type = ggmlTypeByName(name);
      const bytes = quantizeGgml(type, values, 32);
      const decoded = referenceDecode(name, bytes, values.length);
      for (let b = 0; b < values.length / 32; b++) {
        const block = Array.from(values.subarray(32 * b, 32 * b + 32));
        const o = b * type.typeSize;
        const d = Math.abs(f16Value(bytes[o] | (bytes[o + 1] << 8)));
        const lo = Math.min(...block);
        const levels = { Q8_0: 127, Q4_0: 8, Q5_0: 16, Q4_1: 15, Q5_1: 31 }[name];
        // What storing d (and the min) as f16 moves the grid by: half an f16 ulp, 2^-25 for subnormals.
        const f16Err = (v: number) => Math.max(Math.abs(v) * 2 ** -11, 2 ** -25);
        const gridShift = levels * f16Err(d) + (name.endsWith("_1") ? f16Err(lo) : 0);
        for (let j = 0; j < 32; j++) {
          // Half a step from rounding; Q4_0/Q5_0 clamp −levels·d… +(levels−1)·d, so a value of the other sign as
          // large as the maximum sits a whole step from the top level.
          const top = (name === "Q4_0" || name === "Q5_0") && Math.abs(Math.abs(decoded[32 * b + j]) - (levels - 1) * d) <= gridShift;
          const slack = (top ? 1 : 0.5) * d + gridShift;
          const err = Math.abs(decoded[32 * b + j] - block[j]);
          assert.ok(err <= slack * 1.0001, `${name} block ${b} element ${j}: error ${err} > ${slack}`);
        }
      }
    });
  }

  it("rows are independent and the thread count changes nothing", () => {
    const rng = new Rng(3);
    const values = Float32Array.from({ length: 96 * 700 }, () => rng.normal());
    for (const name of LEGACY) {
      const type = ggmlTypeByName(name);
      const one = withNative({ isa: "portable", threads: 1 }, () => quantizeGgml(type, values, 96));
      const two = withNative({ isa: "portable", threads: 2 }, () => quantizeGgml(type, values, 96));
      assert.deepEqual(two, one);
      const row3 = quantizeGgml(type, values.subarray(96 * 3, 96 * 4), 96);
      assert.deepEqual(row3, one.subarray(3 * 3 * type.typeSize, 4 * 3 * type.typeSize));
    }
  });
});

describe("quantizeGgml for the float types", () => {
  it("F16 and BF16 round to nearest even; F32 is copied", () => {
    const values = Float32Array.from([0, -0, 1, -2.5, 65504, 65519.99, 65520, -1e9, 1e-8, 2 ** -25, 3 * 2 ** -26, 5.960464477539063e-8, 0.1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity]);
    const f16 = new Uint16Array(quantizeGgml(ggmlTypeByName("F16"), values, values.length).buffer);
    assert.deepEqual(Array.from(f16), Array.from(values, f16Bits));
    const bf16 = new Uint16Array(quantizeGgml(ggmlTypeByName("BF16"), values, values.length).buffer);
    // BF16 from its definition: the f32 value rounded to 8 significant bits, ties to even, read as the top half.
    const bits = new Uint32Array(values.buffer);
    assert.deepEqual(Array.from(bf16), Array.from(bits, (u) => {
      const keep = Math.floor(u / 65536);
      const rest = u % 65536;
      return (rest > 0x8000 || (rest === 0x8000 && keep % 2 === 1) ? keep + 1 : keep) & 0xffff;
    }));
    const f32 = quantizeGgml(ggmlTypeByName("F32"), values, 4);
    assert.deepEqual(new Float32Array(f32.buffer), values);
    assert.deepEqual(dequantizeGgml(ggmlTypeByName("F16"), new Uint8Array(f16.buffer), values.length).subarray(0, 3), Float32Array.from([0, -0, 1]));
  });
});

describe("quantizeGgml refuses bad input", () => {
  const q40 = ggmlTypeByName("Q4_0");
  it("a row length that is not a multiple of the block size is a ShapeError naming both", () => {
    assert.throws(() => quantizeGgml(q40, new Float32Array(96), 48), (e: unknown) => e instanceof ShapeError && /row length 48 is not a multiple of the Q4_0 block size 32/.test(e.message));
    assert.throws(() => quantizeGgml(q40, new Float32Array(100), 64), (e: unknown) => e instanceof ShapeError && /100 values are not whole rows of 64/.test(e.message));
    assert.throws(() => quantizeGgml(ggmlTypeByName("Q6_K"), new Float32Array(576), 576), (e: unknown) => e instanceof ShapeError && /block size 256/.test(e.message));
  });
  it("NaN or Infinity in a block type is an InputError with its row and column", () => {
    const x = new Float32Array(128);
    x[64 + 33] = NaN;
    assert.throws(() => quantizeGgml(q40, x, 64), (e: unknown) => e instanceof InputError && /NaN at row 1, column 33/.test(e.message));
    assert.throws(() => quantizeGgml(ggmlTypeByName("Q4_K"), new Float32Array(256).fill(Infinity), 256), (e: unknown) => e instanceof InputError && /Infinity at row 0, column 0/.test(e.message));
  });
});
