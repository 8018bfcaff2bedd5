/** What bench/sft/run.ts hands both sides (as a JSON file): the same model, data, LoRA config and schedule. */
export interface BenchSettings {
  model: string;
  /** A prepared folder: train.jsonl / val.jsonl of {"input_ids", "labels"}. */
  data: string;
  output_dir: string;
  /** How loraforge holds the frozen base (the folder is bf16, so "bf16" loses nothing). */
  dtype: "f32" | "bf16";
  lora: { r: number; lora_alpha: number; lora_dropout: number };
  learning_rate: number;
  lr_scheduler_type: "linear" | "cosine" | "constant";
  warmup_steps: number;
  batch_size: number;
  eval_batch_size: number;
  gradient_accumulation_steps: number;
  max_seq_length: number;
  weight_decay: number;
  max_grad_norm: number;
  seed: number;
  threads: number;
  pad_id: number;
  /** Mixed precision on both sides: loraforge's bf16 compute mode (`bf16: true`), TRL's `bf16=True` (autocast). */
  bf16: boolean;
}
