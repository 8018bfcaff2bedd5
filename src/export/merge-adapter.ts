import fs from "node:fs";
import path from "node:path";
import type { LoraAdapterConfig, LoraWeights } from "../formats/index.js";
import { readAdapterFolder, readJsonObject } from "../formats/index.js";
import { loraScale } from "../lora/index.js";
import { linearModuleShapes } from "../model/index.js";
import type { QuantizationName } from "../quant/index.js";
import { QUANTIZATION_NAMES, dequantizeWeight, quantScheme, quantizeTensor } from "../quant/index.js";
import { Tensor, cpuBackend } from "../tensor/index.js";
import { ConfigError, InputError } from "../util/errors.js";
import type { BaseModel } from "./base-model.js";

/**
 * A PEFT adapter read for merging into a base, tensor by tensor: W' = W + s·B·A, the product computed in f32 on
 * the native GEMM and added to W in f32, so the merged weight is rounded once, when it is stored. A QLoRA adapter
 * (its run trained against a 4-bit base) merges into dequant(4-bit W), the weights it was trained with.
 */
export interface MergeAdapter {
  dir: string;
  config: LoraAdapterConfig;
  weights: LoraWeights;
  scale: number;
  /** The 4-bit scheme the adapter was trained against, or null for a 16/32-bit base. */
  quantization: QuantizationName | null;
  /** What run.json says the adapter was trained on (null: a 16/32-bit base, or no run.json). */
  trainedOn: QuantizationName | null;
  /** Where that was read from (run.json), for the report. */
  quantizationSource: string | null;
}

export interface MergeAdapterOptions {
  /** A run folder whose run.json says how the base was held in training (default: the adapter's parent). */
  run?: string;
  /** Merge into the 16-bit base even for a QLoRA adapter. */
  into?: "trained" | "full";
  /** Accept an adapter whose base_model_name_or_path names another model (shapes are still checked). */
  ignoreBaseName?: boolean;
}

export function readMergeAdapter(dir: string, base: BaseModel, options: MergeAdapterOptions = {}): MergeAdapter {
  const { config, weights } = readAdapterFolder(dir, { dtype: "f32", baseShapes: linearModuleShapes(base.config) });
  if (!options.ignoreBaseName) checkBaseName(config, base, dir);
  const run = readRunQuantization(dir, options.run);
  const quantization = options.into === "full" ? null : run.quantization;
  return { dir, config, weights, scale: loraScale(config), quantization, trainedOn: run.quantization, quantizationSource: run.source };
}

const PROJECTION = /^model\.layers\.\d+\.(self_attn|mlp)\.(q|k|v|o|gate|up|down)_proj\.weight$/;

/**
 * The merged weight for an HF tensor name: `w` (HF layout, f32) plus s·B·A when the adapter has that module.
 * With a QLoRA adapter every projection (adapted or not) is dequant(quant4(w)), as the run held it.
 */
export function mergeWeight(adapter: MergeAdapter, hfName: string, shape: readonly number[], w: Float32Array): Float32Array {
  const baseW = adapter.quantization && PROJECTION.test(hfName) ? quantRoundTrip(w, shape, adapter.quantization) : w;
  const pair = adapter.weights.get(hfName.replace(/\.weight$/, ""));
  if (!pair) return baseW;
  const delta = cpuBackend.gemm(pair.B, pair.A, { alpha: adapter.scale }).data as Float32Array;
  const out = new Float32Array(baseW.length);
  for (let i = 0; i < out.length; i++) out[i] = baseW[i] + delta[i];
  return out;
}

/** dequant(quant4(w)): the base weight a QLoRA run computed with. */
export function quantRoundTrip(w: Float32Array, shape: readonly number[], name: QuantizationName): Float32Array {
  const q = quantizeTensor(new Tensor("f32", shape, w), quantScheme(name));
  return dequantizeWeight(cpuBackend, q).data as Float32Array;
}

function normalizedName(spec: string): string {
  const base = path.basename(spec.replace(/^ollama:/, "").replace(/[/\\]+$/, "")).toLowerCase();
  return base.replace(/\.gguf$/, "").replace(/[.-](f32|f16|bf16|q\d(_[0-9a-z]+)*)$/, "");
}

/**
 * adapter_config.json's base_model_name_or_path against the base given: the same model when one name (folder or
 * file name, lower case, without a .gguf / quantization suffix) contains the other. Shapes are checked separately.
 */
function checkBaseName(config: LoraAdapterConfig, base: BaseModel, dir: string): void {
  const named = config.baseModelNameOrPath;
  if (!named) return;
  if (fs.existsSync(named) && fs.existsSync(base.spec) && path.resolve(named) === path.resolve(base.spec)) return;
  const a = normalizedName(named);
  const b = normalizedName(base.spec);
  if (a.includes(b) || b.includes(a)) return;
  throw new InputError(`the adapter was trained on ${JSON.stringify(named)}, not on ${JSON.stringify(base.spec)}`, { file: path.join(dir, "adapter_config.json"), field: "base_model_name_or_path" }, {
    hint: "pass the base it was trained on as --model; if this is the same model under another name, add --ignore-base-name",
  });
}

/** run.json's training quantization: from --run, else the adapter's parent folder when it is a run folder. */
function readRunQuantization(adapterDir: string, runDir: string | undefined): { quantization: QuantizationName | null; source: string | null } {
  const candidate = path.join(runDir ?? path.dirname(path.resolve(adapterDir)), "run.json");
  if (!fs.existsSync(candidate)) {
    if (runDir !== undefined) throw new ConfigError(`--run ${runDir}: no run.json there`);
    return { quantization: null, source: null };
  }
  const run = readJsonObject(candidate);
  const q = (run.config as Record<string, unknown> | undefined)?.quantization;
  if (q === undefined || q === null) return { quantization: null, source: candidate };
  if (typeof q !== "string" || !(QUANTIZATION_NAMES as readonly string[]).includes(q)) {
    throw new InputError(`config.quantization ${JSON.stringify(q)} is not one of ${QUANTIZATION_NAMES.join(", ")}`, { file: candidate, field: "config.quantization" });
  }
  return { quantization: q as QuantizationName, source: candidate };
}
