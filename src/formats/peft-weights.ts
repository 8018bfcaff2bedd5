import type { DType, Tensor } from "../tensor/index.js";
import { InputError } from "../util/errors.js";
import { withSafetensors } from "./safetensors-read.js";
import { tensorSources, writeSafetensors } from "./safetensors-write.js";

/**
 * adapter_model.safetensors (docs/formats/peft.md §3.3): keys `base_model.model.<module path>.lora_A.weight` [r, in] and
 * `.lora_B.weight` [out, r]. Only files in and out; the LoRA math lives in src/lora.
 */

/** One adapted module's factors. */
export interface LoraPair {
  A: Tensor;
  B: Tensor;
}

/** module path (`model.layers.0.self_attn.q_proj`) → its factors. */
export type LoraWeights = Map<string, LoraPair>;

const PREFIX = "base_model.model.";
const KEY = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

export function loraKey(modulePath: string, factor: "A" | "B"): string {
  return `${PREFIX}${modulePath}.lora_${factor}.weight`;
}

/** Reads every A/B pair, held as `dtype` (default: as stored). Other PEFT tensors are refused by name. */
export function readAdapterWeights(file: string, dtype?: DType): LoraWeights {
  return withSafetensors(file, (reader) => {
    const parts = new Map<string, Partial<LoraPair>>();
    for (const name of reader.names()) {
      const m = KEY.exec(name);
      if (!m) throw new InputError(`unexpected tensor ${JSON.stringify(name)}: ${whyUnsupported(name)}`, { file });
      const pair = parts.get(m[1]) ?? {};
      pair[m[2] as "A" | "B"] = reader.read(name, dtype);
      parts.set(m[1], pair);
    }
    const out: LoraWeights = new Map();
    for (const [module, { A, B }] of parts) {
      if (!A || !B) throw new InputError(`${module} has lora_${A ? "A" : "B"} but no lora_${A ? "B" : "A"}`, { file });
      if (A.rank !== 2 || B.rank !== 2 || A.shape[0] !== B.shape[1]) {
        throw new InputError(`${module}: lora_A [${A.shape}] and lora_B [${B.shape}] are not [r, in] and [out, r] with one r`, { file });
      }
      out.set(module, { A, B });
    }
    if (out.size === 0) throw new InputError("the adapter holds no LoRA weights", { file });
    return out;
  });
}

function whyUnsupported(name: string): string {
  if (name.endsWith("lora_magnitude_vector")) return "DoRA magnitudes are not supported";
  if (name.includes("lora_embedding_")) return "LoRA on embeddings is not supported";
  if (!name.startsWith(PREFIX)) return `PEFT keys start with "${PREFIX}"`;
  return "not a lora_A/lora_B weight (modules_to_save or bias tensors are not supported)";
}

/**
 * Checks an adapter against its base: every module exists there and A is [r, in], B [out, r] for the base's
 * [out, in]. `r` is the adapter config's rank. An adapter trained for another model fails here, naming the module.
 */
export function checkAdapterShapes(weights: LoraWeights, baseShapes: ReadonlyMap<string, readonly [number, number]>, r: number, file: string): void {
  for (const [module, { A, B }] of weights) {
    const base = baseShapes.get(module);
    if (!base) throw new InputError(`module ${module} is not a linear layer of the base model: adapter for another model?`, { file });
    const [out, inp] = base;
    if (A.shape[0] !== r || A.shape[1] !== inp || B.shape[0] !== out || B.shape[1] !== r) {
      throw new InputError(
        `${module}: lora_A [${A.shape}] / lora_B [${B.shape}] do not fit the base layer [${out}, ${inp}] with r = ${r} (expected [${r}, ${inp}] / [${out}, ${r}]): adapter for another base model?`,
        { file },
      );
    }
  }
}

/** Writes the pairs with PEFT's keys, in the tensors' own dtype (PEFT saves float32). */
export function writeAdapterWeights(file: string, weights: LoraWeights): void {
  const entries: Array<[string, Tensor]> = [];
  for (const [module, { A, B }] of weights) entries.push([loraKey(module, "A"), A], [loraKey(module, "B"), B]);
  writeSafetensors(file, tensorSources(entries));
}
