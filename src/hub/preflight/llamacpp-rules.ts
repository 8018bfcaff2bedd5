import type { AdapterFacts } from "./adapter-facts.js";
import { fields, extraTensors } from "./config-fields.js";
import type { Finding } from "./finding.js";
import { baseNotOnHub } from "./common-rules.js";

/**
 * llama.cpp: the PEFT adapter goes through convert_lora_to_gguf.py, then `llama-server --lora FILE.gguf`.
 * Source: convert_lora_to_gguf.py (get_tensors, modify_tensors, set_gguf_parameters: only `adapter.lora.alpha` is
 * written) and src/llama-adapter.cpp (scale = alpha / rank).
 */
export function llamacppRules(facts: AdapterFacts): Finding[] {
  if (!facts.config) return [];
  const f = fields(facts);
  const out: Finding[] = [];
  const push = (severity: Finding["severity"], rule: string, message: string, fix?: string) => out.push({ runtime: "llama.cpp", severity, rule, message, fix });
  const sqrtR = Math.sqrt(f.r);
  // The converter accepts lora_A/B pairs, embedding LoRA (lora_embedding_A/B) and norms; anything else stops it.
  const extra = extraTensors(facts, (n) => /\.lora_embedding_[AB]$/.test(n) || /_layernorm|\.norm/.test(n));
  const whole = extra.filter((n) => /\.(embed_tokens|lm_head)\.weight$/.test(n));
  if (f.modulesToSave.length || whole.length) {
    push("error", "llamacpp-modules-to-save", `whole modules in the adapter (${(whole.length ? whole : f.modulesToSave).join(", ")}): convert_lora_to_gguf.py stops ("Embeddings is present in the adapter")`, "train without modules_to_save, or merge the adapter and convert the merged model");
  }
  if (f.useDora || extra.some((n) => n.endsWith(".lora_magnitude_vector"))) {
    push("error", "llamacpp-dora", "DoRA magnitude vectors: convert_lora_to_gguf.py stops on them (not a lora_A or lora_B tensor)", "merge the adapter into the base and convert the merged model");
  }
  const biases = extra.filter((n) => n.endsWith(".bias"));
  if (f.bias !== "none" || biases.length) push("error", "llamacpp-bias", `bias tensors (bias = "${f.bias}"): convert_lora_to_gguf.py stops on them`, 'train with bias: "none"');
  const lmHeadLora = facts.tensors.some((t) => /\.lm_head\.lora_[AB]\.weight$/.test(t.name));
  if (lmHeadLora && facts.base?.tieWordEmbeddings) {
    push("error", "llamacpp-tied-lm-head", "LoRA on lm_head of a base with tied embeddings: the converter refuses it (\"lm_head is present in adapter, but is ignored in base model\")", "train without lm_head in target_modules");
  }
  if (f.useRslora) {
    push("warning", "llamacpp-rslora-ignored", `use_rslora: the GGUF adapter keeps only lora_alpha and llama.cpp scales by alpha / r = ${(f.loraAlpha / f.r).toPrecision(4)} instead of alpha / √r = ${(f.loraAlpha / sqrtR).toPrecision(4)}`, `load it with --lora-scaled FILE:${sqrtR.toPrecision(4)}, or set lora_alpha to ${(f.loraAlpha * sqrtR).toPrecision(6)} before converting`);
  }
  if (f.alphaPattern) push("warning", "llamacpp-alpha-pattern-ignored", "alpha_pattern: the GGUF adapter has one lora_alpha for every module", "train without per-module alphas, or merge the adapter");
  out.push(...baseNotOnHub(facts, "llama.cpp", "convert_lora_to_gguf.py fetches the base's config by that name", "pass --base DIR (the base model folder) to convert_lora_to_gguf.py"));
  return out;
}
