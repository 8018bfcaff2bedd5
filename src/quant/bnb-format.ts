import type { SafetensorsDtype, TensorEntry } from "../formats/index.js";
import { InputError } from "../util/errors.js";
import { code4 } from "./codebooks.js";
import type { Quant4Type } from "./codebooks.js";
import { Quant4Tensor } from "./quant-tensor.js";
import type { Quant4Scales } from "./quant-tensor.js";

// How transformers serializes a bitsandbytes 4-bit Linear (docs/formats/nf4.md §4.6): for a weight `P.weight`,
//   P.weight                                   packed codes, (n+1)/2 bytes (uint8 [(n+1)/2, 1])
//   P.weight.absmax                            float32 [blocks], or uint8 [blocks] when nested
//   P.weight.quant_map                         float32 [16]
//   P.weight.nested_absmax / .nested_quant_map float32 [ceil(blocks/256)] / [256]   (nested only)
//   P.weight.quant_state.bitsandbytes__<type>  uint8 UTF-8 JSON {quant_type, blocksize, dtype, shape, nested_*}

/** Tensors of a checkpoint as raw entries and bytes (one file or shards). */
export interface CheckpointTensors {
  has(name: string): boolean;
  entry(name: string): TensorEntry;
  bytes(name: string): Uint8Array;
  /** The file holding a tensor, for error messages. */
  fileOf(name: string): string;
}

const STATE_PREFIX = "quant_state.bitsandbytes__";
const SUFFIXES = ["absmax", "quant_map", "nested_absmax", "nested_quant_map", `${STATE_PREFIX}nf4`, `${STATE_PREFIX}fp4`];
const DTYPE_NAMES: Record<Quant4Tensor["sourceDtype"], string> = { f32: "float32", bf16: "bfloat16", f16: "float16" };

/** Every companion tensor name a 4-bit weight may bring (what a loader must not call unexpected). */
export function bnbCompanionNames(weightName: string): string[] {
  return SUFFIXES.map((s) => `${weightName}.${s}`);
}

/** The quant_state key present for this weight, if it is stored in 4-bit form. */
export function bnbStateName(t: CheckpointTensors, weightName: string): string | undefined {
  return [`${weightName}.${STATE_PREFIX}nf4`, `${weightName}.${STATE_PREFIX}fp4`].find((n) => t.has(n));
}

function f32Array(bytes: Uint8Array): Float32Array {
  const copy = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
}

/**
 * Reads a 4-bit weight stored by transformers/bitsandbytes, checking every piece against the quant_state and the
 * shape the model config implies; errors name the file and tensor.
 */
