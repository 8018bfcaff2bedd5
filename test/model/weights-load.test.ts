import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CheckpointReader, tensorSources, writeCheckpoint } from "../../src/formats/index.js";
import { loadWeights, planInitModel, readModelFolder, writeInitModel } from "../../src/model/index.js";
import { Tensor } from "../../src/tensor/index.js";
import { ConfigError, InputError } from "../../src/util/errors.js";
import { bitIdentical } from "../helpers/numeric.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-load-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A micro Qwen3 (q/k norms) and a micro tied Qwen2 (q/k/v biases) made by init-model. */
const qwen3 = path.join(tmp, "qwen3");
const qwen2 = path.join(tmp, "qwen2");
const gemma = path.join(tmp, "gemma3");
before(() => {
  writeInitModel(gemma, planInitModel({ preset: "tiny", arch: "gemma3", vocabSize: 64, seed: 3 }));
  writeInitModel(qwen3, planInitModel({ preset: "tiny", arch: "qwen3", vocabSize: 64, seed: 1 }));
  const tied = planInitModel({ preset: "tiny", arch: "qwen2", vocabSize: 64, seed: 2 });
  tied.config.tieWordEmbeddings = true;
  writeInitModel(qwen2, tied);
});

/** A copy of a model folder whose weights were rewritten by `edit` (name → tensor, in memory). */
function withWeights(from: string, name: string, edit: (w: Map<string, Tensor>) => void): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(from, "config.json"), path.join(dir, "config.json"));
  const r = CheckpointReader.open(from);
  const w = new Map(r.names().map((n) => [n, r.read(n)]));
  r.close();
  edit(w);
  writeCheckpoint(dir, tensorSources(w));
  return dir;
}

function inputError(file: string, pattern: RegExp) {
  return (e: unknown) => e instanceof InputError && e.message.includes(file) && pattern.test(e.message);
}

