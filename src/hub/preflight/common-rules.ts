import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from "../../formats/index.js";
import type { AdapterFacts } from "./adapter-facts.js";
import { baseHubId, splitTensorName } from "./adapter-facts.js";
import type { Finding, Runtime } from "./finding.js";

/** Rules every runtime shares: the two files PEFT writes must be there, and the weights must fit the base. */

export function missingFiles(facts: AdapterFacts, runtime: Runtime): Finding[] {
  const out: Finding[] = [];
  if (!facts.files.has(ADAPTER_CONFIG_FILE)) {
    out.push({ runtime, severity: "error", rule: "missing-config", message: `${ADAPTER_CONFIG_FILE} is missing`, fix: "point at the adapter folder PEFT or loraforge wrote (it holds adapter_config.json)" });
  } else if (!facts.config) {
    out.push({ runtime, severity: "error", rule: "missing-config", message: `${ADAPTER_CONFIG_FILE} is unreadable: ${facts.configProblem}` });
  }
  if (!facts.files.has(ADAPTER_WEIGHTS_FILE)) {
    const pickle = facts.files.has("adapter_model.bin");
    // Ollama reads only safetensors; the others also load the pickle file.
    if (!pickle || runtime === "ollama") {
      out.push({
        runtime,
        severity: "error",
        rule: "missing-weights",
        message: pickle ? "only adapter_model.bin (pickle) is present; Ollama reads adapter_model.safetensors" : `${ADAPTER_WEIGHTS_FILE} is missing`,
        fix: pickle ? "re-save with PEFT's save_pretrained(safe_serialization=True)" : undefined,
      });
    }
  }
  return out;
}

/** Every lora_A/lora_B pair must fit the base's linear layer ([r, in] and [out, r]); other bases fail at load. */
export function baseMismatch(facts: AdapterFacts, runtime: Runtime): Finding[] {
  const shapes = facts.base?.linearShapes;
  if (!shapes) return [];
  const wrong: string[] = [];
  for (const t of facts.tensors) {
    const { module, part } = splitTensorName(t.name);
    if (part !== "lora_A.weight" && part !== "lora_B.weight") continue;
    const base = shapes.get(module);
    if (!base) {
      if (/\.(q|k|v|o|gate|up|down)_proj$/.test(module)) wrong.push(`${module} is not a layer of the base`);
      continue;
    }
    const fits = part === "lora_A.weight" ? t.shape[1] === base[1] : t.shape[0] === base[0];
    if (!fits) wrong.push(`${t.name} [${t.shape}] does not fit the base layer [${base}]`);
  }
  if (wrong.length === 0) return [];
  return [
    {
      runtime,
      severity: "error",
      rule: "base-mismatch",
      message: `the adapter does not fit the base ${facts.base!.dir}: ${wrong.slice(0, 3).join("; ")}${wrong.length > 3 ? ` (+${wrong.length - 3} more)` : ""}`,
      fix: "use the base the adapter was trained on (--base-model)",
    },
  ];
}

/** base_model_name_or_path must be a Hub id for anyone else to find the base. */
export function baseNotOnHub(facts: AdapterFacts, runtime: Runtime, why: string, fix: string): Finding[] {
  if (!facts.config || baseHubId(facts)) return [];
  const value = facts.config.base_model_name_or_path;
  return [{ runtime, severity: "warning", rule: "base-not-hub-id", message: `base_model_name_or_path is ${value == null ? "not set" : `the local path ${String(value)}`}: ${why}`, fix }];
}
