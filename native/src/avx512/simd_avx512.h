// The avx512 path's Simd: the AVX2 primitives (avx2/simd_avx2.h, included first in the same namespace), with
// 512-bit versions of those that carry the attention kernels' time. Each output element keeps the AVX2 version's
// reduction order (mm: one FMA chain over k), so attention gives the same bits on both paths.
// Requires before inclusion: <immintrin.h>, <cstdint>, and avx2/simd_avx2.h.

struct Simd : SimdAvx2 {
  // C[M,N] (+)= A[M,K]·B[K,N], row-major with leading dimensions: tiles of up to 8 rows x 32 columns (16 zmm
  // accumulators), masked loads and stores at the column tail.
  static void mm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                 int64_t ldc, bool accumulate) {
    for (int64_t j = 0; j < N; j += 32) {
      const int64_t cols = imin(32, N - j);
      for (int64_t i = 0; i < M; i += 8) {
        const int64_t rows = imin(8, M - i);
        const float* a = A + i * lda;
        const float* b = B + j;
        float* c = C + i * ldc + j;
        switch (rows) {
          case 8: tile512<8>(K, a, lda, b, ldb, c, ldc, cols, accumulate); break;
          case 7: tile512<7>(K, a, lda, b, ldb, c, ldc, cols, accumulate); break;
          case 6: tile512<6>(K, a, lda, b, ldb, c, ldc, cols, accumulate); break;
          case 5: tile512<5>(K, a, lda, b, ldb, c, ldc, cols, accumulate); break;
          case 4: tile512<4>(K, a, lda, b, ldb, c, ldc, cols, accumulate); break;
          case 3: tile512<3>(K, a, lda, b, ldb, c, ldc, cols, accumulate); break;
          case 2: tile512<2>(K, a, lda, b, ldb, c, ldc, cols, accumulate); break;
          default: tile512<1>(K, a, lda, b, ldb, c, ldc, cols, accumulate); break;
        }
      }
    }
  }

  template <int R>
  static void tile512(int64_t K, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                      int64_t cols, bool accumulate) {
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
    __m512 acc0[R], acc1[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      acc0[r] = accumulate ? _mm512_maskz_loadu_ps(m0, c + r * ldc) : _mm512_setzero_ps();
      acc1[r] = accumulate ? _mm512_maskz_loadu_ps(m1, c + r * ldc + 16) : _mm512_setzero_ps();
    }
    for (int64_t p = 0; p < K; ++p) {
      const __m512 b0 = _mm512_maskz_loadu_ps(m0, b + p * ldb), b1 = _mm512_maskz_loadu_ps(m1, b + p * ldb + 16);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m512 av = _mm512_set1_ps(a[r * lda + p]);
        acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
        acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      _mm512_mask_storeu_ps(c + r * ldc, m0, acc0[r]);
      _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc1[r]);
    }
  }
};
