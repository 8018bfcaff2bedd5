import fs from "node:fs";
import path from "node:path";
import type { Tensor } from "../tensor/index.js";
import { PT_METADATA, planLayout, safetensorsDtype, writeLaidOut } from "../formats/index.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { RawTensor } from "./bnb-format.js";
import { bnbQuantizationConfig, bnbTensors } from "./bnb-format.js";
import type { Quant4Tensor } from "./quant-tensor.js";

/** Writes raw tensors (any safetensors dtype, U8 included) into one safetensors file, atomically. */
export function writeRawSafetensors(file: string, tensors: readonly RawTensor[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  writeLaidOut(file, planLayout(tensors, PT_METADATA), (name, byteLength) => {
    const t = byName.get(name)!;
    if (t.bytes.length !== byteLength) throw new Error(`writeRawSafetensors: ${name} holds ${t.bytes.length} bytes, its shape needs ${byteLength}`);
    return t.bytes;
  });
}

/** A dense tensor as raw little-endian bytes. */
export function rawTensor(name: string, t: Tensor): RawTensor {
  return { name, dtype: safetensorsDtype(t.dtype), shape: [...t.shape], bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
}

/**
 * Writes a Hugging Face folder as transformers saves a bitsandbytes 4-bit model: config.json with its
 * `quantization_config`, and model.safetensors with each 4-bit weight's packed codes, absmax (or nested pieces),
 * quant_map and quant_state, the other tensors as they are. Files beside config.json (tokenizer, generation
 * config) are the caller's.
 */
export function writeBnbCheckpoint(dir: string, config: Record<string, unknown>, tensors: ReadonlyArray<[string, Tensor | Quant4Tensor]>): void {
  const raw: RawTensor[] = [];
  let first: Quant4Tensor | undefined;
  for (const [name, t] of tensors) {
    if ("kind" in t) {
      first ??= t;
      raw.push(...bnbTensors(name, t));
    } else raw.push(rawTensor(name, t));
  }
  fs.mkdirSync(dir, { recursive: true });
  writeRawSafetensors(path.join(dir, "model.safetensors"), raw);
  const withQuant = first ? { ...config, quantization_config: bnbQuantizationConfig(first.quantType, first.scales.nested !== undefined) } : config;
  writeFileAtomic(path.join(dir, "config.json"), `${JSON.stringify(withQuant, null, 2)}\n`);
}
