import fs from "node:fs";
import type { Command } from "commander";
import type { ModelConfig } from "../model/index.js";
import { PRESET_NAMES, presetConfig, readModelFolder } from "../model/index.js";
import type { MemoryPlan, PlanDims } from "../quant/index.js";
import { parseByteSize, planMemory } from "../quant/index.js";
import { nativeInfo } from "../tensor/index.js";
import { ConfigError } from "../util/errors.js";

interface EstimateFlags {
  model: string;
  method: string;
  batchSize: string;
  maxSeqLength: string;
  gradientCheckpointing?: boolean;
  loraR: string;
  loraDropout: string;
  budget?: string;
  json?: boolean;
}

function positive(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ConfigError(`${flag} ${value}: expected a positive integer`);
  return Number(value);
}

function modelConfig(model: string): ModelConfig {
  if ((PRESET_NAMES as readonly string[]).includes(model)) return presetConfig(model);
  if (fs.existsSync(model) || model.startsWith("ollama:")) return readModelFolder(model).config;
  throw new ConfigError(`--model ${model}: neither a model (folder, .gguf, ollama:NAME) nor a preset (${PRESET_NAMES.join(", ")})`);
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

function render(plan: MemoryPlan, budget: number | undefined): string {
  const w = plan.weights;
  const lines = [
    `weights       ${gib(w.total)}  (projections ${gib(w.linears)}, embeddings ${gib(w.embeddings)}${w.lmHead ? `, lm_head ${gib(w.lmHead)}` : ""})`,
    `LoRA          ${gib(plan.lora.total)}  (${plan.lora.parameters.toLocaleString("en-US")} parameters: values ${gib(plan.lora.params)}, gradients ${gib(plan.lora.gradients)}, AdamW ${gib(plan.lora.optimizer)})`,
    `activations   ${gib(plan.activations)}`,
    `scratch       ${gib(plan.scratch)}`,
    `runtime       ${gib(plan.runtime)}`,
    `peak          ${gib(plan.total)}${plan.loadPeak >= plan.total ? " (while loading)" : ""}`,
  ];
  if (budget !== undefined) lines.push(plan.total <= budget ? `fits in ${gib(budget)} (${gib(budget - plan.total)} to spare)` : `does NOT fit in ${gib(budget)} (${gib(plan.total - budget)} over)`);
  return lines.join("\n");
}

export function registerEstimate(program: Command): void {
  program
    .command("estimate")
    .description("predict the peak memory of a LoRA or QLoRA training step (weights, LoRA state, activations, scratch)")
    .requiredOption("--model <dir|preset>", `a model folder or a preset (${PRESET_NAMES.join(", ")})`)
    .option("--method <lora|qlora>", "lora: bf16 base; qlora: NF4 base with double quantization", "lora")
    .option("--batch-size <n>", "sequences per micro-batch", "1")
    .option("--max-seq-length <n>", "tokens per sequence", "512")
    .option("--gradient-checkpointing", "keep only each layer's input (default on for qlora)")
    .option("--no-gradient-checkpointing", "keep every layer's activations")
    .option("--lora-r <n>", "LoRA rank (all seven projections)", "16")
    .option("--lora-dropout <p>", "LoRA dropout (> 0 keeps a masked input copy per adapter)", "0.05")
    .option("--budget <size>", "memory available, e.g. 16GB, 512MiB")
    .option("--json", "print the plan as JSON")
    .action((flags: EstimateFlags) => {
      if (flags.method !== "lora" && flags.method !== "qlora") throw new ConfigError(`--method must be lora or qlora, got ${flags.method}`);
      const budget = flags.budget === undefined ? undefined : parseByteSize(flags.budget);
      if (flags.budget !== undefined && budget === undefined) throw new ConfigError(`--budget ${flags.budget}: expected a size like 16GB or 512MiB`);
      const dropout = Number(flags.loraDropout);
      if (!(dropout >= 0 && dropout < 1)) throw new ConfigError(`--lora-dropout ${flags.loraDropout}: expected a number in [0, 1)`);
      const c = modelConfig(flags.model);
      const dims: PlanDims = {
        hiddenSize: c.hiddenSize,
        intermediateSize: c.intermediateSize,
        numLayers: c.numLayers,
        numHeads: c.numHeads,
        numKvHeads: c.numKvHeads,
        headDim: c.headDim,
        vocabSize: c.vocabSize,
        tieWordEmbeddings: c.tieWordEmbeddings,
        sandwichNorms: c.sandwichNorms,
      };
      const plan = planMemory(dims, {
        method: flags.method,
        batchSize: positive("--batch-size", flags.batchSize),
        maxSeqLength: positive("--max-seq-length", flags.maxSeqLength),
        gradientCheckpointing: flags.gradientCheckpointing ?? flags.method === "qlora",
        loraR: positive("--lora-r", flags.loraR),
        loraDropout: dropout,
        threads: nativeInfo().threads,
      });
      if (flags.json) console.log(JSON.stringify({ ...plan, budget, fits: budget === undefined ? undefined : plan.total <= budget }, null, 2));
      else console.log(render(plan, budget));
      if (budget !== undefined && plan.total > budget) process.exitCode = 3;
    });
}
