// Chooses the kernel path (portable, AVX2+FMA or AVX-512 with BF16) at run time from the CPU's features, LORAFORGE_ISA, or
// an explicit call (tests run every available path in one process).
#pragma once
#include <string>
#include <vector>

#include "gemm.h"
#include "ops.h"

namespace lf {

struct KernelTable {
  const char* name;        // "portable" | "avx2" | "avx512"
  const char* build_flags;  // compiler flags of this path's translation units
  GemmFn gemm;
  OpKernels ops;
};

const KernelTable& portable_kernels();
const KernelTable& avx2_kernels();
const KernelTable& avx512_kernels();

const KernelTable& kernels();
std::vector<std::string> available_isas();
// Returns false when the name is unknown or the CPU cannot run that path.
bool select_isa(const std::string& name);

}  // namespace lf
