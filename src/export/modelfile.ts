import { ConfigError } from "../util/errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { modelfileValue } from "./modelfile-value.js";
import type { OllamaParameter } from "./sampling-parameters.js";

/** What goes into an Ollama Modelfile (docs/formats/ollama.md). */
export interface ModelfileSpec {
  /** The model GGUF: absolute, or relative to the Modelfile's folder (Ollama resolves it there). */
  from: string;
  /** A GGUF LoRA adapter on top of `from`, when kept separate. */
  adapter?: string;
  /** The Go TEMPLATE (ollamaTemplate). */
  template: string;
  /** End-of-turn strings; Ollama stops generating at any of them. */
  stop: readonly string[];
  /** A fixed system prompt, used when a conversation brings none. */
  system?: string;
  /** Sampling PARAMETERs (samplingParameters). */
  parameters?: readonly OllamaParameter[];
}

/** The Modelfile text: FROM, ADAPTER, TEMPLATE, SYSTEM, then one PARAMETER line per stop string and sampling value. */
export function modelfileText(spec: ModelfileSpec): string {
  if (spec.stop.some((stop) => stop === "")) throw new ConfigError("a stop string of the Modelfile is empty");
  const lines = [`FROM ${modelfileValue(spec.from, "the FROM path", "bare")}`];
  if (spec.adapter !== undefined) lines.push(`ADAPTER ${modelfileValue(spec.adapter, "the ADAPTER path", "bare")}`);
  lines.push(`TEMPLATE ${modelfileValue(spec.template, "the TEMPLATE", "block")}`);
  if (spec.system !== undefined) lines.push(`SYSTEM ${modelfileValue(spec.system, "the system prompt", "block")}`);
  for (const stop of new Set(spec.stop)) lines.push(`PARAMETER stop ${modelfileValue(stop, `the stop string ${JSON.stringify(stop)}`, "quoted")}`);
  for (const [name, value] of spec.parameters ?? []) lines.push(`PARAMETER ${name} ${value}`);
  return lines.join("\n") + "\n";
}

/** Writes the Modelfile atomically (a crash leaves the old file or the new one, never half of one). */
export function writeModelfile(file: string, spec: ModelfileSpec): void {
  writeFileAtomic(file, modelfileText(spec));
}
