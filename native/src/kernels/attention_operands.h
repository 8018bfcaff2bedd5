// Attention's operands as its products read them (kernels/attention_impl.h), laid out once per call in O(T·d)
// memory, so that no task lays out a block again for each block it meets. Blocks sit on a fixed grid of `bs`
// rows per head. Two modes, each with the two products attention is made of:
//   reduce_d:   C[M][N] = X rows · (Y rows)ᵀ, summing over the head dimension (Q·Kᵀ, dO·Vᵀ, K·Qᵀ, V·dOᵀ);
//   accumulate: C[M][hd] += P[M][K] · Y rows, summing over rows (P·V, dS·K, Pᵀ·dO, dSᵀ·Q), where P is a panel of
//               probabilities or dS, written row by row with `store_row` as they are formed;
//   accumulate_t: the same with P given by its columns (the backward's dS·K from the rows of dSᵀ, `transposed`).
// F32Mode: Simd::mm on rows read in place and blocks transposed to [hd][bs]. Bf16Mode (the bf16 compute mode):
// Simd::mm_bf16 (VDPBF16PS on avx512) on values rounded to bf16 and stored as 32-bit pairs along each product's
// reduction axis: rows as pairs along d, [heads][t][hd/2] (X); blocks as [hd/2][bs] (Y of reduce_d); blocks as
// [bs/2][hd] pairs of consecutive rows (Y of accumulate; rows past t are zero); panels as bf16 rows.
// Requires before inclusion: the path's Simd, gemm/gemm_driver.h (f32_to_bf16_bits), kernels/scratch_slots.h.

constexpr int64_t kBlock = 64;  // rows per block, queries and keys alike

// The roles an operand plays in the products, so that only the layouts they read are made: left operand (its rows),
// right operand of reduce_d, right operand of accumulate.
enum OperandUse : unsigned { kLeft = 1, kReduceD = 2, kAccumulate = 4 };

inline int64_t blocks_of(int64_t t) { return (t + kBlock - 1) / kBlock; }

// Caller-side buffers live in thread 0's caller slots, which no task touches.
inline float* caller_buffer(int slot, int64_t floats) {
  return static_cast<float*>(thread_scratch(0, slot, sizeof(float) * static_cast<size_t>(imax(1, floats))));
}

inline void zero_outside(float* row, int64_t n, int64_t lo, int64_t hi) {
  for (int64_t c = 0; c < lo; ++c) row[c] = 0.0f;
  for (int64_t c = hi; c < n; ++c) row[c] = 0.0f;
}

// One [t][heads][hd] operand (row stride ld) of the call.
struct OperandSource {
  const float* data;
  int64_t ld, t, heads;
  const float* row(int64_t h, int64_t i, int64_t hd) const { return data + h * hd + i * ld; }
};

struct F32Mode {
  static constexpr bool kBf16 = false;

  struct Operand {
    const float* rows;  // in place
    int64_t ld;
    const float* blocks;  // [heads][blocks][hd][kBlock], when used by reduce_d
    int64_t t, hd;
    const float* row(int64_t h, int64_t i) const { return rows + h * hd + i * ld; }
    const float* block(int64_t h, int64_t j0) const { return blocks + (h * blocks_of(t) + j0 / kBlock) * hd * kBlock; }
  };

  struct Panel {
    float* data;
    int64_t ld;
  };

  int64_t hd;

  int64_t floats(const OperandSource& s, unsigned use) const {
    return use & kReduceD ? s.heads * blocks_of(s.t) * hd * kBlock : 0;
  }

  // Blocks transposed to [hd][kBlock], contiguous Simd::mm B operands (a strided [hd][t] layout would alias in cache).
  Operand make(const OperandSource& s, unsigned use, float* buf) const {
    const Operand op{s.data, s.ld, buf, s.t, hd};
    if (!(use & kReduceD)) return op;
    const int64_t nb = blocks_of(s.t);
    auto body = [&](int64_t task, int) {
      const int64_t h = task / nb, j0 = (task % nb) * kBlock, n = imin(s.t, j0 + kBlock) - j0;
      float* out = buf + task * hd * kBlock;
      for (int64_t j = 0; j < n; ++j) {
        const float* row = s.row(h, j0 + j, hd);
        for (int64_t d = 0; d < hd; ++d) out[d * kBlock + j] = row[d];
      }
    };
    parallel_for(s.heads * nb, body);
    return op;
  }

  // The panel is the f32 rows it is formed in (leading dimension ld).
  Panel panel(float* rows, int64_t ld, int, int) const { return Panel{rows, ld}; }

