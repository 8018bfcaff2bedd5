// RMSNorm, RoPE, SwiGLU, GeGLU and embedding kernels, shared by the ISA paths: each ISA translation unit includes this
// file inside its own namespace after defining Simd, imin/imax and bf16_bits_to_f32 (see simd_*.h).
// Rows are independent, so how they are grouped into tasks never changes a result.

// Tasks of about this many elements: enough to amortize a task, small enough to balance two to 16 threads.
constexpr int64_t kElemBlock = 16384;

inline int64_t rows_per_task(int64_t dim) { return imax(1, kElemBlock / imax(1, dim)); }

inline void rms_norm(const float* x, const float* w, float eps, int64_t rows, int64_t dim, float* y, float* rstd) {
  const int64_t per = rows_per_task(dim);
  auto body = [&](int64_t task, int) {
    for (int64_t t = task * per; t < imin(rows, (task + 1) * per); ++t) {
      const float* xr = x + t * dim;
      const float r = 1.0f / sqrtf(Simd::dot(xr, xr, dim) / static_cast<float>(dim) + eps);
      rstd[t] = r;
      float* yr = y + t * dim;
      for (int64_t d = 0; d < dim; ++d) yr[d] = w[d] * (xr[d] * r);
    }
  };
  parallel_for((rows + per - 1) / per, body);
}

// dx = r·(w∘dy) − (r³/D)·x·Σ(w∘dy∘x)
inline void rms_norm_backward(const float* dy, const float* x, const float* w, const float* rstd, int64_t rows,
                              int64_t dim, float* dx) {
  const int64_t per = rows_per_task(dim);
  auto body = [&](int64_t task, int) {
    for (int64_t t = task * per; t < imin(rows, (task + 1) * per); ++t) {
      const float* xr = x + t * dim;
      const float* dyr = dy + t * dim;
      const float r = rstd[t];
      const float c = r * r * r * Simd::dot3(w, dyr, xr, dim) / static_cast<float>(dim);
      float* dxr = dx + t * dim;
      for (int64_t d = 0; d < dim; ++d) dxr[d] = r * (w[d] * dyr[d]) - c * xr[d];
    }
  };
  parallel_for((rows + per - 1) / per, body);
}

// Angles in double (positions reach 1e5 and beyond, where a float angle would lose whole radians' worth of
// precision), then rotated in float.
inline void rope(const float* x, const int32_t* pos, const double* inv_freq, int64_t tokens, int64_t heads,
                 int64_t head_dim, int64_t rotary, int sign, float* out) {
  const int64_t half = rotary / 2;
  const int64_t per = rows_per_task(heads * head_dim);
  auto body = [&](int64_t task, int thread) {
    float* cs = static_cast<float*>(thread_scratch(thread, kSlotTask0, sizeof(float) * 2 * static_cast<size_t>(half)));
    float* sn = cs + half;
    for (int64_t t = task * per; t < imin(tokens, (task + 1) * per); ++t) {
      for (int64_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(pos[t]) * inv_freq[i];
        cs[i] = static_cast<float>(cos(angle));
        sn[i] = static_cast<float>(sign * sin(angle));
      }
      for (int64_t h = 0; h < heads; ++h) {
        const float* xr = x + (t * heads + h) * head_dim;
        float* o = out + (t * heads + h) * head_dim;
        for (int64_t i = 0; i < half; ++i) {
          o[i] = xr[i] * cs[i] - xr[i + half] * sn[i];
          o[i + half] = xr[i + half] * cs[i] + xr[i] * sn[i];
        }
        for (int64_t i = rotary; i < head_dim; ++i) o[i] = xr[i];
      }
    }
  };
  parallel_for((tokens + per - 1) / per, body);
}

inline int64_t elem_tasks(int64_t n) { return (n + kElemBlock - 1) / kElemBlock; }

inline void swiglu(const float* gate, const float* up, int64_t n, float* out) {
  auto body = [&](int64_t task, int) {
    const int64_t i0 = task * kElemBlock, len = imin(n, i0 + kElemBlock) - i0;
    Simd::silu(gate + i0, out + i0, len);
    for (int64_t i = i0; i < i0 + len; ++i) out[i] *= up[i];
  };
  parallel_for(elem_tasks(n), body);
}

// d/dg silu(g) = s·(1 + g·(1 − s)), s = sigmoid(g)
inline void swiglu_backward(const float* dy, const float* gate, const float* up, int64_t n, float* d_gate,
                            float* d_up) {
  auto body = [&](int64_t task, int) {
    const int64_t i0 = task * kElemBlock, len = imin(n, i0 + kElemBlock) - i0;
    Simd::sigmoid(gate + i0, d_gate + i0, len);  // d_gate holds s until overwritten below
    for (int64_t i = i0; i < i0 + len; ++i) {
      const float s = d_gate[i], g = gate[i];
      d_up[i] = dy[i] * (g * s);
      d_gate[i] = dy[i] * up[i] * (s * (1.0f + g * (1.0f - s)));
    }
  };
  parallel_for(elem_tasks(n), body);
}

// GeGLU with gelu_pytorch_tanh: gelu(g) = ½·g·(1 + tanh(u)), u = √(2/π)·(g + 0.044715·g³). ½·(1 + tanh(u)) is
// sigmoid(2u), so the kernel reuses the ISA's sigmoid (docs/models/gemma3.md).
constexpr float kGeluC = 0.7978845608028654f;  // √(2/π)
constexpr float kGeluA = 0.044715f;

