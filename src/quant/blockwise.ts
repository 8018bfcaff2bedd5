import type { NearestCode } from "./nearest.js";

const f = Math.fround;

/** Reads element i of a flat tensor as a float32 value. */
export type ElementSource = (i: number) => number;

/** The smallest absmax bitsandbytes stores for a partial last block (float32 1e-38, subnormal). */
const PARTIAL_FLOOR = Math.fround(1e-38);

/**
 * absmax of each block of `blocksize` consecutive elements, float32. The last block may be partial; bitsandbytes
 * stores max(absmax, 1e-38) for it (an all-zero partial block gets 1e-38, an all-zero full block 0).
 */
export function blockAbsmax(n: number, get: ElementSource, blocksize: number): Float32Array {
  const blocks = Math.ceil(n / blocksize);
  const absmax = new Float32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    let m = 0;
    const end = Math.min(n, (b + 1) * blocksize);
    for (let i = b * blocksize; i < end; i++) {
      const a = Math.abs(get(i));
      if (a > m) m = a;
    }
    absmax[b] = end - b * blocksize < blocksize ? Math.max(m, PARTIAL_FLOOR) : m;
  }
  return absmax;
}

/**
 * The scaled value bitsandbytes searches for: `clamp(x · (1/absmax), −1, 1)` in float32. A zero block has only
 * zeros (its divisor is clamped to 1e-38 in the CUDA kernel), so every element scales to 0.
 */
export function scaled(x: number, inv: number): number {
  const s = f(x * inv);
  return s > 1 ? 1 : s < -1 ? -1 : s;
}

function inverse(absmax: number): number {
  return f(1 / Math.max(absmax, 1e-38));
}

/**
 * 4-bit blockwise quantization (docs/formats/nf4.md §4.2): codes packed two per byte, even element in the high nibble.
 */
export function quantize4bit(
  n: number,
  get: ElementSource,
  blocksize: number,
  nearest: NearestCode,
): { packed: Uint8Array; absmax: Float32Array } {
  const absmax = blockAbsmax(n, get, blocksize);
  const packed = new Uint8Array(Math.ceil(n / 2));
  for (let b = 0; b < absmax.length; b++) {
    const inv = inverse(absmax[b]);
    const end = Math.min(n, (b + 1) * blocksize);
    for (let i = b * blocksize; i < end; i++) {
      const code = nearest(scaled(get(i), inv));
      packed[i >> 1] |= (i & 1) === 0 ? code << 4 : code;
    }
  }
  // An odd count pads the scaled values with one 0.0, which takes the code nearest to zero (NF4: 7).
  if (n % 2 === 1) packed[packed.length - 1] |= nearest(0);
  return { packed, absmax };
}

/** The 4-bit code of element i. */
export function code4At(packed: Uint8Array, i: number): number {
  const byte = packed[i >> 1];
  return (i & 1) === 0 ? byte >> 4 : byte & 15;
}

/**
 * 8-bit blockwise quantization (`quantize_blockwise`, as bitsandbytes' CPU kernel does it): absmax per block,
 * x / absmax in float32 (a division, not a reciprocal), nearest code with ties to the lower one. One uint8 per
 * element.
 */
export function quantize8bit(values: Float32Array, blocksize: number, nearest: NearestCode): { codes: Uint8Array; absmax: Float32Array } {
  const absmax = blockAbsmax(values.length, (i) => values[i], blocksize);
  const codes = new Uint8Array(values.length);
  for (let b = 0; b < absmax.length; b++) {
    const a = absmax[b];
    const end = Math.min(values.length, (b + 1) * blocksize);
    for (let i = b * blocksize; i < end; i++) codes[i] = nearest(a > 0 ? f(values[i] / a) : 0);
  }
  return { codes, absmax };
}
