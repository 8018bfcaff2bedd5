import fs from "node:fs";
import path from "node:path";
import { writeAdapterFolder } from "../../src/formats/index.js";
import { loraConfig } from "../../src/lora/index.js";
import { linearModuleShapes, planInitModel, readModelFolder, writeInitModel } from "../../src/model/index.js";
import { Tensor } from "../../src/tensor/index.js";
import { Rng } from "../../src/util/rng.js";
import type { InitModelOptions } from "../../src/model/index.js";

export const TOKENIZERS = path.resolve("node_modules/@lenml");
export const LLAMA2_TOKENIZER = path.join(TOKENIZERS, "tokenizer-llama2/models");
export const GEMMA3_TOKENIZER = path.join(TOKENIZERS, "tokenizer-gemma3/models");

/** Texts the tokenizer checks encode on both sides: numbers, accents, CJK, emoji, code, CRLF, runs of spaces. */
export const TOKENIZER_CORPUS = [
  "Hello world",
  " leading space and  two  spaces",
  "The year 2024 had 366 days; 1234567 is a number.",
  "don't, I'LL, we've, she'd",
  "naïve café — crème brûlée, Straße",
  "多语言文本：你好，世界！",
  "emoji 🤗🚀 and symbols ±§¶",
  "def f(x):\n\treturn x ** 2  # comment\n\n\n",
  "tabs\tand\r\nwindows newlines",
  "  ",
  "ALL CAPS, MiXeD cAsE, snake_case, camelCase, kebab-case",
  "URL: https://example.com/a?b=c&d=e#f",
];

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

/**
 * A PEFT adapter folder with random A and B (a trained adapter's B is not zero), for the base at `baseDir`.
 * `run` writes a run.json beside it (as `loraforge train` does) saying the base was held in that 4-bit scheme.
 */
export function randomAdapter(
  dir: string,
  baseDir: string,
  options: { seed?: number; r?: number; alpha?: number; rslora?: boolean; targets?: string[]; run?: { quantization: string | null } } = {},
): string {
  const config = readModelFolder(baseDir).config;
  const shapes = linearModuleShapes(config);
  const rng = new Rng(options.seed ?? 7);
  const r = options.r ?? 8;
  const targets = options.targets ?? ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
  const weights = new Map<string, { A: Tensor; B: Tensor }>();
  const normal = (n: number, std: number) => Float32Array.from({ length: n }, () => rng.normal() * std);
  for (const [module, [out, inp]] of shapes) {
    if (!targets.some((t) => module.endsWith(`.${t}`))) continue;
    weights.set(module, { A: new Tensor("f32", [r, inp], normal(r * inp, 1 / Math.sqrt(inp))), B: new Tensor("f32", [out, r], normal(out * r, 0.02)) });
  }
  const adapterDir = options.run ? path.join(dir, "adapter") : dir;
  writeAdapterFolder(adapterDir, {
    config: loraConfig({ r, loraAlpha: options.alpha ?? 16, useRslora: options.rslora ?? false, targetModules: targets, baseModelNameOrPath: baseDir }),
    weights,
  });
  if (options.run) fs.writeFileSync(path.join(dir, "run.json"), JSON.stringify({ config: { model: baseDir, quantization: options.run.quantization } }));
  return adapterDir;
}
