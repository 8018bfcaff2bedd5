import type { AdapterFacts } from "./adapter-facts.js";
import { splitTensorName } from "./adapter-facts.js";
import { fields } from "./config-fields.js";
import type { Finding } from "./finding.js";

/**
 * vLLM (`vllm serve BASE --enable-lora --lora-modules name=DIR`). Source: vllm/lora/peft_helper.py
 * (PEFTHelper._validate_features, validate_legal, from_dict), vllm/config/lora.py (LoRAConfig.max_lora_rank) and
 * vllm/lora/lora_model.py (from_local_checkpoint: module names; from_lora_tensors: embedding vocabulary).
 */

/** `--max-lora-rank` accepts only these values; the default is 16. */
export const VLLM_MAX_LORA_RANKS = [1, 8, 16, 32, 64, 128, 256, 320, 512] as const;
export const VLLM_DEFAULT_MAX_LORA_RANK = 16;

/** The modules a Llama-family model lets vLLM put LoRA on (q/k/v packed as qkv_proj, gate/up as gate_up_proj). */
const LLAMA_FAMILY = new Set(["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"]);
const LORA_MODULES = new Set(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "embed_tokens", "lm_head"]);

export function vllmRules(facts: AdapterFacts): Finding[] {
  if (!facts.config) return [];
  const f = fields(facts);
  const out: Finding[] = [];
  const error = (rule: string, message: string, fix?: string) => out.push({ runtime: "vllm", severity: "error", rule, message, fix });
  if (f.r > VLLM_DEFAULT_MAX_LORA_RANK) {
    const flag = VLLM_MAX_LORA_RANKS.find((v) => v >= f.r);
    error(
      "vllm-max-lora-rank",
      `rank r = ${f.r} is above vLLM's default max_lora_rank ${VLLM_DEFAULT_MAX_LORA_RANK}: the adapter is refused ("LoRA rank ${f.r} is greater than max_lora_rank")`,
      flag ? `start vLLM with --max-lora-rank ${flag}` : `vLLM's largest --max-lora-rank is 512: train with r ≤ 512`,
    );
  }
  if (f.modulesToSave.length) {
    error("vllm-modules-to-save", `modules_to_save = [${f.modulesToSave.join(", ")}]: vLLM only loads adapters whose modules_to_save is None`, "train without modules_to_save (or merge the adapter into the base and serve the merged model)");
  }
  if (f.useDora) error("vllm-dora", "use_dora: vLLM does not support DoRA adapters", "merge the adapter into the base, or train plain LoRA");
  if (f.bias !== "none") error("vllm-bias", `bias = "${f.bias}": vLLM refuses adapters with bias ("Adapter bias is not supported")`, 'train with bias: "none"');
  if (!facts.base || LLAMA_FAMILY.has(facts.base.architecture)) {
    const unexpected = [...new Set(facts.tensors.map((t) => splitTensorName(t.name)).filter((n) => n.part.startsWith("lora_")).map((n) => n.module.split(".").at(-1)!))].filter((m) => !LORA_MODULES.has(m));
    if (unexpected.length) error("vllm-unexpected-modules", `LoRA on ${unexpected.join(", ")}: vLLM loads LoRA only on ${[...LORA_MODULES].join(", ")} of this architecture ("expected target modules in …")`, "train with target_modules among those");
  }
  const embeddingA = facts.tensors.find((t) => t.name.endsWith(".lora_embedding_A"));
  const vocab = facts.base?.vocabSize;
  if (embeddingA && vocab !== undefined && embeddingA.shape[1] !== vocab) {
    error("vllm-embedding-vocab", `embedding LoRA over ${embeddingA.shape[1]} tokens but the base has ${vocab}: vLLM refuses it ("The embedding LoRA size … must be consistent with the base model's vocabulary size")`, "train on the base's own vocabulary");
  }
  if (f.rankPattern || f.alphaPattern) {
    out.push({
      runtime: "vllm",
      severity: "warning",
      rule: "vllm-patterns-ignored",
      message: "rank_pattern / alpha_pattern: vLLM drops these fields and scales every module by lora_alpha / r, so modules with their own rank or alpha get the wrong scale",
      fix: "train without per-module ranks/alphas, or merge the adapter",
    });
  }
  return out;
}
