// Blocked causal attention with grouped-query heads and segments (flash-attention style), shared by the ISA paths
// (included inside each ISA namespace after its Simd; see simd_*.h).
//
// Forward: one task per (query head, block of kQ queries); keys stream through in blocks of kK with an online
// softmax, so memory is O(kQ·hd) per task and O(T) for the log-sum-exp, never O(T²). Query row i (absolute
// position i + tk − tq) sees keys [max(seg_start, position − window + 1), position], one contiguous range per key
// block. Both ends of that range never decrease with i, so a query block starts at its first row's first key and a
// key block ends at its last key's last query: blocks wholly outside a sliding window are never visited, and the
// work is O(T·window) rather than O(T²).
// Backward recomputes the probabilities from lse in two passes that each own their outputs (no atomics, so the
// result does not depend on the thread count): dQ per (query head, query block), dK and dV per (kv head, key
// block) summing over the query heads of its group.
// The operands that enter products transposed (K, V; Q, dOut in backward) are first copied once per call into
// transposed blocks (O(T·d) memory), so no task transposes a block again for each block it meets. Blocks sit on
// a fixed grid of block-size multiples; a row's mask trims what lies outside its range.

constexpr int64_t kQ = 64;
constexpr int64_t kK = 64;

struct AttnRange {
  int64_t lo, hi;  // key range [lo, hi) of one query row within the current key block
};

// Keys [j0, j1) that query row i may attend to.
inline AttnRange attn_row_range(const AttentionArgs& a, int64_t i, int64_t j0, int64_t j1) {
  const int64_t abs = i + a.tk - a.tq;
  const int64_t start = imax(a.seg_start ? a.seg_start[abs] : 0, a.window > 0 ? abs - a.window + 1 : 0);
  return AttnRange{imax(j0, start), imin(j1, abs + 1)};
}

// One past the last query position that sees key j: the end of its segment, cut by the window.
inline int64_t attn_key_end(const AttentionArgs& a, int64_t j) {
  const int64_t end = a.seg_end ? a.seg_end[j] : a.tk;
  return a.window > 0 ? imin(end, j + a.window) : end;
}

// Block b of head h of a [t][heads][hd] tensor (rows `stride` floats apart), transposed to [hd][bs] — a
// contiguous Simd::mm B operand with leading dimension bs (a strided [hd][t] layout would alias in cache).
struct BlockT {
  float* data;
  int64_t t, hd, bs;
  const float* at(int64_t h, int64_t j0) const { return data + (h * ((t + bs - 1) / bs) + j0 / bs) * hd * bs; }
};

inline BlockT transpose_blocks(const float* src, int64_t stride, int64_t t, int64_t heads, int64_t hd, int64_t bs,
                               float* dst) {
  const int64_t nb = (t + bs - 1) / bs;
  auto body = [&](int64_t task, int) {
    const int64_t h = task / nb, j0 = (task % nb) * bs, j1 = imin(t, j0 + bs);
    float* out = dst + task * hd * bs;
    for (int64_t j = j0; j < j1; ++j) {
      const float* row = src + j * stride + h * hd;
      for (int64_t d = 0; d < hd; ++d) out[d * bs + (j - j0)] = row[d];
    }
  };
  parallel_for(heads * nb, body);
  return BlockT{dst, t, hd, bs};
}

inline int64_t blocked_floats(int64_t t, int64_t heads, int64_t hd, int64_t bs) {
  return heads * ((t + bs - 1) / bs) * hd * bs;
}

// Caller-side buffers live in thread 0's caller slots, which no task touches.
inline float* caller_buffer(int slot, int64_t floats) {
  return static_cast<float*>(thread_scratch(0, slot, sizeof(float) * static_cast<size_t>(imax(1, floats))));
}

inline void zero_outside(float* row, int64_t n, int64_t lo, int64_t hi) {
  for (int64_t c = 0; c < lo; ++c) row[c] = 0.0f;
  for (int64_t c = hi; c < n; ++c) row[c] = 0.0f;
}

