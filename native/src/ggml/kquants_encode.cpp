// Encoders of Q2_K..Q6_K after llama.cpp's reference scheme (quantize_row_q{2,3,4,5,6}_K_ref, the one
// llama-quantize uses without an imatrix; docs/formats/ggml-quants.md): a scale search per sub-block, the
// sub-block scales quantized against one f16 super-scale, then every value re-quantized with the decoded scales.
// The f32 operations keep llama.cpp's order, so the bytes equal llama-quantize's (test/quant/ggml-llama-cpp.test.ts).
#include <cmath>
#include <cstring>

#include "ggml/ggml_codec.h"
#include "ggml/half.h"
#include "ggml/kquants_scales.h"
#include "ggml/kquants_search.h"

namespace lf::ggml {
namespace {

constexpr float kGroupMaxEps = 1e-15f;

uint8_t min63(int v) { return static_cast<uint8_t>(v < 63 ? v : 63); }

// Q4_K and Q5_K share everything but the quant range (nmax 15 or 31) and the search's candidate grid.
// Fills `scales12`, `d`, `dmin` (as stored) and L[256] (0..nmax).
void encode_scale_min_block(const float* x, int nmax, float rmin, int nstep, uint8_t* scales12, uint8_t* d16,
                            uint8_t* dmin16, uint8_t* L) {
  static_assert(kFitLanes == 8, "one fit_scale_offset call covers the 8 sub-blocks");
  float scales[8], mins[8], weights[256];
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[32 * j + l] = av_x + std::fabs(xs[l]);
  }
  fit_scale_offset(32, nmax, x, weights, L, scales, mins, rmin, 0.1f, nstep, false);
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = min63(static_cast<uint8_t>(nearest(inv_scale * scales[j])));
    lm[j] = min63(static_cast<uint8_t>(nearest(inv_min * mins[j])));
  }
  std::memset(scales12, 0, 12);
  pack_k4_scales(ls, lm, scales12);
  store_f16(d16, max_scale / 63.f);
  store_f16(dmin16, max_min / 63.f);
  // Re-quantize with the scales as a decoder will see them; a sub-block whose scale decodes to 0 keeps the
  // search's L.
  const float d_all = load_f16(d16), dmin_all = load_f16(dmin16);
  for (int j = 0; j < 8; ++j) {
    const ScaleMin sm = k4_scale_min(scales12, j);
    const float d = d_all * sm.scale;
    if (d == 0.0f) continue;
    const float dm = dmin_all * sm.min;
    for (int l = 0; l < 32; ++l) {
      const int q = nearest((x[32 * j + l] + dm) / d);
      L[32 * j + l] = static_cast<uint8_t>(q < 0 ? 0 : (q > nmax ? nmax : q));
    }
  }
}

// Q2_K / Q3_K: 2-bit fields of elements 128h + l, +32, +64, +96 share byte qs[32h + l] (bit pairs 0, 2, 4, 6).
void pack_2bit(const uint8_t* L, uint8_t* qs) {
  for (int h = 0; h < 2; ++h) {
    const uint8_t* Lh = L + 128 * h;
    for (int l = 0; l < 32; ++l) {
      qs[32 * h + l] = static_cast<uint8_t>(Lh[l] | (Lh[l + 32] << 2) | (Lh[l + 64] << 4) | (Lh[l + 96] << 6));
    }
  }
}

}  // namespace

void encode_q2_k(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += 256, dst += 84) {
    uint8_t L[256];
    float scales[16], mins[16], weights[256];
    for (int l = 0; l < 256; ++l) weights[l] = std::fabs(x[l]);
    for (int half = 0; half < 16; half += kFitLanes) {
      fit_scale_offset(16, 3, x + 16 * half, weights + 16 * half, L + 16 * half, scales + half, mins + half, -0.5f,
                       0.1f, 15, true);
    }
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    uint8_t* sc = dst;
    std::memset(sc, 0, 16);
    if (max_scale > 0) {
      const float iscale = 15.f / max_scale;
      for (int j = 0; j < 16; ++j) sc[j] = static_cast<uint8_t>(nearest(iscale * scales[j]));
    }
    store_f16(dst + 80, max_scale > 0 ? max_scale / 15.f : 0.f);
    if (max_min > 0) {
      const float iscale = 15.f / max_min;
      for (int j = 0; j < 16; ++j) sc[j] = static_cast<uint8_t>(sc[j] | (nearest(iscale * mins[j]) << 4));
    }
    store_f16(dst + 82, max_min > 0 ? max_min / 15.f : 0.f);
    const float d_all = load_f16(dst + 80), dmin_all = load_f16(dst + 82);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * (sc[j] & 0x0f);
      if (d == 0.0f) continue;
      const float dm = dmin_all * (sc[j] >> 4);
      for (int l = 0; l < 16; ++l) {
        const int q = nearest((x[16 * j + l] + dm) / d);
        L[16 * j + l] = static_cast<uint8_t>(q < 0 ? 0 : (q > 3 ? 3 : q));
      }
    }
    pack_2bit(L, dst + 16);
  }
}

