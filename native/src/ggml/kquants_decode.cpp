// Decoders of the 256-element super-block types Q2_K, Q3_K, Q4_K, Q5_K and Q6_K (docs/formats/ggml-quants.md).
// Each value is (f16 super-scale · small integer scale) · quant [− f16 super-min · small integer min]: the
// products are exact in f32, so the one rounding is the final subtraction, as in llama.cpp's dequantize_row_*.
#include "ggml/ggml_codec.h"
#include "ggml/half.h"
#include "ggml/kquants_scales.h"

namespace lf::ggml {

void decode_q2_k(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 84, out += 256) {
    const uint8_t* scales = src;
    const uint8_t* qs = src + 16;
    const float d = load_f16(src + 80);
    const float dmin = load_f16(src + 82);
    // Sub-block j (16 values) = half h = j / 8, bit pair s = (j % 8) / 2, bytes qs[32h + 16·(j % 2) ..].
    for (int j = 0; j < 16; ++j) {
      const float dl = d * static_cast<float>(scales[j] & 0x0f);
      const float ml = dmin * static_cast<float>(scales[j] >> 4);
      const uint8_t* q = qs + 32 * (j / 8) + 16 * (j % 2);
      const int shift = 2 * ((j % 8) / 2);
      float* y = out + 16 * j;
      for (int l = 0; l < 16; ++l) y[l] = dl * static_cast<float>((q[l] >> shift) & 3) - ml;
    }
  }
}

void decode_q3_k(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 110, out += 256) {
    const uint8_t* hmask = src;
    const uint8_t* qs = src + 32;
    const float d = load_f16(src + 108);
    int8_t sc[16];
    unpack_q3_k_scales(src + 96, sc);
    for (int j = 0; j < 16; ++j) {
      const float dl = d * static_cast<float>(sc[j]);
      const uint8_t* q = qs + 32 * (j / 8) + 16 * (j % 2);
      const int shift = 2 * ((j % 8) / 2);
      const uint8_t* hm = hmask + 16 * (j % 2);
      const int hbit = j / 2;  // = element / 32
      float* y = out + 16 * j;
      for (int l = 0; l < 16; ++l) {
        const int low2 = (q[l] >> shift) & 3;
        const int high = (hm[l] >> hbit) & 1;
        y[l] = dl * static_cast<float>(low2 - (high ? 0 : 4));
      }
    }
  }
}

void decode_q4_k(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 144, out += 256) {
    const float d = load_f16(src);
    const float dmin = load_f16(src + 2);
    const uint8_t* qs = src + 16;
    for (int c = 0; c < 4; ++c) {
      const ScaleMin lo = k4_scale_min(src + 4, 2 * c);
      const ScaleMin hi = k4_scale_min(src + 4, 2 * c + 1);
      const float d1 = d * lo.scale, m1 = dmin * lo.min;
      const float d2 = d * hi.scale, m2 = dmin * hi.min;
      const uint8_t* q = qs + 32 * c;
      float* y = out + 64 * c;
      for (int l = 0; l < 32; ++l) y[l] = d1 * static_cast<float>(q[l] & 0x0f) - m1;
      for (int l = 0; l < 32; ++l) y[32 + l] = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void decode_q5_k(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 176, out += 256) {
    const float d = load_f16(src);
    const float dmin = load_f16(src + 2);
    const uint8_t* qh = src + 16;
    const uint8_t* qs = src + 48;
    for (int c = 0; c < 4; ++c) {
      const ScaleMin lo = k4_scale_min(src + 4, 2 * c);
      const ScaleMin hi = k4_scale_min(src + 4, 2 * c + 1);
      const float d1 = d * lo.scale, m1 = dmin * lo.min;
      const float d2 = d * hi.scale, m2 = dmin * hi.min;
      const uint8_t* q = qs + 32 * c;
      float* y = out + 64 * c;
      for (int l = 0; l < 32; ++l) {
        const int q1 = (q[l] & 0x0f) | (((qh[l] >> (2 * c)) & 1) << 4);
        y[l] = d1 * static_cast<float>(q1) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        const int q2 = (q[l] >> 4) | (((qh[l] >> (2 * c + 1)) & 1) << 4);
        y[32 + l] = d2 * static_cast<float>(q2) - m2;
      }
    }
  }
}

void decode_q6_k(const uint8_t* src, int64_t blocks, float* out) {
  for (int64_t b = 0; b < blocks; ++b, src += 210, out += 256) {
    const int8_t* scales = reinterpret_cast<const int8_t*>(src + 192);
    const float d = load_f16(src + 208);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = src + 64 * h;
      const uint8_t* qh = src + 128 + 32 * h;
      const int8_t* sc = scales + 8 * h;
      float* y = out + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

}  // namespace lf::ggml
