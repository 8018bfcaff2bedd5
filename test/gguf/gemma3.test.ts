// gemma3 GGUFs as llama.cpp names them (docs/formats/gguf.md, "Gemma 3"), built byte by byte with the test-side
// writer: metadata → Gemma3TextConfig fields, tensor names, norms stored as 1 + w, and bad keys named.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { GgufModel, llamaCppQueryPreAttnScalar, slidingLayersOfPeriod, swaPeriodOf } from "../../src/gguf/index.js";
import { parseModelConfig } from "../../src/model/index.js";
import { InputError } from "../../src/util/errors.js";
import type { Meta, RawTensor } from "../support/gguf-bytes.js";
import { f32Bytes, ggufBytes } from "../support/gguf-bytes.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gguf-gemma3-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const HIDDEN = 8;
const FFN = 12;
const HEAD_DIM = 4;
// A SentencePiece vocabulary as the converter writes Gemma's: control, unknown, normal and one user-defined token.
// "\uFEFF//" beside "//" (Gemma 3 has both): a string's leading BOM is text, not an encoding mark.
const TOKENS = ["<pad>", "<eos>", "<bos>", "<unk>", "▁", "a", "b", "▁a", "ab", "<start_of_turn>", "<end_of_turn>", "  ", "//", "\uFEFF//"];
const TYPES = [3, 3, 3, 2, 1, 1, 1, 1, 1, 3, 3, 4, 1, 1];

/** Distinct, exactly representable values: stored norms v are chosen so that v − 1 is exact too. */
function ramp(n: number, start: number, step: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i * step);
}

function meta(layers: number): Meta[] {
  return [
    ["general.architecture", "string", "gemma3"],
    ["gemma3.context_length", "u32", 32768],
    ["gemma3.embedding_length", "u32", HIDDEN],
    ["gemma3.block_count", "u32", layers],
    ["gemma3.feed_forward_length", "u32", FFN],
    ["gemma3.attention.head_count", "u32", 2],
    ["gemma3.attention.head_count_kv", "u32", 1],
    ["gemma3.attention.key_length", "u32", HEAD_DIM],
    ["gemma3.attention.value_length", "u32", HEAD_DIM],
    ["gemma3.attention.layer_norm_rms_epsilon", "f32", 1e-6],
    ["gemma3.rope.freq_base", "f32", 1000000],
    ["gemma3.attention.sliding_window", "u32", 512],
    ["tokenizer.ggml.model", "string", "llama"],
    ["tokenizer.ggml.pre", "string", "default"],
    ["tokenizer.ggml.tokens", "string[]", TOKENS],
    ["tokenizer.ggml.scores", "f32[]", TOKENS.map((_, i) => -i)],
    ["tokenizer.ggml.token_type", "i32[]", TYPES],
    ["tokenizer.ggml.bos_token_id", "u32", 2],
    ["tokenizer.ggml.eos_token_id", "u32", 1],
    ["tokenizer.ggml.eot_token_id", "u32", 10],
    ["tokenizer.ggml.padding_token_id", "u32", 0],
    ["tokenizer.ggml.add_bos_token", "bool", true],
    ["tokenizer.ggml.add_space_prefix", "bool", false],
  ];
}

function tensors(layers: number): RawTensor[] {
  const f32 = (name: string, ne: number[], values: number[]): RawTensor => ({ name, ne, type: 0, data: f32Bytes(values) });
  const out = [f32("token_embd.weight", [HIDDEN, TOKENS.length], ramp(HIDDEN * TOKENS.length, -1, 1 / 64)), f32("output_norm.weight", [HIDDEN], ramp(HIDDEN, 1.5, 0.25))];
  for (let i = 0; i < layers; i++) {
    const b = `blk.${i}.`;
    out.push(
      f32(`${b}attn_norm.weight`, [HIDDEN], ramp(HIDDEN, 0.5, 0.125)),
      f32(`${b}attn_q.weight`, [HIDDEN, 2 * HEAD_DIM], ramp(HIDDEN * 2 * HEAD_DIM, 0, 1 / 32)),
      f32(`${b}attn_k.weight`, [HIDDEN, HEAD_DIM], ramp(HIDDEN * HEAD_DIM, 0, -1 / 32)),
      f32(`${b}attn_v.weight`, [HIDDEN, HEAD_DIM], ramp(HIDDEN * HEAD_DIM, 1, 1 / 32)),
      f32(`${b}attn_output.weight`, [2 * HEAD_DIM, HIDDEN], ramp(HIDDEN * 2 * HEAD_DIM, -1, 1 / 32)),
      f32(`${b}attn_q_norm.weight`, [HEAD_DIM], [0.75, 1, 1.25, 2]),
      f32(`${b}attn_k_norm.weight`, [HEAD_DIM], [2, 1.5, 1, 0.5]),
      f32(`${b}post_attention_norm.weight`, [HIDDEN], ramp(HIDDEN, 1, 0.5)),
      f32(`${b}ffn_norm.weight`, [HIDDEN], ramp(HIDDEN, 2, -0.125)),
      f32(`${b}ffn_gate.weight`, [HIDDEN, FFN], ramp(HIDDEN * FFN, 0, 1 / 128)),
      f32(`${b}ffn_up.weight`, [HIDDEN, FFN], ramp(HIDDEN * FFN, 0, -1 / 128)),
      f32(`${b}ffn_down.weight`, [FFN, HIDDEN], ramp(HIDDEN * FFN, 1, -1 / 128)),
      f32(`${b}post_ffw_norm.weight`, [HIDDEN], ramp(HIDDEN, 3, -0.25)),
    );
  }
  return out;
}

