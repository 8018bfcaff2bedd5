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
//
// The bf16 compute mode (AttentionArgs::bf16_ops) rounds every product's operands to bf16 with the GEMM's rounding
// (gemm/gemm_driver.h, included before this file) and keeps the sums, softmax, log-sum-exp, scaling and masks in
// f32, as torch autocast's CPU flash attention does: Q, K, V (and dOut in backward) are rounded once per call into
// head-major copies (and transposed blocks), the probabilities P and dS = P∘(dP − δ) in place right before their
// products. The forward's products
// take P's numerators exp(s − m) under a running max m; m is kept to multiples of ln 2, so numerators taken under
// an earlier m are those under the row's final max times powers of two, which rounding commutes with: the result
// does not depend on the key blocks (src/tensor/reference/attention.ts states the same rule in float64).

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

// Rows of a [t][heads][hd] operand as the products read them: row i of head h at data + h·head_step + i·ld. In
// place (ld = the tensor's row stride, head_step = hd), or a head-major copy (ld = hd, head_step = t·hd) whose
// 64-row blocks are contiguous, so an mm that reads one as its B operand row by row stays in L1 instead of striding
// across the whole tensor.
struct RowsView {
  const float* data;
  int64_t ld, head_step;
  const float* at(int64_t h, int64_t i) const { return data + h * head_step + i * ld; }
};

inline RowsView in_place(const float* data, int64_t stride, int64_t hd) { return RowsView{data, stride, hd}; }

// A head-major copy of src's t rows into dst [heads][t][hd], rounded to bf16 when `bf16`.
inline RowsView head_major(RowsView src, int64_t t, int64_t heads, int64_t hd, bool bf16, float* dst) {
  constexpr int64_t kRows = 64;
  const int64_t nb = (t + kRows - 1) / kRows;
  auto body = [&](int64_t task, int) {
    const int64_t h = task / nb, i0 = (task % nb) * kRows, i1 = imin(t, i0 + kRows);
    float* out = dst + (h * t + i0) * hd;
    for (int64_t i = i0; i < i1; ++i) {
      std::memcpy(out + (i - i0) * hd, src.at(h, i), sizeof(float) * static_cast<size_t>(hd));
    }
    if (bf16) round_panel_to_bf16(out, (i1 - i0) * hd);
  };
  parallel_for(heads * nb, body);
  return RowsView{dst, hd, t * hd};
}

// Block b of head h of an operand, transposed to [hd][bs] — a contiguous Simd::mm B operand with leading dimension
// bs (a strided [hd][t] layout would alias in cache).
struct BlockT {
  float* data;
  int64_t t, hd, bs;
  const float* at(int64_t h, int64_t j0) const { return data + (h * ((t + bs - 1) / bs) + j0 / bs) * hd * bs; }
};

