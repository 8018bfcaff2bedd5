// AVX-512 GEMM path (F/BW/VL/BF16; compiled with its own flags, see binding.gyp). Two 8x32 register tiles of
// 16 zmm accumulators each: an f32 one (VFMADD231PS), and for the bf16 compute mode a VDPBF16PS one over operands
// packed as bf16 pairs along K (each 32-bit lane holds k and k+1). Both run under the shared driver's task grid
// and K panels, so every element's reduction order is the same whatever the thread count.
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "avx2/gemm_entry.h"
#include "avx512/gemm_entry.h"
#include "gemm.h"
#include "thread_pool.h"

namespace lf {
namespace avx512 {

#include "gemm/gemm_driver.h"
#include "gemm/pack8_avx2.h"

namespace {

constexpr int kMR = 8;
constexpr int kNR = 32;

// R (8 for a full tile) rows x 32 columns of C from the accumulators: C = alpha * acc + beta * C (beta == 0: C not
// read).
template <int R = kMR>
inline void store_tile(__m512 (&acc)[kMR][2], float* c, int64_t ldc, float alpha, float beta) {
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* row = c + r * ldc;
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      __m512 v = _mm512_mul_ps(acc[r][h], va);
      if (beta != 0.0f) v = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16 * h), v);
      _mm512_storeu_ps(row + 16 * h, v);
    }
  }
}

// Eight f32 values → eight bf16 values as 32-bit pairs' halves: 16 floats of one row become 8 pairs (k, k+1).
inline __m256 pairs8(const float* p) {
  return _mm256_castsi256_ps(reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(_mm512_loadu_ps(p))));
}
inline __m256 pairs8(const uint16_t* p) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p)); }

template <typename T>
inline uint16_t bf16_bits_of(const T* p, int64_t idx) {
  if constexpr (sizeof(T) == 2) {
    return p[idx];
  } else {
    return f32_to_bf16_bits(p[idx]);
  }
}

inline uint32_t pair_bits(uint16_t lo, uint16_t hi) { return static_cast<uint32_t>(lo) | static_cast<uint32_t>(hi) << 16; }

}  // namespace

struct MicroKernel {
  static constexpr int MR = kMR;
  static constexpr int NR = kNR;

  static void tile(int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs, float* c,
                   int64_t ldc, float alpha, float beta) {
    tile_r<MR>(kc, a, csa, b, bs, c, ldc, alpha, beta);
  }

  // The first `rows` rows of a tile (the small-M path: a decode step's one row pays for one row of FMAs).
  static void tile_rows(int rows, int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs,
                        float* c, int64_t ldc, float alpha, float beta) {
    switch (rows) {
      case 1: return tile_r<1>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 2: return tile_r<2>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 3: return tile_r<3>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 4: return tile_r<4>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 5: return tile_r<5>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 6: return tile_r<6>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      case 7: return tile_r<7>(kc, a, csa, b, bs, c, ldc, alpha, beta);
      default: return tile_r<MR>(kc, a, csa, b, bs, c, ldc, alpha, beta);
    }
  }

