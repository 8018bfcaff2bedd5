// AVX2+FMA GEMM path: a 6x16 register tile (12 ymm accumulators), compiled with -mavx2 -mfma -mf16c.
// B slivers are packed with 8x8 in-register transposes (trans_b) and bf16 is widened while packing.
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gemm.h"
#include "thread_pool.h"

namespace lf {
namespace avx2 {

#include "gemm/gemm_driver.h"

#include "gemm/pack8_avx2.h"

struct MicroKernel {
  static constexpr int MR = 6;
  static constexpr int NR = 16;
  static void tile(int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs, float* c,
                   int64_t ldc, float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define LF_STEP(AP, BP)                        \
  {                                            \
    const __m256 b0 = _mm256_loadu_ps(BP);     \
    const __m256 b1 = _mm256_loadu_ps(BP + 8); \
    __m256 av;                                 \
    av = _mm256_broadcast_ss(AP(0));           \
    c00 = _mm256_fmadd_ps(av, b0, c00);        \
    c01 = _mm256_fmadd_ps(av, b1, c01);        \
    av = _mm256_broadcast_ss(AP(1));           \
    c10 = _mm256_fmadd_ps(av, b0, c10);        \
    c11 = _mm256_fmadd_ps(av, b1, c11);        \
    av = _mm256_broadcast_ss(AP(2));           \
    c20 = _mm256_fmadd_ps(av, b0, c20);        \
    c21 = _mm256_fmadd_ps(av, b1, c21);        \
    av = _mm256_broadcast_ss(AP(3));           \
    c30 = _mm256_fmadd_ps(av, b0, c30);        \
    c31 = _mm256_fmadd_ps(av, b1, c31);        \
    av = _mm256_broadcast_ss(AP(4));           \
    c40 = _mm256_fmadd_ps(av, b0, c40);        \
    c41 = _mm256_fmadd_ps(av, b1, c41);        \
    av = _mm256_broadcast_ss(AP(5));           \
    c50 = _mm256_fmadd_ps(av, b0, c50);        \
    c51 = _mm256_fmadd_ps(av, b1, c51);        \
  }
    for (int r = 0; r < MR; ++r) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    if (csa == MR && bs == NR && a[1] == a[0] + 1 && a[5] == a[0] + 5) {
      // Packed A and B: one pointer each, unrolled by 4.
      const float* ap = a[0];
      int64_t p = 0;
#define LF_AP0(r) (ap + (r))
#define LF_AP1(r) (ap + MR + (r))
#define LF_AP2(r) (ap + 2 * MR + (r))
#define LF_AP3(r) (ap + 3 * MR + (r))
      for (; p + 4 <= kc; p += 4) {
        LF_STEP(LF_AP0, b)
        LF_STEP(LF_AP1, b + NR)
        LF_STEP(LF_AP2, b + 2 * NR)
        LF_STEP(LF_AP3, b + 3 * NR)
        ap += 4 * MR;
        b += 4 * NR;
      }
      for (; p < kc; ++p) {
        LF_STEP(LF_AP0, b)
        ap += MR;
        b += NR;
      }
#undef LF_AP0
#undef LF_AP1
#undef LF_AP2
#undef LF_AP3
    } else {
      // Operands read in place: MR row pointers stepping by csa, B rows stepping by bs.
      const float* a0 = a[0];
      const float* a1 = a[1];
      const float* a2 = a[2];
      const float* a3 = a[3];
      const float* a4 = a[4];
      const float* a5 = a[5];
      int64_t off = 0;
#define LF_APX(r) (a##r + off)
      for (int64_t p = 0; p < kc; ++p) {
        LF_STEP(LF_APX, b)
        off += csa;
        b += bs;
      }
#undef LF_APX
    }
#undef LF_STEP
    const __m256 va = _mm256_set1_ps(alpha);
    const __m256 vb = _mm256_set1_ps(beta);
    __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int r = 0; r < MR; ++r) {
      float* row = c + r * ldc;
      for (int h = 0; h < 2; ++h) {
        __m256 v = _mm256_mul_ps(acc[r][h], va);
        if (beta != 0.0f) v = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8 * h), v);
        _mm256_storeu_ps(row + 8 * h, v);
      }
    }
  }

  // The first `rows` rows of a tile, A read in place (the small-M path: a decode step's one row pays for one row
  // of FMAs). Each element is the same FMA chain and store as in `tile`, so its bits do not depend on `rows`.
  static void tile_rows(int rows, int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs,
                        float* c, int64_t ldc, float alpha, float beta) {
    switch (rows) {
      case 1: return tile_r<1>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 2: return tile_r<2>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 3: return tile_r<3>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 4: return tile_r<4>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 5: return tile_r<5>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      default: return tile(kc, a, csa, b, bs, c, ldc, alpha, beta);
    }
  }

  template <int R>
  static void tile_r(int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs, float* c,
                     int64_t ldc, float alpha, float beta) {
    __m256 acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    int64_t off = 0;
    for (int64_t p = 0; p < kc; ++p, off += csa, b += bs) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 5
      for (int r = 0; r < R; ++r) {
        const __m256 av = _mm256_broadcast_ss(a[r] + off);
        acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
      }
    }
    const __m256 va = _mm256_set1_ps(alpha);
    const __m256 vb = _mm256_set1_ps(beta);
    for (int r = 0; r < R; ++r) {
      float* row = c + r * ldc;
      for (int h = 0; h < 2; ++h) {
        __m256 v = _mm256_mul_ps(acc[r][h], va);
        if (beta != 0.0f) v = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8 * h), v);
        _mm256_storeu_ps(row + 8 * h, v);
      }
    }
  }

  // A stored M x K: 6 rows read 8 k at a time, transposed in registers (two zero rows), 6 floats stored per k.
  static void pack_a_rows(const float* src, int64_t lda, int64_t kc, float* dst) {
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      const float* s = src + p;
      __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + lda), r2 = _mm256_loadu_ps(s + 2 * lda);
      __m256 r3 = _mm256_loadu_ps(s + 3 * lda), r4 = _mm256_loadu_ps(s + 4 * lda), r5 = _mm256_loadu_ps(s + 5 * lda);
      __m256 r6 = _mm256_setzero_ps(), r7 = _mm256_setzero_ps();
      transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
      float* d = dst + p * MR;
      const __m256 rows[8] = {r0, r1, r2, r3, r4, r5, r6, r7};
      for (int q = 0; q < 8; ++q) {
        _mm_storeu_ps(d + q * MR, _mm256_castps256_ps128(rows[q]));
        _mm_storel_pi(reinterpret_cast<__m64*>(d + q * MR + 4), _mm256_extractf128_ps(rows[q], 1));
      }
    }
    for (; p < kc; ++p) {
      for (int r = 0; r < MR; ++r) dst[p * MR + r] = src[r * lda + p];
    }
  }

  // B stored N x K: 16 rows (the sliver's columns), read 8 k at a time and transposed in registers.
  template <typename T>
  static void pack_b_trans(const T* src, int64_t ldb, int64_t kc, float* dst) {
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      for (int h = 0; h < 2; ++h) {
        const T* s = src + (8 * h) * ldb + p;
        __m256 r0 = load8(s), r1 = load8(s + ldb), r2 = load8(s + 2 * ldb), r3 = load8(s + 3 * ldb);
        __m256 r4 = load8(s + 4 * ldb), r5 = load8(s + 5 * ldb), r6 = load8(s + 6 * ldb), r7 = load8(s + 7 * ldb);
        transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
        float* d = dst + p * NR + 8 * h;
        _mm256_store_ps(d, r0);
        _mm256_store_ps(d + NR, r1);
        _mm256_store_ps(d + 2 * NR, r2);
        _mm256_store_ps(d + 3 * NR, r3);
        _mm256_store_ps(d + 4 * NR, r4);
        _mm256_store_ps(d + 5 * NR, r5);
        _mm256_store_ps(d + 6 * NR, r6);
        _mm256_store_ps(d + 7 * NR, r7);
      }
    }
    for (; p < kc; ++p) {
      for (int c = 0; c < NR; ++c) dst[p * NR + c] = load_elem(src + c * ldb, p);
    }
  }

  // B stored K x N: each k row of the sliver is 16 contiguous values.
  template <typename T>
  static void pack_b_plain(const T* src, int64_t ldb, int64_t kc, float* dst) {
    for (int64_t p = 0; p < kc; ++p) {
      const T* s = src + p * ldb;
      _mm256_store_ps(dst + p * NR, load8(s));
      _mm256_store_ps(dst + p * NR + 8, load8(s + 8));
    }
  }
};

void gemm(const GemmArgs& g) { GemmDriver<MicroKernel>::run(g); }

}  // namespace avx2
}  // namespace lf