describe("loading model weights", () => {
  it("reads every tensor by the schema, as bf16 bits or f32 values; norms and biases are f32; tied lm_head", () => {
    const { config } = readModelFolder(qwen2);
    const r = CheckpointReader.open(qwen2);
    const q = r.read("model.layers.1.self_attn.q_proj.weight");
    const qBias = r.read("model.layers.1.self_attn.q_proj.bias");
    r.close();
    const bf = loadWeights(qwen2, config, { dtype: "bf16" });
    assert.ok(bitIdentical(bf.layers[1].attention.qProj.weight, q));
    assert.ok(bitIdentical(bf.layers[1].attention.qProj.bias!, qBias.to("f32")));
    assert.equal(bf.layers[1].attention.oProj.bias, undefined);
    assert.equal(bf.layers[0].inputLayernorm.dtype, "f32");
    const f32 = loadWeights(qwen2, config);
    assert.ok(bitIdentical(f32.layers[1].attention.qProj.weight, q.to("f32")));
    assert.equal(f32.lmHead, f32.embedTokens, "tied");
    assert.equal(f32.layers.length, 4);
    assert.deepEqual(f32.embedTokens.shape, [64, 256]);
  });

  it("wires q/k norms and an untied lm_head", () => {
    const { config } = readModelFolder(qwen3);
    const w = loadWeights(qwen3, config);
    assert.deepEqual(w.layers[3].attention.qNorm?.shape, [32]);
    assert.deepEqual(w.layers[3].attention.kNorm?.shape, [32]);
    assert.equal(config.tieWordEmbeddings, false);
    assert.notEqual(w.lmHead, w.embedTokens);
  });

  it("gemma3: norms are held as their multiplier 1 + w (in f32), four per layer plus q/k norms; embeddings tied", () => {
    const { config } = readModelFolder(gemma);
    const init = loadWeights(gemma, config);
    // init-model writes Gemma norms as multiplier − 1 = 0, so every loaded multiplier is exactly 1.
    const layer = init.layers[2];
    for (const t of [layer.inputLayernorm, layer.postAttentionLayernorm, layer.sandwich?.preFeedforwardLayernorm, layer.sandwich?.postFeedforwardLayernorm, layer.attention.qNorm, layer.attention.kNorm, init.norm]) {
      assert.ok(t && t.dtype === "f32" && Array.from(t.data).every((v) => v === 1));
    }
    assert.equal(init.lmHead, init.embedTokens);
    assert.equal(layer.mlp.activation, "gelu_pytorch_tanh");
    const stored = Float32Array.from({ length: 256 }, (_, i) => (i - 128) / 37);
    const edited = withWeights(gemma, "gemma3-edited", (w) => {
      w.set("model.layers.2.pre_feedforward_layernorm.weight", new Tensor("f32", [256], stored.slice()));
      w.set("model.norm.weight", new Tensor("f32", [256], stored.slice()).to("bf16"));
    });
    const w = loadWeights(edited, config, { dtype: "bf16" });
    const want = stored.map((x) => Math.fround(1 + x));
    assert.deepEqual(Array.from(w.layers[2].sandwich!.preFeedforwardLayernorm.data), Array.from(want));
    const bf = new Tensor("f32", [256], stored.slice()).to("bf16").to("f32").data as Float32Array;
    assert.deepEqual(Array.from(w.norm.data), Array.from(bf.map((x) => Math.fround(1 + x))), "a bf16 w widened to f32, then 1 + w in f32");
  });

  it("reads sharded checkpoints and F16 weights, and ignores rotary inv_freq buffers", () => {
    const dir = path.join(tmp, "sharded");
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(qwen3, "config.json"), path.join(dir, "config.json"));
    const r = CheckpointReader.open(qwen3);
    const sources = r.names().map((n) => ({ name: n, dtype: "f16" as const, shape: r.locate(n).entry.shape, load: () => r.read(n, "f16") }));
    sources.push({ name: "model.layers.0.self_attn.rotary_emb.inv_freq", dtype: "f16", shape: [16], load: () => Tensor.zeros([16], "f16") });
    writeCheckpoint(dir, sources, { maxShardBytes: 300_000 });
    r.close();
    assert.ok(fs.existsSync(path.join(dir, "model.safetensors.index.json")));
    const { config } = readModelFolder(dir);
    const w = loadWeights(dir, config, { dtype: "bf16" });
    const ref = loadWeights(qwen3, config, { dtype: "f32" });
    assert.ok(bitIdentical(w.layers[2].mlp.downProj.weight.to("f32"), ref.layers[2].mlp.downProj.weight.to("f16").to("f32")));
  });

  it("missing, unexpected and mis-shaped tensors name the file and the tensor", () => {
    const missing = withWeights(qwen2, "missing", (w) => w.delete("model.layers.2.mlp.up_proj.weight"));
    const { config } = readModelFolder(missing);
    assert.throws(() => loadWeights(missing, config), inputError("model.safetensors", /1 tensor\(s\) missing, e\.g\. model\.layers\.2\.mlp\.up_proj\.weight/));
    const extra = withWeights(qwen2, "extra", (w) => w.set("model.layers.9.mlp.up_proj.weight", Tensor.zeros([2], "bf16")));
    assert.throws(() => loadWeights(extra, config), inputError("model.safetensors", /unexpected tensor\(s\), e\.g\. model\.layers\.9\.mlp\.up_proj\.weight/));
    const shaped = withWeights(qwen2, "shaped", (w) => w.set("model.norm.weight", Tensor.zeros([255], "bf16")));
    assert.throws(() => loadWeights(shaped, config), inputError("model.safetensors", /model\.norm\.weight has shape \[255\] but config\.json implies \[256\]/));
    const ints = withWeights(qwen2, "ints", (w) => w.set("model.norm.weight", Tensor.zeros([256], "i32")));
    assert.throws(() => loadWeights(ints, config), /model\.norm\.weight is I32; model weights must be F32, BF16 or F16/);
  });

  it("missing or malformed config.json and a folder without weights", () => {
    const dir = path.join(tmp, "noconfig");
    fs.mkdirSync(dir);
    assert.throws(() => readModelFolder(dir), inputError("config.json", /config\.json is missing/));
    fs.writeFileSync(path.join(dir, "config.json"), "{ oops");
    assert.throws(() => readModelFolder(dir), inputError("config.json", /malformed JSON/));
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ architectures: ["BertModel"] }));
    assert.throws(() => readModelFolder(dir), (e: unknown) => e instanceof ConfigError && /config\.json: unsupported architectures\[0\] "BertModel"/.test(e.message));
    fs.copyFileSync(path.join(qwen2, "config.json"), path.join(dir, "config.json"));
    assert.throws(() => loadWeights(dir, readModelFolder(dir).config), /no model\.safetensors/);
  });

  it("eos ids come from generation_config.json when present", () => {
    fs.writeFileSync(path.join(qwen2, "generation_config.json"), JSON.stringify({ eos_token_id: [5, 7] }));
    assert.deepEqual(readModelFolder(qwen2).eosTokenIds, [5, 7]);
    fs.rmSync(path.join(qwen2, "generation_config.json"));
    assert.deepEqual(readModelFolder(qwen2).eosTokenIds, [2]);
  });
});