/** A gemma3 GGUF; `edit` sets (value) or drops (undefined) metadata keys. */
function gemma3File(name: string, options: { layers?: number; edit?: Record<string, [Meta[1], unknown] | undefined>; rename?: [string, string] } = {}): string {
  const layers = options.layers ?? 7;
  const byKey = new Map(meta(layers).map((m) => [m[0], m]));
  for (const [key, v] of Object.entries(options.edit ?? {})) {
    if (v === undefined) byKey.delete(key);
    else byKey.set(key, [key, v[0], v[1]]);
  }
  const ts = tensors(layers).map((t) => (options.rename && t.name === options.rename[0] ? { ...t, name: options.rename[1] } : t));
  const file = path.join(tmp, `${name}.gguf`);
  fs.writeFileSync(file, ggufBytes([...byKey.values()], ts));
  return file;
}

const S = "sliding_attention";
const F = "full_attention";

describe("gemma3 GGUF → config.json", () => {
  test("the keys become Gemma3TextConfig's fields; llama.cpp's defaults fill the pattern (period 6) and the local rope base (10000)", () => {
    const model = GgufModel.open(gemma3File("default"));
    try {
      // What transformers' Gemma3TextConfig holds for this model (its own spelling: v5 rope_parameters, layer_types).
      assert.deepEqual(model.config, {
        architectures: ["Gemma3ForCausalLM"],
        model_type: "gemma3_text",
        hidden_activation: "gelu_pytorch_tanh",
        hidden_size: HIDDEN,
        intermediate_size: FFN,
        num_hidden_layers: 7,
        num_attention_heads: 2,
        num_key_value_heads: 1,
        head_dim: HEAD_DIM,
        rms_norm_eps: Math.fround(1e-6),
        max_position_embeddings: 32768,
        vocab_size: TOKENS.length,
        tie_word_embeddings: true,
        torch_dtype: "bfloat16",
        query_pre_attn_scalar: HEAD_DIM,
        sliding_window: 512,
        layer_types: [S, S, S, S, S, F, S],
        rope_parameters: { full_attention: { rope_type: "default", rope_theta: 1000000 }, sliding_attention: { rope_type: "default", rope_theta: 10000 } },
        final_logit_softcapping: null,
        attn_logit_softcapping: null,
        use_bidirectional_attention: false,
        attention_bias: false,
        bos_token_id: 2,
        eos_token_id: 1,
        pad_token_id: 0,
      });
      assert.deepEqual(model.generationConfig, { bos_token_id: 2, eos_token_id: [1, 10] });
      const config = parseModelConfig(model.config, model.file);
      assert.deepEqual(config.slidingWindow, { size: 512, layers: [0, 1, 2, 3, 4, 6] });
      assert.equal(config.ropeTheta, 1000000);
      assert.equal(config.ropeLocalTheta, 10000);
      assert.equal(config.queryPreAttnScalar, HEAD_DIM);
      assert.equal(config.hiddenAct, "gelu_pytorch_tanh");
      assert.ok(config.rmsNormUnitOffset && config.sandwichNorms && config.scaleEmbeddings && config.qkNorm);
    } finally {
      model.close();
    }
  });

  test("sliding_window_pattern, freq_base_swa and a missing window", () => {
    const layerTypes = (edit: Record<string, [Meta[1], unknown] | undefined>, name: string) => {
      const model = GgufModel.open(gemma3File(name, { edit }));
      const c = model.config;
      model.close();
      return c;
    };
    assert.deepEqual(layerTypes({ "gemma3.attention.sliding_window_pattern": ["u32", 2] }, "p2").layer_types, [S, F, S, F, S, F, S]);
    assert.deepEqual(layerTypes({ "gemma3.attention.sliding_window_pattern": ["u32", 0] }, "p0").layer_types, [S, S, S, S, S, S, S]);
    const noWindow = layerTypes({ "gemma3.attention.sliding_window": undefined }, "nowin");
    assert.deepEqual(noWindow.layer_types, [F, F, F, F, F, F, F]);
    assert.equal(noWindow.sliding_window, 4096, "transformers' default: its Gemma3TextModel needs a window even when no layer slides");
    assert.equal(parseModelConfig(noWindow, "nowin").slidingWindow, null);
    const local = layerTypes({ "gemma3.rope.freq_base_swa": ["f32", 5000] }, "swa");
    assert.equal(parseModelConfig(local, "swa").ropeLocalTheta, 5000);
    // Ollama's converter: one bool per layer under the same key, and the local base as rope.local.freq_base.
    const ollama = layerTypes({ "gemma3.attention.sliding_window_pattern": ["bool[]", [true, false, false, true, true, true, false]], "gemma3.rope.local.freq_base": ["f32", 20000] }, "ollama");
    assert.deepEqual(ollama.layer_types, [S, F, F, S, S, S, F]);
    assert.equal(parseModelConfig(ollama, "ollama").ropeLocalTheta, 20000);
    // A soft-capped model reads as what it is; loraforge's config parser then refuses it by field.
    const capped = layerTypes({ "gemma3.final_logit_softcapping": ["f32", 30] }, "cap");
    assert.equal(capped.final_logit_softcapping, 30);
    assert.throws(() => parseModelConfig(capped, "cap"), /final_logit_softcapping/);
  });

  test("llama.cpp's attention scale and layer period, as functions of the shapes", () => {
    // Gemma 3 27B (62 layers): 1/√(hidden/heads) = 1/√168, its query_pre_attn_scalar; every other size 1/√head_dim.
    assert.equal(llamaCppQueryPreAttnScalar(62, 5376, 32, 128), 168);
    assert.equal(llamaCppQueryPreAttnScalar(26, 1152, 4, 256), 256);
    assert.deepEqual(slidingLayersOfPeriod(6, 13), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12]);
    assert.equal(swaPeriodOf([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12], 13), 6);
    assert.equal(swaPeriodOf([0, 1, 2], 4), 4);
    assert.equal(swaPeriodOf([0, 1, 2, 3], 4), 0);
    assert.equal(swaPeriodOf([], 4), undefined);
    assert.equal(swaPeriodOf([1, 2], 4), undefined, "a pattern starting with a full layer has no period");
    assert.equal(swaPeriodOf([0, 2, 3], 4), undefined);
  });
});

