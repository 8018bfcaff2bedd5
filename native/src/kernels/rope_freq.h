// Inverse frequencies of rotate-half RoPE (default and llama3-scaled), computed once per call in double.
#pragma once
#include <cstdint>

namespace lf {

struct Llama3Scaling {
  double factor, low_freq_factor, high_freq_factor, original_max_positions;
};

// out[i] = theta^(−2i/rotary) for i < rotary/2, scaled as Hugging Face's _compute_llama3_parameters when
// `llama3` is given.
void rope_inverse_frequencies(double theta, int64_t rotary, const Llama3Scaling* llama3, double* out);

}  // namespace lf
