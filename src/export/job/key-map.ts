import type { TrainConfig } from "../../train/index.js";
import { computeDtypeOf } from "../../train/index.js";
import { ConfigError } from "../../util/errors.js";
import type { BatchPlan } from "./batch-plan.js";
import type { Strategy } from "./strategies.js";

/** What the job's train.py receives (job.json): keyword arguments of the Python classes, by their own names. */
export interface JobSettings {
  /** AutoModelForCausalLM.from_pretrained: torch dtype name, and BitsAndBytesConfig kwargs for QLoRA. */
  model: { dtype: "float32" | "bfloat16"; quantization: Record<string, unknown> | null };
  /** peft.LoraConfig kwargs. */
  lora: Record<string, unknown>;
  /** trl.SFTConfig kwargs. */
  sft: Record<string, unknown>;
  /** transformers.EarlyStoppingCallback(early_stopping_patience=...), or null. */
  early_stopping_patience: number | null;
}

export interface JobContext {
  config: TrainConfig;
  batch: BatchPlan;
  strategy: Strategy;
  hasValidation: boolean;
}

/**
 * How a config key reaches the job: `mapped` (same meaning under TRL/PEFT/transformers' name), `approximated`
 * (nearest TRL setting; the note is printed when the difference is in effect), `prepared` (applied by loraforge's
 * data preparation before export: the job gets token ids and labels). A value TRL cannot express is refused.
 */
export type KeyKind = "mapped" | "approximated" | "prepared";

export interface KeyRule {
  kind: KeyKind;
  /** Writes the key's settings; returns a note to print when the job differs from loraforge for this value. */
  apply(ctx: JobContext, out: JobSettings): string | undefined;
}

const preparedData: KeyRule = { kind: "prepared", apply: () => undefined };

function set(target: Record<string, unknown>, key: string, value: unknown): undefined {
  target[key] = value;
  return undefined;
}

