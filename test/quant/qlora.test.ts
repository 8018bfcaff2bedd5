import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { cpuBackend, referenceBackend } from "../../src/tensor/index.js";
import { forwardLogits, generate, loadModel, lossAndGradients, makeBatch, planInitModel, writeInitModel } from "../../src/model/index.js";
import { attachAdapter, buildLoraAdapter, loadAdapter, loraConfig, mergedWeights } from "../../src/lora/index.js";
import { runCliInProcess } from "../helpers/cli.js";
import { relativeError } from "../helpers/numeric.js";
import { randomizeAdapter } from "../model/helpers/micro-model.js";
import { microModelFolder, preparedData, writeConfig } from "../train/helpers.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-qlora-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
/** The NF4 code table (docs/formats/nf4.md §4.1), restated here rather than read from the code under test. */
const NF4 = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];
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

    // Generation on the 4-bit base with the trained adapter (fused 4-bit kernels, KV cache) must be the greedy
    // continuation that a float64 recomputation gives: the reference backend, the whole sequence re-run per token.
    const prompt = [1, 7, 3, 9, 12, 40];
    const cpu = loadModel(model, { quantization: "nf4" });
    const plainLogits = forwardLogits(cpu, makeBatch([{ inputIds: prompt, labels: prompt }]));
    attachAdapter(cpu, loadAdapter(cpu, path.join(out, "adapter")));
    assert.ok(relativeError(forwardLogits(cpu, makeBatch([{ inputIds: prompt, labels: prompt }])), plainLogits) > 1e-3, "the adapter changes nothing");
    const adapted = generate(cpu, prompt, { maxNewTokens: 6, eosTokenIds: [] });
    const ref = loadModel(model, { quantization: "nf4", backend: referenceBackend });
    attachAdapter(ref, loadAdapter(ref, path.join(out, "adapter"), { dtype: "f64" }));
    const sequence = [...prompt];
    for (const [step, token] of adapted.tokens.entries()) {
      const logits = forwardLogits(ref, makeBatch([{ inputIds: sequence, labels: sequence }]));
      const last = Array.from(logits.data.subarray((sequence.length - 1) * logits.shape[1]));
      const order = last.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
      if (order[0][0] - order[1][0] < 1e-4) break; // a near tie: float32 and float64 may pick either
      assert.equal(token, order[0][1], `step ${step}: 4-bit generation picked ${token}, the float64 recomputation ${order[0][1]}`);
      sequence.push(token);
    }
    assert.ok(sequence.length > prompt.length + 2, "too few steps were compared");
  });

  it("a Gemma 3 base (window 4 on layers 0 and 2, shorter than the records) trains with --quantization nf4; 4-bit cpu and float64 reference agree", async () => {
    const folder = path.join(tmp, "gemma3");
    const plan = planInitModel({ preset: "tiny", arch: "gemma3", vocabSize: 64, seed: 5 });
    plan.config.slidingWindow = { size: 4, layers: [0, 2] };
    writeInitModel(folder, plan);
    const long = makeBatch([{ inputIds: [1, 7, 3, 9, 4, 50, 2, 11, 13, 8], labels: [-100, -100, 3, 9, 4, 50, 2, 11, 13, 8] }]);
    const run = (backend: typeof cpuBackend) => {
      const model = loadModel(folder, { quantization: "nf4", backend });
      const adapter = buildLoraAdapter(model, loraConfig({ targetModules: "all-linear", r: 4 }), { dtype: backend === cpuBackend ? "f32" : "f64" });
      randomizeAdapter(adapter.parameters(), 3);
      attachAdapter(model, adapter);
      lossAndGradients(model, long);
      return { logits: forwardLogits(model, long), grads: adapter.gradients() };
    };
    const cpu = run(cpuBackend);
    const ref = run(referenceBackend);
    assert.ok(relativeError(cpu.logits, ref.logits) < 1e-4, `logits ${relativeError(cpu.logits, ref.logits)}`);
    cpu.grads.forEach((g, i) => assert.ok(relativeError(g, ref.grads[i]) < 1e-3, `gradient ${i}: ${relativeError(g, ref.grads[i])}`));

    const out = path.join(tmp, "gemma3-qlora-out");
    const config = writeConfig(tmp, "g.yaml", {
      model: folder,
      data: { train: preparedData(tmp, { train: 16, val: 4 }) },
      lora: { r: 4, target_modules: "all-linear", lora_dropout: 0 },
      batch_size: 4,
      max_steps: 12,
      learning_rate: 0.02,
      logging_steps: 1,
      output_dir: out,
    });
    const r = await runCliInProcess("train", config, "--quantization", "nf4");
    assert.equal(r.code, 0, r.out);
    const losses = fs.readFileSync(path.join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { loss?: number }).loss).filter((l): l is number => typeof l === "number");
    assert.ok(losses.length >= 12 && losses.every(Number.isFinite), losses.join(", "));
    // Three epochs of 4 batches: the last epoch's mean loss below the first's (measured 4.25 → 3.91).
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(losses.slice(-4)) < mean(losses.slice(0, 4)) - 0.1, `loss did not fall: ${losses.join(", ")}`);
  });

  it("merging an adapter into a 4-bit base merges into dequant(NF4) (what the adapter was trained against)", () => {
    const model = loadModel(microModelFolder(tmp), { quantization: "nf4" });
    const adapter = buildLoraAdapter(model, loraConfig({ targetModules: ["down_proj"], r: 2 }));
    randomizeAdapter(adapter.parameters(), 4);
    const merged = mergedWeights(model, adapter);
    const path0 = "model.layers.0.mlp.down_proj";
    const q = model.weights.layers[0].mlp.downProj.quant!;
    const lora = adapter.modules.get(path0)!;
    // The expectation restated in float64 from the stored bytes (docs/formats/nf4.md §4.1–4.3): codes two per
    // byte (even element high nibble), absmax = dynamicMap[code8]·absmax2[b / 256] + offset, W = NF4[code]·absmax,
    // then W + (α/r)·B·A.
    const [out, inF] = q.shape;
    const nested = q.scales.nested!;
    const a = lora.a.data;
    const b = lora.b.data;
    const r = lora.a.shape[0];
    const got = merged.get(path0)!.data;
    let worst = 0;
    for (let i = 0; i < out * inF; i++) {
      const code = (q.packed[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 15;
      const block = Math.floor(i / 64);
      const absmax = nested.map[nested.codes[block]] * nested.absmax[Math.floor(block / 256)] + nested.offset;
      const [row, col] = [Math.floor(i / inF), i % inF];
      let delta = 0;
      for (let k = 0; k < r; k++) delta += b[row * r + k] * a[k * inF + col];
      const expected = NF4[code] * absmax + lora.scale * delta;
      worst = Math.max(worst, Math.abs(got[i] - expected) / (Math.abs(expected) + 1e-3));
    }
    assert.ok(worst < 1e-5, `merged weight differs from the float64 restatement by ${worst} (relative)`);
  });

  it("an unknown quantization name is a config error", async () => {
    const config = writeConfig(tmp, "bad.yaml", { model: microModelFolder(tmp), data: { train: preparedData(tmp, { train: 4, val: 0 }) } });
    const r = await runCliInProcess("train", config, "--quantization", "int3", "--dry-run");
    assert.notEqual(r.code, 0);
    assert.match(r.out, /quantization/);
    assert.match(r.out, /nf4/);
  });
});
