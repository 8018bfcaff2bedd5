import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { referenceBackend } from "../../src/tensor/index.js";
import { linearModuleShapes } from "../../src/model/index.js";
import { buildLoraAdapter, loraConfig, loraScale, selectTargets } from "../../src/lora/index.js";
import { microConfig, microModel } from "../model/helpers/micro-model.js";

const config = microConfig("llama", { numLayers: 2 });
const paths = [...linearModuleShapes(config).keys(), "lm_head"];

describe("LoRA config and targets (PEFT semantics)", () => {
  it("scale is alpha/r, or alpha/√r with rsLoRA", () => {
    assert.equal(loraScale(loraConfig({ r: 16, loraAlpha: 32 })), 2);
    assert.equal(loraScale(loraConfig({ r: 16, loraAlpha: 32, useRslora: true })), 8);
  });

  it("names match the whole path or a dotted suffix", () => {
    const got = selectTargets(loraConfig({ targetModules: ["q_proj", "mlp.down_proj"] }), paths);
    assert.deepEqual(got, [
      "model.layers.0.self_attn.q_proj",
      "model.layers.0.mlp.down_proj",
      "model.layers.1.self_attn.q_proj",
      "model.layers.1.mlp.down_proj",
    ]);
    // "proj" is not a dotted suffix of "q_proj".
    assert.throws(() => selectTargets(loraConfig({ targetModules: ["proj"] }), paths), /matches no linear layer/);
  });

  it("a string is a regex matched against the whole path", () => {
    const got = selectTargets(loraConfig({ targetModules: String.raw`.*\.1\.self_attn\.(q|v)_proj` }), paths);
    assert.deepEqual(got, ["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"]);
    // A regex that only matches part of a path matches nothing.
    assert.throws(() => selectTargets(loraConfig({ targetModules: "q_proj" }), paths), /matches no linear layer/);
  });

  it("all-linear takes every projection but lm_head, case-insensitively; exclude_modules removes", () => {
    assert.equal(selectTargets(loraConfig({ targetModules: "ALL-LINEAR" }), paths).length, 14);
    const got = selectTargets(loraConfig({ targetModules: "all-linear", excludeModules: ["gate_proj", "up_proj", "down_proj"] }), paths);
    assert.equal(got.length, 8);
    assert.throws(() => selectTargets(loraConfig({ targetModules: ["lm_head"] }), paths), /lm_head is not supported/);
  });

  it("refuses impossible settings", () => {
    assert.throws(() => loraConfig({ r: 0 }), /r must be a positive integer/);
    assert.throws(() => loraConfig({ loraDropout: 1 }), /lora_dropout/);
  });

  it("A is uniform ±1/√in, B zeros, reproducible from the seed", () => {
    const model = microModel(microConfig("llama", { hiddenSize: 64, intermediateSize: 96 }), referenceBackend);
    const cfg = loraConfig({ r: 8, targetModules: ["q_proj", "down_proj"] });
    const adapter = buildLoraAdapter(model, cfg, { seed: 3 });
    const again = buildLoraAdapter(model, cfg, { seed: 3 });
    for (const [path, m] of adapter.modules) {
      const bound = 1 / Math.sqrt(m.a.shape[1]);
      let max = 0;
      let sumSq = 0;
      for (let i = 0; i < m.a.numel; i++) {
        max = Math.max(max, Math.abs(m.a.get(i)));
        sumSq += m.a.get(i) ** 2;
      }
      assert.ok(max <= bound && max > 0.9 * bound, `${path}: max |A| ${max} vs bound ${bound}`);
      // Variance of U(−b, b) is b²/3; with ≥ 512 samples the estimate is within 15%.
      const variance = sumSq / m.a.numel;
      assert.ok(Math.abs(variance / (bound * bound / 3) - 1) < 0.15, `${path}: variance ${variance}`);
      assert.ok(m.b.data.every((v) => v === 0));
      assert.deepEqual([...m.a.data], [...(again.modules.get(path)?.a.data ?? [])]);
    }
  });

  it("gaussian init draws A from N(0, 1/r²)", () => {
    const model = microModel(microConfig("llama", { hiddenSize: 64 }), referenceBackend);
    const adapter = buildLoraAdapter(model, loraConfig({ r: 4, targetModules: ["q_proj"], initLoraWeights: "gaussian" }), { seed: 1 });
    let sumSq = 0;
    let n = 0;
    for (const m of adapter.modules.values()) for (let i = 0; i < m.a.numel; i++, n++) sumSq += m.a.get(i) ** 2;
    assert.ok(Math.abs(sumSq / n / (1 / 16) - 1) < 0.15);
  });
});
