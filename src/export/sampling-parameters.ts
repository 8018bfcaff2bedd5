import { InputError } from "../util/errors.js";

/** An Ollama PARAMETER (name, value), in Ollama's spelling. */
export type OllamaParameter = readonly [name: string, value: number];

// generation_config.json key → Ollama PARAMETER name, and whether Ollama takes an integer.
const SAMPLING_KEYS: Array<[key: string, parameter: string, integer: boolean]> = [
  ["temperature", "temperature", false],
  ["top_k", "top_k", true],
  ["top_p", "top_p", false],
  ["min_p", "min_p", false],
];

// transformers' GenerationConfig defaults for what a sampling config leaves out (Ollama's differ; min_p is off in both).
const TRANSFORMERS_DEFAULTS: Record<string, number> = { temperature: 1, top_k: 50, top_p: 1 };

function numberAt(config: Record<string, unknown>, key: string, integer: boolean, file: string | undefined): number | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new InputError(`expected ${integer ? "an integer" : "a number"}, got ${JSON.stringify(value)}`, { file, field: key });
  }
  return value;
}

/**
 * Ollama PARAMETERs that make Ollama decode as transformers' generate() does with this generation_config.json
 * (docs/formats/ollama.md, "PARAMETER"): with do_sample true, the sampling values (transformers' defaults for those
 * left out); otherwise greedy (temperature 0), as transformers is. repetition_penalty applies either way (1 when
 * absent), over the whole context as in transformers; max_new_tokens becomes num_predict.
 */
export function samplingParameters(config: Record<string, unknown>, file?: string): OllamaParameter[] {
  const doSample = config.do_sample;
  if (doSample !== undefined && doSample !== null && typeof doSample !== "boolean") {
    throw new InputError(`expected true or false, got ${JSON.stringify(doSample)}`, { file, field: "do_sample" });
  }
  const parameters: OllamaParameter[] = [];
  for (const [key, parameter, integer] of SAMPLING_KEYS) {
    const value = numberAt(config, key, integer, file);
    const used = value ?? TRANSFORMERS_DEFAULTS[key];
    if (doSample === true && used !== undefined) parameters.push([parameter, used]);
  }
  if (doSample !== true) parameters.push(["temperature", 0]);
  // Always written: Ollama's default is 1.1, transformers' is 1 (none). Ollama looks back repeat_last_n tokens
  // (64 by default); -1 means the whole context, as transformers does.
  const penalty = numberAt(config, "repetition_penalty", false, file) ?? 1;
  parameters.push(["repeat_penalty", penalty]);
  if (penalty !== 1) parameters.push(["repeat_last_n", -1]);
  const maxNewTokens = numberAt(config, "max_new_tokens", true, file);
  if (maxNewTokens !== undefined) parameters.push(["num_predict", maxNewTokens]);
  return parameters;
}
