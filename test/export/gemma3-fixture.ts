import fs from "node:fs";
import path from "node:path";
import { writeCheckpoint } from "../../src/formats/index.js";
import { parseModelConfig, weightSchema } from "../../src/model/index.js";
import { Tensor } from "../../src/tensor/index.js";
import { Rng } from "../../src/util/rng.js";
import { GEMMA3_TOKENIZER } from "./fixtures.js";

export const WINDOW = 4;
export const S = "sliding_attention";
export const F = "full_attention";

/**
 * A tiny Gemma 3 as transformers 5 writes its config: three sliding layers then a full one (llama.cpp period 4), a
 * 4-token window, different rope bases for the two kinds, query_pre_attn_scalar = head_dim (what llama.cpp
 * computes), Gemma 3's real tokenizer and its 262,144 embedding rows.
 */
export const CONFIG = {
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
 * Random f32 weights (`weights` may change them); every norm w random too (so a missing or doubled 1 + w shows), the final norm around 5 so the
 * logits spread (N(0, 0.05) embedding rows would otherwise give near-uniform distributions).
 */
export function gemmaFolder(dir: string, edit: (config: Record<string, unknown>) => void = () => {}, weights: (name: string, values: Float32Array) => void = () => {}): string {
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
    weights(spec.name, values);
    return { name: spec.name, dtype: "f32" as const, shape: spec.shape, load: () => new Tensor("f32", [...spec.shape], values) };
  });
  writeCheckpoint(dir, sources);
  return dir;
}

/** The same folder under another config.json (weights hard-linked). */
export function withConfig(from: string, dir: string, edit: (config: Record<string, unknown>) => void): string {
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
