/**
 * The lookup tables of bitsandbytes 4-bit and 8-bit blockwise quantization (docs/formats/nf4.md §4), as float32 values.
 * 4-bit tables are indexed by the stored 4-bit code; the 8-bit dynamic map is sorted ascending.
 */

/** NF4 (`create_normal_map(offset=0.9677083, use_extra_value=True)`), sorted: code order = value order. */
export const NF4_CODE = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/**
 * FP4 (1 sign, 2 exponent, 1 mantissa bit) in bit-pattern order, normalised by 12. Index 8 (sign bit, zero
 * magnitude) holds +0.0 in bitsandbytes' `get_4bit_type("fp4")`, not −0, and so here.
 */
export const FP4_CODE = Float32Array.from([0, 0.0625, 8, 12, 4, 6, 2, 3, 0, -0.0625, -8, -12, -4, -6, -2, -3].map((v) => v / 12));

export type Quant4Type = "nf4" | "fp4";

export function code4(type: Quant4Type): Float32Array {
  return type === "nf4" ? NF4_CODE : FP4_CODE;
}

const f = Math.fround;

/**
 * `torch.linspace(start, end, steps, dtype=float32)` as ATen's CPU kernel computes it: a float32 step, the first
 * half counted up from `start`, the second half down from `end`, each value one fused multiply-add (exact here:
 * step·i fits a double) rounded once to float32.
 */
function linspaceF32(start: number, end: number, steps: number): number[] {
  const s = f(start);
  const e = f(end);
  const step = f(f(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push(i < half ? f(s + step * i) : f(e - step * (steps - i - 1)));
  return out;
}

/**
 * bitsandbytes' signed 8-bit dynamic map (`create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)`):
 * for decimal exponents 10^-6..10^0, 2^i linear fractions (means of a linspace over [0.1, 1]) with both signs,
 * plus 0 and 1.0; 256 float32 values sorted ascending. Checked against the published map in test/quant.
 */
export function dynamicMap(): Float32Array {
  const maxExponentBits = 7;
  const nonSignBits = 7;
  const data: number[] = [];
  for (let i = 0; i < maxExponentBits; i++) {
    const items = 2 ** (i + nonSignBits - maxExponentBits) + 1;
    const b = linspaceF32(0.1, 1, items);
    const scale = f(10 ** (-(maxExponentBits - 1) + i));
    for (let j = 0; j + 1 < items; j++) {
      const mean = f(f(b[j] + b[j + 1]) / 2);
      data.push(f(scale * mean), -f(scale * mean));
    }
  }
  data.push(0, 1);
  data.sort((a, b) => a - b);
  return Float32Array.from(data);
}

let cachedDynamic: Float32Array | undefined;
/** The dynamic map, computed once. */
export function dynamicMap8(): Float32Array {
  cachedDynamic ??= dynamicMap();
  return cachedDynamic;
}
