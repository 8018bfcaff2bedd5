import { z } from "zod";
import { QUANTIZATION_NAMES } from "../quant/index.js";

/**
 * The training config: one YAML/JSON file, names close to TRL's SFTConfig and PEFT's LoraConfig.
 * Defaults follow TRL/PEFT except where noted (learning_rate 2e-4 is the usual LoRA rate; TRL's 2e-5 is a
 * full-fine-tuning default).
 */
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/**
 * JSONL/JSON/CSV/Parquet files (prepared on the fly into output_dir/data, as `loraforge data prepare` does), or a
 * folder written by `data prepare`, or JSONL files of {"input_ids", "labels"}.
 */
const dataFiles = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const dataSchema = z.strictObject({
  train: dataFiles,
  /** A validation file or prepared folder; otherwise `val_fraction` of the training records. */
  validation: z.string().min(1).optional(),
  val_fraction: z.number().min(0).max(0.5).default(0.05),
  format: z.enum(["auto", "messages", "sharegpt", "alpaca", "prompt-completion", "text"]).default("auto"),
  /** A Jinja file or a built-in name (chatml, llama3, ...); default: the model's own template. */
  chat_template: z.string().min(1).optional(),
  /** Train every assistant turn, or only the last (chat data is always trained on assistant turns only). */
  train_on: z.enum(["all", "last"]).default("all"),
  truncation: z.enum(["turns", "drop", "right", "left"]).default("turns"),
  skip_invalid: z.boolean().default(false),
  /** Conversations that start with the assistant: keep, drop, or train only the later turns (docs/data.md). */
  assistant_first: z.enum(["keep", "drop", "later-turns"]).default("later-turns"),
});

export const loraSchema = z.strictObject({
  r: positiveInt.default(16),
  lora_alpha: z.number().positive().default(32),
  lora_dropout: z.number().min(0).lt(1).default(0.05),
  /** Module names, "all-linear", or a regex (full match, as PEFT). */
  target_modules: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default("all-linear"),
  use_rslora: z.boolean().default(false),
});

export const trainConfigSchema = z.strictObject({
  /** The base: a Hugging Face model folder, a .gguf file, or an Ollama model as ollama:NAME[:TAG]. */
  model: z.string().min(1),
  /** How the frozen base weights are held in memory. */
  dtype: z.enum(["f32", "bf16"]).default("bf16"),
  /** QLoRA: hold the frozen attention/MLP projections in 4 bits (bitsandbytes nf4/fp4); absent: `dtype`. */
  quantization: z.enum(QUANTIZATION_NAMES).optional(),
  /** The data settings, or just the training file(s): `data: chat.jsonl` stands for `data: { train: chat.jsonl }`. */
  data: z.union([dataSchema, dataFiles.transform((train) => dataSchema.parse({ train }))]),
  lora: loraSchema.default(loraSchema.parse({})),
  learning_rate: z.number().positive().default(2e-4),
  lr_scheduler_type: z.enum(["linear", "cosine", "constant"]).default("linear"),
  warmup_ratio: z.number().min(0).max(1).default(0),
  warmup_steps: nonNegativeInt.default(0),
  num_train_epochs: z.number().positive().default(3),
  /** When set, wins over num_train_epochs. */
  max_steps: positiveInt.optional(),
  batch_size: positiveInt.default(8),
  eval_batch_size: positiveInt.optional(),
  gradient_accumulation_steps: positiveInt.default(1),
  max_seq_length: positiveInt.default(1024),
  packing: z.boolean().default(false),
  /** "random": records reshuffled each epoch from the seed; "sequential": file order (as transformers names it). */
  train_sampling_strategy: z.enum(["random", "sequential"]).default("random"),
  weight_decay: z.number().min(0).default(0),
  /** 0 disables clipping. */
  max_grad_norm: z.number().min(0).default(1),
  optim: z.enum(["adamw", "sgd"]).default("adamw"),
  adam_beta1: z.number().min(0).lt(1).default(0.9),
  adam_beta2: z.number().min(0).lt(1).default(0.999),
  adam_epsilon: z.number().positive().default(1e-8),
  /** Evaluate every N optimizer steps; absent: at the end of each epoch. */
  eval_steps: positiveInt.optional(),
  save_steps: positiveInt.default(500),
  save_total_limit: positiveInt.default(2),
  logging_steps: positiveInt.default(10),
  /** Stop after this many evaluations without a new best validation loss. */
  early_stopping_patience: positiveInt.optional(),
  seed: nonNegativeInt.default(42),
  /** Absent: on with `quantization` (as the QLoRA recipes run), off otherwise. */
  gradient_checkpointing: z.boolean().optional(),
  output_dir: z.string().min(1).default("output"),
  /**
   * Mixed precision, as TRL names it: the frozen projections and the lm_head compute on bf16 operands with f32
   * sums; LoRA weights, gradients, optimizer state and the loss stay f32 (docs/performance.md).
   */
  bf16: z.boolean().optional(),
  /** The same choice by name: "bf16" is `bf16: true`. */
  compute_dtype: z.enum(["f32", "bf16"]).optional(),
}).superRefine((c, ctx) => {
  if (c.bf16 !== undefined && c.compute_dtype !== undefined && c.bf16 !== (c.compute_dtype === "bf16")) {
    ctx.addIssue({ code: "custom", path: ["bf16"], message: `bf16: ${c.bf16} contradicts compute_dtype: ${c.compute_dtype}; keep one` });
  }
});

/** The compute dtype a config asks for (`bf16` or `compute_dtype`; f32 when neither is set). */
export function computeDtypeOf(config: Pick<TrainConfig, "bf16" | "compute_dtype">): "f32" | "bf16" {
  return config.bf16 === true || config.compute_dtype === "bf16" ? "bf16" : "f32";
}

export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

/** TRL/transformers spellings accepted for our keys (dotted paths). */
export const KEY_ALIASES: Record<string, string> = {
  max_length: "max_seq_length",
  per_device_train_batch_size: "batch_size",
  per_device_eval_batch_size: "eval_batch_size",
  model_name_or_path: "model",
  lora_r: "lora.r",
  lora_alpha: "lora.lora_alpha",
  lora_dropout: "lora.lora_dropout",
  lora_target_modules: "lora.target_modules",
  use_rslora: "lora.use_rslora",
  "lora.alpha": "lora.lora_alpha",
  "lora.dropout": "lora.lora_dropout",
};
