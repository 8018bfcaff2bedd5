import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { cpuBackend, referenceBackend } from "../../src/tensor/index.js";
import { forwardLogits, generate, loadModel, lossAndGradients, makeBatch } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loadAdapter, loraConfig, mergedWeights } from "../../src/lora/index.js";
import { runCliInProcess } from "../helpers/cli.js";
import { relativeError } from "../helpers/numeric.js";
import { randomizeAdapter } from "../model/helpers/micro-model.js";
import { microModelFolder, preparedData, writeConfig } from "../train/helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-qlora-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const batch = makeBatch([{ inputIds: [1, 7, 3, 9, 4, 50, 2, 11], labels: [-100, -100, 3, 9, 4, 50, 2, 11] }]);

describe("QLoRA: a 4-bit base", () => {
  it("every projection is 4-bit after load; embeddings, norms and lm_head stay dense", () => {
    const model = loadModel(microModelFolder(tmp), { quantization: "nf4", dtype: "bf16" });
    for (const l of model.weights.layers) {
      for (const p of [l.attention.qProj, l.attention.kProj, l.attention.vProj, l.attention.oProj, l.mlp.gateProj, l.mlp.upProj, l.mlp.downProj]) {
        assert.equal(p.quant?.quantType, "nf4");
        assert.ok(p.quant.scales.nested, "double-quantized");
      }
    }
    assert.equal(model.weights.embedTokens.dtype, "bf16");
    assert.equal(model.weights.norm.dtype, "f32");
  });

  it("cpu (fused kernels) and reference (dequantize, float64) agree on logits and LoRA gradients", () => {
    const folder = microModelFolder(tmp);
    const run = (backend: typeof cpuBackend) => {
      const model = loadModel(folder, { quantization: "nf4", backend });
      const adapter = buildLoraAdapter(model, loraConfig({ targetModules: "all-linear", r: 4 }), { dtype: backend === cpuBackend ? "f32" : "f64" });
      randomizeAdapter(adapter.parameters(), 3);
      attachAdapter(model, adapter);
      const logits = forwardLogits(model, batch);
      lossAndGradients(model, batch, { checkpointing: true });
      return { logits, grads: adapter.gradients() };
    };
    const cpu = run(cpuBackend);
    const ref = run(referenceBackend);
    assert.ok(relativeError(cpu.logits, ref.logits) < 1e-4, `logits ${relativeError(cpu.logits, ref.logits)}`);
    cpu.grads.forEach((g, i) => assert.ok(relativeError(g, ref.grads[i]) < 1e-3, `gradient ${i}: ${relativeError(g, ref.grads[i])}`));
  });

  it("loraforge train --quantization nf4 trains an adapter end to end; generation runs on the 4-bit base with it", async () => {
    const model = microModelFolder(tmp);
    const config = writeConfig(tmp, "q.yaml", {
      model,
      data: { train: preparedData(tmp, { train: 16, val: 4 }) },
      lora: { r: 4, target_modules: "all-linear", lora_dropout: 0 },
      batch_size: 4,
      max_steps: 4,
      learning_rate: 0.01,
      logging_steps: 1,
      output_dir: path.join(tmp, "qlora-out"),
    });
    const r = await runCliInProcess("train", config, "--quantization", "nf4");
    assert.equal(r.code, 0, r.out);
    const out = path.join(tmp, "qlora-out");
    const metrics = fs.readFileSync(path.join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { loss?: number; step?: number });
    const losses = metrics.filter((m) => typeof m.loss === "number").map((m) => m.loss!);
    assert.ok(losses.length >= 4 && losses.every(Number.isFinite), JSON.stringify(metrics));
    assert.ok(losses[losses.length - 1] < losses[0], `loss did not fall: ${losses.join(", ")}`);
    assert.ok(fs.existsSync(path.join(out, "adapter", "adapter_model.safetensors")));
    assert.match(fs.readFileSync(path.join(out, "run.json"), "utf8"), /"quantization": "nf4"/);
    assert.match(r.out, /generate: loraforge generate --model \S+ --quantization nf4 --adapter/, "the suggested command runs the 4-bit base");

    const base = loadModel(model, { quantization: "nf4" });
    const plain = generate(base, [1, 7, 3, 9], { maxNewTokens: 6, eosTokenIds: [] });
    attachAdapter(base, loadAdapter(base, path.join(out, "adapter")));
    const adapted = generate(base, [1, 7, 3, 9], { maxNewTokens: 6, eosTokenIds: [] });
    assert.equal(plain.tokens.length, 6);
    assert.equal(adapted.tokens.length, 6);
  });

  it("merging an adapter into a 4-bit base merges into dequant(NF4) (what the adapter was trained against)", () => {
    const model = loadModel(microModelFolder(tmp), { quantization: "nf4" });
    const adapter = buildLoraAdapter(model, loraConfig({ targetModules: ["down_proj"], r: 2 }));
    randomizeAdapter(adapter.parameters(), 4);
    const merged = mergedWeights(model, adapter);
    const path0 = "model.layers.0.mlp.down_proj";
    const q = model.weights.layers[0].mlp.downProj.quant!;
    const lora = adapter.modules.get(path0)!;
    const delta = cpuBackend.gemm(lora.b, lora.a, { alpha: lora.scale });
    const base = q.dequantize();
    const expected = base.data.map((v, i) => v + delta.data[i]);
    assert.deepEqual(Array.from(merged.get(path0)!.data), Array.from(Float32Array.from(expected)));
  });

  it("an unknown quantization name is a config error", async () => {
    const config = writeConfig(tmp, "bad.yaml", { model: microModelFolder(tmp), data: { train: preparedData(tmp, { train: 4, val: 0 }) } });
    const r = await runCliInProcess("train", config, "--quantization", "int3", "--dry-run");
    assert.notEqual(r.code, 0);
    assert.match(r.out, /quantization/);
    assert.match(r.out, /nf4/);
  });
});
