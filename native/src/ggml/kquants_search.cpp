// Scale searches of the reference K-quant encoders (see kquants_search.h). The f32 expressions keep
// llama.cpp's operand order (e.g. (w·x)·l), since a different order rounds differently.
#include "ggml/kquants_search.h"

#include <cmath>
#include <cstring>

namespace lf::ggml {
namespace {

// Below this a group counts as all zeros (llama.cpp's GROUP_MAX_EPS).
constexpr float kGroupMaxEps = 1e-15f;

int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// The error measure as a template argument, so the lane loops carry no branch and vectorize.
template <bool kMad>
inline float weighted_error(float diff) {
  return kMad ? std::fabs(diff) : diff * diff;
}

template <bool kMad>
void fit_scale_offset_lanes(int n, int nmax, const float* x, const float* w, uint8_t* L, float* scale_out,
                            float* offset_out, float rmin, float rdelta, int nstep) {
  constexpr int V = kFitLanes;
  // Transposed copies, element i of every lane side by side, so the lane loops below read contiguous memory.
  float xt[kFitMaxN][V], wt[kFitMaxN][V];
  int32_t best_l[kFitMaxN][V], trial[kFitMaxN][V];
  for (int j = 0; j < V; ++j) {
    for (int i = 0; i < n; ++i) {
      xt[i][j] = x[j * n + i];
      wt[i][j] = w[j * n + i];
    }
  }
  float lo[V], hi[V], sum_w[V], sum_x[V];
  for (int j = 0; j < V; ++j) {
    lo[j] = hi[j] = xt[0][j];
    sum_w[j] = wt[0][j];
    sum_x[j] = sum_w[j] * xt[0][j];
  }
  for (int i = 1; i < n; ++i) {
    for (int j = 0; j < V; ++j) {
      lo[j] = xt[i][j] < lo[j] ? xt[i][j] : lo[j];
      hi[j] = xt[i][j] > hi[j] ? xt[i][j] : hi[j];
      sum_w[j] += wt[i][j];
      sum_x[j] += wt[i][j] * xt[i][j];
    }
  }
  // A flat sub-block (max == min after clamping the min to <= 0) gets L = 0 and scale 0; its lane still runs
  // below on infinities, and its result is replaced at the end.
  bool flat[V];
  float flat_lo[V], scale[V], best[V], iscale[V];
  for (int j = 0; j < V; ++j) {
    lo[j] = lo[j] > 0 ? 0 : lo[j];
    flat[j] = hi[j] == lo[j];
    flat_lo[j] = lo[j];
    iscale[j] = nmax / (hi[j] - lo[j]);
    scale[j] = 1 / iscale[j];
    best[j] = 0;
  }
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < V; ++j) {
      const int l = clamp_int(nearest(iscale[j] * (xt[i][j] - lo[j])), 0, nmax);
      best_l[i][j] = l;
      best[j] += wt[i][j] * weighted_error<kMad>(scale[j] * l + lo[j] - xt[i][j]);
    }
  }
  for (int k = 0; nstep >= 1 && k <= nstep; ++k) {
    float sum_l[V] = {}, sum_l2[V] = {}, sum_xl[V] = {};
    for (int j = 0; j < V; ++j) iscale[j] = (rmin + rdelta * k + nmax) / (hi[j] - lo[j]);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < V; ++j) {
        const int l = clamp_int(nearest(iscale[j] * (xt[i][j] - lo[j])), 0, nmax);
        trial[i][j] = l;
        sum_l[j] += wt[i][j] * l;
        sum_l2[j] += wt[i][j] * l * l;
        sum_xl[j] += wt[i][j] * l * xt[i][j];
      }
    }
    // Weighted least-squares refit of each lane's candidate; `usable` where its determinant is positive.
    float this_scale[V], this_lo[V];
    bool usable[V];
    for (int j = 0; j < V; ++j) {
      const float det = sum_w[j] * sum_l2[j] - sum_l[j] * sum_l[j];
      usable[j] = det > 0;
      this_scale[j] = (sum_w[j] * sum_xl[j] - sum_x[j] * sum_l[j]) / det;
      this_lo[j] = (sum_l2[j] * sum_x[j] - sum_l[j] * sum_xl[j]) / det;
      if (this_lo[j] > 0) {
        // The offset may only lower values: refit the scale alone with the minimum at zero.
        this_lo[j] = 0;
        this_scale[j] = sum_xl[j] / sum_l2[j];
      }
    }
    float err[V] = {};
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < V; ++j) {
        err[j] += wt[i][j] * weighted_error<kMad>(this_scale[j] * trial[i][j] + this_lo[j] - xt[i][j]);
      }
    }
    bool take[V];
    for (int j = 0; j < V; ++j) {
      take[j] = usable[j] && err[j] < best[j];
      if (take[j]) {
        best[j] = err[j];
        scale[j] = this_scale[j];
        lo[j] = this_lo[j];
      }
    }
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < V; ++j) best_l[i][j] = take[j] ? trial[i][j] : best_l[i][j];
    }
  }
  for (int j = 0; j < V; ++j) {
    scale_out[j] = flat[j] ? 0.0f : scale[j];
    offset_out[j] = -(flat[j] ? flat_lo[j] : lo[j]);
    for (int i = 0; i < n; ++i) L[j * n + i] = static_cast<uint8_t>(flat[j] ? 0 : best_l[i][j]);
  }
}

}  // namespace

int nearest(float v) {
  // Adding 1.5·2^23 leaves the rounded integer in the low mantissa bits (the FPU rounds ties to even).
  const float shifted = v + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, 4);
  return (bits & 0x007fffff) - 0x00400000;
}

void fit_scale_offset(int n, int nmax, const float* x, const float* w, uint8_t* L, float* scale, float* offset,
                      float rmin, float rdelta, int nstep, bool mad) {
  if (mad) {
    fit_scale_offset_lanes<true>(n, nmax, x, w, L, scale, offset, rmin, rdelta, nstep);
  } else {
    fit_scale_offset_lanes<false>(n, nmax, x, w, L, scale, offset, rmin, rdelta, nstep);
  }
}

float fit_signed_scale(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  // Σ w·x·l and Σ w·l² with w = x², for the candidate inverse scale `iscale`; writes L when `out` is given.
  auto sums = [&](float iscale, float* sumlx, float* suml2, int8_t* out) {
    *sumlx = 0;
    *suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp_int(nearest(iscale * x[i]), -nmax, nmax - 1);
      if (out) out[i] = static_cast<int8_t>(l + nmax);
      const float w = x[i] * x[i];
      *sumlx += w * x[i] * l;
      *suml2 += w * l * l;
    }
  };
  float sumlx, suml2;
  sums(-nmax / max, &sumlx, &suml2, L);
  float scale = sumlx / suml2;
  float best = scale * sumlx;
  for (int k = -9; k <= 9; ++k) {
    if (k == 0) continue;
    const float iscale = -(nmax + 0.1f * k) / max;
    sums(iscale, &sumlx, &suml2, nullptr);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      sums(iscale, &sumlx, &suml2, L);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

float fit_signed_scale_rmse(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clamp_int(nearest(iscale * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int sweep = 0; sweep < 5; ++sweep) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (!(slx > 0)) continue;
      float sl2 = suml2 - w * L[i] * L[i];
      const int l = clamp_int(nearest(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (l == L[i]) continue;
      slx += w * x[i] * l;
      sl2 += w * l * l;
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = static_cast<int8_t>(l);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return sumlx / suml2;
}

}  // namespace lf::ggml
