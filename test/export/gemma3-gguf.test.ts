// A Gemma 3 folder exported to a gemma3 GGUF, judged by llama.cpp (node-llama-cpp 3.21.1): its next-token
// distributions against our forward on the folder, on prompts longer than the sliding window; the GGUF read back;
// a GGUF LoRA for it. docs/formats/gguf.md, "Gemma 3".
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CheckpointReader, writeCheckpoint } from "../../src/formats/index.js";
import { exportGguf } from "../../src/export/index.js";
import { GgufFile, GgufModel, importGguf } from "../../src/gguf/index.js";
import { attachAdapter, loadAdapter } from "../../src/lora/index.js";
import { loadModel, parseModelConfig, weightSchema } from "../../src/model/index.js";
import { Tensor } from "../../src/tensor/index.js";
import { loadTokenizer } from "../../src/tokenizer/index.js";
import { InputError } from "../../src/util/errors.js";
import { Rng } from "../../src/util/rng.js";
import { runCliInProcess as cli } from "../helpers/cli.js";
import { GEMMA3_TOKENIZER, randomAdapter } from "./fixtures.js";
import { compare, llamaLogProbs, ourLogProbs } from "./llama-cpp.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-gemma3-gguf-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const WINDOW = 4;
const S = "sliding_attention";
const F = "full_attention";

/**
 * A tiny Gemma 3 as transformers 5 writes its config: three sliding layers then a full one (llama.cpp period 4), a
 * 4-token window, different rope bases for the two kinds, query_pre_attn_scalar = head_dim (what llama.cpp
 * computes), Gemma 3's real tokenizer and its 262,144 embedding rows.
 */
const CONFIG = {
  architectures: ["Gemma3ForCausalLM"],
  model_type: "gemma3_text",
  vocab_size: 262144,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 4,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  head_dim: 32,
  hidden_activation: "gelu_pytorch_tanh",
  query_pre_attn_scalar: 32,
  rms_norm_eps: 1e-6,
  max_position_embeddings: 512,
  sliding_window: WINDOW,
  layer_types: [S, S, S, F],
  rope_parameters: { full_attention: { rope_type: "default", rope_theta: 1000000 }, sliding_attention: { rope_type: "default", rope_theta: 10000 } },
  final_logit_softcapping: null,
  attn_logit_softcapping: null,
  use_bidirectional_attention: false,
  attention_bias: false,
  tie_word_embeddings: true,
  bos_token_id: 2,
  eos_token_id: [1, 106],
  pad_token_id: 0,
  torch_dtype: "float32",
};

/**
 * Random f32 weights; every norm w random too (so a missing or doubled 1 + w shows), the final norm around 5 so the
 * logits spread (N(0, 0.05) embedding rows would otherwise give near-uniform distributions).
 */
function gemmaFolder(dir: string, edit: (config: Record<string, unknown>) => void = () => {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const config: Record<string, unknown> = structuredClone(CONFIG);
  edit(config);
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, 2));
  fs.writeFileSync(path.join(dir, "generation_config.json"), JSON.stringify({ bos_token_id: 2, eos_token_id: [1, 106], pad_token_id: 0 }));
  for (const f of ["tokenizer.json", "tokenizer_config.json"]) fs.copyFileSync(path.join(GEMMA3_TOKENIZER, f), path.join(dir, f));
  const rng = new Rng(3);
  const sources = weightSchema(parseModelConfig(config, dir)).map((spec) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const norm = spec.name.endsWith("norm.weight");
    const [mean, std] = spec.name === "model.norm.weight" ? [5, 0.5] : norm ? [0, 0.3] : spec.name.includes("embed_tokens") ? [0, 0.05] : [0, 0.1];
    const values = Float32Array.from({ length: n }, () => mean + std * rng.normal());
    return { name: spec.name, dtype: "f32" as const, shape: spec.shape, load: () => new Tensor("f32", [...spec.shape], values) };
  });
  writeCheckpoint(dir, sources);
  return dir;
}

/** The same folder under another config.json (weights hard-linked). */
function withConfig(from: string, dir: string, edit: (config: Record<string, unknown>) => void): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(from)) {
    if (f === "config.json") continue;
    fs.linkSync(path.join(from, f), path.join(dir, f));
  }
  const config = JSON.parse(fs.readFileSync(path.join(from, "config.json"), "utf8")) as Record<string, unknown>;
  edit(config);
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  return dir;
}

