import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { referenceBackend } from "../../src/tensor/index.js";
import type { Model } from "../../src/model/index.js";
import { lossAndGradients, makeBatch, setComputeDtype } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../../src/lora/index.js";
import { Rng } from "../../src/util/rng.js";
import { microConfig, microModel, randomizeAdapter } from "./helpers/micro-model.js";

// Finite differences of the whole model's loss in float64 against the explicit backward, for every LoRA tensor
// of every targeted projection. Central differences with h = 1e-5 have O(h²) ≈ 1e-10 truncation error and
// O(ε/h) ≈ 1e-11 rounding error, so a correct backward agrees to ~1e-7 relative; any wrong term is O(1).
const H = 1e-5;
const TOL = 1e-6;

function batchOf(model: Model) {
  const v = model.config.vocabSize;
  const rng = new Rng(7);
  const seq = (n: number) => Array.from({ length: n }, () => rng.int(v));
  // Three sequences, each its own segment, with some labels masked.
  const labels = seq(6);
  labels[1] = -100;
  return makeBatch([{ inputIds: seq(5) }, { inputIds: seq(6), labels }, { inputIds: seq(4) }]);
}

function check(arch: "llama" | "qwen2" | "qwen3" | "gemma3", overrides = {}, loraDropout = 0, targetModules: string[] | string = "all-linear") {
  const config = microConfig(arch, overrides);
  const model = microModel(config, referenceBackend, 3);
  const adapter = buildLoraAdapter(model, loraConfig({ r: 2, loraAlpha: 4, loraDropout, targetModules }), { dtype: "f64", seed: 5 });
  randomizeAdapter(adapter.parameters(), 11);
  attachAdapter(model, adapter);
  const batch = batchOf(model);
  // A fixed dropout seed fixes the masks, so the loss is a smooth function of the parameters again.
  const options = { dropoutSeed: 21 };
  adapter.zeroGradients();
  lossAndGradients(model, batch, options);
  // The finite-difference evaluations below accumulate more gradient; keep the analytic one.
  const analytic = new Map(adapter.gradients().map((g) => [g, g.to("f64")]));
  const rng = new Rng(13);
  let worst = 0;
  for (const [path, m] of adapter.modules) {
    for (const [name, p, g] of [["A", m.a, m.gradA], ["B", m.b, m.gradB]] as const) {
      for (let n = 0; n < 2; n++) {
        const i = rng.int(p.numel);
        const orig = p.get(i);
        p.set(i, orig + H);
        const plus = lossAndGradients(model, batch, options).loss;
        p.set(i, orig - H);
        const minus = lossAndGradients(model, batch, options).loss;
        p.set(i, orig);
        const fd = (plus - minus) / (2 * H);
        const grad = (analytic.get(g) ?? g).get(i);
        const err = Math.abs(fd - grad) / Math.max(1e-3, Math.abs(fd));
        worst = Math.max(worst, err);
        assert.ok(err < TOL, `${path} ${name}[${i}]: backward ${grad} vs finite difference ${fd}`);
      }
    }
  }
  assert.ok(worst < TOL);
}

describe("LoRA gradients of the whole model (float64 finite differences)", () => {
  it("llama: GQA, head_dim ≠ hidden/heads, untied lm_head", () => {
    check("llama");
  });
  it("qwen2: q/k/v biases, tied embeddings", () => {
    check("qwen2", { tieWordEmbeddings: true });
  });
  it("llama with lora_dropout 0.25: backward applies the forward's masks", () => {
    check("llama", {}, 0.25);
  });
  it("llama with q/v and gate/up only: the grouped path over partial groups (src/lora/lora-group.ts)", () => {
    check("llama", {}, 0, ["q_proj", "v_proj", "gate_proj", "up_proj"]);
  });
  it("qwen3: q/k RMSNorm per head, llama3 rope scaling", () => {
    check("qwen3", { ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8 } });
  });
  it("qwen2 with a sliding window of 3 on the second layer (sequences of 4–6 tokens)", () => {
    check("qwen2", { slidingWindow: { size: 3, layers: [1] } });
  });
  it("gemma3: sandwich norms, GeGLU, scaled tied embeddings, a window-3 sliding layer (sequences of 4–6) beside a full one, two rope bases, query_pre_attn_scalar", () => {
    check("gemma3", { slidingWindow: { size: 3, layers: [0] }, ropeLocalTheta: 100, queryPreAttnScalar: 5 });
  });
});

