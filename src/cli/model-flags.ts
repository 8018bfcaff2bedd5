import type { Command } from "commander";
import { attachAdapter, loadAdapter } from "../lora/index.js";
import type { Model } from "../model/index.js";
import { loadModel } from "../model/index.js";
import { ConfigError } from "../util/errors.js";

/** The flags of the commands that run a model: its folder, an optional adapter, and how to hold the weights. */
export interface ModelFlags {
  model: string;
  adapter?: string;
  dtype: string;
}

/** Declares --model, --adapter and --dtype on a command. */
export function withModelFlags(command: Command, modelHelp: string): Command {
  return command
    .requiredOption("--model <dir>", modelHelp)
    .option("--adapter <dir>", "PEFT LoRA adapter folder to apply")
    .option("--dtype <dtype>", "hold the frozen weights as f32 or bf16", "f32");
}

/** Loads the model the flags name, with its adapter attached when one is given. */
export function loadModelFromFlags(flags: ModelFlags): Model {
  if (flags.dtype !== "f32" && flags.dtype !== "bf16") throw new ConfigError(`--dtype must be f32 or bf16, got ${flags.dtype}`);
  const model = loadModel(flags.model, { dtype: flags.dtype });
  if (flags.adapter) attachAdapter(model, loadAdapter(model, flags.adapter));
  return model;
}
