import type { AdapterFacts } from "./adapter-facts.js";
import { baseNotOnHub } from "./common-rules.js";
import type { Finding } from "./finding.js";

/**
 * Python PEFT (`PeftModel.from_pretrained(base, DIR)` or `AutoPeftModelForCausalLM.from_pretrained(DIR)`): it loads
 * every LoRA variant loraforge or PEFT writes; what breaks is finding the base (AutoPeftModel loads
 * base_model_name_or_path) — the shared file and shape rules cover the rest.
 */
export function peftRules(facts: AdapterFacts): Finding[] {
  return baseNotOnHub(facts, "peft", "AutoPeftModelForCausalLM loads the base from it, which fails on any other machine", "push rewrites it to the Hub id (--base-model ID when it cannot tell); or load with PeftModel.from_pretrained(base, DIR)");
}
