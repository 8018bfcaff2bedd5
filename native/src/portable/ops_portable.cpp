// Portable path of the non-GEMM kernels: the shared kernel bodies (kernels/*_impl.h) over plain-loop primitives.
#include <math.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>
#include <type_traits>

#include "dispatch.h"
#include "portable/gemm_entry.h"
#include "portable/simd_portable.h"
#include "thread_pool.h"

namespace lf {
namespace portable {

#include "gemm/gemm_driver.h"  // the GEMM's bf16 rounding, reused by the attention's bf16 mode
#include "kernels/scratch_slots.h"
#include "kernels/attention_operands.h"
#include "kernels/attention_impl.h"
#include "kernels/cross_entropy_impl.h"
#include "kernels/elementwise_impl.h"
#include "kernels/optim_impl.h"

}  // namespace portable

const KernelTable& portable_kernels() {
  using namespace portable;
  static const KernelTable table{
      "portable", "-O3", portable::gemm,
      OpKernels{rms_norm, rms_norm_backward, rope, swiglu, swiglu_backward, geglu, geglu_backward, embedding, embedding_backward, attention,
                attention_backward, cross_entropy_linear, dropout, axpy, scale, adamw, sgd, sum_squares}};
  return table;
}

}  // namespace lf
