// AVX2+FMA path of the non-GEMM kernels: the shared kernel bodies (kernels/*_impl.h) over AVX2 primitives.
#include <immintrin.h>
#include <math.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <type_traits>

#include "avx2/gemm_entry.h"
#include "dispatch.h"
#include "thread_pool.h"

namespace lf {
namespace avx2 {

#include "avx2/simd_avx2.h"
using Simd = SimdAvx2;
#include "gemm/gemm_driver.h"  // the GEMM's bf16 rounding, reused by the attention's bf16 mode
#include "kernels/scratch_slots.h"
#include "kernels/attention_operands.h"
#include "kernels/attention_impl.h"
#include "kernels/cross_entropy_impl.h"
#include "kernels/elementwise_impl.h"
#include "kernels/optim_impl.h"

}  // namespace avx2

const KernelTable& avx2_kernels() {
  using namespace avx2;
  static const KernelTable table{
      "avx2", "-O3 -mavx2 -mfma -mf16c", avx2::gemm,
      OpKernels{rms_norm, rms_norm_backward, rope, swiglu, swiglu_backward, geglu, geglu_backward, embedding, embedding_backward, attention,
                attention_backward, cross_entropy_linear, dropout, axpy, scale, adamw, sgd, sum_squares}};
  return table;
}

}  // namespace lf
