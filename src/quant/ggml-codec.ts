import { nativeAddon } from "../tensor/cpu/addon.js";
import { InputError, ShapeError } from "../util/errors.js";
import { type GgmlTypeInfo, ggmlByteSize, ggmlTypeById } from "./ggml-types.js";

/**
 * ggml block codecs (native/src/ggml; layouts and rounding rules in docs/formats/ggml-quants.md): GGUF tensor
 * data of any type in src/quant/ggml-types.ts to float32 and back.
 */
interface GgmlAddon {
  ggmlDequantize(typeId: number, data: Uint8Array, count: number, out: Float32Array): void;
  /** -1, or the index of the first non-finite value. */
  ggmlQuantize(typeId: number, values: Float32Array, out: Uint8Array): number;
}

function addon(): GgmlAddon {
  return nativeAddon() as unknown as GgmlAddon;
}

function known(type: GgmlTypeInfo, op: string): void {
  const entry = ggmlTypeById(type.id);
  if (!entry || entry.name !== type.name || entry.blockSize !== type.blockSize || entry.typeSize !== type.typeSize) {
    throw new ShapeError(`${op}: ${type.name} (id ${type.id}) is not a ggml type loraforge codes; use one of src/quant/ggml-types.ts`);
  }
}

/** Decodes `count` elements of `type` from `data` (exactly ggmlByteSize(type, count) bytes). */
export function dequantizeGgml(type: GgmlTypeInfo, data: Uint8Array, count: number): Float32Array {
  known(type, "dequantizeGgml");
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new ShapeError(`dequantizeGgml: element count ${count} is not a non-negative integer`);
  }
  if (count % type.blockSize !== 0) {
    throw new ShapeError(`dequantizeGgml: ${count} elements are not a whole number of ${type.name} blocks of ${type.blockSize}`);
  }
  const bytes = ggmlByteSize(type, count);
  if (data.length !== bytes) {
    throw new ShapeError(`dequantizeGgml: ${count} ${type.name} elements take ${bytes} bytes, the data has ${data.length}`);
  }
  const out = new Float32Array(count);
  if (count > 0) addon().ggmlDequantize(type.id, data, count, out);
  return out;
}

/**
 * Encodes `values` (rows of `rowLength` elements, each quantized on its own) into `type`, byte for byte as
 * llama-quantize without an importance matrix (llama.cpp's reference quantizers, K-quants included).
 */
export function quantizeGgml(type: GgmlTypeInfo, values: Float32Array, rowLength: number): Uint8Array {
  known(type, "quantizeGgml");
  if (!Number.isSafeInteger(rowLength) || rowLength <= 0) {
    throw new ShapeError(`quantizeGgml: row length ${rowLength} is not a positive integer`);
  }
  if (rowLength % type.blockSize !== 0) {
    throw new ShapeError(`quantizeGgml: row length ${rowLength} is not a multiple of the ${type.name} block size ${type.blockSize}`, {
      hint: "store such a tensor as F16 or F32, or pick a type whose block size divides the row",
    });
  }
  if (values.length % rowLength !== 0) {
    throw new ShapeError(`quantizeGgml: ${values.length} values are not whole rows of ${rowLength}`);
  }
  const out = new Uint8Array(ggmlByteSize(type, values.length));
  if (values.length === 0) return out;
  const bad = addon().ggmlQuantize(type.id, values, out);
  if (bad >= 0) {
    const row = Math.floor(bad / rowLength);
    throw new InputError(`quantizeGgml: value ${values[bad]} at row ${row}, column ${bad % rowLength} cannot be stored as ${type.name} (finite values only)`);
  }
  return out;
}