void encode_q3_k(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += 256, dst += 110) {
    int8_t L[256];
    float scales[16];
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_signed_scale_rmse(16, 4, x + 16 * j, L + 16 * j);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    uint8_t* packed = dst + 96;
    std::memset(packed, 0, 12);
    if (max_scale != 0.0f) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        const int l = nearest(iscale * scales[j]);
        const int u = (l < -32 ? -32 : (l > 31 ? 31 : l)) + 32;
        if (j < 8) {
          packed[j] = static_cast<uint8_t>(u & 0x0f);
        } else {
          packed[j - 8] = static_cast<uint8_t>(packed[j - 8] | ((u & 0x0f) << 4));
        }
        packed[8 + j % 4] = static_cast<uint8_t>(packed[8 + j % 4] | ((u >> 4) << (2 * (j / 4))));
      }
      store_f16(dst + 108, 1 / iscale);
    } else {
      store_f16(dst + 108, 0.f);
    }
    int8_t sc[16];
    unpack_q3_k_scales(packed, sc);
    const float d_all = load_f16(dst + 108);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * sc[j];
      if (d == 0.0f) continue;
      for (int l = 0; l < 16; ++l) {
        const int q = nearest(x[16 * j + l] / d);
        L[16 * j + l] = static_cast<int8_t>((q < -4 ? -4 : (q > 3 ? 3 : q)) + 4);
      }
    }
    // Bit 2 of each stored quant (0..7) goes to hmask[e % 32] bit e / 32; the low 2 bits to qs.
    uint8_t* hmask = dst;
    std::memset(hmask, 0, 32);
    uint8_t low[256];
    for (int e = 0; e < 256; ++e) {
      if (L[e] > 3) hmask[e % 32] = static_cast<uint8_t>(hmask[e % 32] | (1 << (e / 32)));
      low[e] = static_cast<uint8_t>(L[e] & 3);
    }
    pack_2bit(low, dst + 32);
  }
}

void encode_q4_k(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += 256, dst += 144) {
    uint8_t L[256];
    encode_scale_min_block(x, 15, -1.f, 20, dst + 4, dst, dst + 2, L);
    uint8_t* qs = dst + 16;
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    }
  }
}

void encode_q5_k(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += 256, dst += 176) {
    uint8_t L[256];
    encode_scale_min_block(x, 31, -0.5f, 15, dst + 4, dst, dst + 2, L);
    uint8_t* qh = dst + 16;
    uint8_t* qs = dst + 48;
    std::memset(qh, 0, 32);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const int q1 = L[64 * c + l], q2 = L[64 * c + 32 + l];
        qs[32 * c + l] = static_cast<uint8_t>((q1 & 0x0f) | ((q2 & 0x0f) << 4));
        qh[l] |= static_cast<uint8_t>(((q1 >> 4) << (2 * c)) | ((q2 >> 4) << (2 * c + 1)));
      }
    }
  }
}

void encode_q6_k(const float* x, int64_t blocks, uint8_t* dst) {
  for (int64_t b = 0; b < blocks; ++b, x += 256, dst += 210) {
    int8_t L[256];
    float scales[16];
    float max_scale = 0, max_abs = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_signed_scale(16, 32, x + 16 * j, L + 16 * j);
      if (std::fabs(scales[j]) > max_abs) {
        max_abs = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    std::memset(dst, 0, 210);
    if (max_abs < kGroupMaxEps) continue;  // all zeros, d = 0
    const float iscale = -128.f / max_scale;
    store_f16(dst + 208, 1 / iscale);
    int8_t* sc = reinterpret_cast<int8_t*>(dst + 192);
    for (int j = 0; j < 16; ++j) {
      const int s = nearest(iscale * scales[j]);
      sc[j] = static_cast<int8_t>(s < 127 ? s : 127);
    }
    const float d_all = load_f16(dst + 208);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * sc[j];
      if (d == 0.0f) continue;
      for (int l = 0; l < 16; ++l) {
        const int q = nearest(x[16 * j + l] / d);
        L[16 * j + l] = static_cast<int8_t>((q < -32 ? -32 : (q > 31 ? 31 : q)) + 32);
      }
    }
    uint8_t* ql = dst;
    uint8_t* qh = dst + 128;
    for (int h = 0; h < 2; ++h) {
      const int8_t* Lh = L + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const int q1 = Lh[l], q2 = Lh[l + 32], q3 = Lh[l + 64], q4 = Lh[l + 96];
        ql[64 * h + l] = static_cast<uint8_t>((q1 & 0x0f) | ((q3 & 0x0f) << 4));
        ql[64 * h + l + 32] = static_cast<uint8_t>((q2 & 0x0f) | ((q4 & 0x0f) << 4));
        qh[32 * h + l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

}  // namespace lf::ggml
