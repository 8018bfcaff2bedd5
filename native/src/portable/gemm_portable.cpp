// Portable GEMM path: plain C++ micro-kernel that the compiler vectorizes for the baseline ISA (SSE2).
#include <cstdint>
#include <cstring>

#include "gemm.h"
#include "thread_pool.h"

namespace lf {
namespace portable {

#include "gemm/gemm_driver.h"

struct MicroKernel {
  static constexpr int MR = 4;
  static constexpr int NR = 8;
  static void tile(int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs, float* c,
                   int64_t ldc, float alpha, float beta) {
    float acc[MR][NR] = {};
    const float* a0 = a[0];
    const float* a1 = a[1];
    const float* a2 = a[2];
    const float* a3 = a[3];
    for (int64_t p = 0; p < kc; ++p) {
      const float* bp = b + p * bs;
      const float av[MR] = {a0[p * csa], a1[p * csa], a2[p * csa], a3[p * csa]};
      for (int r = 0; r < MR; ++r) {
        for (int j = 0; j < NR; ++j) acc[r][j] += av[r] * bp[j];
      }
    }
    for (int r = 0; r < MR; ++r) {
      float* row = c + r * ldc;
      for (int j = 0; j < NR; ++j) row[j] = beta == 0.0f ? alpha * acc[r][j] : alpha * acc[r][j] + beta * row[j];
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
