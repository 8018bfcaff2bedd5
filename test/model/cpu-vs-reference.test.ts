import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Backend } from "../../src/tensor/index.js";
import { cpuBackend, referenceBackend } from "../../src/tensor/index.js";
import type { ModelConfig } from "../../src/model/index.js";
import type { ComputeDtype } from "../../src/model/index.js";
import { createModel, forwardLogits, lossAndGradients, makeBatch, setComputeDtype } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import { Rng } from "../../src/util/rng.js";
import { relativeError } from "../helpers/numeric.js";
import { microConfig, randomWeights, randomizeAdapter } from "./helpers/micro-model.js";

// The same f32 (or bf16) weights and adapter run on the native f32 kernels and on the float64 reference. f32
// accumulation over K ≤ 96 terms and a few chained layers keeps relative errors near 1e-6; 1e-4 leaves margin
// and still catches any wrong index or missing term (O(1)).
const TOL = 1e-4;
// bf16 compute mode on both sides (the reference rounds the same operands to bf16 before its float64 products), with
// the same f32 adapter values on both (f64 ones would differ from them by ~1e-8, which the roundings amplify): an
// operand whose f32 and float64 values straddle a bf16 rounding boundary rounds one bf16 step (2⁻⁸) apart, and each
// flip widens the gap the next rounded product sees, so flips cascade through the layers. Attention rounds q, k, v
// and P as well, so they start in the first layer: logits measured 7.8e-4 apart, gradients up to 4.8e-3. The logits
// bound, 1.5e-3, is still more than 3× below the gap between the two modes (5.4e-3, asserted below), so a product
// left unrounded on one side fails.
const BF16_TOL = { logits: 1.5e-3, grads: 1e-2 };

function run(backend: Backend, config: ModelConfig, weightDtype: "f32" | "bf16", adapterDtype: "f32" | "f64", compute: ComputeDtype) {
  const model = createModel(config, randomWeights(config, 8, weightDtype), backend);
  setComputeDtype(model, compute);
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

function compare(config: ModelConfig, weightDtype: "f32" | "bf16", compute: ComputeDtype = "f32") {
  const cpu = run(cpuBackend, config, weightDtype, "f32", compute);
  const ref = run(referenceBackend, config, weightDtype, compute === "bf16" ? "f32" : "f64", compute);
  const tol = compute === "bf16" ? BF16_TOL : { logits: TOL, grads: TOL };
  assert.ok(relativeError(cpu.logits, ref.logits) < tol.logits, `logits ${relativeError(cpu.logits, ref.logits)}`);
  assert.ok(Math.abs(cpu.loss - ref.loss) / ref.loss < tol.logits);
  for (let i = 0; i < ref.grads.length; i++) {
    const err = relativeError(cpu.grads[i], ref.grads[i]);
    assert.ok(err < tol.grads, `gradient ${i}: ${err}`);
  }
  return cpu;
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
  it("gemma3 (sandwich norms, GeGLU, scaled embeddings, a window-5 sliding layer over sequences of 20 and 37), bf16 weights", () => {
    compare(microConfig("gemma3", { hiddenSize: 64, intermediateSize: 96, headDim: 16, slidingWindow: { size: 5, layers: [0] }, ropeLocalTheta: 1000, queryPreAttnScalar: 12 }), "bf16");
  });
  it("bf16 compute mode (llama, bf16 weights): the same rounding on both sides, and not the f32 result", () => {
    const config = microConfig("llama", { hiddenSize: 64, intermediateSize: 96, numHeads: 4, numKvHeads: 2 });
    const bf16 = compare(config, "bf16", "bf16");
    const f32 = run(cpuBackend, config, "bf16", "f32", "f32");
    assert.ok(relativeError(bf16.logits, f32.logits) > 3 * BF16_TOL.logits, `modes too close: ${relativeError(bf16.logits, f32.logits)}`);
  });
});
