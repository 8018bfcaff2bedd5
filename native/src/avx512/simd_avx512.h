// The avx512 path's Simd: the AVX2 primitives (avx2/simd_avx2.h, included first in the same namespace), with
// 512-bit versions of those that carry the attention kernels' time. Each output element keeps the AVX2 version's
// reduction order (mm: one FMA chain over k; mm_bf16: one VDPBF16PS chain over pairs, which SimdAvx2::mm_bf16
// reproduces), so attention gives the same bits on both paths.
// Requires before inclusion: <immintrin.h>, <cstdint>, <type_traits>, and avx2/simd_avx2.h.

// exp_ps (avx2/simd_avx2.h) on 16 lanes: the same operations lane by lane, so the same bits. (Full-mask maskz
// forms where GCC 12 warns on the plain ones' undefined source.)
inline __m512 exp_ps512(__m512 x) {
  const __mmask16 all = 0xFFFF;
  x = _mm512_maskz_min_ps(all, x, _mm512_set1_ps(88.0f));
  x = _mm512_maskz_max_ps(all, x, _mm512_set1_ps(-87.3f));
  const __m512 n = _mm512_maskz_roundscale_ps(all, _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512i e =
      _mm512_maskz_slli_epi32(all, _mm512_add_epi32(_mm512_maskz_cvtps_epi32(all, n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

struct Simd : SimdAvx2 {
  // Calls tile(std::integral_constant<int, R>, i, j, cols) for the tiles of an M x N output: up to 8 rows x 32
  // columns (16 zmm accumulators), column slabs outermost.
  template <typename Tile>
  static void for_tiles(int64_t M, int64_t N, const Tile& tile) {
    for (int64_t j = 0; j < N; j += 32) {
      const int64_t cols = imin(32, N - j);
      for (int64_t i = 0; i < M; i += 8) {
        switch (imin(8, M - i)) {
          case 8: tile(std::integral_constant<int, 8>{}, i, j, cols); break;
          case 7: tile(std::integral_constant<int, 7>{}, i, j, cols); break;
          case 6: tile(std::integral_constant<int, 6>{}, i, j, cols); break;
          case 5: tile(std::integral_constant<int, 5>{}, i, j, cols); break;
          case 4: tile(std::integral_constant<int, 4>{}, i, j, cols); break;
          case 3: tile(std::integral_constant<int, 3>{}, i, j, cols); break;
          case 2: tile(std::integral_constant<int, 2>{}, i, j, cols); break;
          default: tile(std::integral_constant<int, 1>{}, i, j, cols); break;
        }
      }
    }
  }

  // C[M,N] (+)= A[M,K]·B[K,N], row-major with leading dimensions; masked loads and stores at the column tail.
  // kAT: A given transposed, A[i][p] at A[p·lda + i].
  template <bool kAT = false>
  static void mm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                 int64_t ldc, bool accumulate) {
    for_tiles(M, N, [&](auto R, int64_t i, int64_t j, int64_t cols) {
      tile<decltype(R)::value, kAT, F32Step>(K, kAT ? A + i : A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc, cols, accumulate);
    });
  }

  // The same over KP bf16 pairs (VDPBF16PS; see SimdAvx2::mm_bf16 for the layout and the order of each pair's
  // two products).
  template <bool kAT = false>
  static void mm_bf16(int64_t M, int64_t N, int64_t KP, const uint32_t* A, int64_t lda, const uint32_t* B,
                      int64_t ldb, float* C, int64_t ldc, bool accumulate) {
    for_tiles(M, N, [&](auto R, int64_t i, int64_t j, int64_t cols) {
      tile<decltype(R)::value, kAT, Bf16PairStep>(KP, kAT ? A + i : A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc, cols, accumulate);
    });
  }

  // n floats as (n + 1) / 2 bf16 pair words, an odd tail's high half zero (VCVTNEPS2BF16 rounds as the GEMM's
  // f32_to_bf16_bits, gemm/gemm_driver.h).
  static void to_bf16(const float* x, int64_t n, uint32_t* out) {
    for (int64_t i = 0; i < n; i += 16) {
      const __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(lanes(n, i), x + i));
      const int64_t words = imin(8, (n - i + 1) / 2);
      _mm256_mask_storeu_epi32(out + i / 2, static_cast<__mmask8>((1u << words) - 1), reinterpret_cast<__m256i>(h));
    }
  }

  // Two rows as n pair words: out[d] = (bf16(x0[d]), bf16(x1[d])); x1 null: high halves zero.
  static void to_bf16_row_pairs(const float* x0, const float* x1, int64_t n, uint32_t* out) {
    for (int64_t i = 0; i < n; i += 16) {
      const __mmask16 m = lanes(n, i);
      const auto widened = [m](const float* x) {  // (the maskz forms: GCC 12 warns on the plain ones' undefined)
        return _mm512_maskz_cvtepu16_epi32(m, reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x))));
      };
      const __m512i hi = x1 ? _mm512_maskz_slli_epi32(m, widened(x1 + i), 16) : _mm512_setzero_si512();
      _mm512_mask_storeu_epi32(out + i, m, _mm512_or_si512(widened(x0 + i), hi));
    }
  }

  // The softmax rows on 16 lanes with the AVX2 versions' bits. exp_sub_sum keeps their double sum's order: its 8
  // double lanes take elements k, k + 8, k + 16, … in turn (the AVX2 accumulators' lanes), then add as they do;
  // masked lanes add +0.0, which leaves a sum of exps as it is.
  static double exp_sub_sum(float* x, int64_t n, float scale, float sub) {
    const __m512 vs = _mm512_set1_ps(scale), vb = _mm512_set1_ps(sub);
    __m512d acc = _mm512_setzero_pd();
    for (int64_t i = 0; i < n; i += 16) {
      const __mmask16 m = lanes(n, i);
      const __m512 e = _mm512_maskz_mov_ps(m, exp_ps512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, x + i), vs, vb)));
      store(x + i, m, e);
      acc = _mm512_add_pd(acc, _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(e, 0)));
      acc = _mm512_add_pd(acc, _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(e, 1)));
    }
    double l[8];
    _mm512_storeu_pd(l, acc);
    return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
  }

  // x[i] = exp(scale·x[i] − sub)·(dp[i] − d)
  static void exp_sub_grad(float* x, const float* dp, int64_t n, float scale, float sub, float d) {
    const __m512 vs = _mm512_set1_ps(scale), vb = _mm512_set1_ps(sub), vd = _mm512_set1_ps(d);
    for (int64_t i = 0; i < n; i += 16) {
      const __mmask16 m = lanes(n, i);
      const __m512 p = exp_ps512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, x + i), vs, vb));
      store(x + i, m, _mm512_mul_ps(p, _mm512_sub_ps(_mm512_maskz_loadu_ps(m, dp + i), vd)));
    }
  }

  // x[i] = exp(scale·x[i] − sub[i]), dp[i] = x[i]·(dp[i] − d[i])
  static void exp_sub_grad_each(float* x, float* dp, const float* sub, const float* d, int64_t n, float scale) {
    const __m512 vs = _mm512_set1_ps(scale);
    for (int64_t i = 0; i < n; i += 16) {
      const __mmask16 m = lanes(n, i);
      const __m512 arg = _mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, x + i), vs, _mm512_maskz_loadu_ps(m, sub + i));
      const __m512 p = exp_ps512(arg);
      store(x + i, m, p);
      const __m512 diff = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, dp + i), _mm512_maskz_loadu_ps(m, d + i));
      store(dp + i, m, _mm512_mul_ps(p, diff));
    }
  }

  // A plain store for whole vectors, masked only at the tail.
  static void store(float* x, __mmask16 m, __m512 v) {
    if (m == 0xFFFF) {
      _mm512_storeu_ps(x, v);
    } else {
      _mm512_mask_storeu_ps(x, m, v);
    }
  }

  // Lanes of the 16 columns from `from` that lie within `cols`.
  static __mmask16 lanes(int64_t cols, int64_t from) {
    const int64_t n = imax(0, imin(16, cols - from));
    return n == 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1);
  }

  // What a tile's step combines: f32 B rows and broadcast A values by FMA, or bf16 pair words by VDPBF16PS.
  struct F32Step {
    static __m512 load(__mmask16 m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
    static __m512 broadcast(float x) { return _mm512_set1_ps(x); }
    static __m512 madd(__m512 acc, __m512 a, __m512 b) { return _mm512_fmadd_ps(a, b, acc); }
  };
  struct Bf16PairStep {
    static __m512bh load(__mmask16 m, const uint32_t* p) { return reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi32(m, p)); }
    static __m512bh broadcast(uint32_t x) { return reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(x))); }
    static __m512 madd(__m512 acc, __m512bh a, __m512bh b) { return _mm512_dpbf16_ps(acc, a, b); }
  };

  // C (+)= A·B for R rows x up to 32 columns in 2R zmm accumulators, K steps of Step (f32 values or bf16 pairs).
  template <int R, bool kAT, typename Step, typename T>
  static void tile(int64_t K, const T* a, int64_t lda, const T* b, int64_t ldb, float* c, int64_t ldc, int64_t cols,
                   bool accumulate) {
    const __mmask16 m0 = lanes(cols, 0), m1 = lanes(cols, 16);
    __m512 acc0[R], acc1[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      acc0[r] = accumulate ? _mm512_maskz_loadu_ps(m0, c + r * ldc) : _mm512_setzero_ps();
      acc1[r] = accumulate ? _mm512_maskz_loadu_ps(m1, c + r * ldc + 16) : _mm512_setzero_ps();
    }
    for (int64_t p = 0; p < K; ++p) {
      const auto b0 = Step::load(m0, b + p * ldb), b1 = Step::load(m1, b + p * ldb + 16);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const auto av = Step::broadcast(a[kAT ? p * lda + r : r * lda + p]);
        acc0[r] = Step::madd(acc0[r], av, b0);
        acc1[r] = Step::madd(acc1[r], av, b1);
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      _mm512_mask_storeu_ps(c + r * ldc, m0, acc0[r]);
      _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc1[r]);
    }
  }
};
