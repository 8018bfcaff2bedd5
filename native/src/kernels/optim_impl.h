// axpy, scaling, AdamW, SGD and the blocked sum of squares behind the global gradient norm, shared by the ISA
// paths (included inside each ISA namespace after its Simd; see simd_*.h). Elementwise updates are independent
// per element; the sum of squares adds fixed blocks in a fixed order.

constexpr int64_t kOptBlock = 16384;

inline int64_t opt_tasks(int64_t n) { return (n + kOptBlock - 1) / kOptBlock; }

inline void axpy(float* y, const float* x, int64_t n, float alpha) {
  auto body = [&](int64_t task, int) {
    for (int64_t i = task * kOptBlock; i < imin(n, (task + 1) * kOptBlock); ++i) y[i] += alpha * x[i];
  };
  parallel_for(opt_tasks(n), body);
}

inline void scale(float* x, int64_t n, float alpha) {
  auto body = [&](int64_t task, int) {
    for (int64_t i = task * kOptBlock; i < imin(n, (task + 1) * kOptBlock); ++i) x[i] *= alpha;
  };
  parallel_for(opt_tasks(n), body);
}

// torch.optim.AdamW, single-tensor path: p *= 1 − lr·wd; m = lerp(m, g, 1 − β1); v = β2·v + (1 − β2)·g²;
// p −= step_size · m / (sqrt(v) / sqrt(1 − β2^t) + eps).
inline void adamw(float* p, const float* g, float* m, float* v, int64_t n, const AdamWArgs& h) {
  auto body = [&](int64_t task, int) {
    for (int64_t i = task * kOptBlock; i < imin(n, (task + 1) * kOptBlock); ++i) {
      const float gi = g[i];
      const float mi = m[i] + h.one_minus_beta1 * (gi - m[i]);
      const float vi = h.beta2 * v[i] + h.one_minus_beta2 * (gi * gi);
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * h.decay - h.step_size * (mi / (sqrtf(vi) / h.bc2_sqrt + h.eps));
    }
  };
  parallel_for(opt_tasks(n), body);
}

inline void sgd(float* p, const float* g, int64_t n, float lr, float weight_decay) {
  auto body = [&](int64_t task, int) {
    for (int64_t i = task * kOptBlock; i < imin(n, (task + 1) * kOptBlock); ++i) p[i] -= lr * (g[i] + weight_decay * p[i]);
  };
  parallel_for(opt_tasks(n), body);
}

inline double sum_squares(const float* x, int64_t n) {
  const int64_t tasks = opt_tasks(n);
  if (tasks == 0) return 0.0;
  double* partial = static_cast<double*>(thread_scratch(0, kSlotCaller1, sizeof(double) * static_cast<size_t>(tasks)));
  auto body = [&](int64_t task, int) {
    const int64_t i0 = task * kOptBlock;
    partial[task] = Simd::sum_squares(x + i0, imin(n, i0 + kOptBlock) - i0);
  };
  parallel_for(tasks, body);
  double s = 0.0;
  for (int64_t t = 0; t < tasks; ++t) s += partial[t];
  return s;
}