/** Every key of the training config, dotted (`lora.r`), with its rule. test/export-job checks the list is complete. */
export const KEY_RULES: Record<string, KeyRule> = {
  model: { kind: "mapped", apply: () => undefined }, // model_name_or_path: written by the exporter from modelSource()
  dtype: {
    kind: "approximated",
    apply: ({ config }, out) => {
      out.model.dtype = config.dtype === "bf16" ? "bfloat16" : "float32";
      out.sft.bf16 = config.dtype === "bf16";
      return config.dtype === "bf16"
        ? "dtype bf16: the base is loaded in bfloat16 and training runs under bf16 autocast (bf16: true), so activations are bf16 where loraforge keeps them f32"
        : undefined;
    },
  },
  // loraforge's bf16 compute mode (bf16 operands, f32 accumulation, f32 LoRA and optimizer) is what bf16 autocast
  // does; both spellings of the key set it, after `dtype` above has had its say.
  bf16: { kind: "mapped", apply: ({ config }, out) => (computeDtypeOf(config) === "bf16" ? set(out.sft, "bf16", true) : undefined) },
  compute_dtype: { kind: "mapped", apply: ({ config }, out) => (computeDtypeOf(config) === "bf16" ? set(out.sft, "bf16", true) : undefined) },
  quantization: {
    kind: "mapped",
    apply: ({ config, strategy }, out) => {
      if (config.quantization === undefined) return undefined;
      const [type, noDouble] = [config.quantization.split("-")[0], config.quantization.endsWith("-no-double-quant")];
      const dtype = config.dtype === "bf16" ? "bfloat16" : "float32";
      out.model.quantization = {
        load_in_4bit: true,
        bnb_4bit_quant_type: type,
        bnb_4bit_use_double_quant: !noDouble,
        bnb_4bit_compute_dtype: dtype,
        // FSDP and ZeRO-3 shard flat parameters of one dtype: the 4-bit storage must match the rest of the model.
        ...(strategy === "fsdp" || strategy === "deepspeed-zero3" ? { bnb_4bit_quant_storage: dtype } : {}),
      };
      return undefined;
    },
  },
  "data.train": preparedData,
  "data.validation": preparedData,
  "data.val_fraction": preparedData,
  "data.format": preparedData,
  "data.chat_template": preparedData,
  "data.train_on": preparedData,
  "data.truncation": preparedData,
  "data.skip_invalid": preparedData,
  "data.assistant_first": preparedData,
  "lora.r": { kind: "mapped", apply: ({ config }, out) => set(out.lora, "r", config.lora.r) },
  "lora.lora_alpha": { kind: "mapped", apply: ({ config }, out) => set(out.lora, "lora_alpha", config.lora.lora_alpha) },
  "lora.lora_dropout": { kind: "mapped", apply: ({ config }, out) => set(out.lora, "lora_dropout", config.lora.lora_dropout) },
  "lora.target_modules": { kind: "mapped", apply: ({ config }, out) => set(out.lora, "target_modules", config.lora.target_modules) },
  "lora.use_rslora": { kind: "mapped", apply: ({ config }, out) => set(out.lora, "use_rslora", config.lora.use_rslora) },
  learning_rate: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "learning_rate", config.learning_rate) },
  lr_scheduler_type: {
    kind: "mapped",
    // loraforge's constant schedule honours warmup; transformers' "constant" ignores it, "constant_with_warmup" does not.
    apply: ({ config }, out) => {
      const warm = config.warmup_steps > 0 || config.warmup_ratio > 0;
      return set(out.sft, "lr_scheduler_type", config.lr_scheduler_type === "constant" && warm ? "constant_with_warmup" : config.lr_scheduler_type);
    },
  },
  warmup_ratio: {
    kind: "approximated",
    // transformers 5 reads a warmup_steps below 1 as a ratio (ceil(ratio · total), as loraforge); warmup_steps wins in both.
    apply: ({ config }, out) => {
      if (config.warmup_steps > 0 || config.warmup_ratio === 0) return undefined;
      if (config.warmup_ratio < 1) return set(out.sft, "warmup_steps", config.warmup_ratio);
      out.sft.warmup_steps = 0.999999;
      return "warmup_ratio 1: written as warmup_steps 0.999999 (transformers reads 1 as one step); ceil(0.999999 · total) is the whole run below a million steps";
    },
  },
  warmup_steps: {
    kind: "mapped",
    apply: ({ config }, out) => (config.warmup_steps > 0 || config.warmup_ratio === 0 ? set(out.sft, "warmup_steps", config.warmup_steps) : undefined),
  },
  num_train_epochs: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "num_train_epochs", config.num_train_epochs) },
  max_steps: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "max_steps", config.max_steps ?? -1) },
  batch_size: {
    kind: "approximated",
    apply: ({ config, batch }, out) => {
      out.sft.per_device_train_batch_size = batch.perDeviceBatch;
      return batch.processes > 1
        ? `batch_size ${config.batch_size} × gradient_accumulation_steps ${config.gradient_accumulation_steps} = ${batch.globalBatch} rows per optimizer step, kept: ` +
            `${batch.processes} processes × per_device_train_batch_size ${batch.perDeviceBatch} × gradient_accumulation_steps ${batch.gradientAccumulation}`
        : undefined;
    },
  },
  eval_batch_size: {
    kind: "mapped",
    apply: ({ config }, out) => set(out.sft, "per_device_eval_batch_size", config.eval_batch_size ?? config.batch_size),
  },
  gradient_accumulation_steps: {
    kind: "mapped", // the batch_size rule prints how the global batch is shared
    apply: ({ batch }, out) => set(out.sft, "gradient_accumulation_steps", batch.gradientAccumulation),
  },
  max_seq_length: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "max_length", config.max_seq_length) },
  packing: {
    kind: "approximated",
    apply: ({ config }, out) => {
      out.sft.packing = config.packing;
      return config.packing
        ? "packing: TRL packs best-fit-decreasing with position_ids (padding-free); attention stays inside each example only with a " +
            "flash-attention implementation, and rows are grouped differently from loraforge's packer"
        : undefined;
    },
  },
  train_sampling_strategy: {
    kind: "approximated",
    apply: ({ config }, out) => {
      out.sft.train_sampling_strategy = config.train_sampling_strategy;
      return config.train_sampling_strategy === "random"
        ? "train_sampling_strategy random: torch's sampler seeded with `seed` orders the records, not loraforge's permutation"
        : undefined;
    },
  },
  weight_decay: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "weight_decay", config.weight_decay) },
  max_grad_norm: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "max_grad_norm", config.max_grad_norm) },
  optim: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "optim", config.optim === "adamw" ? "adamw_torch" : "sgd") },
  adam_beta1: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "adam_beta1", config.adam_beta1) },
  adam_beta2: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "adam_beta2", config.adam_beta2) },
  adam_epsilon: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "adam_epsilon", config.adam_epsilon) },
  eval_steps: {
    kind: "mapped",
    // loraforge ends with the adapter of the best validation loss whenever it has validation data.
    apply: ({ config, hasValidation }, out) => {
      if (!hasValidation) return set(out.sft, "eval_strategy", "no");
      Object.assign(out.sft, config.eval_steps === undefined ? { eval_strategy: "epoch" } : { eval_strategy: "steps", eval_steps: config.eval_steps });
      Object.assign(out.sft, { load_best_model_at_end: true, metric_for_best_model: "eval_loss", greater_is_better: false });
      return undefined;
    },
  },
  save_steps: {
    kind: "approximated",
    apply: ({ config, hasValidation }, out) => {
      if (!hasValidation) {
        Object.assign(out.sft, { save_strategy: "steps", save_steps: config.save_steps });
        return undefined;
      }
      // transformers loads the best among saved checkpoints: saving at every evaluation makes that every evaluation.
      if (config.eval_steps === undefined) {
        out.sft.save_strategy = "epoch";
        return `save_steps ${config.save_steps}: checkpoints are saved at every evaluation (each epoch) so the best one can be loaded at the end`;
      }
      Object.assign(out.sft, { save_strategy: "steps", save_steps: config.eval_steps });
      return config.save_steps === config.eval_steps
        ? undefined
        : `save_steps ${config.save_steps} → ${config.eval_steps}: checkpoints are saved at every evaluation so the best one can be loaded at the end`;
    },
  },
  save_total_limit: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "save_total_limit", config.save_total_limit) },
  logging_steps: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "logging_steps", config.logging_steps) },
  early_stopping_patience: {
    kind: "mapped",
    apply: ({ config, hasValidation }, out) => {
      if (config.early_stopping_patience !== undefined && !hasValidation) {
        throw new ConfigError("early_stopping_patience needs validation data, and this config has none", {
          hint: "set data.validation or data.val_fraction > 0, or remove early_stopping_patience",
        });
      }
      out.early_stopping_patience = config.early_stopping_patience ?? null;
      return undefined;
    },
  },
  seed: { kind: "mapped", apply: ({ config }, out) => set(out.sft, "seed", config.seed) },
  gradient_checkpointing: {
    kind: "mapped",
    apply: ({ config }, out) => {
      const on = config.gradient_checkpointing ?? config.quantization !== undefined;
      out.sft.gradient_checkpointing = on;
      if (on) out.sft.gradient_checkpointing_kwargs = { use_reentrant: false };
      return undefined;
    },
  },
  output_dir: {
    kind: "approximated",
    apply: ({ config }, out) => {
      out.sft.output_dir = "output";
      return `output_dir ${config.output_dir}: the job writes into its own output/ (checkpoints, and the final PEFT adapter in output/adapter)`;
    },
  },
};

/** Applies every rule in the table's order; returns job.json's settings and the notes to print. */
export function mapConfig(ctx: JobContext): { settings: JobSettings; notes: string[] } {
  const settings: JobSettings = {
    model: { dtype: "float32", quantization: null },
    lora: { task_type: "CAUSAL_LM", bias: "none" },
    // Fixed: no tracker unless the user adds one; LoRA leaves frozen parameters out of the backward pass.
    sft: { report_to: "none", ddp_find_unused_parameters: false },
    early_stopping_patience: null,
  };
  const notes: string[] = [];
  for (const rule of Object.values(KEY_RULES)) {
    const note = rule.apply(ctx, settings);
    if (note) notes.push(note);
  }
  return { settings, notes };
}
