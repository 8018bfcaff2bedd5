// Portable (SSE2 baseline) 4-bit decode and dot product.
#include "nf4/quant4.h"

namespace lf {

void quant4_decode_portable(const Quant4Weight& w, int64_t start, int64_t count, float* out) {
  const int64_t end = start + count;
  int64_t i = start;
  while (i < end) {
    const int64_t b = i / w.blocksize;
    const int64_t stop = (b + 1) * w.blocksize < end ? (b + 1) * w.blocksize : end;
    const float s = quant4_block_scale(w, b);
    if ((i & 1) && i < stop) {
      *out++ = w.table[w.codes[i >> 1] & 15] * s;
      ++i;
    }
    for (; i + 1 < stop; i += 2) {
      const uint8_t byte = w.codes[i >> 1];
      out[0] = w.table[byte >> 4] * s;
      out[1] = w.table[byte & 15] * s;
      out += 2;
    }
    if (i < stop) {
      *out++ = w.table[w.codes[i >> 1] >> 4] * s;
      ++i;
    }
  }
}

float quant4_dot_portable(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  for (int j = 0; i < n; ++i, ++j) acc[j] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace lf
