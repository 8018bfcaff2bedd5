import { nativeAddon } from "../tensor/cpu/addon.js";
import type { Quant4Tensor } from "./quant-tensor.js";

/** The 4-bit kernels of the native addon (native/src/bind_nf4.cpp). */
interface Quant4Addon {
  quant4Gemm(mode: 0 | 1, m: number, rows: number, cols: number, a: Float32Array, ...rest: unknown[]): void;
  quant4Dequantize(rows: number, cols: number, ...rest: unknown[]): void;
}

function addon(): Quant4Addon {
  return nativeAddon() as unknown as Quant4Addon;
}

/** The weight arguments in the binding's order: codes, table, blocksize, absmax | null, nested codes/absmax/map/offset/blocksize. */
function weightArgs(w: Quant4Tensor): unknown[] {
  const n = w.scales.nested;
  const empty8 = new Uint8Array(0);
  const empty32 = new Float32Array(0);
  return n
    ? [w.packed, w.codebook, w.blocksize, null, n.codes, n.absmax, n.map, n.offset, n.blocksize]
    : [w.packed, w.codebook, w.blocksize, w.scales.absmax, empty8, empty32, empty32, 0, 1];
}

function dims(w: Quant4Tensor): [number, number] {
  return [w.shape[0], w.numel / Math.max(w.shape[0], 1)];
}

/** c = a·Wᵀ + beta·c (mode 0, a [m, in], c [m, out]) or c = a·W + beta·c (mode 1, a [m, out], c [m, in]). */
export function nativeQuant4Gemm(mode: 0 | 1, m: number, a: Float32Array, w: Quant4Tensor, c: Float32Array, beta: number): void {
  const [rows, cols] = dims(w);
  addon().quant4Gemm(mode, m, rows, cols, a, ...weightArgs(w), c, beta);
}

/** Elements [start, start + count) of the flattened weight as float32, decoded by the active kernel path. */
export function nativeQuant4Dequantize(w: Quant4Tensor, start = 0, count = w.numel, out = new Float32Array(count)): Float32Array {
  const [rows, cols] = dims(w);
  addon().quant4Dequantize(rows, cols, ...weightArgs(w), start, count, out);
  return out;
}