  // Row r of the panel from `row` (n values, those outside [lo, hi) masked to zero).
  void store_row(const Panel&, int64_t, float* row, int64_t n, int64_t lo, int64_t hi) const {
    zero_outside(row, n, lo, hi);
  }

  void reduce_d(int64_t M, int64_t N, const Operand& x, int64_t hx, int64_t i0, const Operand& y, int64_t hy,
                int64_t j0, float* c, int64_t ldc) const {
    Simd::mm(M, N, hd, x.row(hx, i0), x.ld, y.block(hy, j0), kBlock, c, ldc, false);
  }

  void accumulate(int64_t M, int64_t K, const Panel& p, const Operand& y, int64_t hy, int64_t j0, float* c) const {
    Simd::mm(M, hd, K, p.data, p.ld, y.row(hy, j0), y.ld, c, hd, true);
  }

  // The panel transposed, for accumulate_t: the f32 rows themselves (row c over the n columns).
  Panel transposed(const Panel&, float* rows, int64_t ld, int64_t, int64_t) const { return Panel{rows, ld}; }

  // accumulate with the panel given transposed (p from `transposed`: its rows are P's columns); C's rows ldc apart.
  void accumulate_t(int64_t M, int64_t K, const Panel& p, const Operand& y, int64_t hy, int64_t j0, float* c,
                    int64_t ldc) const {
    Simd::mm<true>(M, hd, K, p.data, p.ld, y.row(hy, j0), y.ld, c, ldc, true);
  }
};

// Whether the path's Simd has VCVTNEPS2BF16 converters (to_bf16, to_bf16_row_pairs: avx512).
template <typename S, typename = void>
struct HasBf16Convert : std::false_type {};
template <typename S>
struct HasBf16Convert<S, std::void_t<decltype(&S::to_bf16)>> : std::true_type {};

// n floats as (n + 1) / 2 bf16 pair words (an odd tail's high half zero): the path's converter where it has one,
// else the GEMM's rounding helper, which rounds alike.
template <typename S = Simd>
inline void to_bf16_pairs(const float* x, int64_t n, uint32_t* out) {
  if constexpr (HasBf16Convert<S>::value) {
    S::to_bf16(x, n, out);
  } else {
    for (int64_t q = 0; 2 * q < n; ++q) {
      const uint32_t hi = 2 * q + 1 < n ? f32_to_bf16_bits(x[2 * q + 1]) : 0;
      out[q] = f32_to_bf16_bits(x[2 * q]) | hi << 16;
    }
  }
}

// Two rows as n pair words, out[d] = (bf16(x0[d]), bf16(x1[d])) (x1 null: high halves zero); as to_bf16_pairs.
template <typename S = Simd>
inline void to_bf16_row_pairs(const float* x0, const float* x1, int64_t n, uint32_t* out) {
  if constexpr (HasBf16Convert<S>::value) {
    S::to_bf16_row_pairs(x0, x1, n, out);
  } else {
    for (int64_t d = 0; d < n; ++d) out[d] = f32_to_bf16_bits(x0[d]) | (x1 ? uint32_t{f32_to_bf16_bits(x1[d])} << 16 : 0);
  }
}

struct Bf16Mode {
  static constexpr bool kBf16 = true;

  struct Operand {
    const uint32_t* rows;      // [heads][t][hp]
    const uint32_t* over_d;    // [heads][blocks][hp][kBlock]
    const uint32_t* over_rows; // [heads][blocks][kBlock / 2][hd]
    int64_t t, hd, hp;
    const uint32_t* row(int64_t h, int64_t i) const { return rows + (h * t + i) * hp; }
    int64_t block(int64_t h, int64_t j0) const { return h * blocks_of(t) + j0 / kBlock; }
  };

  struct Panel {
    uint32_t* data;  // [kBlock][kBlock / 2]
  };

  int64_t hd, hp;  // hp = (hd + 1) / 2 pairs per row

  explicit Bf16Mode(int64_t head_dim) : hd(head_dim), hp((head_dim + 1) / 2) {}

  // The rows also serve to make the [hd/2][kBlock] blocks; the [kBlock/2][hd] ones come from the f32 rows.
  static bool needs_rows(unsigned use) { return use & (kLeft | kReduceD); }

  // (Words, counted as floats: both are 4 bytes.)
  int64_t floats(const OperandSource& s, unsigned use) const {
    const int64_t blocks = s.heads * blocks_of(s.t);
    return (needs_rows(use) ? s.heads * s.t * hp : 0) + (use & kReduceD ? blocks * hp * kBlock : 0) +
           (use & kAccumulate ? blocks * kBlock / 2 * hd : 0);
  }

