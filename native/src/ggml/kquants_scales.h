// The packed sub-block scales of the K-quant types, shared by their decoders and encoders
// (docs/formats/ggml-quants.md, Q4_K and Q3_K). Internal linkage: each translation unit keeps its own copy.
#pragma once
#include <cstdint>

namespace lf::ggml {

struct ScaleMin {
  float scale;
  float min;
};

// Q4_K / Q5_K: the 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes `s`.
static inline ScaleMin k4_scale_min(const uint8_t* s, int j) {
  if (j < 4) return {static_cast<float>(s[j] & 63), static_cast<float>(s[j + 4] & 63)};
  return {static_cast<float>((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4)),
          static_cast<float>((s[j + 4] >> 4) | ((s[j] >> 6) << 4))};
}

// Q4_K / Q5_K: packs 8 six-bit scales and mins into 12 bytes (the inverse of k4_scale_min).
static inline void pack_k4_scales(const uint8_t* sc, const uint8_t* m, uint8_t* s) {
  for (int j = 0; j < 4; ++j) {
    s[j] = sc[j];
    s[j + 4] = m[j];
  }
  for (int j = 4; j < 8; ++j) {
    s[j + 4] = static_cast<uint8_t>((sc[j] & 0x0f) | ((m[j] & 0x0f) << 4));
    s[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
    s[j] |= static_cast<uint8_t>((m[j] >> 4) << 6);
  }
}

// Q3_K: the 16 signed 6-bit scales (stored + 32) from the 12 packed bytes `s`: low 4 bits in the nibbles of
// s[0..7], high 2 bits in s[8 + j % 4] at bit 2·(j / 4).
static inline void unpack_q3_k_scales(const uint8_t* s, int8_t* sc) {
  for (int j = 0; j < 16; ++j) {
    const int low4 = j < 8 ? (s[j] & 0x0f) : (s[j - 8] >> 4);
    const int high2 = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
    sc[j] = static_cast<int8_t>((low4 | (high2 << 4)) - 32);
  }
}

}  // namespace lf::ggml
