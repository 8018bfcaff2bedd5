/**
 * Nearest-code search as bitsandbytes does it: a binary search against the float32 midpoints between consecutive
 * values of the sorted table; a value exactly on a midpoint takes the lower value (the kernels compare
 * `x > midpoint`). Equal table values stay as separate entries, in storage order: FP4's 0 (code 0) sorts before
 * its −0 (code 8) with a midpoint of 0 between them, so tiny positive values get code 8 and tiny negative values
 * code 0, exactly as bitsandbytes' CPU kernel stores them (both dequantize to zero).
 */
export type NearestCode = (x: number) => number;

/** Builds the search for a table given in storage order (16 or 256 values). */
export function nearestCode(table: Float32Array): NearestCode {
  const order = Array.from(table.keys()).sort((a, b) => table[a] - table[b] || a - b);
  const values = order.map((i) => table[i]);
  const mids = Float64Array.from(values.slice(1), (v, j) => Math.fround(Math.fround(values[j] + v) / 2));
  const codes = Uint8Array.from(order);
  return (x: number): number => {
    // The number of midpoints strictly below x.
    let lo = 0;
    let hi = mids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x > mids[mid]) lo = mid + 1;
      else hi = mid;
    }
    return codes[lo];
  };
}
