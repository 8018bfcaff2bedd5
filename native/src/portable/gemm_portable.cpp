// Portable GEMM path: plain C++ micro-kernel that the compiler vectorizes for the baseline ISA (SSE2).
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gemm.h"
#include "thread_pool.h"

namespace lf {
namespace portable {

#include "gemm/gemm_driver.h"

struct MicroKernel {
  static constexpr int MR = 4;
  static constexpr int NR = 8;
  // GCC/Clang vector extension: four floats, lowered to SSE2 on the baseline ISA.
  typedef float v4 __attribute__((vector_size(16)));
  static inline v4 load4(const float* p) {
    v4 v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  static void tile(int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs, float* c,
                   int64_t ldc, float alpha, float beta) {
    v4 acc[MR][2] = {};
    const float* a0 = a[0];
    const float* a1 = a[1];
    const float* a2 = a[2];
    const float* a3 = a[3];
    int64_t off = 0;
    for (int64_t p = 0; p < kc; ++p, off += csa, b += bs) {
      const v4 b0 = load4(b), b1 = load4(b + 4);
      const float av[MR] = {a0[off], a1[off], a2[off], a3[off]};
      for (int r = 0; r < MR; ++r) {
        const v4 ar = {av[r], av[r], av[r], av[r]};
        acc[r][0] += ar * b0;
        acc[r][1] += ar * b1;
      }
    }
    for (int r = 0; r < MR; ++r) {
      float* row = c + r * ldc;
      for (int h = 0; h < 2; ++h) {
        float out[4];
        std::memcpy(out, &acc[r][h], sizeof(out));
        for (int j = 0; j < 4; ++j) {
          float* dst = row + 4 * h + j;
          *dst = beta == 0.0f ? alpha * out[j] : alpha * out[j] + beta * *dst;
        }
      }
    }
  }
  static void pack_a_rows(const float* src, int64_t lda, int64_t kc, float* dst) {
    for (int r = 0; r < MR; ++r) {
      for (int64_t p = 0; p < kc; ++p) dst[p * MR + r] = src[r * lda + p];
    }
  }
  template <typename T>
  static void pack_b_trans(const T* src, int64_t ldb, int64_t kc, float* dst) {
    for (int c = 0; c < NR; ++c) {
      const T* row = src + c * ldb;
      for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = load_elem(row, p);
    }
  }
  template <typename T>
  static void pack_b_plain(const T* src, int64_t ldb, int64_t kc, float* dst) {
    for (int64_t p = 0; p < kc; ++p) {
      for (int c = 0; c < NR; ++c) dst[p * NR + c] = load_elem(src + p * ldb, c);
    }
  }
};

void gemm(const GemmArgs& g) { GemmDriver<MicroKernel>::run(g); }

}  // namespace portable
}  // namespace lf
