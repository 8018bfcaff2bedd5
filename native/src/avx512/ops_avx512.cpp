// AVX-512 path of the non-GEMM kernels: the shared kernel bodies (kernels/*_impl.h) over the AVX2 primitives with
// 512-bit replacements where they measured faster (avx512/simd_avx512.h), compiled with this path's flags so that
// the kernels that call GEMM (the fused lm_head + loss) reach the AVX-512 GEMM. See docs/performance.md.
#include <immintrin.h>
#include <math.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <type_traits>

#include "avx512/gemm_entry.h"
#include "dispatch.h"
#include "thread_pool.h"

namespace lf {
namespace avx512 {

#include "avx2/simd_avx2.h"
#include "avx512/simd_avx512.h"
#include "gemm/gemm_driver.h"  // the GEMM's bf16 rounding, reused by the attention's bf16 mode
#include "kernels/scratch_slots.h"
#include "kernels/attention_operands.h"
#include "kernels/attention_impl.h"
#include "kernels/cross_entropy_impl.h"
#include "kernels/elementwise_impl.h"
#include "kernels/optim_impl.h"

}  // namespace avx512

const KernelTable& avx512_kernels() {
  using namespace avx512;
  static const KernelTable table{
      "avx512", "-O3 -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512bf16", avx512::gemm,
      OpKernels{rms_norm, rms_norm_backward, rope, swiglu, swiglu_backward, geglu, geglu_backward, embedding, embedding_backward, attention,
                attention_backward, cross_entropy_linear, dropout, axpy, scale, adamw, sgd, sum_squares}};
  return table;
}

}  // namespace lf
