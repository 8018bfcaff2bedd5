// Portable primitives the shared op kernels (native/src/kernels/*_impl.h) are written against: plain loops the
// compiler may vectorize without changing their results, and libm's expf.
#pragma once
#include <math.h>

#include <cstdint>
#include <cstring>

namespace lf::portable {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

inline float bf16_bits_to_f32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float exp1(float x) { return expf(x); }

struct Simd {
  static float dot(const float* a, const float* b, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
  }

  static float dot3(const float* a, const float* b, const float* c, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += a[i] * b[i] * c[i];
    return s;
  }

  static double sum_squares(const float* x, int64_t n) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
    return s;
  }

  static float scaled_max(const float* x, int64_t n, float scale) {
    float m = -INFINITY;
    for (int64_t i = 0; i < n; ++i) m = scale * x[i] > m ? scale * x[i] : m;
    return m;
  }

  // Summed in double: a vocabulary row adds 1e5+ terms, where a float sum would lose ~1e-5 relative.
  static double exp_sub_sum(float* x, int64_t n, float scale, float sub) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      x[i] = expf(scale * x[i] - sub);
      s += x[i];
    }
    return s;
  }

  static void exp_sub_grad(float* x, const float* dp, int64_t n, float scale, float sub, float d) {
    for (int64_t i = 0; i < n; ++i) x[i] = expf(scale * x[i] - sub) * (dp[i] - d);
  }

  static void exp_sub_grad_each(float* x, float* dp, const float* sub, const float* d, int64_t n, float scale) {
    for (int64_t i = 0; i < n; ++i) {
      x[i] = expf(scale * x[i] - sub[i]);
      dp[i] = x[i] * (dp[i] - d[i]);
    }
  }

  static void silu(const float* g, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = g[i] / (1.0f + expf(-g[i]));
  }

  static void sigmoid(const float* g, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + expf(-g[i]));
  }

  // C[M,N] (+)= A·B over KP bf16 pairs (layout and order: SimdAvx2::mm_bf16, avx2/simd_avx2.h): the high halves'
  // product, then the low halves', each exact in f32. kAT: A given transposed, A[i][p] at A[p·lda + i].
  template <bool kAT = false>
  static void mm_bf16(int64_t M, int64_t N, int64_t KP, const uint32_t* A, int64_t lda, const uint32_t* B,
                      int64_t ldb, float* C, int64_t ldc, bool accumulate) {
    for (int64_t i = 0; i < M; ++i) {
      float* c = C + i * ldc;
      if (!accumulate) for (int64_t j = 0; j < N; ++j) c[j] = 0.0f;
      for (int64_t p = 0; p < KP; ++p) {
        const uint32_t a = kAT ? A[p * lda + i] : A[i * lda + p];
        const float a_hi = bf16_bits_to_f32(static_cast<uint16_t>(a >> 16)), a_lo = bf16_bits_to_f32(static_cast<uint16_t>(a));
        const uint32_t* b = B + p * ldb;
        for (int64_t j = 0; j < N; ++j) {
          c[j] += a_hi * bf16_bits_to_f32(static_cast<uint16_t>(b[j] >> 16));
          c[j] += a_lo * bf16_bits_to_f32(static_cast<uint16_t>(b[j]));
        }
      }
    }
  }

  // C[M,N] (+)= A[M,K]·B[K,N]; each C element sums over p in order. kAT as for mm_bf16.
  template <bool kAT = false>
  static void mm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                 int64_t ldc, bool accumulate) {
    for (int64_t i = 0; i < M; ++i) {
      float* c = C + i * ldc;
      if (!accumulate) for (int64_t j = 0; j < N; ++j) c[j] = 0.0f;
      for (int64_t p = 0; p < K; ++p) {
        const float a = kAT ? A[p * lda + i] : A[i * lda + p];
        const float* b = B + p * ldb;
        for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
      }
    }
  }
};

}  // namespace lf::portable
