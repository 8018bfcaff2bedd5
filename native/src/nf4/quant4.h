// bitsandbytes 4-bit (NF4/FP4) weights: decoding into f32 and the fused products of a linear layer with W in
// 4-bit form. W is [rows = out, cols = in], flattened row-major into blocks of `blocksize` elements (blocks may
// straddle rows); codes are packed two per byte, even element in the high nibble.
#pragma once
#include <cstdint>

namespace lf {

struct Quant4Weight {
  int64_t rows, cols;
  const uint8_t* codes;  // (rows*cols + 1) / 2 bytes
  const float* table;    // 16 values: code -> value
  int64_t blocksize;
  // Plain scales: one float absmax per block. Double-quantized: absmax == nullptr and
  // scale[b] = f32(f32(nested_map[nested_codes[b]] * nested_absmax[b / nested_blocksize]) + nested_offset).
  const float* absmax;
  const uint8_t* nested_codes;
  const float* nested_absmax;
  const float* nested_map;  // 256 values
  float nested_offset;
  int64_t nested_blocksize;
};

// The float32 absmax of block b, as bitsandbytes dequantizes it. Internal linkage: each ISA's translation unit
// gets its own copy, so the linker cannot mix them.
static inline float quant4_block_scale(const Quant4Weight& w, int64_t b) {
  if (w.absmax) return w.absmax[b];
  float s = w.nested_map[w.nested_codes[b]] * w.nested_absmax[b / w.nested_blocksize];
  return s + w.nested_offset;
}

// Decodes [start, start + count) block by block: a lone odd-indexed element first (its code is a low nibble), then
// `run(i, stop, scale, out)` decodes from the even index i to the block's end `stop` and returns the advanced out.
// Internal linkage like quant4_block_scale, so each ISA's instantiation stays in its own translation unit.
template <typename DecodeRun>
static inline void quant4_walk_blocks(const Quant4Weight& w, int64_t start, int64_t count, float* out, DecodeRun run) {
  const int64_t end = start + count;
  for (int64_t i = start; i < end;) {
    const int64_t b = i / w.blocksize;
    const int64_t stop = (b + 1) * w.blocksize < end ? (b + 1) * w.blocksize : end;
    const float s = quant4_block_scale(w, b);
    if (i & 1) {
      *out++ = w.table[w.codes[i >> 1] & 15] * s;
      ++i;
    }
    out = run(i, stop, s, out);
    i = stop;
  }
}

// out[i] = table[code(start + i)] * scale(block(start + i)) for i in [0, count): exactly the float32 product,
// the same bits on every ISA.
using Quant4DecodeFn = void (*)(const Quant4Weight& w, int64_t start, int64_t count, float* out);
// sum_i a[i] * b[i] in a fixed order (per ISA).
using Quant4DotFn = float (*)(const float* a, const float* b, int64_t n);

void quant4_decode_portable(const Quant4Weight& w, int64_t start, int64_t count, float* out);
float quant4_dot_portable(const float* a, const float* b, int64_t n);
void quant4_decode_avx2(const Quant4Weight& w, int64_t start, int64_t count, float* out);
float quant4_dot_avx2(const float* a, const float* b, int64_t n);

// Y[m, rows] = A[m, cols] * W^T + beta * Y   (mode XWt: the forward of y = x W^T)
// Y[m, cols] = A[m, rows] * W   + beta * Y   (mode DyW: the input gradient dx = dy W)
enum class Quant4Mode : int { XWt = 0, DyW = 1 };
void quant4_gemm(Quant4Mode mode, int64_t m, const float* a, const Quant4Weight& w, float* c, float beta);

// Decodes elements [start, start + count) of the flattened weight with the active ISA.
void quant4_dequantize(const Quant4Weight& w, int64_t start, int64_t count, float* out);

}  // namespace lf
