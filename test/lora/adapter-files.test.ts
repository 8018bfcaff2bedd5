import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { referenceBackend } from "../../src/tensor/index.js";
import { forwardLogits, frozenLinearAt, makeBatch } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loadAdapter, loraConfig, mergedWeights, saveAdapter } from "../../src/lora/index.js";
import { bitIdentical } from "../helpers/numeric.js";
import { microConfig, microModel, randomizeAdapter } from "../model/helpers/micro-model.js";

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-adapter-"));
}

describe("PEFT adapter folders and merging", () => {
  it("save → load gives identical tensors and PEFT's config fields; all-linear is saved as names", () => {
    const model = microModel(microConfig("qwen2"), referenceBackend);
    const adapter = buildLoraAdapter(model, loraConfig({ r: 4, loraAlpha: 16, useRslora: true, targetModules: "all-linear" }), { seed: 2 });
    randomizeAdapter(adapter.parameters(), 3);
    const dir = tmpDir();
    saveAdapter(adapter, dir, { baseModelNameOrPath: "micro/qwen2" });
    const json = JSON.parse(fs.readFileSync(path.join(dir, "adapter_config.json"), "utf8"));
    assert.equal(json.peft_type, "LORA");
    assert.equal(json.r, 4);
    assert.equal(json.lora_alpha, 16);
    assert.equal(json.use_rslora, true);
    assert.equal(json.base_model_name_or_path, "micro/qwen2");
    assert.deepEqual(json.target_modules, ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]);
    assert.ok(fs.existsSync(path.join(dir, "README.md")));
    const loaded = loadAdapter(model, dir);
    assert.equal(loaded.modules.size, adapter.modules.size);
    for (const [p, m] of adapter.modules) {
      const l = loaded.modules.get(p);
      assert.ok(l && bitIdentical(l.a, m.a) && bitIdentical(l.b, m.b), p);
      assert.equal(l.scale, m.scale);
    }
  });

  it("an adapter for another base is refused, naming the module", () => {
    const small = microModel(microConfig("llama"), referenceBackend);
    const dir = tmpDir();
    saveAdapter(buildLoraAdapter(small, loraConfig({ targetModules: ["q_proj"] })), dir);
    const wider = microModel(microConfig("llama", { hiddenSize: 32 }), referenceBackend);
    assert.throws(() => loadAdapter(wider, dir), /q_proj.*another base/);
  });

  it("merged weights give the adapter's logits without it", () => {
    const model = microModel(microConfig("llama"), referenceBackend);
    const adapter = buildLoraAdapter(model, loraConfig({ r: 2, loraAlpha: 3, targetModules: ["q_proj", "down_proj"] }), { dtype: "f64" });
    randomizeAdapter(adapter.parameters(), 5);
    attachAdapter(model, adapter);
    const batch = makeBatch([{ inputIds: [1, 7, 3, 9, 4] }]);
    const withAdapter = forwardLogits(model, batch);
    const merged = microModel(model.config, referenceBackend); // the same seed: the same base weights
    for (const [p, w] of mergedWeights(model, adapter)) frozenLinearAt(merged, p).weight = w;
    const logits = forwardLogits(merged, batch);
    let worst = 0;
    for (let i = 0; i < logits.numel; i++) worst = Math.max(worst, Math.abs(logits.get(i) - withAdapter.get(i)));
    assert.ok(worst < 1e-10, `max difference ${worst}`);
  });
});
