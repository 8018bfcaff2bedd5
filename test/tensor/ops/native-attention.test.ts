import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tensor, cpuBackend as cpu, referenceBackend as ref } from "../../../src/index.js";
import { nativeConfigurations, withNative } from "../../helpers/native-paths.js";
import { bitIdentical, randomTensor, relativeError } from "../../helpers/numeric.js";
import { segments } from "./fd.js";

// Tolerances (relative Frobenius error vs float64). Forward: f32 dot products over hd and sums over ≤ T keys,
// with a polynomial exp good to ~2 ulp, give ~1e-7 (measured ≤ 3e-7); 2e-6 leaves a margin without hiding a
// wrong mask, which errs at O(0.1). Backward adds the cancellation in dS = P·(dP − δ) and sums over T queries:
// measured ≤ 1e-6; 1e-5.
const TOL_FWD = 2e-6;
const TOL_BWD = 1e-5;
// The bf16 compute mode against the float64 reference of the same rounding (q, k, v, dOut, P's numerators, P and
// dS rounded to bf16 before their products): beyond f32 summation (~1e-7), an operand whose f32 and float64 values
// straddle a bf16 rounding boundary rounds one bf16 step (2⁻⁸ relative) apart. Measured over the cases below on
// every path and thread count: forward ≤ 6.6e-5 (decode's single rows ≤ 2.0e-4), backward ≤ 6.6e-5. The modes
// differ by ≥ 2.0e-3 (forward) and ≥ 1.1e-3 (backward) on the same inputs, asserted to exceed 3× the tolerance, and
// the f32 kernel misses the bf16 reference by ~2e-3: a product left unrounded fails.
const TOL_BF16_FWD = 4e-4;
const TOL_BF16_BWD = 3e-4;
const BF16 = { bf16: true };

interface Case {
  name: string;
  heads: number;
  kvHeads: number;
  headDim: number;
  lengths: number[];
  /** Sliding window (absent = unlimited). */
  window?: number;
  /** The bf16 mode's dq/dk tolerance where it is not TOL_BF16_BWD (see the case). */
  bf16GradTol?: number;
}

/** Segment lengths from a seeded generator: many short ones between 1 and `max`. */
function shortSegments(total: number, max: number, seed: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let left = total; left > 0; ) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const len = Math.min(left, 1 + (x % max));
    out.push(len);
    left -= len;
  }
  return out;
}

// Blocks are 64 queries × 64 keys: T = 1, T just past a block, segments crossing block edges, head_dim 32/64/128,
// one not a multiple of 8 (AVX2 tails) and an odd one, GQA ratios 1/2/3/4/7.
const CASES: Case[] = [
  { name: "T=1, hd 32, ratio 2", heads: 2, kvHeads: 1, headDim: 32, lengths: [1] },
  { name: "T=67 one segment, hd 64, ratio 2", heads: 4, kvHeads: 2, headDim: 64, lengths: [67] },
  { name: "T=130 many short segments, hd 128, ratio 4", heads: 4, kvHeads: 1, headDim: 128, lengths: shortSegments(130, 7, 3) },
  { name: "T=200 one long segment + short ones, hd 32, ratio 7", heads: 7, kvHeads: 1, headDim: 32, lengths: [3, 180, 1, 16] },
  { name: "T=150 ratio 1, hd 64, segments across block edges", heads: 3, kvHeads: 3, headDim: 64, lengths: [60, 10, 80] },
  { name: "T=129 hd 20 (vector tails)", heads: 2, kvHeads: 1, headDim: 20, lengths: [129] },
  // An odd head_dim: the bf16 mode's rows end in a half-filled pair.
  { name: "T=70 hd 7 (odd), segments, ratio 3", heads: 3, kvHeads: 1, headDim: 7, lengths: [33, 37] },
  // Sliding windows: smaller than a block (whole key blocks skipped), not a block multiple, equal to a segment,
  // 1 (each token sees only itself), larger than every segment; with packed segments and GQA.
  { name: "window 20, T=300 one segment, ratio 2", heads: 4, kvHeads: 2, headDim: 32, lengths: [300], window: 20 },
  { name: "window 70 across block edges, packed segments, ratio 4", heads: 4, kvHeads: 1, headDim: 64, lengths: [150, 3, 100, 47], window: 70 },
  { name: "window equal to a segment (64), ratio 3, hd 20", heads: 3, kvHeads: 1, headDim: 20, lengths: [64, 130, 6], window: 64 },
  // Window 1 (P = 1): dS = (r(dOut) − dOut)·r(v) in the bf16 mode is rounding residue alone, so its f32 value is
  // only ~1e-4 accurate and its own rounding to bf16 often lands one step away: dq/dk measured 3e-4 (1.1e-3 with
  // another summation order) from the reference, against a gap of 1.0 between the modes (dS is 0 in f32).
  { name: "window 1, many short segments", heads: 2, kvHeads: 2, headDim: 32, lengths: shortSegments(90, 9, 5), window: 1, bf16GradTol: 5e-3 },
  { name: "window 500 larger than T=200, ratio 7", heads: 7, kvHeads: 1, headDim: 32, lengths: [3, 180, 1, 16], window: 500 },
];