inline void attention(const AttentionArgs& a, float* out, float* lse) {
  const int64_t hd = a.head_dim, group = a.heads / a.kv_heads;
  const int64_t q_stride = a.heads * hd;
  const int64_t nqb = (a.tq + kQ - 1) / kQ;
  const BlockT kt = transpose_blocks(a.k, a.k_stride, a.tk, a.kv_heads, hd, kK,
                                     caller_buffer(kSlotCaller0, blocked_floats(a.tk, a.kv_heads, hd, kK)));
  auto body = [&](int64_t task, int thread) {
    const int64_t h = task / nqb, i0 = (task % nqb) * kQ, i1 = imin(a.tq, i0 + kQ), nq = i1 - i0;
    const int64_t kv_off = (h / group) * hd;
    float* s = static_cast<float*>(thread_scratch(thread, kSlotTask1, sizeof(float) * kQ * kK));
    float* o = static_cast<float*>(thread_scratch(thread, kSlotTask2, sizeof(float) * kQ * hd));
    float* ml = static_cast<float*>(thread_scratch(thread, kSlotTask3, sizeof(float) * 2 * kQ));
    float* m = ml;
    float* l = ml + kQ;
    for (int64_t r = 0; r < nq; ++r) {
      m[r] = -INFINITY;
      l[r] = 0.0f;
    }
    std::memset(o, 0, sizeof(float) * nq * hd);
    const float* qb = a.q + i0 * q_stride + h * hd;
    const int64_t first = attn_row_range(a, i0, 0, a.tk).lo;  // row starts never decrease
    const int64_t last = i1 + a.tk - a.tq;
    for (int64_t j0 = first / kK * kK; j0 < last; j0 += kK) {
      const int64_t j1 = imin(last, j0 + kK), nk = j1 - j0;
      Simd::mm(nq, nk, hd, qb, q_stride, kt.at(h / group, j0), kK, s, kK, false);
      for (int64_t r = 0; r < nq; ++r) {
        float* row = s + r * kK;
        const AttnRange rg = attn_row_range(a, i0 + r, j0, j1);
        if (rg.lo >= rg.hi) {
          zero_outside(row, nk, 0, 0);
          continue;
        }
        const int64_t c0 = rg.lo - j0, c1 = rg.hi - j0;
        const float mx = Simd::scaled_max(row + c0, c1 - c0, a.scale);
        const float new_m = mx > m[r] ? mx : m[r];
        const float alpha = exp1(m[r] - new_m);
        const float psum = static_cast<float>(Simd::exp_sub_sum(row + c0, c1 - c0, a.scale, new_m));
        zero_outside(row, nk, c0, c1);
        l[r] = l[r] * alpha + psum;
        m[r] = new_m;
        if (alpha != 1.0f) {
          float* orow = o + r * hd;
          for (int64_t d = 0; d < hd; ++d) orow[d] *= alpha;
        }
      }
      Simd::mm(nq, hd, nk, s, kK, a.v + j0 * a.k_stride + kv_off, a.k_stride, o, hd, true);
    }
    for (int64_t r = 0; r < nq; ++r) {
      const float inv = 1.0f / l[r];
      float* dst = out + (i0 + r) * q_stride + h * hd;
      for (int64_t d = 0; d < hd; ++d) dst[d] = o[r * hd + d] * inv;
      lse[h * a.tq + i0 + r] = m[r] + logf(l[r]);
    }
  };
  parallel_for(a.heads * nqb, body);
}

// delta[h, i] = Σ_d dOut·Out, the softmax-backward row term.
inline void attention_delta(const AttentionArgs& a, const AttentionGrads& g, float* delta) {
  const int64_t hd = a.head_dim, q_stride = a.heads * hd;
  const int64_t nqb = (a.tq + kQ - 1) / kQ;
  auto body = [&](int64_t task, int) {
    const int64_t h = task / nqb, i0 = (task % nqb) * kQ, i1 = imin(a.tq, i0 + kQ);
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t off = i * q_stride + h * hd;
      delta[h * a.tq + i] = Simd::dot(g.d_out + off, g.out + off, hd);
    }
  };
  parallel_for(a.heads * nqb, body);
}

