// Portable (SSE2 baseline) 4-bit decode and dot product.
#include "nf4/quant4.h"

namespace lf {

void quant4_decode_portable(const Quant4Weight& w, int64_t start, int64_t count, float* out) {
  quant4_walk_blocks(w, start, count, out, [&](int64_t i, int64_t stop, float s, float* o) {
    for (; i + 1 < stop; i += 2) {
      const uint8_t byte = w.codes[i >> 1];
      o[0] = w.table[byte >> 4] * s;
      o[1] = w.table[byte & 15] * s;
      o += 2;
    }
    if (i < stop) *o++ = w.table[w.codes[i >> 1] >> 4] * s;
    return o;
  });
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
