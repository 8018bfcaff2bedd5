import type { AdapterFacts } from "./adapter-facts.js";
import { fields } from "./config-fields.js";
import type { Finding } from "./finding.js";

/**
 * vLLM (`vllm serve BASE --enable-lora --lora-modules name=DIR`). Source: vllm/lora/peft_helper.py
 * (PEFTHelper._validate_features, validate_legal, from_dict) and vllm/config/lora.py (LoRAConfig.max_lora_rank).
 */

/** `--max-lora-rank` accepts only these values; the default is 16. */
export const VLLM_MAX_LORA_RANKS = [1, 8, 16, 32, 64, 128, 256, 320, 512] as const;
export const VLLM_DEFAULT_MAX_LORA_RANK = 16;

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