// (bf16: the values rounded to bf16 on the way.)
inline BlockT transpose_blocks(RowsView src, int64_t t, int64_t heads, int64_t hd, int64_t bs, bool bf16, float* dst) {
  const int64_t nb = (t + bs - 1) / bs;
  auto body = [&](int64_t task, int) {
    const int64_t h = task / nb, j0 = (task % nb) * bs, j1 = imin(t, j0 + bs);
    float* out = dst + task * hd * bs;
    for (int64_t j = j0; j < j1; ++j) {
      const float* row = src.at(h, j);
      for (int64_t d = 0; d < hd; ++d) out[d * bs + (j - j0)] = row[d];
    }
    if (bf16) {
      for (int64_t d = 0; d < hd; ++d) round_panel_to_bf16(out + d * bs, j1 - j0);
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

// The running max of the bf16 mode: a multiple of ln 2 at or above x (monotone in x, so the max of two such values
// is again one of them and is never moved again).
inline float ln2_multiple_above(float x) { return ceilf(x * 1.44269504088896341f) * 0.693147180559945309f; }

inline void zero_outside(float* row, int64_t n, int64_t lo, int64_t hi) {
  for (int64_t c = 0; c < lo; ++c) row[c] = 0.0f;
  for (int64_t c = hi; c < n; ++c) row[c] = 0.0f;
}

inline void attention(const AttentionArgs& a, float* out, float* lse) {
  const int64_t hd = a.head_dim, group = a.heads / a.kv_heads;
  const int64_t q_stride = a.heads * hd;
  const int64_t nqb = (a.tq + kQ - 1) / kQ;
  const int64_t nkt = blocked_floats(a.tk, a.kv_heads, hd, kK), q_floats = a.tq * q_stride;
  // f32 reads Q and V in place (a decode step then copies nothing but K's transpose); the bf16 mode reads rounded
  // head-major copies.
  float* buf = caller_buffer(kSlotCaller0, nkt + (a.bf16_ops ? q_floats + a.tk * a.kv_heads * hd : 0));
  RowsView qv = in_place(a.q, q_stride, hd), vv = in_place(a.v, a.k_stride, hd);
  if (a.bf16_ops) {
    qv = head_major(qv, a.tq, a.heads, hd, true, buf + nkt);
    vv = head_major(vv, a.tk, a.kv_heads, hd, true, buf + nkt + q_floats);
  }
  const BlockT kt = transpose_blocks(in_place(a.k, a.k_stride, hd), a.tk, a.kv_heads, hd, kK, a.bf16_ops, buf);
  auto body = [&](int64_t task, int thread) {
    const int64_t h = task / nqb, i0 = (task % nqb) * kQ, i1 = imin(a.tq, i0 + kQ), nq = i1 - i0;
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
    const float* qb = qv.at(h, i0);
    const int64_t first = attn_row_range(a, i0, 0, a.tk).lo;  // row starts never decrease
    const int64_t last = i1 + a.tk - a.tq;
    for (int64_t j0 = first / kK * kK; j0 < last; j0 += kK) {
      const int64_t j1 = imin(last, j0 + kK), nk = j1 - j0;
      Simd::mm(nq, nk, hd, qb, qv.ld, kt.at(h / group, j0), kK, s, kK, false);
      for (int64_t r = 0; r < nq; ++r) {
        float* row = s + r * kK;
        const AttnRange rg = attn_row_range(a, i0 + r, j0, j1);
        if (rg.lo >= rg.hi) {
          zero_outside(row, nk, 0, 0);
          continue;
        }
        const int64_t c0 = rg.lo - j0, c1 = rg.hi - j0;
        float mx = Simd::scaled_max(row + c0, c1 - c0, a.scale);
        if (a.bf16_ops) mx = ln2_multiple_above(mx);
        const float new_m = mx > m[r] ? mx : m[r];
        const float alpha = exp1(m[r] - new_m);
        const float psum = static_cast<float>(Simd::exp_sub_sum(row + c0, c1 - c0, a.scale, new_m));
        if (a.bf16_ops) round_panel_to_bf16(row + c0, c1 - c0);  // after psum: l sums the unrounded numerators
        zero_outside(row, nk, c0, c1);
        l[r] = l[r] * alpha + psum;
        m[r] = new_m;
        if (alpha != 1.0f) {
          float* orow = o + r * hd;
          for (int64_t d = 0; d < hd; ++d) orow[d] *= alpha;
        }
      }
      Simd::mm(nq, hd, nk, s, kK, vv.at(h / group, j0), vv.ld, o, hd, true);
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

// What the backward's products read: Q, K, V and dOut (in place, or rounded head-major copies in the bf16 mode),
// and the transposed blocks of K, V (dQ pass) and Q, dOut (dK/dV pass).
struct BackwardOperands {
  RowsView q, k, v, d_out;
  BlockT kt, vt, qt, dot;
};

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
                                  const BackwardOperands& op) {
  const int64_t hd = a.head_dim, group = a.heads / a.kv_heads;
  const int64_t q_stride = a.heads * hd;
  const int64_t nqb = (a.tq + kQ - 1) / kQ;
  auto body = [&](int64_t task, int thread) {
    const int64_t h = task / nqb, i0 = (task % nqb) * kQ, i1 = imin(a.tq, i0 + kQ), nq = i1 - i0;
    float* s = static_cast<float*>(thread_scratch(thread, kSlotTask1, sizeof(float) * kQ * kK));
    float* dp = static_cast<float*>(thread_scratch(thread, kSlotTask2, sizeof(float) * kQ * kK));
    float* acc = static_cast<float*>(thread_scratch(thread, kSlotTask3, sizeof(float) * kQ * hd));
    std::memset(acc, 0, sizeof(float) * nq * hd);
    const float* qb = op.q.at(h, i0);
    const float* dob = op.d_out.at(h, i0);
    const int64_t first = attn_row_range(a, i0, 0, a.tk).lo;
    const int64_t last = i1 + a.tk - a.tq;
    for (int64_t j0 = first / kK * kK; j0 < last; j0 += kK) {
      const int64_t j1 = imin(last, j0 + kK), nk = j1 - j0;
      Simd::mm(nq, nk, hd, qb, op.q.ld, op.kt.at(h / group, j0), kK, s, kK, false);
      Simd::mm(nq, nk, hd, dob, op.d_out.ld, op.vt.at(h / group, j0), kK, dp, kK, false);
      for (int64_t r = 0; r < nq; ++r) {
        float* row = s + r * kK;
        const AttnRange rg = attn_row_range(a, i0 + r, j0, j1);
        const int64_t c0 = imin(nk, imax(0, rg.lo - j0)), c1 = imax(c0, rg.hi - j0);
        Simd::exp_sub_sum(row + c0, c1 - c0, a.scale, g.lse[h * a.tq + i0 + r]);
        const float dl = delta[h * a.tq + i0 + r];
        const float* dpr = dp + r * kK;
        for (int64_t c = c0; c < c1; ++c) row[c] *= dpr[c] - dl;
        if (a.bf16_ops) round_panel_to_bf16(row + c0, c1 - c0);
        zero_outside(row, nk, c0, c1);
      }
      Simd::mm(nq, hd, nk, s, kK, op.k.at(h / group, j0), op.k.ld, acc, hd, true);
    }
    for (int64_t r = 0; r < nq; ++r) {
      float* dst = g.dq + (i0 + r) * q_stride + h * hd;
      for (int64_t d = 0; d < hd; ++d) dst[d] = acc[r * hd + d] * a.scale;
    }
  };
  parallel_for(a.heads * nqb, body);
}

inline void attention_backward_dkv(const AttentionArgs& a, const AttentionGrads& g, const float* delta,
                                   const BackwardOperands& op) {
  const int64_t hd = a.head_dim, group = a.heads / a.kv_heads;
  const int64_t off = a.tk - a.tq;
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
    const float* kb = op.k.at(kvh, j0);
    const float* vb = op.v.at(kvh, j0);
    // Queries that can see this key block: from the block's first key to its last key's last query.
    const int64_t q_first = imax(0, j0 - off);
    const int64_t q_last = imin(a.tq, attn_key_end(a, j1 - 1) - off);
    for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
      const float* lse_h = g.lse + h * a.tq;
      const float* delta_h = delta + h * a.tq;
      for (int64_t i0 = q_first / kQ * kQ; i0 < q_last; i0 += kQ) {
        const int64_t i1 = imin(q_last, i0 + kQ), nq = i1 - i0;
        const float* qb = op.q.at(h, i0);
        const float* dob = op.d_out.at(h, i0);
        Simd::mm(nk, nq, hd, kb, op.k.ld, op.qt.at(h, i0), kQ, st, kQ, false);
        Simd::mm(nk, nq, hd, vb, op.v.ld, op.dot.at(h, i0), kQ, dpt, kQ, false);
        for (int64_t c = 0; c < nk; ++c) {
          const int64_t j = j0 + c;
          const int64_t end = attn_key_end(a, j) - off;
          const int64_t lo = imin(nq, imax(0, j - off - i0)), hi = imax(lo, imin(nq, end - i0));
          float* prow = st + c * kQ;
          float* drow = dpt + c * kQ;
          Simd::exp_sub_each(prow + lo, lse_h + i0 + lo, hi - lo, a.scale);
          for (int64_t r = lo; r < hi; ++r) drow[r] = prow[r] * (drow[r] - delta_h[i0 + r]);
          if (a.bf16_ops) {  // after dS: it takes the unrounded P
            round_panel_to_bf16(prow + lo, hi - lo);
            round_panel_to_bf16(drow + lo, hi - lo);
          }
          zero_outside(prow, nq, lo, hi);
          zero_outside(drow, nq, lo, hi);
        }
        Simd::mm(nk, hd, nq, st, kQ, dob, op.d_out.ld, dv_acc, hd, true);
        Simd::mm(nk, hd, nq, dpt, kQ, qb, op.q.ld, dk_acc, hd, true);
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
  const int64_t hd = a.head_dim, q_stride = a.heads * hd;
  const int64_t nkt = blocked_floats(a.tk, a.kv_heads, hd, kK), nqt = blocked_floats(a.tq, a.heads, hd, kQ);
  const int64_t nq = a.tq * q_stride, nk = a.tk * a.kv_heads * hd;
  float* delta = caller_buffer(kSlotCaller1, a.heads * a.tq);
  float* buf = caller_buffer(kSlotCaller0, 2 * nkt + 2 * nqt + (a.bf16_ops ? 2 * nq + 2 * nk : 0));
  attention_delta(a, g, delta);  // δ is part of the softmax backward: from the unrounded dOut and Out
  // The bf16 mode's rounded copies sit after the transposed blocks, which are then made from them.
  float* copies = buf + 2 * nkt + 2 * nqt;
  const auto operand = [&](const float* data, int64_t stride, int64_t t, int64_t heads, float* dst) {
    const RowsView view = in_place(data, stride, hd);
    return a.bf16_ops ? head_major(view, t, heads, hd, true, dst) : view;
  };
  const RowsView q = operand(a.q, q_stride, a.tq, a.heads, copies);
  const RowsView k = operand(a.k, a.k_stride, a.tk, a.kv_heads, copies + nq);
  const RowsView v = operand(a.v, a.k_stride, a.tk, a.kv_heads, copies + nq + nk);
  const RowsView d_out = operand(g.d_out, q_stride, a.tq, a.heads, copies + nq + 2 * nk);
  const BackwardOperands op{q,
                            k,
                            v,
                            d_out,
                            transpose_blocks(k, a.tk, a.kv_heads, hd, kK, false, buf),
                            transpose_blocks(v, a.tk, a.kv_heads, hd, kK, false, buf + nkt),
                            transpose_blocks(q, a.tq, a.heads, hd, kQ, false, buf + 2 * nkt),
                            transpose_blocks(d_out, a.tq, a.heads, hd, kQ, false, buf + 2 * nkt + nqt)};
  attention_backward_dq(a, g, delta, op);
  attention_backward_dkv(a, g, delta, op);
}