// bf16 compute mode. Rounding the base products' operands to bf16 makes the loss piecewise constant at the
// finite-difference step, so, as for torch.autocast, the backward treats the rounding as the identity and is
// checked against the float64 finite differences of the unrounded model. Each base product's operands carry a
// relative rounding error of at most 2⁻⁹ (bf16's unit roundoff) each, and a gradient entry passes through the
// lm_head and up to five rounded products per layer and direction (a projection, QKᵀ and P·V, o_proj, the MLP's
// two); to first order its relative error is bounded by about (2 + 10·layers)·2·2⁻⁹ ≈ 0.086 for these two layers.
// The check is on the whole sampled gradient vector (an entry near zero has no meaningful relative error):
// ‖g − fd‖ / ‖fd‖ < 3e-2, inside that bound; measured 1.74e-2 (llama) and 1.15e-2 (qwen2). A wrong term is O(1);
// and the bf16 gradient is not the f32 one (asserted).
const BF16_TOL = 3e-2;

function checkBf16(arch: "llama" | "qwen2") {
  const config = microConfig(arch, arch === "qwen2" ? { tieWordEmbeddings: true } : {});
  const model = microModel(config, referenceBackend, 3);
  const adapter = buildLoraAdapter(model, loraConfig({ r: 2, loraAlpha: 4, loraDropout: 0, targetModules: "all-linear" }), { dtype: "f64", seed: 5 });
  randomizeAdapter(adapter.parameters(), 11);
  attachAdapter(model, adapter);
  const batch = batchOf(model);
  const gradientsIn = (dtype: "f32" | "bf16") => {
    setComputeDtype(model, dtype);
    adapter.zeroGradients();
    lossAndGradients(model, batch);
    return new Map(adapter.gradients().map((g) => [g, g.to("f64")]));
  };
  const f64Grads = gradientsIn("f32");
  const bf16Grads = gradientsIn("bf16");
  setComputeDtype(model, "f32");
  const rng = new Rng(17);
  let diff = 0;
  let norm = 0;
  let modeDiff = 0;
  for (const [, m] of adapter.modules) {
    for (const [p, g] of [[m.a, m.gradA], [m.b, m.gradB]] as const) {
      for (let n = 0; n < 3; n++) {
        const i = rng.int(p.numel);
        const orig = p.get(i);
        p.set(i, orig + H);
        const plus = lossAndGradients(model, batch).loss;
        p.set(i, orig - H);
        const minus = lossAndGradients(model, batch).loss;
        p.set(i, orig);
        const fd = (plus - minus) / (2 * H);
        const got = bf16Grads.get(g)!.get(i);
        diff += (got - fd) ** 2;
        norm += fd ** 2;
        modeDiff += (got - f64Grads.get(g)!.get(i)) ** 2;
      }
    }
  }
  const rel = Math.sqrt(diff / norm);
  assert.ok(rel < BF16_TOL, `bf16-mode gradient vs finite differences: relative error ${rel}`);
  assert.ok(Math.sqrt(modeDiff / norm) > 1e-5, "the bf16 mode gave the f32 gradient: its rounding is not applied");
}

describe("LoRA gradients in the bf16 compute mode (vs float64 finite differences of the unrounded model)", () => {
  it("llama: untied lm_head", () => {
    checkBf16("llama");
  });
  it("qwen2: tied embeddings, biases", () => {
    checkBf16("qwen2");
  });
});
