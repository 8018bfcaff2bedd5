import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { modelConfigToJson, parseModelConfig, presetConfig, weightSchema } from "../../src/model/index.js";
import { ConfigError } from "../../src/util/errors.js";

/** Abridged real config.json files (values as the Hub's). */
const LLAMA_32_1B = {
  architectures: ["LlamaForCausalLM"],
  attention_bias: false,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_act: "silu",
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: "llama",
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: "llama3" },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  vocab_size: 128256,
};

const QWEN25_05B = {
  architectures: ["Qwen2ForCausalLM"],
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: "silu",
  hidden_size: 896,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  model_type: "qwen2",
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const QWEN3_06B = {
  architectures: ["Qwen3ForCausalLM"],
  attention_bias: false,
  head_dim: 128,
  hidden_act: "silu",
  hidden_size: 1024,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  model_type: "qwen3",
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

const MISTRAL_7B_V01 = {
  architectures: ["MistralForCausalLM"],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: "silu",
  hidden_size: 4096,
  intermediate_size: 14336,
  max_position_embeddings: 32768,
  model_type: "mistral",
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 10000.0,
  sliding_window: 4096,
  tie_word_embeddings: false,
  vocab_size: 32000,
};

/** google/gemma-3-270m's config.json (transformers 4.55 spelling: rope_theta + rope_local_base_freq). */
const GEMMA3_270M = {
  _sliding_window_pattern: 6,
  architectures: ["Gemma3ForCausalLM"],
  attention_bias: false,
  attention_dropout: 0.0,
  attn_logit_softcapping: null,
  bos_token_id: 2,
  eos_token_id: 1,
  final_logit_softcapping: null,
  head_dim: 256,
  hidden_activation: "gelu_pytorch_tanh",
  hidden_size: 640,
  initializer_range: 0.02,
  intermediate_size: 2048,
  layer_types: Array.from({ length: 18 }, (_, i) => ((i + 1) % 6 === 0 ? "full_attention" : "sliding_attention")),
  max_position_embeddings: 32768,
  model_type: "gemma3_text",
  num_attention_heads: 4,
  num_hidden_layers: 18,
  num_key_value_heads: 1,
  pad_token_id: 0,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_local_base_freq: 10000.0,
  rope_scaling: null,
  rope_theta: 1000000.0,
  sliding_window: 512,
  torch_dtype: "bfloat16",
  use_bidirectional_attention: false,
  use_cache: true,
  vocab_size: 262144,
};

function errorMatching(pattern: RegExp) {
  return (e: unknown) => e instanceof ConfigError && e.message.startsWith("cfg.json: ") && pattern.test(e.message);
}

describe("config.json parsing", () => {
  it("Llama 3.2 with llama3 rope scaling (rope_scaling spelling) and an eos list", () => {
    const c = parseModelConfig(LLAMA_32_1B, "cfg.json");
    assert.equal(c.architecture, "LlamaForCausalLM");
    assert.deepEqual([c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim], [2048, 16, 32, 8, 64]);
    assert.deepEqual(c.ropeScaling, { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    assert.equal(c.ropeTheta, 500000);
    assert.deepEqual(c.eosTokenIds, [128001, 128008, 128009]);
    assert.deepEqual([c.qkvBias, c.oBias, c.qkNorm, c.mlpBias, c.tieWordEmbeddings], [false, false, false, false, true]);
    assert.equal(c.slidingWindow, null);
  });

  it("the transformers v5 rope_parameters spelling and the legacy `type` key give the same config", () => {
    const { rope_scaling: scaling, rope_theta: theta, ...rest } = LLAMA_32_1B;
    const v5 = parseModelConfig({ ...rest, rope_parameters: { ...scaling, rope_theta: theta } }, "cfg.json");
    assert.deepEqual(v5, parseModelConfig(LLAMA_32_1B, "cfg.json"));
    const { rope_type: _, ...legacy } = scaling;
    assert.deepEqual(parseModelConfig({ ...LLAMA_32_1B, rope_scaling: { ...legacy, type: "llama3" } }, "cfg.json"), v5);
    const plain = parseModelConfig({ ...rest, rope_parameters: { rope_type: "default", rope_theta: 1e6 } }, "cfg.json");
    assert.deepEqual([plain.ropeScaling, plain.ropeTheta], [null, 1e6]);
  });

  it("Llama attention_bias puts a bias on q/k/v/o; mlp_bias on the MLP", () => {
    const c = parseModelConfig({ ...LLAMA_32_1B, attention_bias: true, mlp_bias: true }, "cfg.json");
    assert.deepEqual([c.qkvBias, c.oBias, c.mlpBias], [true, true, true]);
    const names = weightSchema({ ...c, numLayers: 1 }).map((s) => s.name);
    for (const n of ["q_proj.bias", "k_proj.bias", "v_proj.bias", "o_proj.bias", "gate_proj.bias", "down_proj.bias"]) {
      assert.ok(names.some((x) => x.endsWith(n)), n);
    }
  });

  it("Qwen2: q/k/v bias always, never o; no sliding window unless use_sliding_window", () => {
    const c = parseModelConfig({ ...QWEN25_05B, attention_bias: false }, "cfg.json");
    assert.deepEqual([c.qkvBias, c.oBias, c.qkNorm, c.headDim], [true, false, false, 64]);
    assert.equal(c.slidingWindow, null);
    const swa = parseModelConfig({ ...QWEN25_05B, use_sliding_window: true, sliding_window: 4096 }, "cfg.json");
    assert.deepEqual(swa.slidingWindow, { size: 4096, layers: [21, 22, 23] });
    const schema = weightSchema(c);
    const layer0 = schema.filter((s) => s.name.startsWith("model.layers.0."));
    assert.deepEqual(
      layer0.filter((s) => s.name.endsWith(".bias")).map((s) => [s.name, s.shape]),
      [
        ["model.layers.0.self_attn.q_proj.bias", [896]],
        ["model.layers.0.self_attn.k_proj.bias", [128]],
        ["model.layers.0.self_attn.v_proj.bias", [128]],
      ],
    );
    assert.equal(schema.some((s) => s.name === "lm_head.weight"), false, "tied");
  });

  it("Qwen2 sliding windows as Qwen2Config reads them: a null window means none, an explicit layer_types wins", () => {
    const on = { ...QWEN25_05B, use_sliding_window: true };
    assert.equal(parseModelConfig({ ...on, sliding_window: null }, "cfg.json").slidingWindow, null);
    assert.deepEqual(parseModelConfig({ ...on, sliding_window: 8 }, "cfg.json").slidingWindow?.layers, [21, 22, 23], "max_window_layers 21");
    const layerTypes = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? "sliding_attention" : "full_attention"));
    const typed = parseModelConfig({ ...on, sliding_window: 8, layer_types: layerTypes }, "cfg.json");
    assert.deepEqual(typed.slidingWindow, { size: 8, layers: Array.from({ length: 12 }, (_, i) => 2 * i) });
    assert.deepEqual(parseModelConfig(modelConfigToJson(typed), "cfg.json").slidingWindow, typed.slidingWindow, "written back with layer_types");
    assert.deepEqual(modelConfigToJson(typed).layer_types, layerTypes);
  });

  it("Gemma 3 with no sliding layer still writes a window (transformers builds the sliding mask regardless)", () => {
    const allFull = parseModelConfig({ ...GEMMA3_270M, layer_types: GEMMA3_270M.layer_types.map(() => "full_attention") }, "cfg.json");
    assert.equal(allFull.slidingWindow, null);
    const json = modelConfigToJson(allFull);
    assert.equal(json.sliding_window, 4096);
    assert.deepEqual(parseModelConfig(json, "cfg.json"), allFull);
  });

  it("Qwen3: explicit head_dim ≠ hidden/heads and q/k norms", () => {
    const c = parseModelConfig(QWEN3_06B, "cfg.json");
    assert.deepEqual([c.headDim, c.qkNorm, c.qkvBias], [128, true, false]);
    const byName = new Map(weightSchema(c).map((s) => [s.name, s.shape]));
    assert.deepEqual(byName.get("model.layers.0.self_attn.q_proj.weight"), [2048, 1024]);
    assert.deepEqual(byName.get("model.layers.0.self_attn.o_proj.weight"), [1024, 2048]);
    assert.deepEqual(byName.get("model.layers.0.self_attn.k_norm.weight"), [128]);
    const { head_dim: _, ...noHeadDim } = QWEN3_06B;
    assert.equal(parseModelConfig(noHeadDim, "cfg.json").headDim, 128, "Qwen3's class default");
  });

  it("Mistral: sliding window on every layer, no biases", () => {
    const c = parseModelConfig(MISTRAL_7B_V01, "cfg.json");
    assert.deepEqual([c.headDim, c.qkvBias, c.oBias, c.tieWordEmbeddings], [128, false, false, false]);
    assert.equal(c.slidingWindow?.size, 4096);
    assert.equal(c.slidingWindow?.layers.length, 32);
    assert.equal(parseModelConfig({ ...MISTRAL_7B_V01, sliding_window: null }, "cfg.json").slidingWindow, null);
    assert.equal(weightSchema(c).at(-1)?.name, "lm_head.weight");
  });

  it("model_type alone is enough; defaults follow transformers", () => {
    const { architectures: _, ...rest } = MISTRAL_7B_V01;
    assert.equal(parseModelConfig(rest, "cfg.json").architecture, "MistralForCausalLM");
    const { num_key_value_heads: __, rms_norm_eps: ___, ...minimal } = MISTRAL_7B_V01;
    const c = parseModelConfig(minimal, "cfg.json");
    assert.deepEqual([c.numKvHeads, c.rmsNormEps], [32, 1e-6]);
  });

  it("Gemma 3: GeGLU, (1 + w) sandwich norms, q/k norms, scaled tied embeddings, two rope bases, 5 local : 1 global", () => {
    const c = parseModelConfig(GEMMA3_270M, "cfg.json");
    assert.deepEqual([c.architecture, c.modelType], ["Gemma3ForCausalLM", "gemma3_text"]);
    assert.deepEqual([c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize, c.vocabSize], [640, 18, 4, 1, 256, 2048, 262144]);
    assert.equal(c.hiddenAct, "gelu_pytorch_tanh");
    assert.deepEqual([c.scaleEmbeddings, c.rmsNormUnitOffset, c.sandwichNorms, c.qkNorm, c.tieWordEmbeddings], [true, true, true, true, true]);
    assert.deepEqual([c.qkvBias, c.oBias, c.mlpBias], [false, false, false]);
    assert.deepEqual([c.ropeTheta, c.ropeLocalTheta, c.ropeScaling, c.queryPreAttnScalar], [1e6, 1e4, null, 256]);
    assert.deepEqual(c.slidingWindow, { size: 512, layers: [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16] });
    assert.deepEqual([c.bosTokenId, c.eosTokenIds, c.padTokenId], [2, [1], 0]);
    const layer0 = weightSchema(c).filter((s) => s.name.startsWith("model.layers.0.")).map((s) => s.name.slice("model.layers.0.".length));
    assert.deepEqual(layer0.filter((n) => n.includes("norm")), [
      "input_layernorm.weight",
      "self_attn.q_norm.weight",
      "self_attn.k_norm.weight",
      "post_attention_layernorm.weight",
      "pre_feedforward_layernorm.weight",
      "post_feedforward_layernorm.weight",
    ]);
    assert.equal(weightSchema(c).some((s) => s.name === "lm_head.weight"), false, "tied");
    // The non-Gemma architectures keep SwiGLU and plain norms.
    const llama = parseModelConfig(LLAMA_32_1B, "cfg.json");
    assert.deepEqual([llama.hiddenAct, llama.scaleEmbeddings, llama.rmsNormUnitOffset, llama.sandwichNorms, llama.queryPreAttnScalar, llama.ropeLocalTheta], ["silu", false, false, false, null, null]);
  });

  it("Gemma 3: the v5 rope_parameters spelling and the layer pattern give the same config as v4 + layer_types", () => {
    const v4 = parseModelConfig(GEMMA3_270M, "cfg.json");
    const { rope_theta: _t, rope_local_base_freq: _l, rope_scaling: _s, ...rest } = GEMMA3_270M;
    const rope_parameters = { full_attention: { rope_type: "default", rope_theta: 1e6 }, sliding_attention: { rope_type: "default", rope_theta: 1e4 } };
    assert.deepEqual(parseModelConfig({ ...rest, rope_parameters }, "cfg.json"), v4);
    const { layer_types: _lt, _sliding_window_pattern: _p, ...noTypes } = GEMMA3_270M;
    assert.deepEqual(parseModelConfig(noTypes, "cfg.json"), v4, "default pattern 6");
    assert.deepEqual(parseModelConfig({ ...noTypes, sliding_window_pattern: 6 }, "cfg.json"), v4);
    assert.deepEqual(parseModelConfig({ ...noTypes, _sliding_window_pattern: 2, num_hidden_layers: 4 }, "cfg.json").slidingWindow, { size: 512, layers: [0, 2] });
    // Class defaults (transformers' Gemma3TextConfig) for omitted keys.
    const minimal = { model_type: "gemma3_text", hidden_size: 64, intermediate_size: 128, num_attention_heads: 2, num_hidden_layers: 6, vocab_size: 100 };
    const d = parseModelConfig(minimal, "cfg.json");
    assert.deepEqual([d.headDim, d.ropeTheta, d.ropeLocalTheta, d.queryPreAttnScalar, d.maxPositionEmbeddings, d.tieWordEmbeddings], [256, 1e6, 1e4, 256, 131072, true]);
    assert.deepEqual([d.slidingWindow, d.bosTokenId, d.eosTokenIds, d.padTokenId], [{ size: 4096, layers: [0, 1, 2, 3, 4] }, 2, [1], 0]);
  });

  it("Gemma 3: soft-capping, bidirectional attention, rope scaling and other activations are refused by field", () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...GEMMA3_270M, final_logit_softcapping: 30 }, /final_logit_softcapping = 30: soft-capping is not implemented/],
      [{ ...GEMMA3_270M, attn_logit_softcapping: 50 }, /attn_logit_softcapping = 50: soft-capping is not implemented/],
      [{ ...GEMMA3_270M, use_bidirectional_attention: true }, /use_bidirectional_attention = true: only causal/],
      [{ ...GEMMA3_270M, rope_scaling: { rope_type: "linear", factor: 8 } }, /rope_scaling\.rope_type = "linear": Gemma 3 rope scaling is not implemented/],
      [{ ...GEMMA3_270M, rope_parameters: { full_attention: { rope_type: "linear", factor: 8, rope_theta: 1e6 } } }, /rope_parameters\.full_attention\.rope_type = "linear"/],
      [{ ...GEMMA3_270M, rope_parameters: { rope_type: "default", rope_theta: 1e6 } }, /rope_parameters\.rope_type = "default": Gemma 3 rope_parameters holds one entry per layer type/],
      [{ ...GEMMA3_270M, hidden_activation: "silu" }, /hidden_activation = "silu": Gemma 3 supports gelu_pytorch_tanh/],
      [{ ...GEMMA3_270M, layer_types: ["sliding_attention"] }, /layer_types = \["sliding_attention"\]: must list one type per layer \(18\)/],
      [{ ...GEMMA3_270M, layer_types: GEMMA3_270M.layer_types.map((t, i) => (i === 3 ? "chunked_attention" : t)) }, /layer_types\[3\] = "chunked_attention"/],
      [{ ...GEMMA3_270M, sliding_window: 0 }, /sliding_window = 0: expected a positive integer/],
      // transformers' Gemma3TextModel raises on a sliding layer without a window; so do we, at parse time.
      [{ ...GEMMA3_270M, sliding_window: null }, /sliding_window = null: must be a positive integer when any layer is sliding_attention/],
    ];
    for (const [cfg, pattern] of bad) assert.throws(() => parseModelConfig(cfg, "cfg.json"), errorMatching(pattern), String(pattern));
  });

  it("errors name the file, the field and the value", () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...LLAMA_32_1B, architectures: ["GPT2LMHeadModel"] }, /unsupported architectures\[0\] "GPT2LMHeadModel"/],
      [{ hidden_size: 8 }, /unsupported or missing architecture/],
      [{ ...LLAMA_32_1B, hidden_act: "gelu" }, /hidden_act = "gelu": only silu/],
      [{ ...LLAMA_32_1B, rope_scaling: { rope_type: "yarn", factor: 4 } }, /rope_scaling\.rope_type = "yarn": supported rope types: default, llama3/],
      [{ ...LLAMA_32_1B, rope_scaling: null, rope_parameters: { rope_type: "dynamic", factor: 2 } }, /rope_parameters\.rope_type = "dynamic"/],
      [{ ...LLAMA_32_1B, rope_scaling: { rope_type: "llama3", factor: 8 } }, /required field rope_scaling\.low_freq_factor is missing/],
      [{ ...LLAMA_32_1B, hidden_size: undefined }, /required field hidden_size is missing/],
      [{ ...LLAMA_32_1B, num_hidden_layers: "16" }, /num_hidden_layers = "16": expected an integer/],
      [{ ...LLAMA_32_1B, num_key_value_heads: 5 }, /num_key_value_heads = 5: must divide num_attention_heads \(32\)/],
      [{ ...LLAMA_32_1B, head_dim: undefined, num_attention_heads: 3, num_key_value_heads: 3 }, /does not divide hidden_size/],
      [{ ...LLAMA_32_1B, rms_norm_eps: -1 }, /rms_norm_eps = -1: expected a positive number/],
      [{ ...LLAMA_32_1B, eos_token_id: [1, "x"] }, /eos_token_id\[1\] = "x"/],
      [{ ...LLAMA_32_1B, tie_word_embeddings: "yes" }, /tie_word_embeddings = "yes": expected true or false/],
    ];
    for (const [cfg, pattern] of bad) assert.throws(() => parseModelConfig(cfg, "cfg.json"), errorMatching(pattern), String(pattern));
    assert.throws(() => parseModelConfig([], "cfg.json"), errorMatching(/must hold a JSON object/));
  });
});