  // R rows: every element is the same FMA chain over p whatever R is, so a row's bits do not depend on R.
  template <int R>
  static void tile_r(int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs, float* c,
                     int64_t ldc, float alpha, float beta) {
    __m512 acc[MR][2];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    if (R == MR && csa == MR && bs == NR && a[1] == a[0] + 1 && a[MR - 1] == a[0] + MR - 1) {
      const float* ap = a[0];
      for (int64_t p = 0; p < kc; ++p, ap += MR, b += NR) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const __m512 av = _mm512_set1_ps(ap[r]);
          acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
          acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
        }
      }
    } else {
      const float* rows[MR];
      for (int r = 0; r < R; ++r) rows[r] = a[r];
      int64_t off = 0;
      for (int64_t p = 0; p < kc; ++p, off += csa, b += bs) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const __m512 av = _mm512_set1_ps(rows[r][off]);
          acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
          acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
        }
      }
    }
    store_tile<R>(acc, c, ldc, alpha, beta);
  }

  // A stored M x K: 8 rows read 8 k at a time and transposed in registers.
  static void pack_a_rows(const float* src, int64_t lda, int64_t kc, float* dst) {
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      const float* s = src + p;
      __m256 r0 = load8(s), r1 = load8(s + lda), r2 = load8(s + 2 * lda), r3 = load8(s + 3 * lda);
      __m256 r4 = load8(s + 4 * lda), r5 = load8(s + 5 * lda), r6 = load8(s + 6 * lda), r7 = load8(s + 7 * lda);
      transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
      float* d = dst + p * MR;
      _mm256_storeu_ps(d, r0);
      _mm256_storeu_ps(d + 8, r1);
      _mm256_storeu_ps(d + 16, r2);
      _mm256_storeu_ps(d + 24, r3);
      _mm256_storeu_ps(d + 32, r4);
      _mm256_storeu_ps(d + 40, r5);
      _mm256_storeu_ps(d + 48, r6);
      _mm256_storeu_ps(d + 56, r7);
    }
    for (; p < kc; ++p) {
      for (int r = 0; r < MR; ++r) dst[p * MR + r] = src[r * lda + p];
    }
  }

  // B stored N x K: 32 rows (the sliver's columns) in four groups of 8, read 8 k at a time and transposed.
  template <typename T>
  static void pack_b_trans(const T* src, int64_t ldb, int64_t kc, float* dst) {
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      for (int h = 0; h < 4; ++h) {
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

  // B stored K x N: each k row of the sliver is 32 contiguous values.
  template <typename T>
  static void pack_b_plain(const T* src, int64_t ldb, int64_t kc, float* dst) {
    for (int64_t p = 0; p < kc; ++p) {
      const T* s = src + p * ldb;
      for (int q = 0; q < 4; ++q) _mm256_store_ps(dst + p * NR + 8 * q, load8(s + 8 * q));
    }
  }
};

// The bf16 compute mode: the driver's task grid and K panels, panels packed as bf16 pairs, VDPBF16PS tiles.
struct Bf16Gemm {
  using Driver = GemmDriver<MicroKernel>;
  static constexpr int MR = kMR, NR = kNR;

  // One 8x32 tile over kp pairs: A sliver [kp][MR] pairs, B sliver [kp][NR] pairs.
  static void tile(int64_t kp, const uint32_t* ap, const uint32_t* bp, float* c, int64_t ldc, float alpha,
                   float beta) {
    __m512 acc[MR][2];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int r = 0; r < MR; ++r) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    for (int64_t p = 0; p < kp; ++p, ap += MR, bp += NR) {
      const __m512bh b0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(bp));
      const __m512bh b1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(bp + 16));
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) {
        const __m512bh av = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(ap[r])));
        acc[r][0] = _mm512_dpbf16_ps(acc[r][0], av, b0);
        acc[r][1] = _mm512_dpbf16_ps(acc[r][1], av, b1);
      }
    }
    store_tile(acc, c, ldc, alpha, beta);
  }

  // Rows [i0, i0+mc) x k [p0, p0+kc) of op(A) as MR-row slivers of (kc+1)/2 pairs (zero-padded).
  static void pack_a(const GemmArgs& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, uint32_t* out) {
    const int64_t kp = (kc + 1) / 2;
    for (int64_t is = 0; is < mc; is += MR) {
      const int64_t rows = mc - is < MR ? mc - is : MR;
      uint32_t* dst = out + is * kp;
      int64_t q = 0;
      if (!g.trans_a && rows == MR) {
        // 16 k of 8 rows: each row's 16 floats become 8 pairs; an 8x8 transpose of pairs groups them by k.
        const float* src = g.a + (i0 + is) * g.lda + p0;
        for (; 2 * q + 16 <= kc; q += 8) {
          const float* s = src + 2 * q;
          __m256 r0 = pairs8(s), r1 = pairs8(s + g.lda), r2 = pairs8(s + 2 * g.lda), r3 = pairs8(s + 3 * g.lda);
          __m256 r4 = pairs8(s + 4 * g.lda), r5 = pairs8(s + 5 * g.lda), r6 = pairs8(s + 6 * g.lda);
          __m256 r7 = pairs8(s + 7 * g.lda);
          transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
          float* d = reinterpret_cast<float*>(dst + q * MR);
          _mm256_storeu_ps(d, r0);
          _mm256_storeu_ps(d + 8, r1);
          _mm256_storeu_ps(d + 16, r2);
          _mm256_storeu_ps(d + 24, r3);
          _mm256_storeu_ps(d + 32, r4);
          _mm256_storeu_ps(d + 40, r5);
          _mm256_storeu_ps(d + 48, r6);
          _mm256_storeu_ps(d + 56, r7);
        }
      }
      for (; q < kp; ++q) {
        for (int r = 0; r < MR; ++r) {
          uint16_t h[2] = {0, 0};
          for (int e = 0; e < 2; ++e) {
            const int64_t p = p0 + 2 * q + e;
            if (r >= rows || 2 * q + e >= kc) continue;
            const int64_t i = i0 + is + r;
            h[e] = f32_to_bf16_bits(g.trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p]);
          }
          dst[q * MR + r] = pair_bits(h[0], h[1]);
        }
      }
    }
  }

  // One NR-column B sliver for k [p0, p0+kc) as (kc+1)/2 groups of NR pairs (columns past `cols` are zero).
  template <typename T>
  static void pack_b(const GemmArgs& g, int64_t j0, int cols, int64_t p0, int64_t kc, uint32_t* dst) {
    const T* b = static_cast<const T*>(g.b);
    const int64_t kp = (kc + 1) / 2;
    int64_t q = 0;
    if (g.trans_b && cols == NR) {
      // Column j of op(B) is row j of B: 16 k of 8 columns at a time, transposed as pairs.
      for (; 2 * q + 16 <= kc; q += 8) {
        for (int h = 0; h < 4; ++h) {
          const T* s = b + (j0 + 8 * h) * g.ldb + p0 + 2 * q;
          __m256 r0 = pairs8(s), r1 = pairs8(s + g.ldb), r2 = pairs8(s + 2 * g.ldb), r3 = pairs8(s + 3 * g.ldb);
          __m256 r4 = pairs8(s + 4 * g.ldb), r5 = pairs8(s + 5 * g.ldb), r6 = pairs8(s + 6 * g.ldb);
          __m256 r7 = pairs8(s + 7 * g.ldb);
          transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
          float* d = reinterpret_cast<float*>(dst + q * NR + 8 * h);
          _mm256_storeu_ps(d, r0);
          _mm256_storeu_ps(d + NR, r1);
          _mm256_storeu_ps(d + 2 * NR, r2);
          _mm256_storeu_ps(d + 3 * NR, r3);
          _mm256_storeu_ps(d + 4 * NR, r4);
          _mm256_storeu_ps(d + 5 * NR, r5);
          _mm256_storeu_ps(d + 6 * NR, r6);
          _mm256_storeu_ps(d + 7 * NR, r7);
        }
      }
    } else if (!g.trans_b && cols == NR) {
      // Row k of op(B) is contiguous: rows k and k+1 interleaved column by column.
      for (; 2 * q + 2 <= kc; ++q) {
        const T* r0 = b + (p0 + 2 * q) * g.ldb + j0;
        const T* r1 = r0 + g.ldb;
        for (int c = 0; c < NR; ++c) dst[q * NR + c] = pair_bits(bf16_bits_of(r0, c), bf16_bits_of(r1, c));
      }
    }
    for (; q < kp; ++q) {
      for (int c = 0; c < NR; ++c) {
        uint16_t h[2] = {0, 0};
        for (int e = 0; e < 2; ++e) {
          const int64_t p = p0 + 2 * q + e;
          if (c >= cols || 2 * q + e >= kc) continue;
          const int64_t j = j0 + c;
          h[e] = bf16_bits_of(b, g.trans_b ? j * g.ldb + p : p * g.ldb + j);
        }
        dst[q * NR + c] = pair_bits(h[0], h[1]);
      }
    }
  }

  static void run_task(const Driver::Plan& pl, int64_t task, int thread) {
    const GemmArgs& g = *pl.g;
    const int64_t tm = task / pl.gn, tn = task % pl.gn;
    const int64_t ms0 = tm * pl.m_slivers / pl.gm, ms1 = (tm + 1) * pl.m_slivers / pl.gm;
    const int64_t ns0 = tn * pl.n_slivers / pl.gn, ns1 = (tn + 1) * pl.n_slivers / pl.gn;
    if (ms0 >= ms1 || ns0 >= ns1) return;
    const int64_t i_begin = ms0 * MR, i_end = ms1 * MR < g.m ? ms1 * MR : g.m;
    const int64_t rows_total = i_end - i_begin;
    const int64_t n_mblocks = (rows_total + Driver::MC_MAX - 1) / Driver::MC_MAX;
    int64_t mc_step = (rows_total + n_mblocks - 1) / n_mblocks;
    mc_step = (mc_step + MR - 1) / MR * MR;
    const int64_t kp_max = (Driver::KC_MAX + 1) / 2;
    const int64_t task_nslivers = ns1 - ns0;
    const int64_t nc_slivers = task_nslivers < Driver::NC / NR ? task_nslivers : Driver::NC / NR;
    auto* apack = static_cast<uint32_t*>(
        thread_scratch(thread, Driver::SCRATCH_A, sizeof(uint32_t) * Driver::MC_MAX * kp_max));
    auto* bpack = static_cast<uint32_t*>(
        thread_scratch(thread, Driver::SCRATCH_B, sizeof(uint32_t) * static_cast<size_t>(nc_slivers * NR * kp_max)));
    alignas(64) float buf[MR * NR];
    for (int64_t js0 = ns0; js0 < ns1; js0 += Driver::NC / NR) {
      const int64_t js1 = js0 + Driver::NC / NR < ns1 ? js0 + Driver::NC / NR : ns1;
      for (int64_t kpn = 0; kpn < pl.n_kpanels; ++kpn) {
        const int64_t p0 = Driver::kpanel_begin(pl, kpn);
        const int64_t kc = Driver::kpanel_begin(pl, kpn + 1) - p0;
        const int64_t kp = (kc + 1) / 2;
        const float beta = kpn == 0 ? g.beta : 1.0f;
        for (int64_t s = js0; s < js1; ++s) {
          const int64_t j0 = s * NR;
          const int cols = static_cast<int>(g.n - j0 < NR ? g.n - j0 : NR);
          uint32_t* d = bpack + (s - js0) * kp * NR;
          if (g.b_type == DType::BF16) {
            pack_b<uint16_t>(g, j0, cols, p0, kc, d);
          } else {
            pack_b<float>(g, j0, cols, p0, kc, d);
          }
        }
        for (int64_t i0 = i_begin; i0 < i_end; i0 += mc_step) {
          const int64_t mc = i_end - i0 < mc_step ? i_end - i0 : mc_step;
          pack_a(g, i0, mc, p0, kc, apack);
          for (int64_t s = js0; s < js1; ++s) {
            const int64_t j0 = s * NR;
            const int cols = static_cast<int>(g.n - j0 < NR ? g.n - j0 : NR);
            const uint32_t* bp = bpack + (s - js0) * kp * NR;
            for (int64_t is = 0; is < mc; is += MR) {
              const int rows = static_cast<int>(mc - is < MR ? mc - is : MR);
              float* c = g.c + (i0 + is) * g.ldc + j0;
              if (rows == MR && cols == NR) {
                tile(kp, apack + is * kp, bp, c, g.ldc, g.alpha, beta);
                continue;
              }
              tile(kp, apack + is * kp, bp, buf, NR, g.alpha, 0.0f);
              for (int r = 0; r < rows; ++r) {
                for (int cc = 0; cc < cols; ++cc) {
                  const float v = buf[r * NR + cc];
                  c[r * g.ldc + cc] = beta == 0.0f ? v : v + beta * c[r * g.ldc + cc];
                }
              }
            }
          }
        }
      }
    }
  }

  static void run(const GemmArgs& g) {
    if (g.m == 0 || g.n == 0) return;
    if (g.k == 0) {
      Driver::scale_c(g);
      return;
    }
    Driver::Plan pl{};
    pl.g = &g;
    pl.n_kpanels = (g.k + Driver::KC_MAX - 1) / Driver::KC_MAX;
    pl.m_slivers = (g.m + MR - 1) / MR;
    pl.n_slivers = (g.n + NR - 1) / NR;
    const int threads = pool_threads();
    const bool parallel = threads > 1 && g.m * g.n * g.k >= (int64_t{1} << 18);
    Driver::choose_grid(pl, parallel ? threads : 1);
    auto body = [&pl](int64_t task, int thread) { run_task(pl, task, thread); };
    parallel_for(pl.gm * pl.gn, body);
  }
};

void gemm(const GemmArgs& g) {
  if (g.bf16_ops) {
    Bf16Gemm::run(g);
  } else if (g.n <= 16) {
    // One 16-column sliver (the LoRA rank-16 products x·Aᵀ and dY·B): the AVX2 6x16 tile fits it exactly, where
    // the 32-column zmm tile would compute half zeros; it measured faster there (docs/performance.md).
    avx2::gemm(g);
  } else {
    GemmDriver<MicroKernel>::run(g);
  }
}

}  // namespace avx512
}  // namespace lf
