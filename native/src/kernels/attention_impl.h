// Blocked causal attention with grouped-query heads and segments (flash-attention style), shared by the ISA paths
// (included inside each ISA namespace after its Simd; see simd_*.h).
//
// Forward: one task per (query head, block of kBlock queries); keys stream through in blocks of kBlock with an
// online softmax, so memory is O(kBlock·hd) per task and O(T) for the log-sum-exp, never O(T²). Query row i
// (absolute position i + tk − tq) sees keys [max(seg_start, position − window + 1), position], one contiguous range
// per key block. Both ends of that range never decrease with i, so a query block starts at its first row's first
// key and a key block ends at its last key's last query: blocks wholly outside a sliding window are never visited,
// and the work is O(T·window) rather than O(T²).
// Backward recomputes the probabilities from lse once, in one pass per (kv head, key block) that owns its rows of dK
// and dV (summing over the query heads of its group) and adds its dS·K terms to dQ in ascending key-block order
// (attention_backward_pass), so the result does not depend on the thread count.
// The products and their operands' layouts are the mode's (kernels/attention_operands.h): f32, or the bf16 compute
// mode (AttentionArgs::bf16_ops). Blocks sit on a fixed grid; a row's mask trims what lies outside its range.
//
// The bf16 compute mode rounds every product's operands to bf16 (the GEMM's rounding, gemm/gemm_driver.h) and keeps
// the sums, softmax, log-sum-exp, scaling, masks and δ in f32, as torch autocast's CPU flash attention does: Q, K,
// V (and dOut in backward) are rounded once per call into bf16-pair layouts, the probabilities P and
// dS = P∘(dP − δ) row by row as they are formed (dS from the unrounded P). The forward's products take P's
// numerators exp(s − m) under a running max m; m is kept to multiples of ln 2, so numerators taken under an
// earlier m are those under the row's final max times powers of two, which rounding commutes with: the result does
// not depend on the key blocks (src/tensor/reference/attention.ts states the same rule in float64). The forward
// divides by the sum of the unrounded numerators.
// Requires before inclusion: <array>, <atomic>, <memory>, <thread> and kernels/attention_operands.h.

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

// The running max of the bf16 mode: a multiple of ln 2 at or above x (monotone in x, so the max of two such values
// is again one of them and is never moved again).
inline float ln2_multiple_above(float x) { return ceilf(x * 1.44269504088896341f) * 0.693147180559945309f; }

// The call's operands in the mode's layouts, in caller slot `slot`; `use` says which layouts each one needs.
template <class Mode, size_t N>
std::array<typename Mode::Operand, N> attention_operands(const Mode& mode, const OperandSource (&src)[N],
                                                         const unsigned (&use)[N], int slot) {
  int64_t total = 0;
  for (size_t i = 0; i < N; ++i) total += mode.floats(src[i], use[i]);
  float* buf = caller_buffer(slot, total);
  std::array<typename Mode::Operand, N> out{};
  for (size_t i = 0; i < N; ++i) {
    out[i] = mode.make(src[i], use[i], buf);
    buf += mode.floats(src[i], use[i]);
  }
  return out;
}

