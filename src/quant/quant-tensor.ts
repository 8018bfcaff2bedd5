import { Tensor } from "../tensor/index.js";
import { ShapeError } from "../util/errors.js";
import type { Quant4Type } from "./codebooks.js";
import { code4 } from "./codebooks.js";
import { code4At } from "./blockwise.js";

const f = Math.fround;

/** Double-quantized absmax: 8-bit dynamic codes per 4-bit block, a float32 absmax per `blocksize` of them, an offset. */
export interface NestedAbsmax {
  codes: Uint8Array;
  absmax: Float32Array;
  /** The 256-entry dynamic map the codes index. */
  map: Float32Array;
  blocksize: number;
  offset: number;
}

export type Quant4Scales = { absmax: Float32Array; nested?: undefined } | { absmax?: undefined; nested: NestedAbsmax };

/**
 * A frozen weight in bitsandbytes 4-bit form (NF4 or FP4): the flattened [out, in] tensor's codes packed two per
 * byte (even element in the high nibble), one absmax per `blocksize` elements (plain or double-quantized).
 */
export class Quant4Tensor {
  readonly kind = "quant4" as const;
  readonly numel: number;
  readonly blocks: number;

  constructor(
    readonly quantType: Quant4Type,
    readonly shape: readonly number[],
    readonly blocksize: number,
    readonly packed: Uint8Array,
    readonly scales: Quant4Scales,
    /** The dtype the weight had before quantization (what dequantization restores by default). */
    readonly sourceDtype: "f32" | "bf16" | "f16" = "bf16",
  ) {
    this.numel = shape.reduce((a, b) => a * b, 1);
    this.blocks = Math.ceil(this.numel / blocksize);
    const what = `${quantType} [${shape.join(", ")}]`;
    if (packed.length !== Math.ceil(this.numel / 2)) {
      throw new ShapeError(`${what}: packed codes hold ${packed.length} bytes, expected ${Math.ceil(this.numel / 2)}`);
    }
    if (scales.nested) {
      const { codes, absmax, map, blocksize: nb } = scales.nested;
      if (codes.length !== this.blocks) throw new ShapeError(`${what}: ${codes.length} nested absmax codes, expected ${this.blocks} (one per block of ${blocksize})`);
      if (absmax.length !== Math.ceil(this.blocks / nb)) throw new ShapeError(`${what}: ${absmax.length} nested absmax values, expected ${Math.ceil(this.blocks / nb)}`);
      if (map.length !== 256) throw new ShapeError(`${what}: the nested quant map has ${map.length} values, expected 256`);
    } else if (scales.absmax.length !== this.blocks) {
      throw new ShapeError(`${what}: ${scales.absmax.length} absmax values, expected ${this.blocks} (one per block of ${blocksize})`);
    }
  }

  get codebook(): Float32Array {
    return code4(this.quantType);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Bytes held: codes plus scales. */
  get byteLength(): number {
    const n = this.scales.nested;
    return this.packed.byteLength + (n ? n.codes.byteLength + n.absmax.byteLength + n.map.byteLength : this.scales.absmax!.byteLength);
  }

  /** The float32 absmax of every block (double quantization undone as bitsandbytes does: code·absmax2 + offset). */
  blockAbsmax(): Float32Array {
    const n = this.scales.nested;
    if (!n) return this.scales.absmax!;
    const out = new Float32Array(this.blocks);
    for (let b = 0; b < this.blocks; b++) out[b] = f(f(n.map[n.codes[b]] * n.absmax[Math.floor(b / n.blocksize)]) + f(n.offset));
    return out;
  }

  /** The weight as float32 values: table[code] · absmax[block]. */
  dequantize(): Tensor {
    const absmax = this.blockAbsmax();
    const table = this.codebook;
    const out = new Float32Array(this.numel);
    const bs = this.blocksize;
    for (let i = 0; i < this.numel; i++) out[i] = f(table[code4At(this.packed, i)] * absmax[Math.floor(i / bs)]);
    return new Tensor("f32", this.shape, out);
  }

  toString(): string {
    return `Quant4Tensor(${this.quantType}${this.scales.nested ? "+dq" : ""}, [${this.shape.join(", ")}], block ${this.blocksize})`;
  }
}

export function isQuant4(w: unknown): w is Quant4Tensor {
  return w instanceof Quant4Tensor;
}