/**
 * The bound. llama.cpp's CPU GELU reads a table indexed by the input rounded to f16 (GGML_GELU_FP16 in ggml-cpu),
 * so GeGLU activations carry ~1e-3 relative error that f32 arithmetic elsewhere does not; measured below, asserted
 * with margin.
 */
const BOUND = 5e-3;

let dir: string;
let gguf: string;
let ids: number[][];

before(() => {
  dir = gemmaFolder(path.join(tmp, "gemma3"));
  gguf = path.join(tmp, "gemma3.gguf");
  exportGguf({ model: dir, out: gguf, type: "f32" });
  const tok = loadTokenizer(dir);
  ids = ["The quick brown fox jumps over the lazy dog near the river bank.", "<start_of_turn>user\nWhat is 12 + 30?<end_of_turn>\n<start_of_turn>model\n"].map((text) =>
    tok.encode(text, { addSpecialTokens: true }),
  );
});

describe("export gguf of a Gemma 3 folder", () => {
  it("writes llama.cpp's gemma3 keys and names, norms as 1 + w, no q/k reordering", () => {
    const g = GgufFile.open(gguf);
    try {
      const md = g.metadata;
      assert.equal(md.string("general.architecture"), "gemma3");
      assert.equal(md.u32("gemma3.attention.sliding_window"), WINDOW);
      assert.equal(md.u32("gemma3.attention.sliding_window_pattern"), 4);
      assert.equal(md.number("gemma3.rope.freq_base"), 1000000);
      assert.equal(md.number("gemma3.rope.freq_base_swa"), 10000);
      assert.equal(md.u32("gemma3.attention.key_length"), 32);
      assert.equal(md.string("tokenizer.ggml.model"), "llama");
      assert.equal(md.optBool("tokenizer.ggml.add_space_prefix"), false);
      assert.equal(md.u32("tokenizer.ggml.eot_token_id"), 106);
      assert.equal(md.stringArray("tokenizer.ggml.tokens").length, 262144, "the image token past the embedding rows is left out");
      assert.ok(!g.tensors.has("output.weight"));
      const reader = CheckpointReader.open(dir);
      const stored = (name: string) => {
        const b = g.readBytes(g.tensor(name));
        return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      };
      for (const [ggufName, hf] of [
        ["blk.2.post_attention_norm.weight", "model.layers.2.post_attention_layernorm.weight"],
        ["blk.2.ffn_norm.weight", "model.layers.2.pre_feedforward_layernorm.weight"],
        ["blk.2.post_ffw_norm.weight", "model.layers.2.post_feedforward_layernorm.weight"],
        ["blk.0.attn_k_norm.weight", "model.layers.0.self_attn.k_norm.weight"],
        ["output_norm.weight", "model.norm.weight"],
      ]) {
        const w = reader.read(hf, "f32").data as Float32Array;
        assert.deepEqual(stored(ggufName), w.map((x) => x + 1), ggufName);
      }
      const q = reader.read("model.layers.1.self_attn.q_proj.weight", "f32").data as Float32Array;
      assert.deepEqual(stored("blk.1.attn_q.weight"), q, "q rows as HF stores them (llama.cpp's gemma3 RoPE is NEOX)");
      reader.close();
    } finally {
      g.close();
    }
  });

  it("llama.cpp's next-token log-probs equal our forward on the folder, on prompts longer than the window", async (t) => {
    assert.ok(ids.every((p) => p.length > 3 * WINDOW), `prompts of ${ids.map((p) => p.length).join(", ")} tokens`);
    const ours = ourLogProbs(loadModel(dir), ids);
    const theirs = await llamaLogProbs(gguf, ids);
    const a = compare(ours, theirs);
    t.diagnostic(`gemma3 f32: max |Δ log p| ${a.maxLogProbDiff.toExponential(2)}, mean KL ${a.meanKl.toExponential(2)}, top-1 ${a.top1} over ${a.positions} positions`);
    assert.ok(a.maxLogProbDiff <= BOUND, `max |Δ log p| = ${a.maxLogProbDiff}`);
    assert.equal(a.top1, 1);
    // The window matters on these prompts: without it our forward is far from llama.cpp's.
    const unwindowed = withConfig(dir, path.join(tmp, "no-window"), (c) => (c.layer_types = [F, F, F, F]));
    const b = compare(ourLogProbs(loadModel(unwindowed), ids), theirs);
    t.diagnostic(`without the window: max |Δ log p| ${b.maxLogProbDiff.toExponential(2)}`);
    assert.ok(b.maxLogProbDiff > 20 * BOUND, `the window changes the output (${b.maxLogProbDiff})`);
  });

  it("reads back: the same config, the same weights (norms through f32 1 + w), the same forward; import writes the HF folder", () => {
    const folder = parseModelConfig(CONFIG, dir);
    const back = GgufModel.open(gguf);
    const reader = CheckpointReader.open(dir);
    try {
      assert.deepEqual(parseModelConfig(back.config, gguf), { ...folder, torchDtype: "bfloat16", rmsNormEps: Math.fround(1e-6) });
      for (const spec of weightSchema(folder)) {
        const want = reader.read(spec.name, "f32").data as Float32Array;
        const got = back.readF32(spec.name);
        // A norm comes back as f32(f32(1 + w) − 1): w up to half an ulp of 1 + w.
        const expected = spec.name.endsWith("norm.weight") ? want.map((w) => Math.fround(w + 1) - 1) : want;
        assert.deepEqual(got, expected, spec.name);
      }
    } finally {
      reader.close();
      back.close();
    }
    const imported = path.join(tmp, "imported");
    importGguf(gguf, imported, { dtype: "f32" });
    const config = JSON.parse(fs.readFileSync(path.join(imported, "config.json"), "utf8"));
    assert.deepEqual([config.architectures, config.model_type, config.layer_types, config.sliding_window, config.query_pre_attn_scalar], [CONFIG.architectures, CONFIG.model_type, CONFIG.layer_types, WINDOW, 32]);
    const a = compare(ourLogProbs(loadModel(dir), ids), ourLogProbs(loadModel(imported), ids));
    assert.ok(a.maxLogProbDiff <= 1e-5, `imported folder vs source folder: ${a.maxLogProbDiff}`);
    const fromGguf = compare(ourLogProbs(loadModel(dir), ids), ourLogProbs(loadModel(gguf), ids));
    assert.ok(fromGguf.maxLogProbDiff <= 1e-5, `the .gguf loaded directly vs the source folder: ${fromGguf.maxLogProbDiff}`);
  });

  it("a GGUF LoRA on the gemma3 base runs in llama.cpp as the merged export and as our adapter-attached forward", async (t) => {
    const adapter = randomAdapter(path.join(tmp, "adapter"), dir, { r: 4, alpha: 8 });
    const merged = path.join(tmp, "gemma3-merged.gguf");
    const lora = path.join(tmp, "gemma3-lora.gguf");
    exportGguf({ model: dir, adapter, out: merged, type: "f32" });
    const { code, out } = await cli("export", "gguf-adapter", "--adapter", adapter, "--model", gguf, "--out", lora);
    assert.equal(code, 0, out);
    const g = GgufFile.open(lora);
    assert.equal(g.metadata.string("general.architecture"), "gemma3");
    assert.deepEqual(g.tensor("blk.3.attn_q.weight.lora_b").ne, [4, 64]);
    g.close();
    const viaLora = await llamaLogProbs(gguf, ids, lora);
    const a = compare(await llamaLogProbs(merged, ids), viaLora);
    const model = loadModel(dir);
    attachAdapter(model, loadAdapter(model, adapter));
    const b = compare(ourLogProbs(model, ids), viaLora);
    t.diagnostic(`merged vs base + LoRA (llama.cpp): ${a.maxLogProbDiff.toExponential(2)}; ours attached vs llama.cpp base + LoRA: ${b.maxLogProbDiff.toExponential(2)}`);
    assert.ok(a.maxLogProbDiff <= BOUND, `llama.cpp merged vs base + LoRA file: ${a.maxLogProbDiff}`);
    assert.ok(b.maxLogProbDiff <= BOUND, `ours (adapter attached) vs llama.cpp base + LoRA file: ${b.maxLogProbDiff}`);
    const without = compare(viaLora, await llamaLogProbs(gguf, ids));
    assert.ok(without.maxLogProbDiff > 20 * BOUND, "the adapter changes the output (the test could fail)");
  });

  it("refuses what llama.cpp would compute differently, naming the field", () => {
    const refused = (name: string, edit: (c: Record<string, unknown>) => void, field: string) => {
      const src = withConfig(dir, path.join(tmp, name), edit);
      const out = path.join(tmp, `${name}.gguf`);
      assert.throws(() => exportGguf({ model: src, out, type: "f32" }), (e: unknown) => e instanceof InputError && e.field === field && e.message.includes(src));
      assert.ok(!fs.existsSync(out));
    };
    refused("scalar", (c) => (c.query_pre_attn_scalar = 256), "query_pre_attn_scalar");
    refused("pattern", (c) => (c.layer_types = [F, S, S, S]), "layer_types");
  });
});
