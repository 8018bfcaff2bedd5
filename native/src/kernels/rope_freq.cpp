#include "kernels/rope_freq.h"

#include <cmath>

namespace lf {

void rope_inverse_frequencies(double theta, int64_t rotary, const Llama3Scaling* llama3, double* out) {
  const double two_pi = 6.283185307179586476925286766559;
  for (int64_t i = 0; i < rotary / 2; ++i) {
    const double inv = std::pow(theta, -static_cast<double>(2 * i) / static_cast<double>(rotary));
    if (!llama3) {
      out[i] = inv;
      continue;
    }
    // Short wavelengths are kept, long ones slowed by `factor`, and the band between blended linearly.
    const double wavelen = two_pi / inv;
    const double low_wavelen = llama3->original_max_positions / llama3->low_freq_factor;
    const double high_wavelen = llama3->original_max_positions / llama3->high_freq_factor;
    if (wavelen < high_wavelen) {
      out[i] = inv;
    } else if (wavelen > low_wavelen) {
      out[i] = inv / llama3->factor;
    } else {
      const double smooth = (llama3->original_max_positions / wavelen - llama3->low_freq_factor) /
                            (llama3->high_freq_factor - llama3->low_freq_factor);
      out[i] = (1.0 - smooth) * inv / llama3->factor + smooth * inv;
    }
  }
}

}  // namespace lf
