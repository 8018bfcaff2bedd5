/**
 * GGUF tensor names ↔ Hugging Face names for the llama / qwen2 / qwen3 families (docs/formats/gguf.md,
 * "Tensor names"). The bytes of a 2-D tensor are the same in both; only the dimension list is reversed.
 */
const GLOBAL: Array<[gguf: string, hf: string]> = [
  ["token_embd.weight", "model.embed_tokens.weight"],
  ["output_norm.weight", "model.norm.weight"],
  ["output.weight", "lm_head.weight"],
];

const LAYER: Array<[gguf: string, hf: string]> = [
  ["attn_norm.weight", "input_layernorm.weight"],
  ["ffn_norm.weight", "post_attention_layernorm.weight"],
  ["attn_q.weight", "self_attn.q_proj.weight"],
  ["attn_q.bias", "self_attn.q_proj.bias"],
  ["attn_k.weight", "self_attn.k_proj.weight"],
  ["attn_k.bias", "self_attn.k_proj.bias"],
  ["attn_v.weight", "self_attn.v_proj.weight"],
  ["attn_v.bias", "self_attn.v_proj.bias"],
  ["attn_output.weight", "self_attn.o_proj.weight"],
  ["attn_output.bias", "self_attn.o_proj.bias"],
  ["attn_q_norm.weight", "self_attn.q_norm.weight"],
  ["attn_k_norm.weight", "self_attn.k_norm.weight"],
  ["ffn_gate.weight", "mlp.gate_proj.weight"],
  ["ffn_gate.bias", "mlp.gate_proj.bias"],
  ["ffn_up.weight", "mlp.up_proj.weight"],
  ["ffn_up.bias", "mlp.up_proj.bias"],
  ["ffn_down.weight", "mlp.down_proj.weight"],
  ["ffn_down.bias", "mlp.down_proj.bias"],
];

const GLOBAL_TO_HF = new Map(GLOBAL);
const GLOBAL_TO_GGUF = new Map(GLOBAL.map(([g, h]) => [h, g]));
const LAYER_TO_HF = new Map(LAYER);
const LAYER_TO_GGUF = new Map(LAYER.map(([g, h]) => [h, g]));

/** GGUF tensors that carry no weight of their own (llama.cpp derives them; loraforge recomputes them). */
export const DERIVED_GGUF_TENSORS = new Set(["rope_freqs.weight"]);

/** `blk.3.attn_q.weight` → `model.layers.3.self_attn.q_proj.weight`; undefined for a name outside the table. */
export function hfTensorName(ggufName: string): string | undefined {
  const global = GLOBAL_TO_HF.get(ggufName);
  if (global) return global;
  const m = /^blk\.(\d+)\.(.+)$/.exec(ggufName);
  const suffix = m ? LAYER_TO_HF.get(m[2]) : undefined;
  return m && suffix ? `model.layers.${m[1]}.${suffix}` : undefined;
}

/** The inverse of hfTensorName. */
export function ggufTensorName(hfName: string): string | undefined {
  const global = GLOBAL_TO_GGUF.get(hfName);
  if (global) return global;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  const suffix = m ? LAYER_TO_GGUF.get(m[2]) : undefined;
  return m && suffix ? `blk.${m[1]}.${suffix}` : undefined;
}