function inputs(c: Case, seed: number) {
  const T = c.lengths.reduce((a, b) => a + b, 0);
  return {
    T,
    q: randomTensor([T, c.heads, c.headDim], seed),
    k: randomTensor([T, c.kvHeads, c.headDim], seed + 1),
    v: randomTensor([T, c.kvHeads, c.headDim], seed + 2),
    dOut: randomTensor([T, c.heads, c.headDim], seed + 3),
    seg: segments(c.lengths),
  };
}

function check(name: string, got: Tensor, want: Tensor, tol: number): void {
  const err = relativeError(got, want);
  assert.ok(err < tol, `${name}: relative error ${err} (tolerance ${tol})`);
}

/** The bf16 reference stands well apart from the f32 one: a kernel that skipped a rounding would fail. */
function assertModesApart(name: string, bf16: Tensor, f32: Tensor, tol: number): void {
  const gap = relativeError(f32, bf16);
  assert.ok(gap > 3 * tol, `${name}: the modes differ by only ${gap} (tolerance ${tol})`);
}

describe("attention: native vs float64 reference", () => {
  CASES.forEach((c, n) => {
    it(c.name, () => {
      const { q, k, v, dOut, seg } = inputs(c, 100 + 10 * n);
      const want = ref.attention(q, k, v, seg, undefined, c.window);
      const wantGrad = ref.attentionBackward(dOut, q, k, v, want.out, want.lse, seg, undefined, c.window);
      for (const config of nativeConfigurations()) {
        withNative(config, () => {
          const tag = `${config.isa}/${config.threads}t`;
          const got = cpu.attention(q, k, v, seg, undefined, c.window);
          check(`${tag} out`, got.out, want.out, TOL_FWD);
          check(`${tag} lse`, got.lse, want.lse, TOL_FWD);
          const g = cpu.attentionBackward(dOut, q, k, v, got.out, got.lse, seg, undefined, c.window);
          check(`${tag} dq`, g.dq, wantGrad.dq, TOL_BWD);
          check(`${tag} dk`, g.dk, wantGrad.dk, TOL_BWD);
          check(`${tag} dv`, g.dv, wantGrad.dv, TOL_BWD);
        });
      }
    });
  });

  // In the bf16 mode too: a segment meets the 64-key blocks at other offsets packed than alone, so its running max
  // takes other values on the way; the ln 2 rule makes the rounded numerators agree anyway.
  for (const options of [{}, BF16]) {
    it(`packed segments equal each segment run on its own (forward and backward${options === BF16 ? ", bf16" : ""})`, () => {
      const c: Case = { name: "", heads: 4, kvHeads: 2, headDim: 32, lengths: [5, 70, 1, 54] };
      const { T, q, k, v, dOut, seg } = inputs(c, 300);
      const packed = cpu.attention(q, k, v, seg, undefined, undefined, options);
      const grads = cpu.attentionBackward(dOut, q, k, v, packed.out, packed.lse, seg, undefined, undefined, options);
      let start = 0;
      for (const len of c.lengths) {
        const slice = (t: Tensor) => new Tensor("f32", [len, ...t.shape.slice(1)], (t.data as Float32Array).slice((start * t.numel) / T, ((start + len) * t.numel) / T));
        const alone = cpu.attention(slice(q), slice(k), slice(v), segments([len]), undefined, undefined, options);
        const g = cpu.attentionBackward(slice(dOut), slice(q), slice(k), slice(v), alone.out, alone.lse, segments([len]), undefined, undefined, options);
        check(`out of segment at ${start}`, slice(packed.out), alone.out, TOL_FWD);
        check(`dq of segment at ${start}`, slice(grads.dq), g.dq, TOL_BWD);
        check(`dk of segment at ${start}`, slice(grads.dk), g.dk, TOL_BWD);
        check(`dv of segment at ${start}`, slice(grads.dv), g.dv, TOL_BWD);
        start += len;
      }
    });
  }

  it("a window no shorter than the longest segment changes nothing (same bits as unlimited)", () => {
    const { q, k, v, dOut, seg } = inputs({ name: "", heads: 4, kvHeads: 2, headDim: 32, lengths: [40, 90, 10] }, 350);
    const full = cpu.attention(q, k, v, seg);
    const windowed = cpu.attention(q, k, v, seg, undefined, 90);
    assert.ok(bitIdentical(windowed.out, full.out) && bitIdentical(windowed.lse, full.lse));
    const gFull = cpu.attentionBackward(dOut, q, k, v, full.out, full.lse, seg);
    const gWin = cpu.attentionBackward(dOut, q, k, v, full.out, full.lse, seg, undefined, 90);
    for (const key of ["dq", "dk", "dv"] as const) assert.ok(bitIdentical(gWin[key], gFull[key]), key);
  });

  // A block that is visited has its masked entries zeroed and then multiplied in (0 · NaN = NaN), so NaN planted in
  // rows that only skipped blocks hold shows whether the kernel skips them (in the bf16 mode too: its pair layouts
  // must not mix rows of different blocks).
  for (const options of [{}, BF16]) {
    it(`key and query blocks wholly outside the window are never read (NaN planted there stays out${options === BF16 ? ", bf16" : ""})`, () => {
      const T = 256;
      const W = 10;
      const { q, k, v, dOut, seg } = inputs({ name: "", heads: 2, kvHeads: 1, headDim: 16, lengths: [T] }, 370);
      const poison = (t: Tensor, from: number, to: number) => {
        const copy = new Tensor("f32", t.shape, (t.data as Float32Array).slice());
        (copy.data as Float32Array).fill(NaN, (from * t.numel) / T, (to * t.numel) / T);
        return copy;
      };
      const rows = (t: Tensor, from: number, to: number) => new Tensor("f32", [to - from, ...t.shape.slice(1)], (t.data as Float32Array).slice((from * t.numel) / T, (to * t.numel) / T));
      for (const config of nativeConfigurations()) {
        withNative(config, () => {
          const clean = cpu.attention(q, k, v, seg, undefined, W, options);
          // Keys 0–63 (one block) are out of reach of queries from 128 on: their block starts at key 119.
          const fwd = cpu.attention(q, poison(k, 0, 64), poison(v, 0, 64), seg, undefined, W, options);
          assert.ok(bitIdentical(rows(fwd.out, 128, T), rows(clean.out, 128, T)), `${config.isa}/${config.threads}t forward`);
          // Queries 192–255 (one block) are out of reach of keys 0–63: those keys are seen up to query 72.
          const g = cpu.attentionBackward(poison(dOut, 192, T), q, k, v, clean.out, clean.lse, seg, undefined, W, options);
          const gClean = cpu.attentionBackward(dOut, q, k, v, clean.out, clean.lse, seg, undefined, W, options);
          for (const key of ["dk", "dv"] as const) assert.ok(bitIdentical(rows(g[key], 0, 64), rows(gClean[key], 0, 64)), `${config.isa}/${config.threads}t ${key}`);
        });
      }
    });
  }

  it("decode with a window equals the last row of windowed attention over the cache", () => {
    const T = 150;
    const qs = randomTensor([T, 4, 32], 360);
    const k = randomTensor([T, 2, 32], 361);
    const v = randomTensor([T, 2, 32], 362);
    for (const window of [1, 37, 64, 149, 150, 400]) {
      const last = (ref.attention(qs, k, v, segments([T]), undefined, window).out.data as Float64Array).slice((T - 1) * 128);
      const want = new Tensor("f64", [4, 32], last);
      const q = new Tensor("f32", [4, 32], (qs.data as Float32Array).slice((T - 1) * 128));
      for (const config of nativeConfigurations()) {
        withNative(config, () => check(`${config.isa}/${config.threads}t window ${window}`, cpu.attentionDecode(q, k, v, T, undefined, window), want, TOL_FWD));
      }
    }
  });

  it("decode: one query against a KV cache, GQA, partial cache and length 1", () => {
    const q = randomTensor([6, 64], 400);
    const kc = randomTensor([80, 2, 64], 401);
    const vc = randomTensor([80, 2, 64], 402);
    for (const length of [1, 71, 80]) {
      const want = ref.attentionDecode(q, kc, vc, length);
      for (const config of nativeConfigurations()) {
        withNative(config, () => check(`${config.isa}/${config.threads}t length ${length}`, cpu.attentionDecode(q, kc, vc, length), want, TOL_FWD));
      }
    }
  });
});

