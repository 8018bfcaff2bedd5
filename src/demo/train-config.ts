import { stringify } from "yaml";
import type { DemoBase } from "./base.js";

/**
 * The demo's training config (with the pretrained base, the same as examples/json-extraction/config.yaml).
 * `prefix` is the demo folder as seen from where the config file lives (paths in a config resolve from the file's
 * folder); a random base lives in that folder, a GGUF wherever the cache holds it.
 */
export function demoTrainConfig(base: Pick<DemoBase, "kind" | "model" | "training">, prefix = ""): Record<string, unknown> {
  const at = (p: string) => (prefix === "" ? p : `${prefix.replace(/\/+$/, "")}/${p}`);
  const t = base.training;
  return {
    model: base.kind === "random" ? at("model") : base.model,
    dtype: "f32",
    data: { train: at("data/prepared") },
    lora: { r: 16, lora_alpha: 32, lora_dropout: 0, target_modules: "all-linear" },
    learning_rate: t.learningRate,
    lr_scheduler_type: "constant",
    warmup_steps: t.warmupSteps,
    num_train_epochs: t.epochs,
    batch_size: 4,
    max_seq_length: t.maxSeqLength,
    eval_steps: t.evalSteps,
    early_stopping_patience: t.patience,
    logging_steps: 10,
    save_steps: 100,
    save_total_limit: 1,
    seed: 0,
    output_dir: at("run"),
  };
}

/** The config as YAML, with a header saying where it came from. */
export function demoConfigYaml(base: Pick<DemoBase, "kind" | "model" | "training">, prefix = ""): string {
  return `# written by \`loraforge demo\`; run it again with: loraforge train <this file> --overwrite\n${stringify(demoTrainConfig(base, prefix))}`;
}
