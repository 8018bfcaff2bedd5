import { stringify } from "yaml";

/**
 * The demo's training config, the same as examples/json-extraction/config.yaml. `prefix` is the demo folder as
 * seen from where the config file lives (paths in a config resolve from the file's folder).
 */
export function demoTrainConfig(prefix = ""): Record<string, unknown> {
  const at = (p: string) => (prefix === "" ? p : `${prefix.replace(/\/+$/, "")}/${p}`);
  return {
    model: at("model"),
    dtype: "f32",
    data: { train: at("data/prepared") },
    lora: { r: 16, lora_alpha: 32, lora_dropout: 0, target_modules: "all-linear" },
    learning_rate: 0.001,
    lr_scheduler_type: "constant",
    warmup_steps: 10,
    num_train_epochs: 3,
    batch_size: 4,
    max_seq_length: 128,
    eval_steps: 50,
    early_stopping_patience: 5,
    logging_steps: 10,
    save_steps: 100,
    save_total_limit: 1,
    seed: 0,
    output_dir: at("run"),
  };
}

/** The config as YAML, with a header saying where it came from. */
export function demoConfigYaml(prefix = ""): string {
  return `# written by \`loraforge demo\`; run it again with: loraforge train <this file> --overwrite\n${stringify(demoTrainConfig(prefix))}`;
}
