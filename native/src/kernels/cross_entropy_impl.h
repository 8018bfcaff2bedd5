// Fused lm_head + cross-entropy in token chunks, shared by the ISA paths (included inside each ISA namespace after
// its Simd and its gemm entry). A chunk's logits [rows, V] are the only large buffer: rows are picked from V so
// a chunk holds about kLogitsBudget floats, never the whole [T, V] matrix. Both products go through the same
// path's GEMM; softmax rows run in parallel; per-row losses are added in row order afterwards.

constexpr int64_t kLogitsBudget = int64_t{1} << 23;  // floats (32 MiB) per chunk of logits
// Every chunk streams and re-packs all of W (335 MB for Gemma 3's 262k × 640 bf16 lm_head), so a chunk never has
// fewer rows than this even when that exceeds the budget: 256 · V floats of logits (268 MB at V = 262,144) buys
// the loss 1.8× over 32-row chunks there (docs/performance.md, "The fused lm_head + loss").
constexpr int64_t kMinChunkRows = 256;

// Rows per chunk: what the budget allows, at least kMinChunkRows, split evenly, since each chunk re-packs all of W
// and a ragged last chunk would pay that for a few rows.
inline int64_t ce_chunk_rows(int64_t tokens, int64_t vocab) {
  const int64_t cap = imax(kMinChunkRows, imin(1024, kLogitsBudget / vocab));
  const int64_t chunks = (tokens + cap - 1) / cap;
  return chunks == 0 ? 1 : (tokens + chunks - 1) / chunks;
}

inline void cross_entropy_linear(const CrossEntropyArgs& a) {
  const int64_t rows_max = ce_chunk_rows(a.tokens, a.vocab);
  float* logits = static_cast<float*>(thread_scratch(0, kSlotCaller0, sizeof(float) * imax(1, rows_max) * a.vocab));
  double* row_loss = static_cast<double*>(thread_scratch(0, kSlotCaller1, sizeof(double) * imax(1, a.tokens)));
  int64_t count = 0;
  for (int64_t r0 = 0; r0 < a.tokens; r0 += rows_max) {
    const int64_t rows = imin(a.tokens, r0 + rows_max) - r0;
    const int32_t* tg = a.targets + r0;
    int64_t counted = 0;
    for (int64_t r = 0; r < rows; ++r) counted += tg[r] != -100;
    count += counted;
    if (counted == 0) {
      for (int64_t r = 0; r < rows; ++r) row_loss[r0 + r] = 0.0;
      if (a.dh) std::memset(a.dh + r0 * a.dim, 0, sizeof(float) * rows * a.dim);
      continue;
    }
    gemm(GemmArgs{rows, a.vocab, a.dim, a.h + r0 * a.dim, a.dim, false, a.w, a.dim, true, a.w_type, logits, a.vocab,
                  1.0f, 0.0f, a.bf16_ops});
    auto softmax = [&](int64_t r, int) {
      float* z = logits + r * a.vocab;
      if (tg[r] == -100) {
        row_loss[r0 + r] = 0.0;
        if (a.dh) std::memset(z, 0, sizeof(float) * a.vocab);
        return;
      }
      const float z_target = z[tg[r]];
      const float mx = Simd::scaled_max(z, a.vocab, 1.0f);
      const double sum = Simd::exp_sub_sum(z, a.vocab, 1.0f, mx);  // z now holds exp(z − max)
      row_loss[r0 + r] = static_cast<double>(mx) + log(sum) - z_target;
      if (!a.dh) return;
      const float k = static_cast<float>(a.grad_scale / sum);
      for (int64_t c = 0; c < a.vocab; ++c) z[c] *= k;
      z[tg[r]] -= a.grad_scale;
    };
    parallel_for(rows, softmax);
    if (a.dh) {
      gemm(GemmArgs{rows, a.dim, a.vocab, logits, a.vocab, false, a.w, a.dim, false, a.w_type, a.dh + r0 * a.dim,
                    a.dim, 1.0f, 0.0f, a.bf16_ops});
    }
  }
  double loss = 0.0;
  for (int64_t t = 0; t < a.tokens; ++t) loss += row_loss[t];
  *a.loss_sum = loss;
  *a.count = count;
}
