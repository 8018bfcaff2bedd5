// The 32-element block types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 (docs/formats/ggml-quants.md). The encoders are
// llama.cpp's reference quantizers (quantize_row_*_ref) restated: every step in f32, in the same order, with the
// same casts, so the bytes equal llama-quantize's. Nibble order: element j is the low nibble of qs[j], element
// j + 16 the high nibble; Q5 types keep bit 4 of element i in bit i of the little-endian u32 qh.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "ggml/ggml_codec.h"
#include "ggml/half.h"

namespace lf::ggml {
namespace {

constexpr int kQk = 32;

static inline uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
static inline void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The value with the largest magnitude, sign kept (the first one on ties), as Q4_0/Q5_0 scale by it.
static inline float signed_absmax(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kQk; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

static inline void min_max(const float* x, float* lo, float* hi) {
  float mn = x[0], mx = x[0];
  for (int j = 1; j < kQk; ++j) {
    if (x[j] < mn) mn = x[j];
    if (x[j] > mx) mx = x[j];
  }
  *lo = mn;
  *hi = mx;
}

// The reference quantizers' float -> int8_t/uint8_t cast after adding 0.5/8.5/16.5, as x86 performs it
// (truncate to int32, keep the low byte). Inf/NaN, which an infinite id (a subnormal d) produces, give 0 there.
static inline int trunc_i8(float v) {
  const int t = std::fabs(v) < 2147483648.0f ? static_cast<int>(v) : INT32_MIN;
  return static_cast<int8_t>(t);
}

// C's roundf (half away from zero), inline so the loop vectorizes: v − trunc(v) is exact. An infinite or NaN
// x·id (a subnormal d makes id infinite) gives 0, as llama.cpp's int8 cast of it does on x86.
static inline int round_half_away(float v) {
  if (!(std::fabs(v) < 8388608.0f)) return 0;
  const int t = static_cast<int>(v);
  const float frac = v - static_cast<float>(t);
  return t + static_cast<int>(frac >= 0.5f) - static_cast<int>(frac <= -0.5f);
}

}  // namespace

void decode_q4_0(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 18, out += kQk) {
    const float d = load_f16(src);
    const uint8_t* qs = src + 2;
    for (int j = 0; j < 16; ++j) {
      out[j] = static_cast<float>((qs[j] & 0x0f) - 8) * d;
      out[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
  }
}

void encode_q4_0(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += kQk, dst += 18) {
    const float d = signed_absmax(x) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    store_f16(dst, d);
    for (int j = 0; j < 16; ++j) {
      const int q0 = trunc_i8(x[j] * id + 8.5f);
      const int q1 = trunc_i8(x[j + 16] * id + 8.5f);
      dst[2 + j] = static_cast<uint8_t>((q0 < 15 ? q0 : 15) | ((q1 < 15 ? q1 : 15) << 4));
    }
  }
}

void decode_q4_1(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 20, out += kQk) {
    const float d = load_f16(src);
    const float m = load_f16(src + 2);
    const uint8_t* qs = src + 4;
    for (int j = 0; j < 16; ++j) {
      out[j] = static_cast<float>(qs[j] & 0x0f) * d + m;
      out[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
    }
  }
}

void encode_q4_1(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += kQk, dst += 20) {
    float lo, hi;
    min_max(x, &lo, &hi);
    const float d = (hi - lo) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    store_f16(dst, d);
    store_f16(dst + 2, lo);
    for (int j = 0; j < 16; ++j) {
      const int q0 = trunc_i8((x[j] - lo) * id + 0.5f);
      const int q1 = trunc_i8((x[j + 16] - lo) * id + 0.5f);
      dst[4 + j] = static_cast<uint8_t>((q0 < 15 ? q0 : 15) | ((q1 < 15 ? q1 : 15) << 4));
    }
  }
}

void decode_q5_0(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 22, out += kQk) {
    const float d = load_f16(src);
    const uint32_t qh = load_u32(src + 2);
    const uint8_t* qs = src + 6;
    for (int j = 0; j < 16; ++j) {
      const int q0 = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int q1 = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      out[j] = static_cast<float>(q0 - 16) * d;
      out[j + 16] = static_cast<float>(q1 - 16) * d;
    }
  }
}

void encode_q5_0(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += kQk, dst += 22) {
    const float d = signed_absmax(x) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    store_f16(dst, d);
    uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
      int q0 = trunc_i8(x[j] * id + 16.5f);
      int q1 = trunc_i8(x[j + 16] * id + 16.5f);
      q0 = q0 < 31 ? q0 : 31;
      q1 = q1 < 31 ? q1 : 31;
      dst[6 + j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      qh |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + 16);
    }
    store_u32(dst + 2, qh);
  }
}

void decode_q5_1(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 24, out += kQk) {
    const float d = load_f16(src);
    const float m = load_f16(src + 2);
    const uint32_t qh = load_u32(src + 4);
    const uint8_t* qs = src + 8;
    for (int j = 0; j < 16; ++j) {
      const int q0 = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int q1 = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      out[j] = static_cast<float>(q0) * d + m;
      out[j + 16] = static_cast<float>(q1) * d + m;
    }
  }
}

void encode_q5_1(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += kQk, dst += 24) {
    float lo, hi;
    min_max(x, &lo, &hi);
    const float d = (hi - lo) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    store_f16(dst, d);
    store_f16(dst + 2, lo);
    uint32_t qh = 0;
    for (int j = 0; j < 16; ++j) {
      // The reference has no clamp here: (x - min)·id + 0.5 stays below 32.
      const int q0 = trunc_i8((x[j] - lo) * id + 0.5f) & 0xff;
      const int q1 = trunc_i8((x[j + 16] - lo) * id + 0.5f) & 0xff;
      dst[8 + j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
      qh |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + 16);
    }
    store_u32(dst + 4, qh);
  }
}

void decode_q8_0(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 34, out += kQk) {
    const float d = load_f16(src);
    int8_t qs[kQk];  // a local copy: the compiler then knows `out` cannot alias it, and vectorizes
    std::memcpy(qs, src + 2, kQk);
    for (int j = 0; j < kQk; ++j) out[j] = static_cast<float>(qs[j]) * d;
  }
}

void encode_q8_0(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += kQk, dst += 34) {
    float amax = 0.0f;
    for (int j = 0; j < kQk; ++j) amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    store_f16(dst, d);
    for (int j = 0; j < kQk; ++j) dst[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(round_half_away(x[j] * id)));
  }
}

}  // namespace lf::ggml
