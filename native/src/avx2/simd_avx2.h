// AVX2+FMA primitives the shared op kernels (native/src/kernels/*_impl.h) are written against. Included inside
// the namespace of each path that compiles them (lf::avx2, lf::avx512), so no symbol compiled with one path's
// flags can stand in for another path's at link time.
// Requires before inclusion: <immintrin.h>, <math.h>, <cstdint>, <cstring>, <type_traits>.

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

inline float bf16_bits_to_f32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lanes [0, n) set, for the tails of rows (n in 0..8).
inline __m256i tail_mask(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), idx);
}

// exp(x) = 2^n · e^r with n = round(x·log2 e) and r = x − n·ln 2 (ln 2 split in two so r stays exact), e^r by
// the degree-6 Cephes polynomial: about 1 ulp over the clamped range [−87.3, 88].
inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(x, _mm256_set1_ps(88.0f));
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

inline float exp1(float x) { return _mm256_cvtss_f32(exp_ps(_mm256_set1_ps(x))); }

// The avx2 path uses it as its Simd; the avx512 path derives its Simd from it (avx512/simd_avx512.h).
struct SimdAvx2 {
  static float dot(const float* a, const float* b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
      acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i < n; i += 8) {
      const __m256i m = tail_mask(n - i);
      acc0 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc0);
    }
    return hsum(_mm256_add_ps(acc0, acc1));
  }

  // Σ a·b·c
  static float dot3(const float* a, const float* b, const float* c, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 ab = _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
      acc = _mm256_fmadd_ps(ab, _mm256_loadu_ps(c + i), acc);
    }
    if (i < n) {
      const __m256i m = tail_mask(n - i);
      const __m256 ab = _mm256_mul_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));
      acc = _mm256_fmadd_ps(ab, _mm256_maskload_ps(c + i, m), acc);
    }
    return hsum(acc);
  }

  // Σ x² accumulated in double.
  static double sum_squares(const float* x, int64_t n) {
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256d lo = _mm256_cvtps_pd(_mm_loadu_ps(x + i));
      const __m256d hi = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
      acc0 = _mm256_fmadd_pd(lo, lo, acc0);
      acc1 = _mm256_fmadd_pd(hi, hi, acc1);
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(acc0, acc1));
    double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
    return s;
  }

  // Elementwise maps below run whole vectors with plain loads and stores and only the tail masked: masked
  // stores (vmaskmovps) are slow on some x86 cores (microcoded on AMD Zen).

  // max over scale·x[0..n), n >= 1
  static float scaled_max(const float* x, int64_t n, float scale) {
    const __m256 vs = _mm256_set1_ps(scale);
    __m256 m = _mm256_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_mul_ps(_mm256_loadu_ps(x + i), vs));
    float r = hmax(m);
    for (; i < n; ++i) r = scale * x[i] > r ? scale * x[i] : r;
    return r;
  }

  // x[i] = exp(scale·x[i] − sub); returns Σ x[i], summed in double (a vocabulary row adds 1e5+ terms, where
  // float lanes would lose ~1e-5 relative).
  static double exp_sub_sum(float* x, int64_t n, float scale, float sub) {
    const __m256 vs = _mm256_set1_ps(scale), vb = _mm256_set1_ps(sub);
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 e = exp_ps(_mm256_fmsub_ps(_mm256_loadu_ps(x + i), vs, vb));
      _mm256_storeu_ps(x + i, e);
      acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
      acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    if (i < n) {
      const __m256i mask = tail_mask(n - i);
      const __m256 e = _mm256_and_ps(exp_ps(_mm256_fmsub_ps(_mm256_maskload_ps(x + i, mask), vs, vb)),
                                     _mm256_castsi256_ps(mask));
      _mm256_maskstore_ps(x + i, mask, e);
      acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
      acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(acc0, acc1));
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  }

  // The softmax backward's dS row: x[i] = exp(scale·x[i] − sub)·(dp[i] − d).
  static void exp_sub_grad(float* x, const float* dp, int64_t n, float scale, float sub, float d) {
    const __m256 vs = _mm256_set1_ps(scale), vb = _mm256_set1_ps(sub), vd = _mm256_set1_ps(d);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 p = exp_ps(_mm256_fmsub_ps(_mm256_loadu_ps(x + i), vs, vb));
      _mm256_storeu_ps(x + i, _mm256_mul_ps(p, _mm256_sub_ps(_mm256_loadu_ps(dp + i), vd)));
    }
    if (i < n) {
      const __m256i mask = tail_mask(n - i);
      const __m256 p = exp_ps(_mm256_fmsub_ps(_mm256_maskload_ps(x + i, mask), vs, vb));
      _mm256_maskstore_ps(x + i, mask, _mm256_mul_ps(p, _mm256_sub_ps(_mm256_maskload_ps(dp + i, mask), vd)));
    }
  }

  // The same with a row term per element, keeping P: x[i] = exp(scale·x[i] − sub[i]), dp[i] = x[i]·(dp[i] − d[i]).
  static void exp_sub_grad_each(float* x, float* dp, const float* sub, const float* d, int64_t n, float scale) {
    const __m256 vs = _mm256_set1_ps(scale);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 p = exp_ps(_mm256_fmsub_ps(_mm256_loadu_ps(x + i), vs, _mm256_loadu_ps(sub + i)));
      _mm256_storeu_ps(x + i, p);
      _mm256_storeu_ps(dp + i, _mm256_mul_ps(p, _mm256_sub_ps(_mm256_loadu_ps(dp + i), _mm256_loadu_ps(d + i))));
    }
    if (i < n) {
      const __m256i mask = tail_mask(n - i);
      const __m256 arg = _mm256_fmsub_ps(_mm256_maskload_ps(x + i, mask), vs, _mm256_maskload_ps(sub + i, mask));
      const __m256 p = exp_ps(arg);
      const __m256 diff = _mm256_sub_ps(_mm256_maskload_ps(dp + i, mask), _mm256_maskload_ps(d + i, mask));
      _mm256_maskstore_ps(x + i, mask, p);
      _mm256_maskstore_ps(dp + i, mask, _mm256_mul_ps(p, diff));
    }
  }

  // y[i] = silu(g[i]) = g / (1 + exp(−g))
  static void silu(const float* g, float* y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, silu_ps(_mm256_loadu_ps(g + i)));
    if (i < n) {
      const __m256i mask = tail_mask(n - i);
      _mm256_maskstore_ps(y + i, mask, silu_ps(_mm256_maskload_ps(g + i, mask)));
    }
  }

  // y[i] = sigmoid(g[i])
  static void sigmoid(const float* g, float* y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, sigmoid_ps(_mm256_loadu_ps(g + i)));
    if (i < n) {
      const __m256i mask = tail_mask(n - i);
      _mm256_maskstore_ps(y + i, mask, sigmoid_ps(_mm256_maskload_ps(g + i, mask)));
    }
  }

  static __m256 sigmoid_ps(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x))));
  }

  static __m256 silu_ps(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(x, _mm256_add_ps(one, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x))));
  }

  // C[M,N] (+)= A[M,K]·B[K,N], all row-major with leading dimensions; a 4x16 register tile (a 6x16 one
  // measured 1.6x slower here: its accumulator arrays spill). kAT: A given transposed, A[i][p] at A[p·lda + i].
  template <bool kAT = false>
  static void mm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                 int64_t ldc, bool accumulate) {
    for_tiles(M, N, [&](auto R, int64_t i, int64_t j, int64_t cols) {
      tile<decltype(R)::value, kAT>(K, kAT ? A + i : A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc, cols, accumulate);
    });
  }

  // C[M,N] (+)= A·B over KP bf16 pairs, the bf16 compute mode's products: A [M][KP] and B [KP][N] hold 32-bit
  // words, each two bf16 values (low half k = 2p, high half 2p + 1). Each element adds the high pair's product,
  // then the low one's, to its f32 sum, as VDPBF16PS does (a bf16 product is exact in f32, so each add is one
  // rounding): the avx512 path's VDPBF16PS tiles give these bits (that instruction also flushes subnormal sums to
  // zero, below 1.2e-38, which this does not). kAT as for mm.
  template <bool kAT = false>
  static void mm_bf16(int64_t M, int64_t N, int64_t KP, const uint32_t* A, int64_t lda, const uint32_t* B,
                      int64_t ldb, float* C, int64_t ldc, bool accumulate) {
    for_tiles(M, N, [&](auto R, int64_t i, int64_t j, int64_t cols) {
      tile_bf16<decltype(R)::value, kAT>(KP, kAT ? A + i : A + i * lda, lda, B + j, ldb, C + i * ldc + j, ldc, cols, accumulate);
    });
  }

  // Calls tile(std::integral_constant<int, R>, i, j, cols) for the 4x16 tiles of an M x N output, rows outermost.
  template <typename Tile>
  static void for_tiles(int64_t M, int64_t N, const Tile& tile) {
    for (int64_t i = 0; i < M; i += 4) {
      for (int64_t j = 0; j < N; j += 16) {
        const int64_t cols = imin(16, N - j);
        switch (imin(4, M - i)) {
          case 4: tile(std::integral_constant<int, 4>{}, i, j, cols); break;
          case 3: tile(std::integral_constant<int, 3>{}, i, j, cols); break;
          case 2: tile(std::integral_constant<int, 2>{}, i, j, cols); break;
          default: tile(std::integral_constant<int, 1>{}, i, j, cols); break;
        }
      }
    }
  }

  // The bf16 halves of 32-bit pair words as f32: high (k odd) and low (k even).
  static __m256 pair_hi(__m256i w) { return _mm256_castsi256_ps(_mm256_and_si256(w, _mm256_set1_epi32(-65536))); }
  static __m256 pair_lo(__m256i w) { return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)); }

  // 4x16 like `tile`: eight accumulators, so the two dependent FMAs per pair do not stall on latency.
  template <int R, bool kAT>
  static void tile_bf16(int64_t KP, const uint32_t* a, int64_t lda, const uint32_t* b, int64_t ldb, float* c,
                        int64_t ldc, int64_t cols, bool accumulate) {
    const __m256i m0 = tail_mask(cols), m1 = tail_mask(cols - 8);
    __m256 acc0[R], acc1[R];
    for (int r = 0; r < R; ++r) {
      acc0[r] = accumulate ? _mm256_maskload_ps(c + r * ldc, m0) : _mm256_setzero_ps();
      acc1[r] = accumulate ? _mm256_maskload_ps(c + r * ldc + 8, m1) : _mm256_setzero_ps();
    }
    for (int64_t p = 0; p < KP; ++p) {
      const int* bp = reinterpret_cast<const int*>(b + p * ldb);
      const __m256i w0 = _mm256_maskload_epi32(bp, m0), w1 = _mm256_maskload_epi32(bp + 8, m1);
      const __m256 b0_hi = pair_hi(w0), b0_lo = pair_lo(w0), b1_hi = pair_hi(w1), b1_lo = pair_lo(w1);
      for (int r = 0; r < R; ++r) {
        const __m256i aw = _mm256_set1_epi32(static_cast<int>(a[kAT ? p * lda + r : r * lda + p]));
        const __m256 a_hi = pair_hi(aw), a_lo = pair_lo(aw);
        acc0[r] = _mm256_fmadd_ps(a_lo, b0_lo, _mm256_fmadd_ps(a_hi, b0_hi, acc0[r]));
        acc1[r] = _mm256_fmadd_ps(a_lo, b1_lo, _mm256_fmadd_ps(a_hi, b1_hi, acc1[r]));
      }
    }
    for (int r = 0; r < R; ++r) {
      _mm256_maskstore_ps(c + r * ldc, m0, acc0[r]);
      _mm256_maskstore_ps(c + r * ldc + 8, m1, acc1[r]);
    }
  }

  template <int R, bool kAT>
  static void tile(int64_t K, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                   int64_t cols, bool accumulate) {
    const __m256i m0 = tail_mask(cols), m1 = tail_mask(cols - 8);
    const bool full = cols == 16;
    __m256 acc0[R], acc1[R];
    for (int r = 0; r < R; ++r) {
      if (!accumulate) {
        acc0[r] = acc1[r] = _mm256_setzero_ps();
      } else if (full) {
        acc0[r] = _mm256_loadu_ps(c + r * ldc);
        acc1[r] = _mm256_loadu_ps(c + r * ldc + 8);
      } else {
        acc0[r] = _mm256_maskload_ps(c + r * ldc, m0);
        acc1[r] = _mm256_maskload_ps(c + r * ldc + 8, m1);
      }
    }
    if (full) {
      for (int64_t p = 0; p < K; ++p) {
        const __m256 b0 = _mm256_loadu_ps(b + p * ldb), b1 = _mm256_loadu_ps(b + p * ldb + 8);
        for (int r = 0; r < R; ++r) {
          const __m256 av = _mm256_broadcast_ss(kAT ? a + p * lda + r : a + r * lda + p);
          acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
          acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
        }
      }
    } else {
      for (int64_t p = 0; p < K; ++p) {
        const __m256 b0 = _mm256_maskload_ps(b + p * ldb, m0), b1 = _mm256_maskload_ps(b + p * ldb + 8, m1);
        for (int r = 0; r < R; ++r) {
          const __m256 av = _mm256_broadcast_ss(kAT ? a + p * lda + r : a + r * lda + p);
          acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
          acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      if (full) {
        _mm256_storeu_ps(c + r * ldc, acc0[r]);
        _mm256_storeu_ps(c + r * ldc + 8, acc1[r]);
      } else {
        _mm256_maskstore_ps(c + r * ldc, m0, acc0[r]);
        _mm256_maskstore_ps(c + r * ldc + 8, m1, acc1[r]);
      }
    }
  }
};

