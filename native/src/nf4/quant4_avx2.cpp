// AVX2+FMA 4-bit decode (8 codes per step: one 32-bit load, variable shifts, two permutes and a blend) and dot
// product. No std:: templates here: weak symbols compiled with AVX2 must not leak into the portable path.
#include <immintrin.h>

#include "nf4/quant4.h"

namespace lf {

void quant4_decode_avx2(const Quant4Weight& w, int64_t start, int64_t count, float* out) {
  const __m256 tlo = _mm256_loadu_ps(w.table);
  const __m256 thi = _mm256_loadu_ps(w.table + 8);
  // Element 2j is byte j's high nibble, element 2j+1 its low nibble; byte j sits at bits 8j of the loaded word.
  const __m256i shifts = _mm256_setr_epi32(4, 0, 12, 8, 20, 16, 28, 24);
  const __m256i low4 = _mm256_set1_epi32(15);
  const __m256i seven = _mm256_set1_epi32(7);
  quant4_walk_blocks(w, start, count, out, [&](int64_t i, int64_t stop, float s, float* o) {
    const __m256 vs = _mm256_set1_ps(s);
    for (; i + 8 <= stop; i += 8) {
      uint32_t word;
      __builtin_memcpy(&word, w.codes + (i >> 1), 4);
      const __m256i c = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(word)), shifts), low4);
      const __m256 lo = _mm256_permutevar8x32_ps(tlo, c);
      const __m256 hi = _mm256_permutevar8x32_ps(thi, c);
      const __m256 v = _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_cmpgt_epi32(c, seven)));
      _mm256_storeu_ps(o, _mm256_mul_ps(v, vs));
      o += 8;
    }
    for (; i < stop; ++i) {
      const uint8_t byte = w.codes[i >> 1];
      *o++ = w.table[(i & 1) ? (byte & 15) : (byte >> 4)] * s;
    }
    return o;
  });
}

float quant4_dot_avx2(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  const __m256 acc = _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  float tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return (((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]))) + tail;
}

}  // namespace lf
