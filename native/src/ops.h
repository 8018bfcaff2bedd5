// Signatures of the non-GEMM kernels (norms, RoPE, attention, loss, optimizers). Each ISA path fills an
// OpKernels table; the bindings call through it.
#pragma once
#include <cstdint>

namespace lf {

struct OpKernels {
  // One function pointer per kernel; every ISA path sets every entry.
};

}  // namespace lf
