// Signatures of the non-GEMM kernels (norms, RoPE, SwiGLU, GeGLU, embedding, attention, fused loss, optimizers).
// Each ISA path fills an OpKernels table; the bindings validate every argument and then call through it.
// All buffers are dense row-major f32 unless noted. Work is split into tasks by fixed block sizes (never by the
// thread count), and every reduction runs in a fixed order inside its task, so results are bit-identical for
// any number of threads.
#pragma once
#include <cstdint>

#include "gemm.h"

namespace lf {

struct AttentionArgs {
  int64_t tq;       // query rows
  int64_t tk;       // key rows; query row i sits at absolute position i + (tk - tq)
  int64_t heads, kv_heads, head_dim;
  const float* q;   // [tq, heads, head_dim]
  const float* k;   // [tk, kv_heads, head_dim] (row stride k_stride)
  const float* v;   // same layout as k
  int64_t k_stride;  // floats between consecutive key rows (kv_heads * head_dim for a dense tensor)
  // First and one-past-last key of each key's segment ([tk] each); null = one segment spanning all keys.
  const int32_t* seg_start;
  const int32_t* seg_end;
  float scale;
  // Sliding window: query position p sees keys (p − window, p] only; 0 = unlimited (see docs/architecture.md).
  int64_t window;
  // The bf16 compute mode: every product's operands rounded to bf16, f32 sums (kernels/attention_impl.h).
  bool bf16_ops = false;
};

struct AttentionGrads {
  const float* d_out;  // [tq, heads, head_dim]
  const float* out;    // forward output
  const float* lse;    // [heads, tq]
  float* dq;           // [tq, heads, head_dim]
  float* dk;           // [tk, kv_heads, head_dim]
  float* dv;
};

struct CrossEntropyArgs {
  int64_t tokens, dim, vocab;
  const float* h;           // [tokens, dim]
  const void* w;            // [vocab, dim], f32 or bf16
  DType w_type;
  const int32_t* targets;   // [tokens]; -100 = not counted
  float grad_scale;
  float* dh;                // [tokens, dim] or null (loss only)
  double* loss_sum;
  int64_t* count;
  bool bf16_ops = false;  // both lm_head products in the bf16 compute mode (gemm.h)
};

// Scalars as torch derives them, in double, then rounded once to float.
struct AdamWArgs {
  float beta2, eps;
  float one_minus_beta1, one_minus_beta2;
  float decay;      // 1 - lr * weight_decay
  float step_size;  // lr / (1 - beta1^t)
  float bc2_sqrt;   // sqrt(1 - beta2^t)
};

struct OpKernels {
  void (*rms_norm)(const float* x, const float* w, float eps, int64_t rows, int64_t dim, float* y, float* rstd);
  void (*rms_norm_backward)(const float* dy, const float* x, const float* w, const float* rstd, int64_t rows,
                            int64_t dim, float* dx);
  // Rotate-half RoPE over the first `rotary` dims of each head; inv_freq [rotary/2]. sign -1 = inverse (backward).
  void (*rope)(const float* x, const int32_t* pos, const double* inv_freq, int64_t tokens, int64_t heads,
               int64_t head_dim, int64_t rotary, int sign, float* out);
  void (*swiglu)(const float* gate, const float* up, int64_t n, float* out);
  void (*swiglu_backward)(const float* dy, const float* gate, const float* up, int64_t n, float* d_gate,
                          float* d_up);
  void (*geglu)(const float* gate, const float* up, int64_t n, float* out);
  void (*geglu_backward)(const float* dy, const float* gate, const float* up, int64_t n, float* d_gate,
                         float* d_up);
  // w is f32 or bf16; ids already checked to lie in [0, vocab).
  void (*embedding)(const void* w, DType w_type, const int32_t* ids, int64_t tokens, int64_t dim, float* out);
  // dw [vocab, dim] is overwritten.
  void (*embedding_backward)(const float* dy, const int32_t* ids, int64_t tokens, int64_t dim, int64_t vocab,
                             float* dw);
  // out [tq, heads, head_dim], lse [heads, tq].
  void (*attention)(const AttentionArgs& a, float* out, float* lse);
  void (*attention_backward)(const AttentionArgs& a, const AttentionGrads& g);
  void (*cross_entropy_linear)(const CrossEntropyArgs& a);
  // out[i] = x[i]·scale·(hash(key, i) < threshold ? 0 : 1) (out may be x).
  void (*dropout)(const float* x, int64_t n, uint32_t key, uint32_t threshold, float scale, float* out);
  void (*axpy)(float* y, const float* x, int64_t n, float alpha);
  void (*scale)(float* x, int64_t n, float alpha);
  void (*adamw)(float* p, const float* g, float* m, float* v, int64_t n, const AdamWArgs& h);
  void (*sgd)(float* p, const float* g, int64_t n, float lr, float weight_decay);
  // Σ x² in double, blocked in a fixed order.
  double (*sum_squares)(const float* x, int64_t n);
};

}  // namespace lf