describe("gemma3 GGUF tensors", () => {
  test("llama.cpp's norm names map to Gemma's four norms, stored 1 + w read back as w; q/k rows are not reordered", () => {
    const file = gemma3File("tensors", { layers: 2 });
    const model = GgufModel.open(file);
    try {
      const stored = (name: string) => {
        const info = model.gguf.tensor(name);
        const b = model.gguf.readBytes(info);
        return Array.from(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4));
      };
      const pairs: Array<[string, string]> = [
        ["blk.1.attn_norm.weight", "model.layers.1.input_layernorm.weight"],
        ["blk.1.post_attention_norm.weight", "model.layers.1.post_attention_layernorm.weight"],
        ["blk.1.ffn_norm.weight", "model.layers.1.pre_feedforward_layernorm.weight"],
        ["blk.1.post_ffw_norm.weight", "model.layers.1.post_feedforward_layernorm.weight"],
        ["blk.0.attn_q_norm.weight", "model.layers.0.self_attn.q_norm.weight"],
        ["blk.0.attn_k_norm.weight", "model.layers.0.self_attn.k_norm.weight"],
        ["output_norm.weight", "model.norm.weight"],
      ];
      for (const [gguf, hf] of pairs) assert.deepEqual(Array.from(model.readF32(hf)), stored(gguf).map((v) => v - 1), hf);
      for (const [gguf, hf] of [
        ["blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight"],
        ["blk.0.attn_k.weight", "model.layers.0.self_attn.k_proj.weight"],
        ["blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight"],
        ["token_embd.weight", "model.embed_tokens.weight"],
      ]) {
        assert.deepEqual(Array.from(model.readF32(hf)), stored(gguf), `${hf} is copied as stored`);
      }
      assert.deepEqual(model.shape("model.layers.0.self_attn.q_proj.weight"), [2 * HEAD_DIM, HIDDEN]);
      assert.equal(model.tensorNames().filter((n) => /norm/.test(n)).length, 2 * 6 + 1);
    } finally {
      model.close();
    }
  });

  test("the tokenizer: SentencePiece without a space prefix, the user-defined run of spaces matched whole", () => {
    const model = GgufModel.open(gemma3File("tok", { layers: 1 }));
    try {
      const { tokenizerJson, tokenizerConfig } = model.tokenizer;
      assert.deepEqual(tokenizerJson.normalizer, { type: "Sequence", normalizers: [{ type: "Replace", pattern: { String: " " }, content: "▁" }] });
      const added = tokenizerJson.added_tokens as Array<{ id: number; content: string; special: boolean }>;
      assert.deepEqual(added.find((t) => t.id === 11), { id: 11, content: "  ", single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
      const vocab = (tokenizerJson.model as { vocab: Record<string, number> }).vocab;
      assert.deepEqual([vocab["//"], vocab["\uFEFF//"]], [12, 13]);
      // Merges as pairs (a piece may hold spaces), ranked by the joined piece's score: "▁a" (−7) before "ab" (−8).
      assert.deepEqual((tokenizerJson.model as { merges: unknown }).merges, [["▁", "a"], ["a", "b"]]);
      // transformers 5 rebuilds the pipeline of the named class: Gemma's is the one without the ▁ prefix.
      assert.equal(tokenizerConfig.tokenizer_class, "GemmaTokenizer");
      assert.equal(tokenizerConfig.add_bos_token, true);
      assert.equal(tokenizerConfig.bos_token, "<bos>");
      assert.equal(tokenizerConfig.eos_token, "<eos>");
    } finally {
      model.close();
    }
  });
});

describe("gemma3 GGUF: bad input is an InputError naming the key or tensor", () => {
  const refused = (file: string, pattern: RegExp) =>
    assert.throws(() => GgufModel.open(file).close(), (e: unknown) => e instanceof InputError && e.message.includes(file) && pattern.test(e.message), String(pattern));

  test("mistyped and missing keys", () => {
    refused(gemma3File("bad-window", { edit: { "gemma3.attention.sliding_window": ["string", "512"] } }), /gemma3\.attention\.sliding_window: expected a non-negative integer/);
    refused(gemma3File("bad-pattern", { edit: { "gemma3.attention.sliding_window_pattern": ["f32", 6.5] } }), /gemma3\.attention\.sliding_window_pattern: expected a non-negative integer/);
    refused(gemma3File("bad-swa", { edit: { "gemma3.rope.freq_base_swa": ["f32", -1] } }), /gemma3\.rope\.freq_base_swa: -1 is not a positive rope base/);
    refused(gemma3File("short-bools", { edit: { "gemma3.attention.sliding_window_pattern": ["bool[]", [true, false]] } }), /gemma3\.attention\.sliding_window_pattern: expected a period or one bool per layer \(7\), found an array of 2/);
    refused(gemma3File("no-eps", { edit: { "gemma3.attention.layer_norm_rms_epsilon": undefined } }), /gemma3\.attention\.layer_norm_rms_epsilon: metadata key is missing/);
    refused(gemma3File("no-ffn", { edit: { "gemma3.feed_forward_length": undefined } }), /gemma3\.feed_forward_length: metadata key is missing/);
  });

  test("a llama tensor name in a gemma3 file (and the reverse) has no counterpart", () => {
    refused(gemma3File("llama-name", { layers: 1, rename: ["blk.0.post_ffw_norm.weight", "blk.0.ffn_post_norm.weight"] }), /tensor blk\.0\.ffn_post_norm\.weight has no Hugging Face counterpart/);
    refused(gemma3File("as-llama", { layers: 1, edit: { "general.architecture": ["string", "llama"], "llama.embedding_length": ["u32", HIDDEN], "llama.block_count": ["u32", 1], "llama.feed_forward_length": ["u32", FFN], "llama.attention.head_count": ["u32", 2], "llama.attention.layer_norm_rms_epsilon": ["f32", 1e-6], "llama.context_length": ["u32", 64], "llama.attention.key_length": ["u32", HEAD_DIM] } }), /tensor blk\.0\.post_attention_norm\.weight has no Hugging Face counterpart/);
  });
});
