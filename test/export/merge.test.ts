import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { exportGguf } from "../../src/export/index.js";
import { attachAdapter, loadAdapter } from "../../src/lora/index.js";
import type { LoadModelOptions } from "../../src/model/index.js";
import { loadModel } from "../../src/model/index.js";
import { runCliInProcess as cli } from "../helpers/cli.js";
import { modelFolder, prompts, randomAdapter } from "./fixtures.js";
import { compare, ourLogProbs } from "./llama-cpp.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-merge-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const base = () => modelFolder(path.join(tmp, "llama"), { arch: "llama", tieWordEmbeddings: true });

/** The independent path: the base with the adapter attached, y = W·x + s·B·(A·x) in our forward. */
function adapterOnBase(dir: string, adapter: string, options: LoadModelOptions = {}) {
  const model = loadModel(dir, options);
  attachAdapter(model, loadAdapter(model, adapter));
  return model;
}

/**
 * Bounds, log-probabilities over 3 prompts of the tiny model: a merged f32 folder differs from adapter-on-base by
 * f32 rounding of (W + sBA)·x vs W·x + s·B·(A·x) (measured 1.3e-5); bf16 storage adds one rounding of every
 * weight to 8 bits of mantissa (measured 7.7e-2, top-1 unchanged).
 */
const F32_BOUND = 1e-4;
const BF16_BOUND = 0.1;

