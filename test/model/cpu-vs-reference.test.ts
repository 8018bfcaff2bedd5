import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Backend } from "../../src/tensor/index.js";
import { cpuBackend, referenceBackend } from "../../src/tensor/index.js";
import type { ModelConfig } from "../../src/model/index.js";
import { createModel, forwardLogits, lossAndGradients, makeBatch } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import { Rng } from "../../src/util/rng.js";
import { relativeError } from "../helpers/numeric.js";
import { microConfig, randomWeights, randomizeAdapter } from "./helpers/micro-model.js";

// The same f32 (or bf16) weights and adapter run on the native f32 kernels and on the float64 reference. f32
// accumulation over K ≤ 96 terms and a few chained layers keeps relative errors near 1e-6; 1e-4 leaves margin
// and still catches any wrong index or missing term (O(1)).
const TOL = 1e-4;

function run(backend: Backend, config: ModelConfig, weightDtype: "f32" | "bf16", adapterDtype: "f32" | "f64") {
  const model = createModel(config, randomWeights(config, 8, weightDtype), backend);
  const adapter = buildLoraAdapter(model, loraConfig({ r: 4, loraAlpha: 8, targetModules: "all-linear" }), { dtype: adapterDtype });
  randomizeAdapter(adapter.parameters(), 9, 0.1);
  attachAdapter(model, adapter);
  const rng = new Rng(3);
  const seq = (n: number) => Array.from({ length: n }, () => rng.int(config.vocabSize));
  const batch = makeBatch([{ inputIds: seq(37) }, { inputIds: seq(20) }]);
  adapter.zeroGradients();
  const loss = lossAndGradients(model, batch, { checkpointing: true }).loss;
  return { logits: forwardLogits(model, batch), loss, grads: adapter.gradients() };
}

function compare(config: ModelConfig, weightDtype: "f32" | "bf16") {
  const cpu = run(cpuBackend, config, weightDtype, "f32");
  const ref = run(referenceBackend, config, weightDtype, "f64");
  assert.ok(relativeError(cpu.logits, ref.logits) < TOL, `logits ${relativeError(cpu.logits, ref.logits)}`);
  assert.ok(Math.abs(cpu.loss - ref.loss) / ref.loss < TOL);
  for (let i = 0; i < ref.grads.length; i++) {
    const err = relativeError(cpu.grads[i], ref.grads[i]);
    assert.ok(err < TOL, `gradient ${i}: ${err}`);
  }
}

describe("cpu backend vs float64 reference on a whole model", () => {
  it("qwen3 (q/k norm, GQA, head_dim ≠ hidden/heads), f32 weights", () => {
    compare(microConfig("qwen3", { hiddenSize: 64, intermediateSize: 96, numHeads: 4, numKvHeads: 2, headDim: 24 }), "f32");
  });
  it("qwen2 (biases, tied) with bf16 weights and llama3 rope", () => {
    compare(
      microConfig("qwen2", {
        hiddenSize: 48,
        tieWordEmbeddings: true,
        ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 16 },
      }),
      "bf16",
    );
  });
});
