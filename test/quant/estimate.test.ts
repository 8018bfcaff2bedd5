import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planMemory, quant4Bytes, parseByteSize } from "../../src/quant/index.js";
import type { PlanDims } from "../../src/quant/index.js";
import { runCliInProcess } from "../helpers/cli.js";

// qwen2.5-0.5b's shapes.
const QWEN: PlanDims = { hiddenSize: 896, intermediateSize: 4864, numLayers: 24, numHeads: 14, numKvHeads: 2, headDim: 64, vocabSize: 151936, tieWordEmbeddings: true };
const base = { batchSize: 1, maxSeqLength: 512, gradientCheckpointing: true } as const;

describe("memory planner", () => {
  it("4-bit projections take ≈ 0.516 bytes per parameter with double quantization, 0.5625 without", () => {
    const n = 4864 * 896;
    assert.ok(Math.abs(quant4Bytes(4864, 896) / n - 0.5161) < 0.001);
    assert.equal(quant4Bytes(4864, 896, false), n / 2 + (4 * n) / 64);
  });

  it("qlora holds less than lora; checkpointing keeps fewer activations; LoRA state is 16 bytes per parameter", () => {
    const lora = planMemory(QWEN, { ...base, method: "lora" });
    const qlora = planMemory(QWEN, { ...base, method: "qlora" });
    assert.ok(qlora.weights.linears < 0.27 * lora.weights.linears);
    assert.equal(qlora.weights.embeddings, lora.weights.embeddings);
    const noCkpt = planMemory(QWEN, { ...base, method: "lora", gradientCheckpointing: false });
    assert.ok(noCkpt.activations > 5 * lora.activations);
    // r = 16 on 7 projections of 24 layers: 16·(896+896 + 2·(128+896) + 896+896 + 3·(4864+896)) per layer.
    assert.equal(lora.lora.parameters, 24 * 16 * (896 + 896 + 2 * (128 + 896) + 896 + 896 + 3 * (4864 + 896)));
    assert.equal(lora.lora.total, 16 * lora.lora.parameters);
  });

  it("Gemma's sandwich norms: two more norm weights and two more kept [T, H] activations per layer", () => {
    const noCkpt = { ...base, method: "lora", gradientCheckpointing: false, loraDropout: 0, calibration: { runtimeBytes: 0, activationFactor: 1 } } as const;
    const plain = planMemory(QWEN, noCkpt);
    const sandwich = planMemory({ ...QWEN, sandwichNorms: true }, noCkpt);
    assert.equal(sandwich.weights.norms - plain.weights.norms, 4 * 2 * 24 * 896);
    assert.equal(sandwich.activations - plain.activations, 512 * 24 * 4 * 2 * 896);
  });

  it("parses budgets", () => {
    assert.equal(parseByteSize("16GB"), 16 * 2 ** 30);
    assert.equal(parseByteSize("512MiB"), 512 * 2 ** 20);
    assert.equal(parseByteSize("1.5g"), 1.5 * 2 ** 30);
    assert.equal(parseByteSize("lots"), undefined);
  });
});

describe("loraforge estimate", () => {
  it("prints the breakdown and whether it fits", async () => {
    const r = await runCliInProcess("estimate", "--model", "qwen2.5-0.5b", "--method", "qlora", "--budget", "16GB");
    assert.equal(r.code, 0, r.out);
    for (const part of ["weights", "LoRA", "activations", "scratch", "runtime", "peak", "fits in 16.00 GiB"]) assert.match(r.out, new RegExp(part));
    const tight = await runCliInProcess("estimate", "--model", "llama3.2-1b", "--method", "lora", "--batch-size", "8", "--max-seq-length", "2048", "--no-gradient-checkpointing", "--budget", "4GB");
    assert.equal(tight.code, 3);
    assert.match(tight.out, /does NOT fit in 4\.00 GiB/);
  });

  it("--json gives the numbers; bad flags are errors", async () => {
    const r = await runCliInProcess("estimate", "--model", "smollm2-135m", "--method", "lora", "--json");
    const plan = JSON.parse(r.out) as { total: number; weights: { total: number } };
    assert.ok(plan.total > plan.weights.total);
    assert.match((await runCliInProcess("estimate", "--model", "smollm2-135m", "--method", "dora")).out, /--method must be lora or qlora/);
    assert.match((await runCliInProcess("estimate", "--model", "smollm2-135m", "--budget", "lots")).out, /--budget lots/);
    assert.match((await runCliInProcess("estimate", "--model", "/nope", "--method", "lora")).out, /--model \/nope: neither a model \(folder, \.gguf, ollama:NAME\) nor a preset/);
  });
});
