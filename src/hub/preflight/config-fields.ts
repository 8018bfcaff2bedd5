import type { AdapterFacts } from "./adapter-facts.js";

/** adapter_config.json fields as PEFT defines them (peft tuners/lora/config.py), read tolerantly from any PEFT version. */
export function fields(facts: AdapterFacts) {
  const c = facts.config ?? {};
  const nonEmpty = (v: unknown) => (Array.isArray(v) ? v.length > 0 : typeof v === "object" && v !== null ? Object.keys(v).length > 0 : v != null && v !== "");
  return {
    r: typeof c.r === "number" ? c.r : 8,
    loraAlpha: typeof c.lora_alpha === "number" ? c.lora_alpha : 8,
    useDora: c.use_dora === true,
    useRslora: c.use_rslora === true,
    bias: typeof c.bias === "string" ? c.bias : "none",
    modulesToSave: Array.isArray(c.modules_to_save) ? c.modules_to_save.map(String) : [],
    rankPattern: nonEmpty(c.rank_pattern),
    alphaPattern: nonEmpty(c.alpha_pattern),
  };
}

/** Tensors that are not lora_A/lora_B pairs of a linear layer (DoRA magnitudes, embedding LoRA, whole modules, biases). */
export function extraTensors(facts: AdapterFacts, keep: (name: string) => boolean): string[] {
  return facts.tensors.map((t) => t.name).filter((n) => !/\.lora_[AB]\.weight$/.test(n) && !keep(n));
}