describe("loraforge merge", () => {
  it("--dtype f32: the merged folder's logits equal adapter-on-base to f32 rounding; bf16 within its rounding; a complete HF folder", async (t) => {
    const adapter = randomAdapter(path.join(tmp, "adapter"), base(), { r: 8, alpha: 16 });
    const ids = prompts(32000, 1);
    const reference = ourLogProbs(adapterOnBase(base(), adapter), ids);
    for (const dtype of ["f32", "bf16"] as const) {
      const out = path.join(tmp, `merged-${dtype}`);
      const { code, out: printed } = await cli("merge", "--model", base(), "--adapter", adapter, "--out", out, "--dtype", dtype);
      assert.equal(code, 0, printed);
      assert.match(printed, /28 modules, s = 2, stored as/);
      const a = compare(reference, ourLogProbs(loadModel(out), ids));
      t.diagnostic(`${dtype}: max |Δ log p| ${a.maxLogProbDiff.toExponential(2)}, top-1 ${a.top1}`);
      assert.ok(a.maxLogProbDiff <= (dtype === "f32" ? F32_BOUND : BF16_BOUND), `${dtype}: ${a.maxLogProbDiff}`);
      const config = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8")) as Record<string, unknown>;
      assert.equal(config.torch_dtype, dtype === "f32" ? "float32" : "bfloat16");
      for (const f of ["model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "README.md"]) assert.ok(fs.existsSync(path.join(out, f)), f);
      const card = fs.readFileSync(path.join(out, "README.md"), "utf8");
      assert.match(card, /base_model: .*llama/);
      assert.match(card, /LoRA adapter `.*adapter` merged in \(W \+ s·B·A, s = 2, r = 8, 28 modules\)/);
    }
  });

  it("shards above --max-shard-size with an index; the sharded folder loads to the same logits", async () => {
    const adapter = randomAdapter(path.join(tmp, "adapter-shard"), base(), { r: 4, targets: ["q_proj", "v_proj"] });
    const out = path.join(tmp, "sharded");
    const { code, out: printed } = await cli("merge", "--model", base(), "--adapter", adapter, "--out", out, "--dtype", "f32", "--max-shard-size", "8MB");
    assert.equal(code, 0, printed);
    const shards = fs.readdirSync(out).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    assert.ok(shards.length >= 2, `shards: ${shards}`);
    assert.ok(fs.existsSync(path.join(out, "model.safetensors.index.json")));
    const ids = prompts(32000, 1, [6]);
    const a = compare(ourLogProbs(adapterOnBase(base(), adapter), ids), ourLogProbs(loadModel(out), ids));
    assert.ok(a.maxLogProbDiff <= F32_BOUND, String(a.maxLogProbDiff));
  });

  it("a GGUF base: merged from the .gguf, the folder has the rebuilt tokenizer and the same logits", async () => {
    const gguf = path.join(tmp, "llama.gguf");
    exportGguf({ model: base(), out: gguf, type: "f32" });
    const adapter = randomAdapter(path.join(tmp, "adapter-gguf"), base(), { r: 4, alpha: 8, rslora: true });
    const out = path.join(tmp, "merged-from-gguf");
    const { code, out: printed } = await cli("merge", "--model", gguf, "--adapter", adapter, "--out", out, "--dtype", "f32");
    assert.equal(code, 0, printed);
    assert.ok(fs.existsSync(path.join(out, "tokenizer.json")) && fs.existsSync(path.join(out, "tokenizer_config.json")));
    const ids = prompts(32000, 1, [8]);
    const a = compare(ourLogProbs(adapterOnBase(base(), adapter), ids), ourLogProbs(loadModel(out), ids));
    assert.ok(a.maxLogProbDiff <= F32_BOUND, String(a.maxLogProbDiff));
  });

  it("a QLoRA adapter (run.json: nf4) merges into dequant(NF4 W), says so, and reports the difference to the 16-bit merge", async () => {
    const adapter = randomAdapter(path.join(tmp, "qlora-run"), base(), { r: 8, run: { quantization: "nf4" } });
    const out = path.join(tmp, "merged-qlora");
    const { code, out: printed } = await cli("merge", "--model", base(), "--adapter", adapter, "--out", out, "--dtype", "f32");
    assert.equal(code, 0, printed);
    assert.match(printed, /QLoRA adapter \(.*run\.json\): merged into dequant\(nf4\) base it was trained on; vs merging into the 16-bit base: ‖ΔW‖\/‖W‖ = \d\.\d+e-\d/);
    const rel = Number(/‖ΔW‖\/‖W‖ = ([\d.e-]+)/.exec(printed)![1]);
    assert.ok(rel > 0.01 && rel < 0.2, `NF4 relative error ${rel}`);
    assert.match(fs.readFileSync(path.join(out, "README.md"), "utf8"), /## QLoRA merge/);
    const ids = prompts(32000, 1, [8]);
    const trained = ourLogProbs(adapterOnBase(base(), adapter, { quantization: "nf4" }), ids);
    const a = compare(trained, ourLogProbs(loadModel(out), ids));
    assert.ok(a.maxLogProbDiff <= F32_BOUND, `vs the 4-bit base + adapter: ${a.maxLogProbDiff}`);
    const full = path.join(tmp, "merged-qlora-full");
    const second = await cli("merge", "--model", base(), "--adapter", adapter, "--out", full, "--dtype", "f32", "--merge-into", "full");
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /merged into the 16-bit base although .*run\.json says the adapter was trained on a nf4 base/);
    const b = compare(ourLogProbs(adapterOnBase(base(), adapter), ids), ourLogProbs(loadModel(full), ids));
    assert.ok(b.maxLogProbDiff <= F32_BOUND, `vs the 16-bit base + adapter: ${b.maxLogProbDiff}`);
  });

  it("refuses an adapter for another base (shapes; base_model_name_or_path) and an existing --out", async () => {
    // Only its config is read (to shape the adapter): another FFN width.
    const other = modelFolder(path.join(tmp, "qwen3-other"), { arch: "qwen3", tokenizer: undefined, vocabSize: 64, edit: (c) => (c.intermediate_size = 512) });
    const foreign = randomAdapter(path.join(tmp, "adapter-qwen3"), other, { r: 4 });
    const shapes = await cli("merge", "--model", base(), "--adapter", foreign, "--out", path.join(tmp, "x1"), "--ignore-base-name");
    assert.equal(shapes.code, 1);
    assert.match(shapes.out, /model\.layers\.0\.mlp\.down_proj: lora_A \[4,512\] \/ lora_B \[256,4\] do not fit the base layer \[256, 688\]/);
    assert.match(shapes.out, /adapter for another base model\?/);
    // Same layer shapes, another model.
    const twin = modelFolder(path.join(tmp, "mistral-twin"), { arch: "mistral", tokenizer: undefined, vocabSize: 64 });
    const named = await cli("merge", "--model", base(), "--adapter", randomAdapter(path.join(tmp, "adapter-twin"), twin, { r: 4 }), "--out", path.join(tmp, "x2"));
    assert.equal(named.code, 1);
    assert.match(named.out, /base_model_name_or_path: the adapter was trained on ".*mistral-twin", not on ".*llama"/);
    assert.match(named.out, /--ignore-base-name/);
    const adapter = randomAdapter(path.join(tmp, "adapter"), base());
    fs.mkdirSync(path.join(tmp, "taken"));
    const taken = await cli("merge", "--model", base(), "--adapter", adapter, "--out", path.join(tmp, "taken"));
    assert.equal(taken.code, 1);
    assert.match(taken.out, /--out .*taken already exists/);
    assert.ok(!fs.existsSync(path.join(tmp, "x1")) && !fs.existsSync(path.join(tmp, "x2")));
  });
});
