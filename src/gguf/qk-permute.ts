/**
 * llama.cpp's q/k row order for `llama`-architecture GGUFs (docs/formats/gguf.md, "The q/k permutation"). Its
 * RoPE rotates consecutive pairs (2i, 2i+1) of each head, HF's rotates (i, i + headDim/2), so the converter
 * reorders the output rows of q_proj and k_proj (weights and biases):
 *   gguf_row[h·hd + 2i + j] = hf_row[h·hd + j·(hd/2) + i]   (j ∈ {0, 1}, i < hd/2)
 * `rowLength` is the number of values per row (1 for a bias).
 */
export function ggufRowToHf(data: Float32Array, heads: number, rowLength: number): Float32Array {
  return permuteRows(data, heads, rowLength, (h, half, i, j) => [h * 2 * half + 2 * i + j, h * 2 * half + j * half + i]);
}

/** The inverse of ggufRowToHf: HF row order → llama.cpp's. */
export function hfRowToGguf(data: Float32Array, heads: number, rowLength: number): Float32Array {
  return permuteRows(data, heads, rowLength, (h, half, i, j) => [h * 2 * half + j * half + i, h * 2 * half + 2 * i + j]);
}

type RowMap = (head: number, half: number, i: number, j: number) => [from: number, to: number];

function permuteRows(data: Float32Array, heads: number, rowLength: number, map: RowMap): Float32Array {
  const rows = data.length / rowLength;
  const headDim = rows / heads;
  if (!Number.isInteger(rows) || !Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new Error(`q/k permutation: ${data.length} values do not form ${heads} heads of an even width with rows of ${rowLength}`);
  }
  const half = headDim / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const [from, to] = map(h, half, i, j);
        out.set(data.subarray(from * rowLength, (from + 1) * rowLength), to * rowLength);
      }
    }
  }
  return out;
}
