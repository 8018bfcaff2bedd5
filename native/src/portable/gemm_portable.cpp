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
  static void tile(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha, float beta) {
    float acc[MR][NR] = {};
    for (int64_t p = 0; p < kc; ++p) {
      const float* a = ap + p * MR;
      const float* b = bp + p * NR;
      for (int r = 0; r < MR; ++r) {
        for (int j = 0; j < NR; ++j) acc[r][j] += a[r] * b[j];
      }
    }
    for (int r = 0; r < MR; ++r) {
      float* row = c + r * ldc;
      for (int j = 0; j < NR; ++j) row[j] = beta == 0.0f ? alpha * acc[r][j] : alpha * acc[r][j] + beta * row[j];
    }
  }
};

void gemm(const GemmArgs& g) { GemmDriver<MicroKernel>::run(g); }

}  // namespace portable
}  // namespace lf