describe("presets", () => {
  it("have the real shapes and survive config.json and back", () => {
    const expect: Record<string, number[]> = {
      tiny: [256, 4, 8, 4, 32, 688],
      "smollm2-135m": [576, 30, 9, 3, 64, 1536, 49152],
      "qwen2.5-0.5b": [896, 24, 14, 2, 64, 4864, 151936],
      "llama3.2-1b": [2048, 16, 32, 8, 64, 8192, 128256],
      "gemma3-270m": [640, 18, 4, 1, 256, 2048, 262144],
      "gemma3-1b": [1152, 26, 4, 1, 256, 6912, 262144],
    };
    for (const [name, shape] of Object.entries(expect)) {
      const c = presetConfig(name);
      const got = [c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize, c.vocabSize];
      assert.deepEqual(got.slice(0, shape.length), shape, name);
      assert.deepEqual(parseModelConfig(JSON.parse(JSON.stringify(modelConfigToJson(c))), "x"), c, name);
    }
    assert.equal(presetConfig("qwen2.5-0.5b").qkvBias, true);
    assert.deepEqual(presetConfig("llama3.2-1b").ropeScaling?.factor, 32);
    for (const name of ["gemma3-270m", "gemma3-1b"]) {
      const g = presetConfig(name);
      assert.deepEqual([g.slidingWindow?.size, g.queryPreAttnScalar, g.ropeTheta, g.ropeLocalTheta, g.maxPositionEmbeddings], [512, 256, 1e6, 1e4, 32768], name);
      assert.deepEqual([g.bosTokenId, g.eosTokenIds, g.padTokenId, g.tieWordEmbeddings, g.rmsNormEps], [2, [1], 0, true, 1e-6], name);
      const full = Array.from({ length: g.numLayers }, (_, i) => i).filter((i) => !g.slidingWindow?.layers.includes(i));
      assert.deepEqual(full, name === "gemma3-270m" ? [5, 11, 17] : [5, 11, 17, 23], name);
      // What transformers reads back: the published config's keys and values.
      const json = modelConfigToJson(g);
      for (const [key, value] of Object.entries(GEMMA3_270M)) {
        if (name === "gemma3-270m" && key !== "_sliding_window_pattern" && key !== "transformers_version") assert.deepEqual(json[key], value, key);
      }
    }
  });

  it("--arch keeps the shapes and takes the architecture's biases and norms", () => {
    const q3 = presetConfig("qwen2.5-0.5b", "qwen3");
    assert.deepEqual([q3.architecture, q3.hiddenSize, q3.qkvBias, q3.qkNorm], ["Qwen3ForCausalLM", 896, false, true]);
    const q2 = presetConfig("tiny", "qwen2");
    assert.deepEqual([q2.modelType, q2.qkvBias, q2.oBias], ["qwen2", true, false]);
    assert.equal(presetConfig("tiny", "mistral").architecture, "MistralForCausalLM");
    const g = presetConfig("tiny", "gemma3");
    assert.deepEqual([g.modelType, g.hiddenAct, g.sandwichNorms, g.qkNorm, g.queryPreAttnScalar, g.tieWordEmbeddings], ["gemma3_text", "gelu_pytorch_tanh", true, true, 32, true]);
    const back = presetConfig("gemma3-270m", "llama");
    assert.deepEqual([back.hiddenAct, back.sandwichNorms, back.qkNorm, back.slidingWindow, back.queryPreAttnScalar], ["silu", false, false, null, null]);
    assert.throws(() => presetConfig("tiny", "gpt2"), /unknown --arch "gpt2"/);
    assert.throws(() => presetConfig("huge"), /unknown preset "huge"/);
  });
});
