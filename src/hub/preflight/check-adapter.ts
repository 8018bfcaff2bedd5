import type { AdapterFacts } from "./adapter-facts.js";
import { readAdapterFacts } from "./adapter-facts.js";
import { baseMismatch, missingFiles } from "./common-rules.js";
import type { Finding, Runtime, Rule } from "./finding.js";
import { RUNTIMES } from "./finding.js";
import { llamacppRules } from "./llamacpp-rules.js";
import { ollamaRules } from "./ollama-rules.js";
import { peftRules } from "./peft-rules.js";
import { vllmRules } from "./vllm-rules.js";

const RULES: Record<Runtime, Rule> = { peft: peftRules, vllm: vllmRules, ollama: ollamaRules, "llama.cpp": llamacppRules };

export interface AdapterCheck {
  dir: string;
  runtimes: Runtime[];
  findings: Finding[];
  /** The base config the shape and architecture rules used, or why they were skipped. */
  base: string;
}

/**
 * Preflight of a PEFT adapter folder: per runtime, what will refuse to load or silently behave differently there
 * (docs/hub.md lists every rule with its source). `baseDir` is the base model folder when the adapter's own
 * base_model_name_or_path does not point at one on this machine.
 */
export function checkAdapter(dir: string, options: { runtimes?: readonly Runtime[]; baseDir?: string } = {}): AdapterCheck {
  const facts: AdapterFacts = readAdapterFacts(dir, options.baseDir);
  const runtimes = [...(options.runtimes ?? RUNTIMES)];
  const findings = runtimes.flatMap((runtime) => [...missingFiles(facts, runtime), ...baseMismatch(facts, runtime), ...RULES[runtime](facts)]);
  const base = facts.base
    ? `${facts.base.dir} (${facts.base.architecture})${facts.base.linearShapes ? "" : "; shapes not checked: an architecture loraforge does not model"}`
    : "unknown: base architecture and shapes not checked (give the base model with --base-model)";
  return { dir, runtimes, findings, base };
}

export function hasErrors(check: AdapterCheck): boolean {
  return check.findings.some((f) => f.severity === "error");
}
