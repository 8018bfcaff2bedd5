import type { Command } from "commander";
import { attachAdapter, loadAdapter } from "../lora/index.js";
import type { Model } from "../model/index.js";
import { loadModel } from "../model/index.js";
import type { QuantizationName } from "../quant/index.js";
import { QUANTIZATION_NAMES } from "../quant/index.js";
import { ConfigError } from "../util/errors.js";
import { nearest } from "../util/suggest.js";

/** The flags of the commands that run a model: its folder, an optional adapter, and how to hold the weights. */
export interface ModelFlags {
  model: string;
  adapter?: string;
  dtype: string;
  quantization?: string;
}

/** Declares --model, --adapter, --dtype and --quantization on a command. */
export function withModelFlags(command: Command, modelHelp: string): Command {
  return withBaseModelFlags(command.option("--adapter <dir>", "PEFT LoRA adapter folder to apply"), modelHelp);
}

/** Declares --model, --dtype and --quantization (the base alone) on a command. */
export function withBaseModelFlags(command: Command, modelHelp: string): Command {
  return command
    .requiredOption("--model <dir|id>", `${modelHelp}, or a Hugging Face Hub id owner/name[@revision] (resolved in the HF cache)`)
    .option("--dtype <dtype>", "hold the frozen weights as f32 or bf16", "f32")
    .option("--quantization <scheme>", `quantize the projections to 4 bits on load, as a QLoRA run trained them: ${QUANTIZATION_NAMES.join(", ")}`);
}

/** Loads the model the flags name, with its adapter attached when one is given. */
export function loadModelFromFlags(flags: ModelFlags): Model {
  if (flags.dtype !== "f32" && flags.dtype !== "bf16") throw new ConfigError(`--dtype must be f32 or bf16, got ${flags.dtype}`);
  const model = loadModel(flags.model, { dtype: flags.dtype, quantization: quantizationFlag(flags.quantization) });
  if (flags.adapter) attachAdapter(model, loadAdapter(model, flags.adapter));
  return model;
}

function quantizationFlag(value: string | undefined): QuantizationName | undefined {
  if (value === undefined || (QUANTIZATION_NAMES as readonly string[]).includes(value)) return value as QuantizationName | undefined;
  const near = nearest(value, QUANTIZATION_NAMES);
  throw new ConfigError(`--quantization ${value}: expected one of ${QUANTIZATION_NAMES.join(", ")}`, near ? { hint: `did you mean ${near}?` } : {});
}
