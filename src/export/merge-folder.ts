import fs from "node:fs";
import path from "node:path";
import type { TensorSource } from "../formats/index.js";
import { DEFAULT_MAX_SHARD_BYTES, renderModelCard, stringifySorted, writeCheckpoint } from "../formats/index.js";
import { TOKENIZER_FILE_NAMES } from "../tokenizer/index.js";
import { Tensor } from "../tensor/index.js";
import { writeDirAtomic } from "../util/atomic-write.js";
import { ConfigError } from "../util/errors.js";
import { packageVersion } from "../util/package-info.js";
import type { BaseModel } from "./base-model.js";
import { openBaseModel } from "./base-model.js";
import type { MergeAdapter, MergeAdapterOptions } from "./merge-adapter.js";
import { mergeWeight, readMergeAdapter } from "./merge-adapter.js";

export const MERGE_DTYPES = ["bf16", "f16", "f32"] as const;
export type MergeDtype = (typeof MERGE_DTYPES)[number];
const TORCH_DTYPE: Record<MergeDtype, string> = { bf16: "bfloat16", f16: "float16", f32: "float32" };

export interface MergeOptions {
  model: string;
  adapter: string;
  adapterOptions?: MergeAdapterOptions;
  out: string;
  dtype?: MergeDtype;
  maxShardBytes?: number;
  overwrite?: boolean;
}

/** How far merging into dequant(4-bit W) is from merging into W, over the projections (QLoRA adapters only). */
export interface QloraDifference {
  /** ‖W_4bit − W‖ / ‖W‖ over every projection (the adapter's ΔW cancels). */
  relativeFrobenius: number;
  maxAbs: number;
}

export interface MergeResult {
  out: string;
  files: string[];
  adapter: MergeAdapter;
  dtype: MergeDtype;
  qloraDifference: QloraDifference | null;
  seconds: number;
}

/**
 * Merges a PEFT adapter into its base and writes a complete Hugging Face folder: config.json, safetensors (sharded
 * with an index above `maxShardBytes`), generation_config.json, the tokenizer files (rebuilt ones for a GGUF
 * base) and a model card naming base and adapter. Each weight is read, merged (W + s·B·A in f32) and rounded
 * once to `dtype` when its turn comes; the folder appears at `out` in one rename.
 */
export function mergeToFolder(options: MergeOptions): MergeResult {
  const started = Date.now();
  if (fs.existsSync(options.out) && !options.overwrite) {
    throw new ConfigError(`--out ${options.out} already exists`, { hint: "pass --overwrite to replace it, or choose another folder" });
  }
  const dtype = options.dtype ?? "bf16";
  const base = openBaseModel(options.model);
  try {
    const adapter = readMergeAdapter(options.adapter, base, options.adapterOptions);
    const diff = { sq: 0, base: 0, max: 0 };
    const sources: TensorSource[] = base.names.map((name) => {
      const shape = base.shape(name);
      return {
        name,
        dtype,
        shape,
        load: () => {
          const w = base.readF32(name);
          const merged = mergeWeight(adapter, name, shape, w);
          if (adapter.quantization) accumulateDifference(diff, w, mergeWeight({ ...adapter, quantization: null }, name, shape, w), merged);
          const t = new Tensor("f32", shape, merged);
          return dtype === "f32" ? t : t.to(dtype);
        },
      };
    });
    let files: string[] = [];
    let qloraDifference: QloraDifference | null = null;
    writeDirAtomic(
      options.out,
      (tmp) => {
        files = writeCheckpoint(tmp, sources, { maxShardBytes: options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES });
        if (adapter.quantization) qloraDifference = { relativeFrobenius: Math.sqrt(diff.sq / diff.base), maxAbs: diff.max };
        files.push(...writeSideFiles(tmp, base, adapter, dtype, options, qloraDifference));
      },
      { replace: options.overwrite },
    );
    return { out: options.out, files, adapter, dtype, qloraDifference, seconds: (Date.now() - started) / 1000 };
  } finally {
    base.close();
  }
}

function accumulateDifference(diff: { sq: number; base: number; max: number }, w: Float32Array, full: Float32Array, merged: Float32Array): void {
  if (full === merged) return;
  for (let i = 0; i < w.length; i++) {
    const d = merged[i] - full[i];
    diff.sq += d * d;
    diff.base += w[i] * w[i];
    diff.max = Math.max(diff.max, Math.abs(d));
  }
}

function writeSideFiles(dir: string, base: BaseModel, adapter: MergeAdapter, dtype: MergeDtype, options: MergeOptions, qlora: QloraDifference | null): string[] {
  const written: string[] = [];
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    written.push(name);
  };
  const config: Record<string, unknown> = { ...base.rawConfig, torch_dtype: TORCH_DTYPE[dtype] };
  delete config.quantization_config;
  write("config.json", stringifySorted(config));
  if (base.generationConfig) write("generation_config.json", stringifySorted(base.generationConfig));
  if (base.kind === "hf") {
    const src = path.dirname(base.tokenizer?.file ?? path.join(base.spec, "x"));
    for (const name of TOKENIZER_FILE_NAMES) {
      if (!fs.existsSync(path.join(src, name))) continue;
      fs.copyFileSync(path.join(src, name), path.join(dir, name));
      written.push(name);
    }
  } else if (base.tokenizer) {
    write("tokenizer.json", JSON.stringify(base.tokenizer.tokenizerJson));
    write("tokenizer_config.json", stringifySorted(base.tokenizer.tokenizerConfig));
  }
  const baseModel = adapter.config.baseModelNameOrPath ?? options.model;
  write(
    "README.md",
    renderModelCard({
      relation: "finetune",
      baseModel,
      title: `${path.basename(path.resolve(options.out))}`,
      body: [
        `${base.spec} with the LoRA adapter \`${adapter.dir}\` merged in (W + s·B·A, s = ${adapter.scale}, r = ${adapter.config.r}, ${adapter.weights.size} modules), computed in f32 and stored as ${dtype}.`,
        "",
        "Made with `loraforge merge`; it loads with `AutoModelForCausalLM.from_pretrained` like any checkpoint of its architecture.",
        qlora ? qloraNote(adapter, qlora) : "",
      ].join("\n"),
      frameworkVersions: { loraforge: packageVersion() },
    }),
  );
  return written;
}

function qloraNote(adapter: MergeAdapter, d: QloraDifference): string {
  return (
    `\n## QLoRA merge\n\nThe adapter was trained on the ${adapter.quantization} 4-bit base (${adapter.quantizationSource}), so it was merged into ` +
    `dequant(${adapter.quantization}(W)) — the weights it was trained with — not into the 16-bit W. The two merges differ by ` +
    `‖ΔW‖/‖W‖ = ${d.relativeFrobenius.toExponential(3)} (max |Δ| ${d.maxAbs.toExponential(3)}) over the projections.\n`
  );
}
