import type { TrainConfig } from "../../train/index.js";
import type { Strategy } from "./strategies.js";

/**
 * requirements.txt for the job. torch / transformers / peft / trl / datasets / safetensors are the versions the
 * interop suite checks loraforge against (interop/requirements.txt); accelerate is the one that suite installs with
 * them. bitsandbytes and deepspeed are added only when the job needs them (docs/export-job.md says what ran).
 */
export const JOB_PINS = {
  torch: "2.13.0",
  transformers: "5.23.0",
  peft: "0.21.2",
  trl: "1.16.0",
  accelerate: "1.15.0",
  datasets: "5.2.0",
  safetensors: "0.8.0",
  bitsandbytes: "0.50.2",
  deepspeed: "0.19.8",
} as const;

export function requirementsText(config: TrainConfig, strategy: Strategy): string {
  const names: (keyof typeof JOB_PINS)[] = ["torch", "transformers", "peft", "trl", "accelerate", "datasets", "safetensors"];
  if (config.quantization !== undefined) names.push("bitsandbytes");
  if (strategy.startsWith("deepspeed")) names.push("deepspeed");
  return `# Written by loraforge export-job; install with: pip install -r requirements.txt\n${names.map((n) => `${n}==${JOB_PINS[n]}`).join("\n")}\n`;
}
