import type { LoraTokenizer } from "../tokenizer/index.js";
import type { ModelfileSpec } from "./modelfile.js";
import { ollamaTemplate } from "./ollama-template.js";
import { samplingParameters } from "./sampling-parameters.js";

export interface OllamaModelfileInput {
  /** The tokenizer the model was trained with: its chat template, BOS and end-of-turn tokens. */
  tokenizer: LoraTokenizer;
  /** The exported GGUF's `tokenizer.ggml.add_bos_token`: Ollama then prepends BOS itself. */
  addBosToken: boolean;
  from: string;
  adapter?: string;
  /** A fixed system prompt (e.g. the one every training conversation had). */
  system?: string;
  /** generation_config.json, parsed, and its path for error messages. */
  generationConfig?: { values: Record<string, unknown>; file: string };
}

/**
 * Everything a Modelfile needs from a trained model's tokenizer: the converted TEMPLATE (or a ConfigError), a stop
 * string per end-of-turn token, sampling from generation_config.json. Also the family and the caveats to print.
 */
export function ollamaModelfileSpec(input: OllamaModelfileInput): { spec: ModelfileSpec; family: string; caveats: string[] } {
  const { tokenizer } = input;
  const converted = ollamaTemplate({ template: tokenizer.requireChatTemplate(), bosToken: tokenizer.bosToken, addBosToken: input.addBosToken });
  const stop = tokenizer.endOfTurnTokenIds.map((id) => tokenizer.idToToken(id)).filter((token): token is string => token !== undefined);
  const parameters = input.generationConfig ? samplingParameters(input.generationConfig.values, input.generationConfig.file) : [];
  return {
    spec: { from: input.from, adapter: input.adapter, template: converted.template, stop, system: input.system, parameters },
    family: converted.family,
    caveats: converted.caveats,
  };
}
