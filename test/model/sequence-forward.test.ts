import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cpuBackend, referenceBackend } from "../../src/tensor/index.js";
import type { LinearAdapter, Model, ModelBackend, ModelConfig } from "../../src/model/index.js";
import { forwardLogits, forwardSequences, newKvCache } from "../../src/model/index.js";
import { buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import type { DType } from "../../src/tensor/index.js";
import { nativeConfigurations, withNative } from "../helpers/native-paths.js";
import { microConfig, microModel, randomizeAdapter } from "./helpers/micro-model.js";

const NONE = new Map<string, LinearAdapter>();

function adapterMap(model: Model, seed: number, dtype: DType, targets: string[] | string): Map<string, LinearAdapter> {
  const adapter = buildLoraAdapter(model, loraConfig({ targetModules: targets, r: 4 }), { dtype });
  randomizeAdapter(adapter.parameters(), seed, 0.05);
  return new Map(adapter.modules);
}

/** The logits of the last position of `ids` from one uncached forward over the whole sequence. */
function recomputed(model: Model, ids: number[], adapters: Map<string, LinearAdapter>): number[] {
  model.adapters.clear();
  for (const [k, v] of adapters) model.adapters.set(k, v);
  const n = ids.length;
  const logits = forwardLogits(model, { inputIds: Int32Array.from(ids), segmentIds: new Int32Array(n), positions: Int32Array.from({ length: n }, (_, i) => i) });
  model.adapters.clear();
  const v = logits.shape[1];
  return Array.from(logits.data.subarray((ids.length - 1) * v));
}

/**
 * Runs several sequences through forwardSequences: each is prefilled in chunks of `chunk` tokens, then fed
 * `decode` tokens one per step, all sequences in the same calls. Returns each sequence's logits after every
 * call that produced them.
 */
function run(model: Model, seqs: Array<{ prompt: number[]; follow: number[]; adapters: Map<string, LinearAdapter> }>, chunk: number): number[][][] {
  const caches = seqs.map(() => newKvCache(model, 256, 4));
  const fed = seqs.map(() => 0);
  const out: number[][][] = seqs.map(() => []);
  const all = seqs.map((s) => [...s.prompt, ...s.follow]);
  for (;;) {
    const active = seqs.map((_, i) => i).filter((i) => fed[i] < all[i].length);
    if (active.length === 0) return out;
    const steps = active.map((i) => {
      const n = fed[i] < seqs[i].prompt.length ? Math.min(chunk, seqs[i].prompt.length - fed[i]) : 1;
      const ids = all[i].slice(fed[i], fed[i] + n);
      fed[i] += n;
      return { cache: caches[i], ids, adapters: seqs[i].adapters, logits: fed[i] >= seqs[i].prompt.length };
    });
    forwardSequences(model, steps).forEach((logits, k) => {
      if (logits) out[active[k]].push(Array.from(logits));
    });
  }
}

function setup(
  backend: ModelBackend,
  dtype: DType,
  big: boolean,
  overrides: Partial<ModelConfig> = {},
  arch: "qwen3" | "gemma3" = "qwen3",
): { model: Model; a: Map<string, LinearAdapter>; b: Map<string, LinearAdapter> } {
  // The big shape crosses the GEMM's blocking: K 384 > one k panel (320), N not a multiple of the register tile.
  const config = big
    ? microConfig("qwen2", { hiddenSize: 384, intermediateSize: 712, numHeads: 6, numKvHeads: 2, headDim: 64, vocabSize: 301, ...overrides })
    : microConfig(arch, overrides);
  const model = microModel(config, backend, 7, dtype);
  return { model, a: adapterMap(model, 11, dtype, "all-linear"), b: adapterMap(model, 12, dtype, ["q_proj", "v_proj", "down_proj"]) };
}

describe("forwardSequences (batched inference over KV caches)", () => {
  // (The caches start at 4 positions, so they grow during the runs.)
  it("several sequences, each with its own adapter or none, chunked prefill: the logits of each alone, uncached (float64)", () => {
    checkAgainstUncached({});
  });

  it("the same with a sliding window of 3 on the second layer (decode reads only the window's cache rows)", () => {
    checkAgainstUncached({ slidingWindow: { size: 3, layers: [1] } });
  });

  it("gemma3 with a window-3 sliding layer, its own rope base and query_pre_attn_scalar: the same", () => {
    checkAgainstUncached({ slidingWindow: { size: 3, layers: [0] }, ropeLocalTheta: 100, queryPreAttnScalar: 5 }, "gemma3");
  });

  for (const config of nativeConfigurations().filter((c) => c.threads === 2)) {
    it(`batch invariance on the native kernels (${config.isa}, 2 threads): a sequence's f32 logits are bit-identical alone or in any mixed batch`, () => {
      withNative(config, () => checkInvariance());
    });
  }
});

function checkAgainstUncached(overrides: Partial<ModelConfig>, arch: "qwen3" | "gemma3" = "qwen3"): void {
  const { model, a, b } = setup(referenceBackend, "f64", false, overrides, arch);
  const seqs = [
    { prompt: [3, 17, 42, 8, 8, 21, 5], follow: [9, 4, 33], adapters: a },
    { prompt: [1, 2], follow: [7, 7, 7, 8], adapters: NONE },
    { prompt: [44, 12, 30, 2, 19], follow: [6], adapters: b },
  ];
  const got = run(model, seqs, 3);
  seqs.forEach((s, i) => {
    const all = [...s.prompt, ...s.follow];
    assert.equal(got[i].length, s.follow.length + 1);
    got[i].forEach((logits, k) => {
      const want = recomputed(model, all.slice(0, s.prompt.length + k), s.adapters);
      const err = Math.max(...logits.map((x, j) => Math.abs(x - want[j])));
      assert.ok(err < 1e-9, `sequence ${i} step ${k}: max error ${err}`);
    });
  });
}

/** One sequence alone, then in three mixed batches of other adapters, the base and other prefill chunkings. */
function checkInvariance(): void {
  const { model, a, b } = setup(cpuBackend, "f32", true);
  const target = { prompt: [5, 80, 13, 200, 7, 7, 150, 42, 9, 3, 61], follow: [14, 99, 250, 2], adapters: a };
  const alone = run(model, [target], 64)[0];
  const others = [
    { prompt: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], follow: [1, 1, 1, 1, 1], adapters: b },
    { prompt: [300, 299], follow: [5, 6, 7, 8, 9, 10], adapters: NONE },
    { prompt: [77, 78, 79, 80, 81], follow: [1, 2], adapters: a },
    { prompt: [100, 101, 102], follow: [3, 3, 3], adapters: b },
  ];
  const mixes = [
    { seqs: [others[0], target, others[1]], chunk: 4 },
    { seqs: [target, others[2], others[3], others[0]], chunk: 1 },
    { seqs: [others[1], others[3], target], chunk: 5 },
  ];
  for (const [m, mix] of mixes.entries()) {
    const got = run(model, mix.seqs, mix.chunk)[mix.seqs.indexOf(target)];
    assert.equal(got.length, alone.length);
    got.forEach((logits, k) => {
      const same = logits.every((x, j) => Object.is(x, alone[k][j]));
      assert.ok(same, `mix ${m}, step ${k}: logits differ from the sequence run alone`);
    });
  }
  // The check can fail: the same sequence with another adapter gives other logits.
  const other = run(model, [{ ...target, adapters: b }], 64)[0];
  assert.ok(other[0].some((x, j) => x !== alone[0][j]));
}
