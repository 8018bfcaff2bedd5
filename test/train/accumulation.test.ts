import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import type { ModelBackend } from "../../src/model/index.js";
import { countTargets, lossAndGradients, makeBatch } from "../../src/model/index.js";
import { cpuBackend } from "../../src/tensor/index.js";
import { Rng } from "../../src/util/rng.js";
import { Optimizer } from "../../src/train/optimizer.js";
import { microConfig, microModel, randomizeAdapter } from "../model/helpers/micro-model.js";
import { relativeError } from "../helpers/numeric.js";

const backend = cpuBackend as ModelBackend;

function sequences(count: number, seed: number) {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const n = 3 + rng.int(9);
    const inputIds = Array.from({ length: n }, () => rng.int(50));
    // Mask a random prefix, as prompt tokens are masked.
    const labels = inputIds.map((v, i) => (i < rng.int(3) ? -100 : v));
    return { inputIds, labels };
  });
}

function setup() {
  const model = microModel(microConfig("llama"), backend, 3, "f32");
  const adapter = buildLoraAdapter(model, loraConfig({ r: 4, loraAlpha: 8, targetModules: "all-linear" }), { seed: 5 });
  randomizeAdapter(adapter.parameters(), 9);
  attachAdapter(model, adapter);
  return { model, adapter };
}

describe("gradient accumulation", () => {
  it("1 micro-batch of 8 and 4 micro-batches of 2 give the same gradients (≤ 1e-5 relative)", () => {
    const seqs = sequences(8, 1);
    const whole = setup();
    const big = makeBatch(seqs);
    lossAndGradients(whole.model, big, { normalizer: countTargets(big) });
    const wholeGrads = whole.adapter.gradients().map((g) => g.to("f64"));

    const parts = setup();
    const micro = [0, 2, 4, 6].map((i) => makeBatch(seqs.slice(i, i + 2)));
    const total = micro.reduce((n, b) => n + countTargets(b), 0);
    assert.equal(total, countTargets(big));
    for (const b of micro) lossAndGradients(parts.model, b, { normalizer: total });
    parts.adapter.gradients().forEach((g, i) => {
      const err = relativeError(g, wholeGrads[i]);
      // Same sums in another order: f32 rounding only (≈1e-7), far below 1e-5.
      assert.ok(err <= 1e-5, `gradient ${i}: relative error ${err}`);
    });
  });
});

describe("SGD", () => {
  it("learning rate 1 for one step changes each LoRA tensor by exactly minus its gradient", () => {
    const { model, adapter } = setup();
    const batch = makeBatch(sequences(4, 2));
    lossAndGradients(model, batch);
    const before = adapter.parameters().map((p) => Float32Array.from(p.data as Float32Array));
    const grads = adapter.gradients().map((g) => Float32Array.from(g.data as Float32Array));
    new Optimizer(backend, adapter.parameters(), adapter.gradients(), { kind: "sgd", beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }).apply(1);
    adapter.parameters().forEach((p, i) => {
      for (let j = 0; j < p.numel; j++) {
        assert.equal(p.data[j], Math.fround(before[i][j] - grads[i][j]), `tensor ${i} element ${j}`);
      }
    });
  });
});
