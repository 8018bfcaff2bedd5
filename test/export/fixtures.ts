import fs from "node:fs";
import path from "node:path";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import type { InitModelOptions } from "../../src/model/index.js";

export const TOKENIZERS = path.resolve("node_modules/@lenml");
export const LLAMA2_TOKENIZER = path.join(TOKENIZERS, "tokenizer-llama2/models");

/**
 * A random model folder (init-model), written once per folder. `edit` changes config.json afterwards (e.g. adds
 * llama3 rope scaling, which does not change the weights).
 */
export function modelFolder(dir: string, options: Partial<InitModelOptions> & { edit?: (config: Record<string, unknown>) => void } = {}): string {
  if (fs.existsSync(path.join(dir, "config.json"))) return dir;
  const { edit, ...init } = options;
  writeInitModel(dir, planInitModel({ preset: "tiny", tokenizer: LLAMA2_TOKENIZER, seed: 1, finalNormWeight: 8, ...init }));
  if (edit) {
    const file = path.join(dir, "config.json");
    const config = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    edit(config);
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
  }
  return dir;
}

/** Token ids for test prompts: deterministic, spread over the vocabulary, starting with `bos`. */
export function prompts(vocab: number, bos: number, lengths: number[] = [7, 12, 5]): number[][] {
  let x = 12345;
  return lengths.map((n) => [
    bos,
    ...Array.from({ length: n - 1 }, () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return 3 + (x % (vocab - 3));
    }),
  ]);
}