inline void attention_backward_dq(const AttentionArgs& a, const AttentionGrads& g, const float* delta,
                                  const BlockT& kt, const BlockT& vt) {
  const int64_t hd = a.head_dim, group = a.heads / a.kv_heads;
  const int64_t q_stride = a.heads * hd;
  const int64_t nqb = (a.tq + kQ - 1) / kQ;
  auto body = [&](int64_t task, int thread) {
    const int64_t h = task / nqb, i0 = (task % nqb) * kQ, i1 = imin(a.tq, i0 + kQ), nq = i1 - i0;
    const int64_t kv_off = (h / group) * hd;
    float* s = static_cast<float*>(thread_scratch(thread, kSlotTask1, sizeof(float) * kQ * kK));
    float* dp = static_cast<float*>(thread_scratch(thread, kSlotTask2, sizeof(float) * kQ * kK));
    float* acc = static_cast<float*>(thread_scratch(thread, kSlotTask3, sizeof(float) * kQ * hd));
    std::memset(acc, 0, sizeof(float) * nq * hd);
    const float* qb = a.q + i0 * q_stride + h * hd;
    const float* dob = g.d_out + i0 * q_stride + h * hd;
    const int64_t first = attn_row_range(a, i0, 0, a.tk).lo;
    const int64_t last = i1 + a.tk - a.tq;
    for (int64_t j0 = first / kK * kK; j0 < last; j0 += kK) {
      const int64_t j1 = imin(last, j0 + kK), nk = j1 - j0;
      Simd::mm(nq, nk, hd, qb, q_stride, kt.at(h / group, j0), kK, s, kK, false);
      Simd::mm(nq, nk, hd, dob, q_stride, vt.at(h / group, j0), kK, dp, kK, false);
      for (int64_t r = 0; r < nq; ++r) {
        float* row = s + r * kK;
        const AttnRange rg = attn_row_range(a, i0 + r, j0, j1);
        const int64_t c0 = imin(nk, imax(0, rg.lo - j0)), c1 = imax(c0, rg.hi - j0);
        Simd::exp_sub_sum(row + c0, c1 - c0, a.scale, g.lse[h * a.tq + i0 + r]);
        const float dl = delta[h * a.tq + i0 + r];
        const float* dpr = dp + r * kK;
        for (int64_t c = c0; c < c1; ++c) row[c] *= dpr[c] - dl;
        zero_outside(row, nk, c0, c1);
      }
      Simd::mm(nq, hd, nk, s, kK, a.k + j0 * a.k_stride + kv_off, a.k_stride, acc, hd, true);
    }
    for (int64_t r = 0; r < nq; ++r) {
      float* dst = g.dq + (i0 + r) * q_stride + h * hd;
      for (int64_t d = 0; d < hd; ++d) dst[d] = acc[r * hd + d] * a.scale;
    }
  };
  parallel_for(a.heads * nqb, body);
}

