// IEEE binary16 and bfloat16 <-> float32, bit-exact and ISA-independent (docs/formats/ggml-quants.md, "Rounding").
// f32 -> f16 and f32 -> bf16 round to nearest, ties to even; NaN stays a (quiet) NaN. Internal linkage so each
// translation unit keeps its own copy.
#pragma once
#include <cstdint>
#include <cstring>

namespace lf::ggml {

static inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

static inline float bits_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Moves the 15 magnitude bits into f32 position and rescales by 2^112 (exact, subnormals included); Inf/NaN
// patterns get the f32 all-ones exponent instead. Branch-free so loops over F16 tensors vectorize.
static inline float f16_to_f32(uint16_t h) {
  const uint32_t magnitude = static_cast<uint32_t>(h & 0x7fffu) << 13;
  uint32_t bits = f32_bits(bits_f32(magnitude) * 5.192296858534828e+33f);  // 2^112
  bits = magnitude >= 0x0f800000u ? (magnitude | 0x7f800000u) : bits;
  return bits_f32(bits | (static_cast<uint32_t>(h & 0x8000u) << 16));
}

static inline uint16_t f32_to_f16(float f) {
  const uint32_t u = f32_bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u;      // NaN
  if (a >= 0x477ff000u) return sign | 0x7c00u;     // |f| >= 65520 rounds to infinity
  if (a >= 0x38800000u) {                          // normal in f16 (>= 2^-14)
    const uint32_t rebiased = a - (112u << 23);    // exponent bias 127 -> 15
    const uint32_t rounded = rebiased + 0x0fffu + ((rebiased >> 13) & 1u);
    return sign | static_cast<uint16_t>(rounded >> 13);
  }
  // Subnormal in f16: the value in units of 2^-24, rounded to nearest even (may round up to the smallest normal).
  const uint32_t exp = a >> 23;
  if (exp < 102) return sign;  // below 2^-25: rounds to zero
  const uint32_t man = (a & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - exp;  // 14..24
  uint32_t q = man >> shift;
  const uint32_t rem = man & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u))) ++q;
  return sign | static_cast<uint16_t>(q);
}

static inline float bf16_to_f32(uint16_t h) { return bits_f32(static_cast<uint32_t>(h) << 16); }

static inline uint16_t f32_to_bf16(float f) {
  const uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static inline uint16_t load_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
static inline void store_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
static inline float load_f16(const uint8_t* p) { return f16_to_f32(load_u16(p)); }
static inline void store_f16(uint8_t* p, float v) { store_u16(p, f32_to_f16(v)); }

}  // namespace lf::ggml
