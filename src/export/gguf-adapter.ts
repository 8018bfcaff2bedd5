import fs from "node:fs";
import path from "node:path";
import type { GgufTensorOut } from "../gguf/index.js";
import { ggufTensorName, hfRowToGguf, kv, writeGguf } from "../gguf/index.js";
import { ggmlTypeByName, quantizeGgml } from "../quant/index.js";
import { ConfigError, InputError } from "../util/errors.js";
import { packageVersion } from "../util/package-info.js";
import { openBaseModel } from "./base-model.js";
import { checkOutput } from "./gguf-export.js";
import { ggufArchitecture } from "./gguf-hparams.js";
import type { MergeAdapter, MergeAdapterOptions } from "./merge-adapter.js";
import { readMergeAdapter } from "./merge-adapter.js";

export interface ExportGgufAdapterOptions {
  adapter: string;
  /** The base the adapter will run on (its architecture and shapes are checked; no weight is read). */
  model: string;
  adapterOptions?: Omit<MergeAdapterOptions, "into">;
  out: string;
  type?: "f32" | "f16";
  overwrite?: boolean;
}

export interface ExportGgufAdapterResult {
  out: string;
  bytes: number;
  adapter: MergeAdapter;
  /** adapter.lora.alpha as written (lora_alpha·√r for rsLoRA). */
  alpha: number;
  tensors: number;
}

/**
 * A PEFT LoRA adapter as llama.cpp's GGUF LoRA file (docs/formats/gguf.md, "LoRA adapters"): `general.type`
 * adapter, `adapter.type` lora, `adapter.lora.alpha` (f32; rsLoRA's alpha/√r written as alpha·√r, since llama.cpp
 * scales by alpha/r), `<base tensor>.lora_a` ne [in, r] and `.lora_b` ne [r, out] — PEFT's A and B as they are,
 * except that B's rows of q_proj / k_proj take llama.cpp's q/k order on `llama` models.
 */
export function exportGgufAdapter(options: ExportGgufAdapterOptions): ExportGgufAdapterResult {
  checkOutput(options.out, options.overwrite);
  const base = openBaseModel(options.model);
  let adapter: MergeAdapter;
  try {
    adapter = readMergeAdapter(options.adapter, base, { ...options.adapterOptions, into: "full" });
  } finally {
    base.close();
  }
  const config = base.config;
  const arch = ggufArchitecture(config);
  const { r, loraAlpha, useRslora } = adapter.config;
  const alpha = useRslora ? loraAlpha * Math.sqrt(r) : loraAlpha;
  if (!(alpha > 0)) throw new ConfigError(`lora_alpha ${loraAlpha} cannot be written: llama.cpp reads alpha 0 as "no scaling"`);
  const type = ggmlTypeByName(options.type === "f16" ? "F16" : "F32");
  const tensors: GgufTensorOut[] = [];
  const modules = [...adapter.weights.keys()].sort(byLayerThenName);
  for (const module of modules) {
    const name = ggufTensorName(`${module}.weight`, arch);
    if (!name) throw new InputError(`module ${module} has no llama.cpp tensor`, { file: options.adapter });
    const { A, B } = adapter.weights.get(module)!;
    const heads = arch !== "llama" ? undefined : module.endsWith(".q_proj") ? config.numHeads : module.endsWith(".k_proj") ? config.numKvHeads : undefined;
    const encode = (values: Float32Array, rowLength: number) =>
      type.name === "F32" ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : quantizeGgml(type, values, rowLength);
    tensors.push(
      { name: `${name}.lora_a`, ne: [A.shape[1], A.shape[0]], type, bytes: () => encode(A.data as Float32Array, A.shape[1]) },
      {
        name: `${name}.lora_b`,
        ne: [B.shape[1], B.shape[0]],
        type,
        bytes: () => encode(heads === undefined ? (B.data as Float32Array) : hfRowToGguf(B.data as Float32Array, heads, B.shape[1]), B.shape[1]),
      },
    );
  }
  const metadata = [
    kv.string("general.architecture", arch),
    kv.string("general.type", "adapter"),
    kv.string("general.name", path.basename(options.out).replace(/\.gguf$/, "")),
    kv.string("adapter.type", "lora"),
    kv.f32("adapter.lora.alpha", alpha),
    kv.u32("general.quantization_version", 2),
    kv.string("loraforge.version", packageVersion()),
    kv.string("loraforge.adapter", options.adapter),
    ...(adapter.config.baseModelNameOrPath ? [kv.string("loraforge.base_model", adapter.config.baseModelNameOrPath)] : []),
  ];
  fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
  writeGguf(options.out, metadata, tensors);
  return { out: options.out, bytes: fs.statSync(options.out).size, adapter, alpha, tensors: tensors.length };
}

function byLayerThenName(a: string, b: string): number {
  const layer = (s: string) => Number(/^model\.layers\.(\d+)\./.exec(s)?.[1] ?? -1);
  return layer(a) - layer(b) || (a < b ? -1 : a > b ? 1 : 0);
}
