/**
 * GGUF tensor names ↔ Hugging Face names for the llama / qwen2 / qwen3 / gemma3 families (docs/formats/gguf.md,
 * "Tensor names"). The bytes of a 2-D tensor are the same in both; only the dimension list is reversed. The norms
 * around the MLP are named per family: llama.cpp's `ffn_norm` is the norm before the MLP, which HF calls
 * post_attention_layernorm in Llama but pre_feedforward_layernorm in Gemma 3.
 */
export type GgufArchitecture = "llama" | "qwen2" | "qwen3" | "gemma3";

const GLOBAL: Array<[gguf: string, hf: string]> = [
  ["token_embd.weight", "model.embed_tokens.weight"],
  ["output_norm.weight", "model.norm.weight"],
  ["output.weight", "lm_head.weight"],
];

const LAYER_COMMON: Array<[gguf: string, hf: string]> = [
  ["attn_norm.weight", "input_layernorm.weight"],
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

const LLAMA_NORMS: Array<[gguf: string, hf: string]> = [["ffn_norm.weight", "post_attention_layernorm.weight"]];

const GEMMA3_NORMS: Array<[gguf: string, hf: string]> = [
  ["post_attention_norm.weight", "post_attention_layernorm.weight"],
  ["ffn_norm.weight", "pre_feedforward_layernorm.weight"],
  ["post_ffw_norm.weight", "post_feedforward_layernorm.weight"],
];

interface Table {
  toHf: Map<string, string>;
  toGguf: Map<string, string>;
}

function table(pairs: Array<[string, string]>): Table {
  return { toHf: new Map(pairs), toGguf: new Map(pairs.map(([g, h]) => [h, g])) };
}

const GLOBALS = table(GLOBAL);
const LAYERS: Record<GgufArchitecture, Table> = {
  llama: table([...LAYER_COMMON, ...LLAMA_NORMS]),
  qwen2: table([...LAYER_COMMON, ...LLAMA_NORMS]),
  qwen3: table([...LAYER_COMMON, ...LLAMA_NORMS]),
  gemma3: table([...LAYER_COMMON, ...GEMMA3_NORMS]),
};

/** GGUF tensors that carry no weight of their own (llama.cpp derives them; loraforge recomputes them). */
export const DERIVED_GGUF_TENSORS = new Set(["rope_freqs.weight"]);

/** `blk.3.attn_q.weight` → `model.layers.3.self_attn.q_proj.weight`; undefined for a name outside the table. */
export function hfTensorName(ggufName: string, arch: GgufArchitecture): string | undefined {
  const global = GLOBALS.toHf.get(ggufName);
  if (global) return global;
  const m = /^blk\.(\d+)\.(.+)$/.exec(ggufName);
  const suffix = m ? LAYERS[arch].toHf.get(m[2]) : undefined;
  return m && suffix ? `model.layers.${m[1]}.${suffix}` : undefined;
}

/** The inverse of hfTensorName. */
export function ggufTensorName(hfName: string, arch: GgufArchitecture): string | undefined {
  const global = GLOBALS.toGguf.get(hfName);
  if (global) return global;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  const suffix = m ? LAYERS[arch].toGguf.get(m[2]) : undefined;
  return m && suffix ? `blk.${m[1]}.${suffix}` : undefined;
}

/**
 * What llama.cpp's converter adds to a norm weight: Gemma's RMSNorm multiplies by (1 + w), llama.cpp's by the
 * stored value, so a gemma3 GGUF stores 1 + w for every `*norm.weight` (docs/formats/gguf.md, "Gemma 3"). 0 elsewhere.
 */
export function normWeightOffset(hfName: string, arch: GgufArchitecture): number {
  return arch === "gemma3" && hfName.endsWith("norm.weight") ? 1 : 0;
}