export function readBnb4bit(t: CheckpointTensors, weightName: string, shape: readonly number[]): Quant4Tensor {
  const stateName = bnbStateName(t, weightName);
  if (!stateName) throw new InputError(`tensor ${weightName} has no ${STATE_PREFIX}nf4/fp4 quant_state`, { file: t.has(weightName) ? t.fileOf(weightName) : undefined });
  const file = t.fileOf(stateName);
  const fail = (name: string, msg: string): never => {
    throw new InputError(`tensor ${name}: ${msg}`, { file: t.has(name) ? t.fileOf(name) : file });
  };
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(t.bytes(stateName))) as Record<string, unknown>;
  } catch {
    return fail(stateName, "is not UTF-8 JSON");
  }
  if (typeof state !== "object" || state === null) return fail(stateName, "is not a JSON object");
  const quantType = state.quant_type;
  if (quantType !== "nf4" && quantType !== "fp4") return fail(stateName, `quant_type ${JSON.stringify(quantType)} is not nf4 or fp4`);
  if (!stateName.endsWith(quantType)) return fail(stateName, `quant_type ${quantType} disagrees with the tensor name`);
  const blocksize = state.blocksize;
  if (typeof blocksize !== "number" || !Number.isInteger(blocksize) || blocksize < 2 || blocksize % 2 !== 0) {
    return fail(stateName, `blocksize ${JSON.stringify(blocksize)} is not an even positive integer`);
  }
  const stShape = state.shape;
  if (!Array.isArray(stShape) || stShape.join() !== shape.join()) {
    return fail(stateName, `quant_state shape ${JSON.stringify(stShape)} disagrees with [${shape.join(", ")}] (config.json)`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const blocks = Math.ceil(n / blocksize);
  if (!t.has(weightName)) return fail(weightName, "is missing (the packed 4-bit codes)");
  const packedBytes = t.entry(weightName).end - t.entry(weightName).begin;
  if (packedBytes !== Math.ceil(n / 2)) {
    return fail(weightName, `packed codes hold ${packedBytes} bytes, but shape [${shape.join(", ")}] needs ${Math.ceil(n / 2)}`);
  }
  const need = (suffix: string, dtype: SafetensorsDtype, count: number): Uint8Array => {
    const name = `${weightName}.${suffix}`;
    if (!t.has(name)) return fail(name, `is missing (needed by the ${quantType} quant_state)`);
    const e = t.entry(name);
    const got = e.shape.reduce((a, b) => a * b, 1);
    if (e.dtype !== dtype || got !== count) return fail(name, `is ${e.dtype} with ${got} values, expected ${dtype} with ${count}`);
    return t.bytes(name);
  };
  let scales: Quant4Scales;
  if (state.nested_blocksize !== undefined) {
    const nb = state.nested_blocksize;
    const offset = state.nested_offset;
    if (typeof nb !== "number" || !Number.isInteger(nb) || nb < 1) return fail(stateName, `nested_blocksize ${JSON.stringify(nb)} is not a positive integer`);
    if (typeof offset !== "number") return fail(stateName, "nested_offset is missing");
    scales = {
      nested: {
        codes: need("absmax", "U8", blocks).slice(),
        absmax: f32Array(need("nested_absmax", "F32", Math.ceil(blocks / nb))),
        map: f32Array(need("nested_quant_map", "F32", 256)),
        blocksize: nb,
        offset: Math.fround(offset),
      },
    };
  } else {
    scales = { absmax: f32Array(need("absmax", "F32", blocks)) };
  }
  const mapName = `${weightName}.quant_map`;
  if (t.has(mapName)) {
    const map = f32Array(need("quant_map", "F32", 16));
    const table = code4(quantType);
    if (map.some((v, i) => v !== table[i])) return fail(mapName, `differs from the ${quantType} table`);
  }
  const dtype = Object.entries(DTYPE_NAMES).find(([, v]) => v === state.dtype)?.[0] as Quant4Tensor["sourceDtype"] | undefined;
  return new Quant4Tensor(quantType as Quant4Type, shape, blocksize, t.bytes(weightName), scales, dtype ?? "bf16");
}

/** A tensor to write as raw bytes. */
export interface RawTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

const asBytes = (a: Float32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The tensors transformers writes for a 4-bit weight named `weightName`, byte for byte. */
export function bnbTensors(weightName: string, q: Quant4Tensor): RawTensor[] {
  const out: RawTensor[] = [
    { name: weightName, dtype: "U8", shape: [q.packed.length, 1], bytes: q.packed },
    { name: `${weightName}.quant_map`, dtype: "F32", shape: [16], bytes: asBytes(q.codebook) },
  ];
  const state: Record<string, unknown> = { quant_type: q.quantType, blocksize: q.blocksize, dtype: DTYPE_NAMES[q.sourceDtype], shape: [...q.shape] };
  const nested = q.scales.nested;
  if (nested) {
    out.push(
      { name: `${weightName}.absmax`, dtype: "U8", shape: [nested.codes.length], bytes: nested.codes },
      { name: `${weightName}.nested_absmax`, dtype: "F32", shape: [nested.absmax.length], bytes: asBytes(nested.absmax) },
      { name: `${weightName}.nested_quant_map`, dtype: "F32", shape: [256], bytes: asBytes(nested.map) },
    );
    Object.assign(state, { nested_blocksize: nested.blocksize, nested_dtype: "float32", nested_offset: nested.offset });
  } else {
    out.push({ name: `${weightName}.absmax`, dtype: "F32", shape: [q.scales.absmax!.length], bytes: asBytes(q.scales.absmax!) });
  }
  const json = new TextEncoder().encode(JSON.stringify(state).replaceAll(",", ", ").replaceAll(":", ": "));
  out.push({ name: `${weightName}.${STATE_PREFIX}${q.quantType}`, dtype: "U8", shape: [json.length], bytes: json });
  return out;
}
