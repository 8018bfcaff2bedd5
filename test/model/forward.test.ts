import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { referenceBackend } from "../../src/tensor/index.js";
import type { Model } from "../../src/model/index.js";
import { computeLoss, forwardLogits, lossAndGradients, makeBatch } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import type { LoraAdapter } from "../../src/lora/index.js";
import { Rng } from "../../src/util/rng.js";
import { bitIdentical, relativeError } from "../helpers/numeric.js";
import { microConfig, microModel, randomizeAdapter } from "./helpers/micro-model.js";

function withAdapter(dropout = 0): { model: Model; adapter: LoraAdapter } {
  const model = microModel(microConfig("qwen3"), referenceBackend, 2);
  const adapter = buildLoraAdapter(model, loraConfig({ r: 3, loraAlpha: 6, loraDropout: dropout, targetModules: "all-linear" }), { dtype: "f64", seed: 1 });
  randomizeAdapter(adapter.parameters(), 4);
  attachAdapter(model, adapter);
  return { model, adapter };
}

const rng = new Rng(21);
const seqA = Array.from({ length: 7 }, () => rng.int(50));
const seqB = Array.from({ length: 5 }, () => rng.int(50));

function gradsOf(adapter: LoraAdapter) {
  return adapter.gradients().map((g) => g.to("f64"));
}

describe("decoder forward and backward on the reference backend", () => {
  it("a packed batch gives each sequence the logits it gets alone", () => {
    const { model } = withAdapter();
    const packed = forwardLogits(model, makeBatch([{ inputIds: seqA }, { inputIds: seqB }]));
    const alone = [forwardLogits(model, makeBatch([{ inputIds: seqA }])), forwardLogits(model, makeBatch([{ inputIds: seqB }]))];
    const v = model.config.vocabSize;
    const joined = new Float64Array([...alone[0].data, ...alone[1].data]);
    let worst = 0;
    for (let i = 0; i < joined.length; i++) worst = Math.max(worst, Math.abs(packed.data[i] - joined[i]));
    assert.equal(packed.numel, (seqA.length + seqB.length) * v);
    assert.ok(worst < 1e-12, `max difference ${worst}`);
  });

  it("packed loss and gradients equal the sum over the sequences alone (external normalizer)", () => {
    const { model, adapter } = withAdapter();
    const packed = makeBatch([{ inputIds: seqA }, { inputIds: seqB }]);
    const total = seqA.length - 1 + (seqB.length - 1);
    adapter.zeroGradients();
    const whole = lossAndGradients(model, packed);
    assert.equal(whole.count, total);
    const expected = gradsOf(adapter);
    adapter.zeroGradients();
    let lossSum = 0;
    for (const seq of [seqA, seqB]) lossSum += lossAndGradients(model, makeBatch([{ inputIds: seq }]), { normalizer: total }).lossSum;
    assert.ok(Math.abs(lossSum / total - whole.loss) < 1e-12);
    const got = gradsOf(adapter);
    for (let i = 0; i < got.length; i++) assert.ok(relativeError(got[i], expected[i]) < 1e-12);
  });

  it("an untrained segment between records (padding) changes nothing", () => {
    const { model } = withAdapter();
    const pad = (n: number) => ({ inputIds: new Array<number>(n).fill(0), labels: new Array<number>(n).fill(-100) });
    const padded = computeLoss(model, makeBatch([{ inputIds: seqA }, pad(4), { inputIds: seqB }, pad(2)]));
    const packed = computeLoss(model, makeBatch([{ inputIds: seqA }, { inputIds: seqB }]));
    assert.equal(padded.count, packed.count);
    assert.ok(Math.abs(padded.loss - packed.loss) < 1e-12);
  });

  it("gradient checkpointing gives the same gradients, dropout included", () => {
    const { model, adapter } = withAdapter(0.25);
    const batch = makeBatch([{ inputIds: seqA }, { inputIds: seqB }]);
    adapter.zeroGradients();
    const plain = lossAndGradients(model, batch, { dropoutSeed: 9 });
    const expected = gradsOf(adapter);
    adapter.zeroGradients();
    const checkpointed = lossAndGradients(model, batch, { dropoutSeed: 9, checkpointing: true });
    assert.equal(checkpointed.loss, plain.loss);
    const got = gradsOf(adapter);
    for (let i = 0; i < got.length; i++) assert.ok(bitIdentical(got[i], expected[i]), `gradient ${i} differs`);
  });

  it("dropout is seeded: the same seed replays, another seed differs, evaluation has none", () => {
    const { model } = withAdapter(0.25);
    const batch = makeBatch([{ inputIds: seqA }]);
    const a = lossAndGradients(model, batch, { dropoutSeed: 1 }).loss;
    assert.equal(lossAndGradients(model, batch, { dropoutSeed: 1 }).loss, a);
    assert.notEqual(lossAndGradients(model, batch, { dropoutSeed: 2 }).loss, a);
    const evalLoss = computeLoss(model, batch).loss;
    assert.notEqual(evalLoss, a);
  });

  it("an adapter with B = 0 leaves the base model's logits unchanged", () => {
    const model = microModel(microConfig("llama"), referenceBackend, 2);
    const batch = makeBatch([{ inputIds: seqA }]);
    const base = forwardLogits(model, batch);
    attachAdapter(model, buildLoraAdapter(model, loraConfig({ targetModules: "all-linear" }), { dtype: "f64" }));
    assert.ok(bitIdentical(forwardLogits(model, batch), base));
  });

  it("a batch with no trained target is an error", () => {
    const { model } = withAdapter();
    assert.throws(() => lossAndGradients(model, makeBatch([{ inputIds: [1, 2], labels: [-100, -100] }])), /no trained targets/);
  });
});
