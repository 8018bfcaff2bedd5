// An independent restatement of the ggml block layouts for the tests, written from docs/formats/ggml-quants.md
// element by element (the native code walks blocks in loops; this computes each element from its index).
// Decoders work in float64 and round once to float32 at the end, which equals ggml's f32 arithmetic because every
// product in these formulas is exact. The legacy quantizers emulate f32 with Math.fround at every step.
import type { GgmlTypeInfo, GgmlTypeName } from "../../src/quant/index.js";
import { Rng } from "../../src/util/rng.js";

const f = Math.fround;

/** IEEE binary16 bits → number, from the definition (sign, 5-bit exponent bias 15, 10-bit fraction). */
export function f16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 31;
  const frac = bits & 1023;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number → binary16 bits, nearest with ties to even (searching the exponent; the value is a float32 so the division is exact). */
export function f16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00;
  // Units of the last place at the value's binade (subnormals share the 2^-24 unit).
  let e = a > 0 ? Math.floor(Math.log2(a)) : -15;
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  const ulp = 2 ** (Math.max(e, -14) - 10);
  const scaled = a / ulp;
  let q = Math.floor(scaled);
  const rest = scaled - q;
  if (rest > 0.5 || (rest === 0.5 && q % 2 === 1)) q += 1;
  const value = q * ulp;
  if (value === 0) return sign;
  // Re-derive the fields from the rounded value (rounding may have carried into the next binade).
  let ve = Math.floor(Math.log2(value));
  if (2 ** ve > value) ve -= 1;
  if (2 ** (ve + 1) <= value) ve += 1;
  if (ve < -14) return sign | (value / 2 ** -24);
  return sign | ((ve + 15) << 10) | (value / 2 ** (ve - 10) - 1024);
}

export type KQuantName = "Q2_K" | "Q3_K" | "Q4_K" | "Q5_K" | "Q6_K";

/**
 * Element e of K-quant data as `scale · q − min`: the sub-block's effective scale (f16 super-scale · integer
 * sub-scale) and min, and the element's integer q (signed for Q3_K/Q6_K). Exact in float64.
 */
export function kQuantElement(type: GgmlTypeName, bytes: Uint8Array, e: number): { scale: number; min: number; q: number } {
  const h = (o: number) => f16Value(bytes[o] | (bytes[o + 1] << 8));
  const i8 = (v: number) => (v > 127 ? v - 256 : v);
  const k = e % 256;
  switch (type) {
    case "Q2_K": {
      const o = 84 * Math.floor(e / 256);
      const [hh, s, l, j] = [Math.floor(k / 128), Math.floor((k % 128) / 32), k % 32, Math.floor(k / 16)];
      const q = (bytes[o + 16 + 32 * hh + l] >> (2 * s)) & 3;
      return { scale: h(o + 80) * (bytes[o + j] & 15), min: h(o + 82) * (bytes[o + j] >> 4), q };
    }
    case "Q3_K": {
      const o = 110 * Math.floor(e / 256);
      const [hh, s, l, j] = [Math.floor(k / 128), Math.floor((k % 128) / 32), k % 32, Math.floor(k / 16)];
      const low4 = j < 8 ? bytes[o + 96 + j] & 15 : bytes[o + 96 + j - 8] >> 4;
      const hi2 = (bytes[o + 96 + 8 + (j % 4)] >> (2 * Math.floor(j / 4))) & 3;
      const low2 = (bytes[o + 32 + 32 * hh + l] >> (2 * s)) & 3;
      const hbit = (bytes[o + (k % 32)] >> Math.floor(k / 32)) & 1;
      return { scale: h(o + 108) * ((low4 | (hi2 << 4)) - 32), min: 0, q: low2 + 4 * hbit - 4 };
    }
    case "Q4_K":
    case "Q5_K": {
      const size = type === "Q4_K" ? 144 : 176;
      const o = size * Math.floor(e / 256);
      const [c, half, l, j] = [Math.floor(k / 64), Math.floor((k % 64) / 32), k % 32, Math.floor(k / 32)];
      const s = (i: number) => bytes[o + 4 + i];
      const sc = j < 4 ? s(j) & 63 : (s(j + 4) & 15) | ((s(j - 4) >> 6) << 4);
      const m = j < 4 ? s(j + 4) & 63 : (s(j + 4) >> 4) | ((s(j) >> 6) << 4);
      const qsAt = o + (type === "Q4_K" ? 16 : 48);
      let q = (bytes[qsAt + 32 * c + l] >> (4 * half)) & 15;
      if (type === "Q5_K") q |= ((bytes[o + 16 + l] >> (2 * c + half)) & 1) << 4;
      return { scale: h(o) * sc, min: h(o + 2) * m, q };
    }
    case "Q6_K": {
      const o = 210 * Math.floor(e / 256);
      const [hh, r] = [Math.floor(k / 128), k % 128];
      const l = r % 32;
      const quarter = Math.floor(r / 32); // 0: ql[l] low, 1: ql[l+32] low, 2: ql[l] high, 3: ql[l+32] high
      const qlByte = bytes[o + 64 * hh + l + (quarter % 2) * 32];
      const low4 = quarter < 2 ? qlByte & 15 : qlByte >> 4;
      const high2 = (bytes[o + 128 + 32 * hh + l] >> (2 * quarter)) & 3;
      return { scale: h(o + 208) * i8(bytes[o + 192 + Math.floor(k / 16)]), min: 0, q: (low4 | (high2 << 4)) - 32 };
    }
    default:
      throw new Error(`${type} is not a K-quant`);
  }
}

