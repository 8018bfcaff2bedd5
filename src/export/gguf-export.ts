import fs from "node:fs";
import path from "node:path";
import type { GgufKv, GgufTensorOut } from "../gguf/index.js";
import { ggufTensorName, ggufTokenizerMetadata, hfRowToGguf, kv, normWeightOffset, writeGguf } from "../gguf/index.js";
import type { GgmlTypeInfo } from "../quant/index.js";
import { quantizeGgml } from "../quant/index.js";
import { ConfigError, InputError } from "../util/errors.js";
import { packageVersion } from "../util/package-info.js";
import type { BaseModel } from "./base-model.js";
import { openBaseModel } from "./base-model.js";
import { ggufArchitecture, ggufHparams, ropeFreqDivisors } from "./gguf-hparams.js";
import type { ExportType } from "./gguf-types.js";
import { ggufFileType, planTensorTypes } from "./gguf-types.js";
import type { MergeAdapter, MergeAdapterOptions } from "./merge-adapter.js";
import { mergeWeight, readMergeAdapter } from "./merge-adapter.js";

export interface ExportGgufOptions {
  /** A HF folder, a .gguf file or `ollama:NAME`. */
  model: string;
  /** A PEFT adapter merged into the weights first. */
  adapter?: string;
  adapterOptions?: MergeAdapterOptions;
  out: string;
  type: ExportType;
  overwrite?: boolean;
  /** general.name (default: the output file name without .gguf). */
  name?: string;
  onTensor?: (index: number, count: number, name: string, type: string) => void;
}

export interface ExportGgufResult {
  out: string;
  bytes: number;
  seconds: number;
  /** GGUF name → ggml type name, in file order. */
  tensorTypes: Array<[string, string]>;
  adapter: MergeAdapter | null;
  /** Quantized types of a GGUF base: its weights were dequantized and quantized again. */
  requantizedFrom: string[];
}

/** Refuses an existing output unless `overwrite`. */
export function checkOutput(out: string, overwrite: boolean | undefined, flag = "--out"): void {
  if (fs.existsSync(out) && !overwrite) {
    throw new ConfigError(`${flag} ${out} already exists`, { hint: "pass --overwrite to replace it, or choose another path" });
  }
}

/**
 * Writes a GGUF llama.cpp and Ollama load: metadata from config.json and the tokenizer files, weights (merged
 * with the adapter first when one is given) in llama.cpp's tensor order and q/k row order, each tensor in the type
 * llama.cpp would choose for `type`. Streamed tensor by tensor into a temp file renamed at the end.
 */
export function exportGguf(options: ExportGgufOptions): ExportGgufResult {
  const started = Date.now();
  checkOutput(options.out, options.overwrite);
  const base = openBaseModel(options.model);
  try {
    const adapter = options.adapter ? readMergeAdapter(options.adapter, base, options.adapterOptions) : null;
    const plan = planTensors(base, adapter);
    const types = planTensorTypes(options.type, plan, base.config.numLayers);
    const metadata = [
      ...provenance(base, adapter, options),
      kv.u32("general.file_type", ggufFileType(options.type)),
      kv.u32("general.quantization_version", 2),
      ...ggufHparams(base.config, base.spec),
      ...tokenizerMetadata(base),
    ];
    const tensors: GgufTensorOut[] = plan.map((t, i) => ({
      name: t.name,
      ne: t.ne,
      type: types.get(t.name)!,
      bytes: () => {
        const type = types.get(t.name)!;
        options.onTensor?.(i, plan.length, t.name, type.name);
        return encode(t.values(), type, t.ne[0]);
      },
    }));
    fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
    writeGguf(options.out, metadata, tensors);
    return {
      out: options.out,
      bytes: fs.statSync(options.out).size,
      seconds: (Date.now() - started) / 1000,
      tensorTypes: plan.map((t) => [t.name, types.get(t.name)!.name]),
      adapter,
      requantizedFrom: base.quantizedTypes,
    };
  } finally {
    base.close();
  }
}

