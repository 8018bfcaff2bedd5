import fs from "node:fs";
import path from "node:path";
import type { TensorSource } from "../formats/index.js";
import { planLayout, safetensorsDtype, stringifySorted, writeCheckpoint } from "../formats/index.js";
import { Tensor, f32ToBf16 } from "../tensor/index.js";
import type { LoraTokenizer } from "../tokenizer/index.js";
import { loadTokenizer } from "../tokenizer/index.js";
import { writeDirAtomic } from "../util/atomic-write.js";
import { ConfigError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import type { ModelConfig } from "./config.js";
import { modelConfigToJson } from "./config.js";
import { presetConfig } from "./presets.js";
import type { WeightSpec } from "./weight-schema.js";
import { weightSchema } from "./weight-schema.js";

/**
 * Random-initialized Hugging Face model folders with real shapes (`loraforge init-model`): fixtures for tests,
 * benchmarks and the quickstart, made without downloading anything.
 */
export interface InitModelOptions {
  preset: string;
  /** llama | mistral | qwen2 | qwen3 | gemma3: the same shapes as another architecture. */
  arch?: string;
  /** A folder whose tokenizer files are copied; its vocabulary and special tokens then define the model's. */
  tokenizer?: string;
  /** Embedding rows (micro models for fast tests); at least the tokenizer's vocabulary when one is given. */
  vocabSize?: number;
  seed?: number;
  /** Share one matrix between embed_tokens and lm_head (as SmolLM2, Qwen2.5-0.5B and Llama 3.2 1B do). */
  tieWordEmbeddings?: boolean;
  /**
   * Value of the final RMSNorm's weight (transformers' init: 1). With N(0, 0.02²) weights the largest logit a
   * frozen random unembedding can give is about 5, so a LoRA on such a base can never be confident (cross-entropy
   * floor ≈ 5 nats per token); a larger value scales every logit.
   */
  finalNormWeight?: number;
}

export interface InitPlan {
  config: ModelConfig;
  /** generation_config.json's eos list: the tokenizer's end-of-turn tokens (EOS included). */
  generationEosIds: number[];
  tokenizer: LoraTokenizer | null;
  seed: number;
  finalNormWeight: number;
}

/** Std of the normal initializer (transformers' initializer_range). */
const INIT_STD = 0.02;

/** Decides config and special tokens without generating anything (cheap even for the 1B preset). */
export function planInitModel(options: InitModelOptions): InitPlan {
  const config = presetConfig(options.preset, options.arch);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ConfigError(`--seed ${options.seed}: expected a non-negative integer`);
  const finalNormWeight = options.finalNormWeight ?? 1;
  if (!(finalNormWeight > 0 && Number.isFinite(finalNormWeight))) {
    throw new ConfigError(`--final-norm-weight ${options.finalNormWeight}: expected a positive number`);
  }
  if (options.tieWordEmbeddings !== undefined) config.tieWordEmbeddings = options.tieWordEmbeddings;
  if (options.vocabSize !== undefined && (!Number.isSafeInteger(options.vocabSize) || options.vocabSize <= 0)) {
    throw new ConfigError(`--vocab-size ${options.vocabSize}: expected a positive integer`);
  }
  if (!options.tokenizer) {
    config.vocabSize = options.vocabSize ?? config.vocabSize;
    // A micro vocabulary cannot hold the preset's special ids.
    const inVocab = (id: number | null) => id !== null && id < config.vocabSize;
    config.bosTokenId = inVocab(config.bosTokenId) ? config.bosTokenId : null;
    config.eosTokenIds = config.eosTokenIds.filter(inVocab);
    return { config, generationEosIds: [...config.eosTokenIds], tokenizer: null, seed, finalNormWeight };
  }
  const tokenizer = loadTokenizer(options.tokenizer);
  const vocab = tokenizer.vocabSize;
  if (options.vocabSize !== undefined && options.vocabSize < vocab) {
    throw new ConfigError(`--vocab-size ${options.vocabSize} is smaller than the tokenizer's vocabulary (${vocab} tokens in ${options.tokenizer})`, {
      hint: "omit --vocab-size to use the tokenizer's, or give at least that many",
    });
  }
  config.vocabSize = options.vocabSize ?? vocab;
  config.bosTokenId = tokenizer.bosTokenId ?? null;
  config.eosTokenIds = [...tokenizer.eosTokenIds];
  config.padTokenId = tokenizer.padTokenId ?? null;
  return { config, generationEosIds: [...tokenizer.endOfTurnTokenIds], tokenizer, seed, finalNormWeight };
}

/** The header model.safetensors will have (tests check it for presets too big to generate). */
export function initHeader(config: ModelConfig): Uint8Array {
  const tensors = weightSchema(config).map((s) => ({ name: s.name, dtype: safetensorsDtype("bf16"), shape: s.shape }));
  return planLayout(tensors, { format: "pt" }).header;
}

/**
 * Each tensor generated only when the writer reaches it: norms multiply by one (the final norm by
 * `finalNormWeight`; Gemma stores a multiplier m as m − 1), everything else N(0, 0.02²).
 */
export function initWeightSources(config: ModelConfig, seed: number, finalNormWeight = 1): TensorSource[] {
  const normOffset = config.rmsNormUnitOffset ? 1 : 0;
  return weightSchema(config).map((spec) => ({
    name: spec.name,
    dtype: "bf16",
    shape: spec.shape,
    load: () => initTensor(spec, seed, finalNormWeight, normOffset),
  }));
}

function initTensor(spec: WeightSpec, seed: number, finalNormWeight: number, normOffset: number): Tensor {
  const t = Tensor.zeros(spec.shape, "bf16");
  const bits = t.data as Uint16Array;
  if (spec.name.endsWith("norm.weight")) {
    bits.fill(f32ToBf16((spec.slot.layer === undefined ? finalNormWeight : 1) - normOffset));
    return t;
  }
  // One stream per tensor, seeded by its name: the values do not depend on the order tensors are written in.
  const rng = new Rng((Math.imul(seed, 0x9e3779b1) ^ fnv1a(spec.name)) >>> 0);
  for (let i = 0; i < bits.length; i += 2) {
    // Box–Muller gives two normals per pair of uniforms.
    // 32-bit uniforms are plenty for bf16 values; u1 in (0, 1] keeps the log finite.
    const r = INIT_STD * Math.sqrt(-2 * Math.log((rng.nextU32() + 1) / 4294967296));
    const theta = (2 * Math.PI * rng.nextU32()) / 4294967296;
    bits[i] = f32ToBf16(r * Math.cos(theta));
    if (i + 1 < bits.length) bits[i + 1] = f32ToBf16(r * Math.sin(theta));
  }
  return t;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Writes the folder: config.json, generation_config.json, model.safetensors (bf16) and the tokenizer's files.
 * The folder appears whole or not at all; a non-empty `out` is replaced only with `overwrite`.
 */
export function writeInitModel(out: string, plan: InitPlan, options: { overwrite?: boolean } = {}): string[] {
  const exists = fs.existsSync(out);
  if (exists && !fs.statSync(out).isDirectory()) throw new ConfigError(`--out ${out} is a file, not a folder`);
  if (exists && fs.readdirSync(out).length > 0 && !options.overwrite) {
    throw new ConfigError(`--out ${out} is not empty`, { hint: "pass --overwrite to replace it, or choose another folder" });
  }
  const { config } = plan;
  const files: string[] = [];
  writeDirAtomic(
    out,
    (dir) => {
      fs.writeFileSync(path.join(dir, "config.json"), stringifySorted({ ...modelConfigToJson(config), torch_dtype: "bfloat16" }));
      const generation: Record<string, unknown> = { bos_token_id: config.bosTokenId, eos_token_id: plan.generationEosIds };
      if (config.padTokenId !== null) generation.pad_token_id = config.padTokenId;
      fs.writeFileSync(path.join(dir, "generation_config.json"), stringifySorted(generation));
      files.push("config.json", "generation_config.json");
      files.push(...writeCheckpoint(dir, initWeightSources(config, plan.seed, plan.finalNormWeight)));
      for (const file of plan.tokenizer?.files ?? []) {
        fs.copyFileSync(file, path.join(dir, path.basename(file)));
        files.push(path.basename(file));
      }
    },
    { replace: exists },
  );
  return files;
}
