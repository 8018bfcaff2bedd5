import type { AdapterFacts } from "./adapter-facts.js";
import { fields, extraTensors } from "./config-fields.js";
import type { Finding } from "./finding.js";

/**
 * Ollama (`ADAPTER ./adapter-folder` in a Modelfile, converted by `ollama create`). Source: ollama convert/convert.go
 * (ConvertAdapter: base architectures llama and gemma2; AdapterParameters.lora_alpha is a uint32),
 * convert/convert_llama_adapter.go (only q/k/v/o/gate/up/down lora_A/B names are mapped) and
 * convert/reader_safetensors.go (F32, F16, BF16 only).
 */

/** GGUF architecture of a Hugging Face base (Mistral converts to llama). */
const GGUF_ARCH: Record<string, string> = { LlamaForCausalLM: "llama", MistralForCausalLM: "llama", Gemma2ForCausalLM: "gemma2", Qwen2ForCausalLM: "qwen2", Qwen3ForCausalLM: "qwen3" };
const OLLAMA_ADAPTER_ARCHS = new Set(["llama", "gemma2"]);
const MAPPED = /\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)\.lora_[AB]\.weight$/;

export function ollamaRules(facts: AdapterFacts): Finding[] {
  if (!facts.config) return [];
  const f = fields(facts);
  const out: Finding[] = [];
  const push = (severity: Finding["severity"], rule: string, message: string, fix?: string) => out.push({ runtime: "ollama", severity, rule, message, fix });
  const gguf = "convert it to a GGUF adapter first (llama.cpp's convert_lora_to_gguf.py) and name that file in ADAPTER";
  const arch = facts.base ? (GGUF_ARCH[facts.base.architecture] ?? facts.base.architecture) : undefined;
  if (arch && !OLLAMA_ADAPTER_ARCHS.has(arch)) {
    push("error", "ollama-architecture", `the base is ${facts.base!.architecture} (${arch}): Ollama converts safetensors adapters only for llama and gemma2 bases ("unsupported architecture")`, gguf);
  }
  if (!Number.isInteger(f.loraAlpha) || f.loraAlpha < 0) {
    push("error", "ollama-alpha", `lora_alpha = ${f.loraAlpha}: Ollama reads lora_alpha as an unsigned integer and refuses this adapter_config.json`, `use an integer lora_alpha (or ${gguf})`);
  }
  const unmapped = [...extraTensors(facts, () => false), ...facts.tensors.map((t) => t.name).filter((n) => /\.lora_[AB]\.weight$/.test(n) && !MAPPED.test(n))];
  if (unmapped.length || f.useDora) {
    push("error", "ollama-unmapped-tensors", `tensors Ollama's adapter converter does not map (${unmapped.slice(0, 3).join(", ") || "DoRA magnitudes"}${unmapped.length > 3 ? `, +${unmapped.length - 3} more` : ""}): only q/k/v/o/gate/up/down LoRA pairs load`, "train LoRA on those seven projections only (no modules_to_save, DoRA, bias, embedding or lm_head)");
  }
  const dtypes = [...new Set(facts.tensors.map((t) => t.dtype))].filter((d) => !["F32", "F16", "BF16"].includes(d));
  if (dtypes.length) push("error", "ollama-dtype", `tensor dtype ${dtypes.join(", ")}: Ollama's converter reads F32, F16 and BF16 only`, "save the adapter in float32 or 16-bit");
  if (f.useRslora) {
    push("warning", "ollama-rslora-ignored", `use_rslora: Ollama keeps only lora_alpha and scales by alpha / r instead of alpha / √r (${Math.sqrt(f.r).toPrecision(4)}× too weak)`, `set lora_alpha to ${(f.loraAlpha * Math.sqrt(f.r)).toPrecision(6)} in adapter_config.json before importing (an integer when √r is one)`);
  }
  return out;
}