inline void geglu(const float* gate, const float* up, int64_t n, float* out) {
  auto body = [&](int64_t task, int) {
    const int64_t i0 = task * kElemBlock, len = imin(n, i0 + kElemBlock) - i0;
    for (int64_t i = i0; i < i0 + len; ++i) {
      const float g = gate[i];
      out[i] = 2.0f * kGeluC * (g + kGeluA * g * g * g);
    }
    Simd::sigmoid(out + i0, out + i0, len);
    for (int64_t i = i0; i < i0 + len; ++i) out[i] = gate[i] * out[i] * up[i];
  };
  parallel_for(elem_tasks(n), body);
}

// d/dg gelu(g) = s + g·s·(1 − s)·2√(2/π)·(1 + 3·0.044715·g²), s = sigmoid(2u)
inline void geglu_backward(const float* dy, const float* gate, const float* up, int64_t n, float* d_gate,
                           float* d_up) {
  auto body = [&](int64_t task, int) {
    const int64_t i0 = task * kElemBlock, len = imin(n, i0 + kElemBlock) - i0;
    for (int64_t i = i0; i < i0 + len; ++i) {
      const float g = gate[i];
      d_gate[i] = 2.0f * kGeluC * (g + kGeluA * g * g * g);
    }
    Simd::sigmoid(d_gate + i0, d_gate + i0, len);  // d_gate holds s until overwritten below
    for (int64_t i = i0; i < i0 + len; ++i) {
      const float s = d_gate[i], g = gate[i];
      const float du = 2.0f * kGeluC * (1.0f + 3.0f * kGeluA * g * g);
      d_up[i] = dy[i] * (g * s);
      d_gate[i] = dy[i] * up[i] * (s + g * s * (1.0f - s) * du);
    }
  };
  parallel_for(elem_tasks(n), body);
}

inline void embedding(const void* w, DType w_type, const int32_t* ids, int64_t tokens, int64_t dim, float* out) {
  const int64_t per = rows_per_task(dim);
  auto body = [&](int64_t task, int) {
    for (int64_t t = task * per; t < imin(tokens, (task + 1) * per); ++t) {
      float* o = out + t * dim;
      if (w_type == DType::BF16) {
        const uint16_t* row = static_cast<const uint16_t*>(w) + static_cast<int64_t>(ids[t]) * dim;
        for (int64_t d = 0; d < dim; ++d) o[d] = bf16_bits_to_f32(row[d]);
      } else {
        std::memcpy(o, static_cast<const float*>(w) + static_cast<int64_t>(ids[t]) * dim, sizeof(float) * dim);
      }
    }
  };
  parallel_for((tokens + per - 1) / per, body);
}

// Each task owns a band of columns and adds the tokens in order, so repeated ids sum the same way always.
inline void embedding_backward(const float* dy, const int32_t* ids, int64_t tokens, int64_t dim, int64_t vocab,
                               float* dw) {
  const int64_t per = rows_per_task(dim);
  auto zero = [&](int64_t task, int) {
    const int64_t r0 = task * per, r1 = imin(vocab, r0 + per);
    std::memset(dw + r0 * dim, 0, sizeof(float) * (r1 - r0) * dim);
  };
  parallel_for((vocab + per - 1) / per, zero);
  constexpr int64_t kBand = 64;
  auto body = [&](int64_t task, int) {
    const int64_t c0 = task * kBand, c1 = imin(dim, c0 + kBand);
    for (int64_t t = 0; t < tokens; ++t) {
      float* row = dw + static_cast<int64_t>(ids[t]) * dim;
      const float* g = dy + t * dim;
      for (int64_t c = c0; c < c1; ++c) row[c] += g[c];
    }
  };
  parallel_for((dim + kBand - 1) / kBand, body);
}

// Inverted dropout with a counter-based mask: element i is multiplied by 0 when hash(key, i) < threshold, else
// scaled. The mask is a pure function of (key, i), so forward and backward regenerate it instead of storing it,
// and no thread count or task split changes it. The hash is spelled out in the reference backend too (dropoutHash).
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

inline void dropout(const float* x, int64_t n, uint32_t key, uint32_t threshold, float scale, float* out) {
  auto body = [&](int64_t task, int) {
    const int64_t begin = task * kElemBlock;
    const int len = static_cast<int>(imin(n, begin + kElemBlock) - begin);
    const float* xs = x + begin;
    float* ys = out + begin;
    // A 32-bit counter keeps the loop in 32-bit lanes, so it vectorizes (8 hashes per AVX2 step).
    const uint32_t first = static_cast<uint32_t>(begin);
    for (int j = 0; j < len; ++j) {
      const uint32_t i = first + static_cast<uint32_t>(j);
      const uint32_t h = mix32(mix32(i * 0x9e3779b9u ^ key) + key);
      // Multiplied by the mask, as torch does (a dropped NaN stays NaN); no branch, so it vectorizes.
      ys[j] = xs[j] * scale * (h < threshold ? 0.0f : 1.0f);
    }
  };
  parallel_for((n + kElemBlock - 1) / kElemBlock, body);
}