/** The decoded block layouts; `bytes` holds whole blocks of `type`, the result has one value per element. */
export function referenceDecode(type: GgmlTypeName, bytes: Uint8Array, count: number): Float64Array {
  const out = new Float64Array(count);
  const u16 = (o: number) => bytes[o] | (bytes[o + 1] << 8);
  const h = (o: number) => f16Value(u16(o));
  const i8 = (v: number) => (v > 127 ? v - 256 : v);
  for (let e = 0; e < count; e++) {
    let x: number;
    switch (type) {
      case "F32":
        x = new DataView(bytes.buffer, bytes.byteOffset).getFloat32(4 * e, true);
        break;
      case "F16":
        x = f16Value(u16(2 * e));
        break;
      case "BF16":
        x = new DataView(new Uint32Array([u16(2 * e) * 65536]).buffer).getFloat32(0, true);
        break;
      case "Q8_0": {
        const o = 34 * Math.floor(e / 32);
        x = h(o) * i8(bytes[o + 2 + (e % 32)]);
        break;
      }
      case "Q4_0":
      case "Q4_1": {
        const size = type === "Q4_0" ? 18 : 20;
        const o = size * Math.floor(e / 32);
        const j = e % 32;
        const byte = bytes[o + size - 16 + (j % 16)];
        const q = j < 16 ? byte & 15 : byte >> 4;
        x = type === "Q4_0" ? h(o) * (q - 8) : h(o) * q + h(o + 2);
        break;
      }
      case "Q5_0":
      case "Q5_1": {
        const size = type === "Q5_0" ? 22 : 24;
        const o = size * Math.floor(e / 32);
        const j = e % 32;
        const qhAt = o + (type === "Q5_0" ? 2 : 4);
        const qh = (bytes[qhAt] | (bytes[qhAt + 1] << 8) | (bytes[qhAt + 2] << 16) | (bytes[qhAt + 3] << 24)) >>> 0;
        const byte = bytes[o + size - 16 + (j % 16)];
        const q = (j < 16 ? byte & 15 : byte >> 4) | (((qh >>> j) & 1) << 4);
        x = type === "Q5_0" ? h(o) * (q - 16) : h(o) * q + h(o + 2);
        break;
      }
      default: {
        const { scale, min, q } = kQuantElement(type, bytes, e);
        x = scale * q - min;
      }
    }
    out[e] = x;
  }
  return out;
}

