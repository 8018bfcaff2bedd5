// GEMM: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, f32 compute.
// op(A) = A (stored M x K, row stride lda) or A^T (stored K x M); op(B) = B (stored K x N) or B^T (stored N x K).
// B may be f32 or bf16 (converted to f32 while packing). The three forms of a linear layer y = x W^T:
//   Y  = X  * W^T : A = X,  B = W (trans_b)
//   dX = dY * W   : A = dY, B = W
//   dW = dY^T * X : A = dY (trans_a), B = X
// The K reduction of every output element runs in the same order whatever the thread count.
// bf16_ops (the bf16 compute mode): both operands are rounded to bf16 (nearest-even, subnormals to zero, as
// VCVTNEPS2BF16) before the products; products and sums stay f32. A path with AVX512-BF16 multiplies the packed
// bf16 pairs with VDPBF16PS; the others round the packed f32 panels and run their f32 kernel (the products of two
// bf16 values are exact in f32, so the two differ only in how the f32 sums are rounded).
#pragma once
#include <cstdint>

namespace lf {

enum class DType : int { F32 = 0, BF16 = 1, F16 = 2, I32 = 3 };

struct GemmArgs {
  int64_t m, n, k;
  const float* a;
  int64_t lda;
  bool trans_a;
  const void* b;
  int64_t ldb;
  bool trans_b;
  DType b_type;  // F32 or BF16
  float* c;
  int64_t ldc;
  float alpha, beta;
  bool bf16_ops = false;
};

using GemmFn = void (*)(const GemmArgs&);

}  // namespace lf