describe("attention in the bf16 compute mode: native vs the float64 reference of the same rounding", () => {
  CASES.forEach((c, n) => {
    it(c.name, () => {
      const { q, k, v, dOut, seg } = inputs(c, 500 + 10 * n);
      const want = ref.attention(q, k, v, seg, undefined, c.window, BF16);
      const wantGrad = ref.attentionBackward(dOut, q, k, v, want.out, want.lse, seg, undefined, c.window, BF16);
      const f32 = ref.attention(q, k, v, seg, undefined, c.window);
      const f32Grad = ref.attentionBackward(dOut, q, k, v, f32.out, f32.lse, seg, undefined, c.window);
      const gradTol = { dq: c.bf16GradTol ?? TOL_BF16_BWD, dk: c.bf16GradTol ?? TOL_BF16_BWD, dv: TOL_BF16_BWD };
      assertModesApart("out", want.out, f32.out, TOL_BF16_FWD);
      for (const key of ["dq", "dk", "dv"] as const) assertModesApart(key, wantGrad[key], f32Grad[key], gradTol[key]);
      for (const config of nativeConfigurations()) {
        withNative(config, () => {
          const tag = `${config.isa}/${config.threads}t`;
          const got = cpu.attention(q, k, v, seg, undefined, c.window, BF16);
          check(`${tag} out`, got.out, want.out, TOL_BF16_FWD);
          check(`${tag} lse`, got.lse, want.lse, TOL_FWD);
          const g = cpu.attentionBackward(dOut, q, k, v, got.out, got.lse, seg, undefined, c.window, BF16);
          for (const key of ["dq", "dk", "dv"] as const) check(`${tag} ${key}`, g[key], wantGrad[key], gradTol[key]);
        });
      }
    });
  });

  it("decode: one query against a KV cache, GQA, partial cache, windows", () => {
    const q = randomTensor([6, 64], 600);
    const kc = randomTensor([150, 2, 64], 601);
    const vc = randomTensor([150, 2, 64], 602);
    for (const [length, window] of [[1, 0], [71, 0], [150, 0], [150, 37], [130, 64]]) {
      const want = ref.attentionDecode(q, kc, vc, length, undefined, window, BF16);
      assertModesApart(`length ${length}`, want, ref.attentionDecode(q, kc, vc, length, undefined, window), TOL_BF16_FWD);
      for (const config of nativeConfigurations()) {
        withNative(config, () => check(`${config.isa}/${config.threads}t length ${length} window ${window}`, cpu.attentionDecode(q, kc, vc, length, undefined, window, BF16), want, TOL_BF16_FWD));
      }
    }
  });
});