inline void attention_backward_dkv(const AttentionArgs& a, const AttentionGrads& g, const float* delta,
                                   const BlockT& qt, const BlockT& dot) {
  const int64_t hd = a.head_dim, group = a.heads / a.kv_heads;
  const int64_t q_stride = a.heads * hd, off = a.tk - a.tq;
  const int64_t nkb = (a.tk + kK - 1) / kK;
  auto body = [&](int64_t task, int thread) {
    const int64_t kvh = task / nkb, j0 = (task % nkb) * kK, j1 = imin(a.tk, j0 + kK), nk = j1 - j0;
    const int64_t kv_off = kvh * hd;
    float* st = static_cast<float*>(thread_scratch(thread, kSlotTask1, sizeof(float) * kK * kQ));
    float* dpt = static_cast<float*>(thread_scratch(thread, kSlotTask2, sizeof(float) * kK * kQ));
    float* acc = static_cast<float*>(thread_scratch(thread, kSlotTask3, sizeof(float) * 2 * kK * hd));
    float* dk_acc = acc;
    float* dv_acc = acc + kK * hd;
    std::memset(acc, 0, sizeof(float) * 2 * kK * hd);
    const float* kb = a.k + j0 * a.k_stride + kv_off;
    const float* vb = a.v + j0 * a.k_stride + kv_off;
    // Queries that can see this key block: from the block's first key to its last key's last query.
    const int64_t q_first = imax(0, j0 - off);
    const int64_t q_last = imin(a.tq, attn_key_end(a, j1 - 1) - off);
    for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
      const float* lse_h = g.lse + h * a.tq;
      const float* delta_h = delta + h * a.tq;
      for (int64_t i0 = q_first / kQ * kQ; i0 < q_last; i0 += kQ) {
        const int64_t i1 = imin(q_last, i0 + kQ), nq = i1 - i0;
        const float* qb = a.q + i0 * q_stride + h * hd;
        const float* dob = g.d_out + i0 * q_stride + h * hd;
        Simd::mm(nk, nq, hd, kb, a.k_stride, qt.at(h, i0), kQ, st, kQ, false);
        Simd::mm(nk, nq, hd, vb, a.k_stride, dot.at(h, i0), kQ, dpt, kQ, false);
        for (int64_t c = 0; c < nk; ++c) {
          const int64_t j = j0 + c;
          const int64_t end = attn_key_end(a, j) - off;
          const int64_t lo = imin(nq, imax(0, j - off - i0)), hi = imax(lo, imin(nq, end - i0));
          float* prow = st + c * kQ;
          float* drow = dpt + c * kQ;
          Simd::exp_sub_each(prow + lo, lse_h + i0 + lo, hi - lo, a.scale);
          for (int64_t r = lo; r < hi; ++r) drow[r] = prow[r] * (drow[r] - delta_h[i0 + r]);
          zero_outside(prow, nq, lo, hi);
          zero_outside(drow, nq, lo, hi);
        }
        Simd::mm(nk, hd, nq, st, kQ, dob, q_stride, dv_acc, hd, true);
        Simd::mm(nk, hd, nq, dpt, kQ, qb, q_stride, dk_acc, hd, true);
      }
    }
    for (int64_t c = 0; c < nk; ++c) {
      float* dk = g.dk + (j0 + c) * a.kv_heads * hd + kv_off;
      float* dv = g.dv + (j0 + c) * a.kv_heads * hd + kv_off;
      for (int64_t d = 0; d < hd; ++d) {
        dk[d] = dk_acc[c * hd + d] * a.scale;
        dv[d] = dv_acc[c * hd + d];
      }
    }
  };
  parallel_for(a.kv_heads * nkb, body);
}

inline void attention_backward(const AttentionArgs& a, const AttentionGrads& g) {
  const int64_t hd = a.head_dim;
  const int64_t nk = blocked_floats(a.tk, a.kv_heads, hd, kK), nq = blocked_floats(a.tq, a.heads, hd, kQ);
  float* delta = caller_buffer(kSlotCaller1, a.heads * a.tq);
  float* buf = caller_buffer(kSlotCaller0, 2 * nk + 2 * nq);
  const BlockT kt = transpose_blocks(a.k, a.k_stride, a.tk, a.kv_heads, hd, kK, buf);
  const BlockT vt = transpose_blocks(a.v, a.k_stride, a.tk, a.kv_heads, hd, kK, buf + nk);
  const BlockT qt = transpose_blocks(a.q, a.heads * hd, a.tq, a.heads, hd, kQ, buf + 2 * nk);
  const BlockT dot = transpose_blocks(g.d_out, a.heads * hd, a.tq, a.heads, hd, kQ, buf + 2 * nk + nq);
  attention_delta(a, g, delta);
  attention_backward_dq(a, g, delta, kt, vt);
  attention_backward_dkv(a, g, delta, qt, dot);
}
