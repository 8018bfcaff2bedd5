// The per-sub-block scale searches of llama.cpp's reference K-quant encoders (docs/formats/ggml-quants.md,
// "K-quant search helpers"), restated: same candidates, same f32 arithmetic and order.
#pragma once
#include <cstdint>

namespace lf::ggml {

// Nearest integer, ties to even, by llama.cpp's magic-number trick: exact for |v| <= 4194303; beyond (a degenerate
// scale on subnormal inputs, Inf, NaN) it returns the same meaningless but defined value as llama.cpp, which every
// caller clamps.
int nearest(float v);

// fit_scale_offset works on this many consecutive sub-blocks of at most kFitMaxN values at once.
constexpr int kFitLanes = 8;
constexpr int kFitMaxN = 32;

// For each of kFitLanes consecutive sub-blocks of n values (x, w and L hold kFitLanes·n): fits
// x ≈ scale·L − offset with L in 0..nmax, scale >= 0, offset >= 0, minimizing Σ w·|e| (mad) or Σ w·e² over
// candidate inverse scales (rmin + rdelta·k + nmax) / (max − min), k = 0..nstep, each refit by weighted least
// squares (make_qkx2_quants). Writes L, scale[kFitLanes] and offset[kFitLanes]. Each sub-block gets exactly what
// the one-at-a-time search gives, step for step; running them in lockstep only lets the compiler vectorize
// across sub-blocks (the search itself is a chain of dependent f32 sums).
void fit_scale_offset(int n, int nmax, const float* x, const float* w, uint8_t* L, float* scale, float* offset,
                      float rmin, float rdelta, int nstep, bool mad);

// Fits x ≈ scale·(L − nmax) with L − nmax in −nmax..nmax−1, weights x², over candidate inverse scales
// −(nmax + 0.1·k) / max, k = −9..9 (make_qx_quants with rmse_type 1). Writes L (offset by nmax); returns the
// signed scale (0 for an all-zero input).
float fit_signed_scale(int n, int nmax, const float* x, int8_t* L);

// Fits x ≈ scale·(L − nmax) with L − nmax in −nmax..nmax−1 by coordinate descent on Σ x²·(x − scale·l)²
// (make_q3_quants with do_rmse): start from nearest(−nmax/max · x), then up to 5 sweeps that move one l at a
// time to nearest(x·Σwl²/Σwxl) when that raises (Σwxl)²/Σwl². Writes L (offset by nmax); returns the scale.
float fit_signed_scale_rmse(int n, int nmax, const float* x, int8_t* L);

}  // namespace lf::ggml