/** llama.cpp's quantize_row_*_ref for the 32-blocks, restated with every intermediate rounded to float32. */
export function referenceQuantizeLegacy(type: "Q4_0" | "Q4_1" | "Q5_0" | "Q5_1" | "Q8_0", x: Float32Array): Uint8Array {
  const size = { Q4_0: 18, Q4_1: 20, Q5_0: 22, Q5_1: 24, Q8_0: 34 }[type];
  const out = new Uint8Array((x.length / 32) * size);
  const putF16 = (o: number, v: number) => {
    const bits = f16Bits(v);
    out[o] = bits & 255;
    out[o + 1] = bits >> 8;
  };
  // C's (int8_t) cast of a float: truncation toward zero.
  const trunc = (v: number) => Math.trunc(v);
  // C's roundf: half away from zero.
  const roundf = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
  for (let b = 0; b < x.length / 32; b++) {
    const v = x.subarray(32 * b, 32 * b + 32);
    const o = size * b;
    if (type === "Q8_0") {
      const amax = Math.max(...Array.from(v, Math.abs));
      const d = f(amax / 127);
      const id = d ? f(1 / d) : 0;
      putF16(o, d);
      for (let j = 0; j < 32; j++) out[o + 2 + j] = roundf(f(v[j] * id)) & 255;
      continue;
    }
    const nibbles = new Array<number>(32);
    if (type === "Q4_0" || type === "Q5_0") {
      let amax = 0;
      let max = 0;
      for (const value of v) if (amax < Math.abs(value)) [amax, max] = [Math.abs(value), value];
      const d = f(max / (type === "Q4_0" ? -8 : -16));
      const id = d ? f(1 / d) : 0;
      putF16(o, d);
      for (let j = 0; j < 32; j++) {
        const q = trunc(f(f(v[j] * id) + (type === "Q4_0" ? 8.5 : 16.5)));
        nibbles[j] = Math.min(type === "Q4_0" ? 15 : 31, q);
      }
    } else {
      // First-seen extremes, as C's `if (v < min)` loop keeps them (Math.min would prefer −0 over +0).
      let [min, max] = [v[0], v[0]];
      for (const value of v) {
        if (value < min) min = value;
        if (value > max) max = value;
      }
      const d = f(f(max - min) / (type === "Q4_1" ? 15 : 31));
      const id = d ? f(1 / d) : 0;
      putF16(o, d);
      putF16(o + 2, min);
      for (let j = 0; j < 32; j++) {
        const q = trunc(f(f(f(v[j] - min) * id) + 0.5));
        nibbles[j] = type === "Q4_1" ? Math.min(15, q) : q;
      }
    }
    const qsAt = o + size - 16;
    for (let j = 0; j < 16; j++) out[qsAt + j] = (nibbles[j] & 15) | ((nibbles[j + 16] & 15) << 4);
    if (type === "Q5_0" || type === "Q5_1") {
      const qhAt = o + (type === "Q5_0" ? 2 : 4);
      for (let j = 0; j < 32; j++) out[qhAt + (j >> 3)] |= ((nibbles[j] >> 4) & 1) << (j & 7);
    }
  }
  return out;
}

// Byte offsets of the f16 scale fields in each block type (docs/formats/ggml-quants.md): random bytes there are
// replaced by finite f16 values so the expected values are numbers, not NaN.
const SCALE_FIELDS: Partial<Record<GgmlTypeName, number[]>> = {
  Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q5_1: [0, 2], Q8_0: [0],
  Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
};

/** Random blocks of `type` with finite f16 scales (float types keep every bit pattern, NaN and Inf included). */
export function randomBlocks(type: GgmlTypeInfo, blocks: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const bytes = new Uint8Array(blocks * type.typeSize);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  for (let b = 0; b < blocks; b++) {
    for (const at of SCALE_FIELDS[type.name] ?? []) {
      const o = b * type.typeSize + at;
      if (((bytes[o + 1] >> 2) & 31) === 31) bytes[o + 1] ^= 0x40; // exponent 31 (Inf/NaN) → 15
    }
  }
  return bytes;
}
