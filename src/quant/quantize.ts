import type { Tensor } from "../tensor/index.js";
import { ShapeError } from "../util/errors.js";
import { code4, dynamicMap8 } from "./codebooks.js";
import { quantize4bit, quantize8bit } from "./blockwise.js";
import { nearestCode } from "./nearest.js";
import type { NearestCode } from "./nearest.js";
import type { QuantScheme } from "./scheme.js";
import { Quant4Tensor } from "./quant-tensor.js";

/** Blocks of absmax values per nested absmax (bitsandbytes' double quantization). */
export const NESTED_BLOCKSIZE = 256;

const searches = new Map<Float32Array, NearestCode>();
function search(table: Float32Array): NearestCode {
  let s = searches.get(table);
  if (!s) searches.set(table, (s = nearestCode(table)));
  return s;
}

/**
 * Quantizes a float tensor the way bitsandbytes' `quantize_4bit` does (docs/formats/nf4.md §4.2–4.3): blocks over the
 * flattened row-major tensor, absmax scaling, nearest code; with double quantization the absmax values minus their
 * mean are quantized again with the 8-bit dynamic map in blocks of 256.
 */
export function quantizeTensor(t: Tensor, scheme: QuantScheme): Quant4Tensor {
  if (t.dtype !== "f32" && t.dtype !== "bf16" && t.dtype !== "f16") throw new ShapeError(`quantize: ${t.toString()} is not a float tensor`);
  const get = t.dtype === "f32" ? (i: number) => t.data[i] : (i: number) => t.get(i);
  for (let i = 0; i < t.numel; i++) {
    if (!Number.isFinite(get(i))) throw new ShapeError(`quantize: ${t.toString()} holds a non-finite value at element ${i}`);
  }
  const { packed, absmax } = quantize4bit(t.numel, get, scheme.blocksize, search(code4(scheme.type)));
  if (!scheme.doubleQuant) return new Quant4Tensor(scheme.type, t.shape, scheme.blocksize, packed, { absmax }, t.dtype);
  return new Quant4Tensor(scheme.type, t.shape, scheme.blocksize, packed, { nested: doubleQuantize(absmax) }, t.dtype);
}

/** `offset = mean(absmax)`; `absmax − offset` quantized blockwise (256) with the signed dynamic map. */
export function doubleQuantize(absmax: Float32Array) {
  let sum = 0;
  for (const a of absmax) sum += a;
  const offset = Math.fround(sum / Math.max(absmax.length, 1));
  const centered = Float32Array.from(absmax, (a) => a - offset);
  const map = dynamicMap8();
  const q = quantize8bit(centered, NESTED_BLOCKSIZE, search(map));
  return { codes: q.codes, absmax: q.absmax, map, blocksize: NESTED_BLOCKSIZE, offset };
}