template <class Mode>
void attention_forward(const AttentionArgs& a, const Mode& mode, float* out, float* lse) {
  const int64_t hd = a.head_dim, group = a.heads / a.kv_heads;
  const int64_t q_stride = a.heads * hd;
  const int64_t nqb = blocks_of(a.tq);
  // (The f32 mode reads Q and V in place, so a decode step copies nothing but K's transposed blocks.)
  const auto op = attention_operands(mode,
                                     {OperandSource{a.q, q_stride, a.tq, a.heads},
                                      OperandSource{a.k, a.k_stride, a.tk, a.kv_heads},
                                      OperandSource{a.v, a.k_stride, a.tk, a.kv_heads}},
                                     {kLeft, kReduceD, kAccumulate}, kSlotCaller0);
  const auto &q = op[0], &k = op[1], &v = op[2];
  auto body = [&](int64_t task, int thread) {
    const int64_t h = task / nqb, i0 = (task % nqb) * kBlock, i1 = imin(a.tq, i0 + kBlock), nq = i1 - i0;
    float* s = static_cast<float*>(thread_scratch(thread, kSlotTask1, sizeof(float) * kBlock * kBlock));
    float* o = static_cast<float*>(thread_scratch(thread, kSlotTask2, sizeof(float) * kBlock * hd));
    float* ml = static_cast<float*>(thread_scratch(thread, kSlotTask3, sizeof(float) * 2 * kBlock));
    const typename Mode::Panel p = mode.panel(s, kBlock, thread, 0);
    float* m = ml;
    float* l = ml + kBlock;
    for (int64_t r = 0; r < nq; ++r) {
      m[r] = -INFINITY;
      l[r] = 0.0f;
    }
    std::memset(o, 0, sizeof(float) * nq * hd);
    const int64_t first = attn_row_range(a, i0, 0, a.tk).lo;  // row starts never decrease
    const int64_t last = i1 + a.tk - a.tq;
    for (int64_t j0 = first / kBlock * kBlock; j0 < last; j0 += kBlock) {
      const int64_t j1 = imin(last, j0 + kBlock), nk = j1 - j0;
      mode.reduce_d(nq, nk, q, h, i0, k, h / group, j0, s, kBlock);
      for (int64_t r = 0; r < nq; ++r) {
        float* row = s + r * kBlock;
        const AttnRange rg = attn_row_range(a, i0 + r, j0, j1);
        if (rg.lo >= rg.hi) {
          mode.store_row(p, r, row, nk, 0, 0);
          continue;
        }
        const int64_t c0 = rg.lo - j0, c1 = rg.hi - j0;
        float mx = Simd::scaled_max(row + c0, c1 - c0, a.scale);
        if (Mode::kBf16) mx = ln2_multiple_above(mx);
        const float new_m = mx > m[r] ? mx : m[r];
        const float alpha = new_m == m[r] ? 1.0f : exp1(m[r] - new_m);  // exp1(0) is 1 exactly: a skipped exp
        const float psum = static_cast<float>(Simd::exp_sub_sum(row + c0, c1 - c0, a.scale, new_m));
        mode.store_row(p, r, row, nk, c0, c1);
        // (As written before the modes: with FMA the compiler fuses this, and the f32 mode keeps its bits.)
        l[r] = l[r] * alpha + psum;
        m[r] = new_m;
        if (alpha != 1.0f) {
          float* orow = o + r * hd;
          for (int64_t d = 0; d < hd; ++d) orow[d] *= alpha;
        }
      }
      mode.accumulate(nq, nk, p, v, h / group, j0, o);
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

inline void attention(const AttentionArgs& a, float* out, float* lse) {
  if (a.bf16_ops) {
    attention_forward(a, Bf16Mode(a.head_dim), out, lse);
  } else {
    attention_forward(a, F32Mode{a.head_dim}, out, lse);
  }
}

// What the backward's products read: Q, K, V and dOut in the mode's layouts.
template <class Mode>
struct BackwardOperands {
  typename Mode::Operand q, k, v, d_out;
};

// delta[h, i] = Σ_d dOut·Out, the softmax-backward row term.
inline void attention_delta(const AttentionArgs& a, const AttentionGrads& g, float* delta) {
  const int64_t hd = a.head_dim, q_stride = a.heads * hd;
  const int64_t nqb = blocks_of(a.tq);
  auto body = [&](int64_t task, int) {
    const int64_t h = task / nqb, i0 = (task % nqb) * kBlock, i1 = imin(a.tq, i0 + kBlock);
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t off = i * q_stride + h * hd;
      delta[h * a.tq + i] = Simd::dot(g.d_out + off, g.out + off, hd);
    }
  };
  parallel_for(a.heads * nqb, body);
}

// The first key block that query block ib reads (the forward's and dQ's key range starts at its first row's).
inline int64_t attn_first_key_block(const AttentionArgs& a, int64_t ib) {
  return attn_row_range(a, ib * kBlock, 0, a.tk).lo / kBlock;
}

// One task per (kv head, key block) forms P and dS once for all three gradients. It owns its rows of dK and dV
// and sums into them over its group's query heads, then query blocks, as the forward's key loop would; dQ's rows
// are shared, so each (query head, query block) takes the key blocks' terms in ascending order: tasks are claimed
// in order, and a task waits until the key block before it has added its term there (`done` counts them). So
// every output element has one summation order, whatever the thread count. dQ sums in dq_acc, [heads][tq][hd]
// (zeroed by the caller; head-major, so that a block's rows are contiguous).
template <class Mode>
void attention_backward_pass(const AttentionArgs& a, const AttentionGrads& g, const float* delta, const Mode& mode,
                             const BackwardOperands<Mode>& op, float* dq_acc, std::atomic<int64_t>* done) {
  const int64_t hd = a.head_dim, group = a.heads / a.kv_heads;
  const int64_t off = a.tk - a.tq;
  const int64_t nkb = blocks_of(a.tk), nqb = blocks_of(a.tq);
  auto body = [&](int64_t task, int thread) {
    const int64_t kvh = task / nkb, jb = task % nkb, j0 = jb * kBlock, j1 = imin(a.tk, j0 + kBlock), nk = j1 - j0;
    const int64_t kv_off = kvh * hd;
    float* st = static_cast<float*>(thread_scratch(thread, kSlotTask1, sizeof(float) * kBlock * kBlock));
    float* dpt = static_cast<float*>(thread_scratch(thread, kSlotTask2, sizeof(float) * kBlock * kBlock));
    float* acc = static_cast<float*>(thread_scratch(thread, kSlotTask3, sizeof(float) * 2 * kBlock * hd));
    const typename Mode::Panel pt = mode.panel(st, kBlock, thread, 0), dst = mode.panel(dpt, kBlock, thread, 1);
    const typename Mode::Panel ds_into = mode.panel(dpt, kBlock, thread, 2);
    float* dk_acc = acc;
    float* dv_acc = acc + kBlock * hd;
    std::memset(acc, 0, sizeof(float) * 2 * kBlock * hd);
    // Queries that can see this key block: from the block's first key to its last key's last query.
    const int64_t q_first = imax(0, j0 - off);
    const int64_t q_last = imin(a.tq, attn_key_end(a, j1 - 1) - off);
    for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
      const float* lse_h = g.lse + h * a.tq;
      const float* delta_h = delta + h * a.tq;
      for (int64_t i0 = q_first / kBlock * kBlock; i0 < q_last; i0 += kBlock) {
        const int64_t i1 = imin(q_last, i0 + kBlock), nq = i1 - i0;
        float* dq_block = dq_acc + (h * a.tq + i0) * hd;
        // dQ's block was last written by another key block's task: fetch it while this block's products run.
        for (int64_t f = 0; f < nq * hd; f += 16) __builtin_prefetch(dq_block + f, 1, 3);
        mode.reduce_d(nk, nq, op.k, kvh, j0, op.q, h, i0, st, kBlock);
        mode.reduce_d(nk, nq, op.v, kvh, j0, op.d_out, h, i0, dpt, kBlock);
        for (int64_t c = 0; c < nk; ++c) {
          const int64_t j = j0 + c;
          const int64_t end = attn_key_end(a, j) - off;
          const int64_t lo = imin(nq, imax(0, j - off - i0)), hi = imax(lo, imin(nq, end - i0));
          float* prow = st + c * kBlock;
          float* drow = dpt + c * kBlock;
          Simd::exp_sub_grad_each(prow + lo, drow + lo, lse_h + i0 + lo, delta_h + i0 + lo, hi - lo, a.scale);
          mode.store_row(pt, c, prow, nq, lo, hi);  // after dS: it takes the unrounded P
          mode.store_row(dst, c, drow, nq, lo, hi);
        }
        mode.accumulate(nk, nq, pt, op.d_out, h, i0, dv_acc);
        mode.accumulate(nk, nq, dst, op.q, h, i0, dk_acc);
        // dQ's term, over the keys the query block reads (its range ends at its last query: the rest is masked).
        const int64_t ib = i0 / kBlock, keys = imin(nk, imin(a.tq, i0 + kBlock) + off - j0);
        const typename Mode::Panel ds = mode.transposed(ds_into, dpt, kBlock, nk, nq);
        std::atomic<int64_t>& turn = done[h * nqb + ib];
        while (turn.load(std::memory_order_acquire) != jb - attn_first_key_block(a, ib)) std::this_thread::yield();
        mode.accumulate_t(nq, keys, ds, op.k, kvh, j0, dq_block, hd);
        turn.store(turn.load(std::memory_order_relaxed) + 1, std::memory_order_release);
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

// dQ = scale · its sum.
inline void attention_store_dq(const AttentionArgs& a, const AttentionGrads& g, const float* dq_acc) {
  const int64_t hd = a.head_dim;
  auto body = [&](int64_t i, int) {
    for (int64_t h = 0; h < a.heads; ++h) {
      const float* acc = dq_acc + (h * a.tq + i) * hd;
      float* dst = g.dq + (i * a.heads + h) * hd;
      for (int64_t d = 0; d < hd; ++d) dst[d] = acc[d] * a.scale;
    }
  };
  parallel_for(a.tq, body);
}

template <class Mode>
void attention_backward_with(const AttentionArgs& a, const AttentionGrads& g, const Mode& mode) {
  const int64_t q_stride = a.heads * a.head_dim;
  float* delta = caller_buffer(kSlotCaller1, a.heads * a.tq * (1 + a.head_dim));
  float* dq_acc = delta + a.heads * a.tq;
  attention_delta(a, g, delta);  // δ is part of the softmax backward: from the unrounded dOut and Out
  const unsigned all = kLeft | kReduceD | kAccumulate;
  const auto op = attention_operands(mode,
                                     {OperandSource{a.q, q_stride, a.tq, a.heads},
                                      OperandSource{a.k, a.k_stride, a.tk, a.kv_heads},
                                      OperandSource{a.v, a.k_stride, a.tk, a.kv_heads},
                                      OperandSource{g.d_out, q_stride, a.tq, a.heads}},
                                     {all, all, kLeft | kReduceD, all}, kSlotCaller0);
  const BackwardOperands<Mode> ops{op[0], op[1], op[2], op[3]};
  std::memset(dq_acc, 0, sizeof(float) * static_cast<size_t>(a.heads * a.tq * a.head_dim));
  const std::unique_ptr<std::atomic<int64_t>[]> done(new std::atomic<int64_t>[a.heads * blocks_of(a.tq)]());
  attention_backward_pass(a, g, delta, mode, ops, dq_acc, done.get());
  attention_store_dq(a, g, dq_acc);
}

inline void attention_backward(const AttentionArgs& a, const AttentionGrads& g) {
  if (a.bf16_ops) {
    attention_backward_with(a, g, Bf16Mode(a.head_dim));
  } else {
    attention_backward_with(a, g, F32Mode{a.head_dim});
  }
}