interface PlannedTensor {
  name: string;
  ne: number[];
  values(): Float32Array;
}

/**
 * The GGUF tensors of a base (HF names → GGUF names, q/k rows reordered for llama, Gemma norms stored as 1 + w in
 * f32), in llama-quantize's order.
 */
export function planTensors(base: BaseModel, adapter: MergeAdapter | null): PlannedTensor[] {
  const config = base.config;
  const arch = ggufArchitecture(config);
  const out: PlannedTensor[] = [];
  for (const hf of base.names) {
    const name = ggufTensorName(hf, arch);
    if (!name) throw new InputError(`tensor ${hf} has no GGUF name`, { file: base.spec });
    const shape = base.shape(hf);
    const heads = arch !== "llama" ? undefined : /\.self_attn\.q_proj\./.test(hf) ? config.numHeads : /\.self_attn\.k_proj\./.test(hf) ? config.numKvHeads : undefined;
    const offset = normWeightOffset(hf, arch);
    out.push({
      name,
      ne: [...shape].reverse(),
      values: () => {
        const merged = adapter ? mergeWeight(adapter, hf, shape, base.readF32(hf)) : base.readF32(hf);
        if (offset !== 0) return merged.map((w) => w + offset);
        return heads === undefined ? merged : hfRowToGguf(merged, heads, shape.length === 1 ? 1 : shape[1]);
      },
    });
  }
  if (config.ropeScaling) {
    const divisors = ropeFreqDivisors(config.headDim, config.ropeTheta, config.ropeScaling);
    out.push({ name: "rope_freqs.weight", ne: [divisors.length], values: () => divisors });
  }
  return out.sort(compareTensorNames);
}

/** llama.cpp's weight order: the block number of `blk.N.` (other tensors first), then the name byte by byte. */
function compareTensorNames(a: { name: string }, b: { name: string }): number {
  const block = (n: string) => {
    const m = /^blk\.(\d+)\./.exec(n);
    return m ? Number(m[1]) : -1;
  };
  return block(a.name) - block(b.name) || Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

function encode(values: Float32Array, type: GgmlTypeInfo, rowLength: number): Uint8Array {
  if (type.name === "F32") return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return quantizeGgml(type, values, rowLength);
}

function tokenizerMetadata(base: BaseModel): GgufKv[] {
  if (!base.tokenizer) {
    throw new InputError("the model has no tokenizer.json; a GGUF needs the tokenizer", { file: base.spec }, {
      hint: "copy the base model's tokenizer files (tokenizer.json, tokenizer_config.json) into the folder",
    });
  }
  return ggufTokenizerMetadata({
    ...base.tokenizer,
    vocabSize: base.config.vocabSize,
    stopIds: base.stopIds,
    configIds: { bos: base.config.bosTokenId, eos: base.config.eosTokenIds[0], pad: base.config.padTokenId },
  });
}

function provenance(base: BaseModel, adapter: MergeAdapter | null, options: ExportGgufOptions): GgufKv[] {
  const baseName = path.basename(base.spec.replace(/[/\\]+$/, "")).replace(/\.gguf$/, "");
  const name = options.name ?? path.basename(options.out).replace(/\.gguf$/, "");
  const out: GgufKv[] = [
    kv.string("general.architecture", ggufArchitecture(base.config)),
    kv.string("general.type", "model"),
    kv.string("general.name", name),
    kv.u32("general.base_model.count", 1),
    kv.string("general.base_model.0.name", baseName),
    kv.string("loraforge.version", packageVersion()),
    kv.string("loraforge.base_model", base.spec),
  ];
  if (adapter) {
    out.push(kv.string("loraforge.adapter", adapter.config.baseModelNameOrPath ? `${adapter.dir} (trained on ${adapter.config.baseModelNameOrPath})` : adapter.dir));
    out.push(kv.string("general.description", `${baseName} merged with the LoRA adapter ${path.basename(path.resolve(adapter.dir))} by loraforge ${packageVersion()}`));
  }
  return out;
}
