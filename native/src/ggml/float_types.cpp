// F32, F16 and BF16 tensors: plain little-endian arrays (one element per "block").
#include <cstring>

#include "ggml/ggml_codec.h"
#include "ggml/half.h"

namespace lf::ggml {

void decode_f32(const uint8_t* src, int64_t n, float* out) { std::memcpy(out, src, static_cast<size_t>(n) * 4); }
void encode_f32(const float* x, int64_t n, uint8_t* dst) { std::memcpy(dst, x, static_cast<size_t>(n) * 4); }

void decode_f16(const uint8_t* src, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(load_u16(src + 2 * i));
}
void encode_f16(const float* x, int64_t n, uint8_t* dst) {
  for (int64_t i = 0; i < n; ++i) store_u16(dst + 2 * i, f32_to_f16(x[i]));
}

void decode_bf16(const uint8_t* src, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(load_u16(src + 2 * i));
}
void encode_bf16(const float* x, int64_t n, uint8_t* dst) {
  for (int64_t i = 0; i < n; ++i) store_u16(dst + 2 * i, f32_to_bf16(x[i]));
}

}  // namespace lf::ggml
