import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dequantizeGgml, ggmlTypeByName, quantizeGgml } from "../../src/quant/index.js";
import { Rng } from "../../src/util/rng.js";
import { withNative } from "../helpers/native-paths.js";
import { kQuantElement, referenceDecode } from "./ggml-reference.js";

// Properties every encoder of llama.cpp's K-quant scheme must have, independent of its scale search (byte parity
// with llama.cpp itself is in ggml-llama-cpp.test.ts): the bytes decode (by the independent restatement) to what
// the native decoder gives; every element's q is the nearest integer to x under its sub-block's decoded scale and
// min (the scheme's last step); the error is bounded; re-encoding is stable.
const KQUANTS = [
  { name: "Q2_K", qmin: 0, qmax: 3, relRmse: 0.32, restable: 0.05 },
  { name: "Q3_K", qmin: -4, qmax: 3, relRmse: 0.16, restable: 0.05 },
  { name: "Q4_K", qmin: 0, qmax: 15, relRmse: 0.08, restable: 0.01 },
  { name: "Q5_K", qmin: 0, qmax: 31, relRmse: 0.04, restable: 0.01 },
  { name: "Q6_K", qmin: -32, qmax: 31, relRmse: 0.02, restable: 0.01 },
] as const;
const f = Math.fround;

/** Nearest integer, ties to even (llama.cpp's nearest_int). */
function nearestEven(v: number): number {
  const r = Math.round(v);
  return (Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0; // + 0 turns −0 into 0
}

/** Rows of N(0, 0.02) weights like a trained projection, plus blocks of zeros, a constant, an outlier, positives. */
function testValues(seed: number, rowLength: number, rows: number): Float32Array {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: rowLength * rows }, () => rng.normal() * 0.02);
  x.fill(0, 0, 256); // zeros
  x.fill(0.37, 256, 512); // constant
  x[512 + 77] = 3; // one outlier among small values
  for (let i = 768; i < 1024; i++) x[i] = Math.abs(x[i]); // all positive: the min is clamped to zero
  return x;
}

function relRms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let se = 0;
  let sx = 0;
  for (let i = 0; i < a.length; i++) {
    se += (a[i] - b[i]) ** 2;
    sx += b[i] ** 2;
  }
  return Math.sqrt(se / sx);
}

describe("K-quant encoders (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)", () => {
  const rowLength = 1536;
  const x = testValues(11, rowLength, 12);

  for (const { name, qmin, qmax, relRmse, restable } of KQUANTS) {
    const type = ggmlTypeByName(name);

    it(`${name}: the layout decodes the same through the restatement and natively, and zeros stay zeros`, () => {
      const bytes = quantizeGgml(type, x, rowLength);
      const native = dequantizeGgml(type, bytes, x.length);
      const reference = referenceDecode(name, bytes, x.length);
      for (let e = 0; e < x.length; e++) assert.ok(Object.is(native[e], f(reference[e])), `${name} element ${e}`);
      for (let e = 0; e < 256; e++) assert.ok(native[e] === 0, `${name} zero block element ${e}: ${native[e]}`);
    });

    it(`${name}: each q is the nearest integer to x under its sub-block's decoded scale and min`, () => {
      const bytes = quantizeGgml(type, x, rowLength);
      let checked = 0;
      for (let e = 0; e < x.length; e++) {
        const { scale, min, q } = kQuantElement(name, bytes, e);
        if (scale === 0) continue; // such sub-blocks keep the search's own integers
        // In f32, as the reference: nearest((x + dmin·m) / (d·sc)) for Q4_K/Q5_K, nearest(x / (d·sc)) for Q6_K.
        const want = Math.min(qmax, Math.max(qmin, nearestEven(f(f(x[e] + min) / scale))));
        assert.equal(q, want, `${name} element ${e}: x ${x[e]}, scale ${scale}, min ${min}`);
        checked++;
      }
      assert.ok(checked > x.length * 0.9, `only ${checked} elements had a non-zero scale`);
    });

    it(`${name}: relative RMS error ≤ ${relRmse} on N(0, σ) rows; the outlier and the constant block survive`, () => {
      const decoded = dequantizeGgml(type, quantizeGgml(type, x, rowLength), x.length);
      const gaussian = (a: Float32Array) => a.subarray(1024);
      const err = relRms(gaussian(decoded), gaussian(x));
      assert.ok(err <= relRmse, `${name}: ${err}`);
      assert.ok(Math.abs(decoded[512 + 77] - 3) < 3 * 0.05, `${name} outlier decoded as ${decoded[512 + 77]}`);
      for (let e = 256; e < 512; e++) assert.ok(Math.abs(decoded[e] - 0.37) < 0.37 * 0.01, `${name} constant element ${e}: ${decoded[e]}`);
    });

    it(`${name}: encoding the decoded values again moves them by ≤ ${restable * 100}% RMS (a near fixed point)`, () => {
      const once = dequantizeGgml(type, quantizeGgml(type, x, rowLength), x.length);
      const twice = dequantizeGgml(type, quantizeGgml(type, once, rowLength), x.length);
      assert.ok(relRms(twice, once) <= restable, `${name}: ${relRms(twice, once)}`);
    });

    it(`${name}: the thread count changes nothing`, () => {
      const one = withNative({ isa: "portable", threads: 1 }, () => quantizeGgml(type, x, rowLength));
      const two = withNative({ isa: "portable", threads: 2 }, () => quantizeGgml(type, x, rowLength));
      assert.deepEqual(two, one);
    });
  }
});