  Operand make(const OperandSource& s, unsigned use, float* buf) const {
    uint32_t* rows = reinterpret_cast<uint32_t*>(buf);
    uint32_t* over_d = rows + (needs_rows(use) ? s.heads * s.t * hp : 0);
    uint32_t* over_rows = over_d + (use & kReduceD ? s.heads * blocks_of(s.t) * hp * kBlock : 0);
    const Operand op{rows, over_d, over_rows, s.t, hd, hp};
    const int64_t nb = blocks_of(s.t);
    auto body = [&](int64_t task, int) {
      const int64_t h = task / nb, j0 = (task % nb) * kBlock, n = imin(s.t, j0 + kBlock) - j0;
      uint32_t* r = rows + (h * s.t + j0) * hp;
      for (int64_t j = 0; j < n && needs_rows(use); ++j) to_bf16_pairs(s.row(h, j0 + j, hd), hd, r + j * hp);
      if (use & kReduceD) {
        uint32_t* out = over_d + op.block(h, j0) * hp * kBlock;
        for (int64_t q = 0; q < hp; ++q) {
          for (int64_t j = 0; j < kBlock; ++j) out[q * kBlock + j] = j < n ? r[j * hp + q] : 0;
        }
      }
      if (use & kAccumulate) {
        uint32_t* out = over_rows + op.block(h, j0) * kBlock / 2 * hd;
        for (int64_t j = 0; j < kBlock; j += 2) {
          uint32_t* pairs = out + j / 2 * hd;
          if (j >= n) {
            std::memset(pairs, 0, sizeof(uint32_t) * static_cast<size_t>(hd));
          } else {
            to_bf16_row_pairs(s.row(h, j0 + j, hd), j + 1 < n ? s.row(h, j0 + j + 1, hd) : nullptr, hd, pairs);
          }
        }
      }
    };
    parallel_for(s.heads * nb, body);
    return op;
  }

  // Panel `which` (0 to 2) of this thread's task.
  Panel panel(float*, int64_t, int thread, int which) const {
    auto* base = static_cast<uint32_t*>(thread_scratch(thread, kSlotTask0, sizeof(uint32_t) * kBlock * kBlock * 3 / 2));
    return Panel{base + which * kBlock * kBlock / 2};
  }

  // Row r rounded into the panel; its f32 values outside [lo, hi) are zeroed first.
  void store_row(const Panel& p, int64_t r, float* row, int64_t n, int64_t lo, int64_t hi) const {
    zero_outside(row, n, lo, hi);
    to_bf16_pairs(row, n, p.data + r * kBlock / 2);
  }

  void reduce_d(int64_t M, int64_t N, const Operand& x, int64_t hx, int64_t i0, const Operand& y, int64_t hy,
                int64_t j0, float* c, int64_t ldc) const {
    Simd::mm_bf16(M, N, hp, x.row(hx, i0), hp, y.over_d + y.block(hy, j0) * hp * kBlock, kBlock, c, ldc, false);
  }

  // An odd K reads one pair past it: the panel's pad half is zero.
  void accumulate(int64_t M, int64_t K, const Panel& p, const Operand& y, int64_t hy, int64_t j0, float* c) const {
    Simd::mm_bf16(M, hd, (K + 1) / 2, p.data, kBlock / 2, y.over_rows + y.block(hy, j0) * kBlock / 2 * hd, hd, c,
                  hd, true);
  }

  // The f32 rows (nk of them, n values each, masked entries zero) as the panel `into` of their transpose: pair
  // words of rows 2q and 2q + 1, [nk/2][kBlock] (an odd last row's high halves zero).
  Panel transposed(const Panel& into, float* rows, int64_t ld, int64_t nk, int64_t n) const {
    for (int64_t c = 0; c < nk; c += 2) {
      to_bf16_row_pairs(rows + c * ld, c + 1 < nk ? rows + (c + 1) * ld : nullptr, n, into.data + c / 2 * kBlock);
    }
    return into;
  }

  void accumulate_t(int64_t M, int64_t K, const Panel& p, const Operand& y, int64_t hy, int64_t j0, float* c,
                    int64_t ldc) const {
    Simd::mm_bf16<true>(M, hd, (K + 1) / 2, p.data, kBlock, y.over_rows + y.block(hy, j0) * kBlock / 2 * hd, hd, c,
                        ldc, true);
  }
};
