import type { AdapterFacts } from "./adapter-facts.js";

/** The runtimes an adapter is checked for. */
export const RUNTIMES = ["peft", "vllm", "ollama", "llama.cpp"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** One thing that will break (error) or silently behave differently (warning) in a runtime. */
export interface Finding {
  runtime: Runtime;
  severity: "error" | "warning";
  /** Stable id of the rule (docs/hub.md lists each with its source). */
  rule: string;
  message: string;
  /** What to do about it. */
  fix?: string;
}

/** A rule looks at the facts and reports findings for its runtime. */
export type Rule = (facts: AdapterFacts) => Finding[];
