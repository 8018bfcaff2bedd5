// Portable path of the non-GEMM kernels.
#include "dispatch.h"
#include "portable/gemm_entry.h"

namespace lf {

const KernelTable& portable_kernels() {
  static const KernelTable table{"portable", "-O3", portable::gemm, OpKernels{}};
  return table;
}

}  // namespace lf
