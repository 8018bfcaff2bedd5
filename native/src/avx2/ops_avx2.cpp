// AVX2+FMA path of the non-GEMM kernels.
#include "dispatch.h"
#include "avx2/gemm_entry.h"

namespace lf {

const KernelTable& avx2_kernels() {
  static const KernelTable table{"avx2", "-O3 -mavx2 -mfma -mf16c", avx2::gemm, OpKernels{}};
  return table;
}

}  // namespace lf
