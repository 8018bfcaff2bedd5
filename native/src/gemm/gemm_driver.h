// Cache-blocked, packed GEMM driver (the BLIS loop nest), shared by the ISA paths. Each ISA translation unit
// includes this header inside its own namespace and supplies a micro-kernel type `UK` with:
//   static constexpr int MR, NR;   register tile (rows x columns of C)
//   static void tile(int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs, float* c,
//                    int64_t ldc, float alpha, float beta);
//       C[MR,NR] = alpha * A * B + beta * C (beta == 0: C not read), where A(r, p) = a[r][p * csa] (MR row
//       pointers: a packed sliver has a[r] = ap + r and csa = MR; an unpacked one points into the caller's
//       matrix) and B(p, j) = b[p * bs + j] (a packed sliver has bs = NR).
//   template <typename T> static void pack_b_trans(const T* src, int64_t ldb, int64_t kc, float* dst);
//   template <typename T> static void pack_b_plain(const T* src, int64_t ldb, int64_t kc, float* dst);
//       pack one full NR-column B sliver (T = float or uint16_t bf16 bits) into kc groups of NR floats, from
//       B stored N x K (trans: column j of op(B) is row j of B, src at row j0, column p0) or K x N (plain).
//   static void pack_a_rows(const float* src, int64_t lda, int64_t kc, float* dst);
//       pack MR full rows of A (stored M x K, src at row i, column p0) into kc groups of MR floats.
// and optionally
//   static void tile_rows(int rows, <the arguments of tile>);
//       the first `rows` (< MR) rows of a full-width tile, each element computed exactly as `tile` does (the
//       small-M path uses it so that a one-row product does not pay for MR rows of FMAs).
//
// Work split: the output is cut into a grid of rectangular tasks (row range x column range). A task runs the
// whole K loop for its rectangle, in the same panel order and with the same panel boundaries whatever the grid,
// so each element's reduction order, and the result, does not depend on the thread count. One parallel_run per
// call: each task packs its own B panel and A blocks (threads never wait on each other's packing).
//
// Small M (at most MR rows, as a decode step's few tokens) has its own loop: no task-wide B panel; each B sliver
// is packed into an L1-sized buffer right before its one tile uses it (or read in place), and A is read in place.
// Each element still runs the same FMA chain over the same K panels, so a row's result does not depend on the
// rows computed beside it (batch invariance, tested in test/model/sequence-forward.test.ts).
//
// Requires before inclusion: <cstdint>, <cstring>, <type_traits>, "gemm.h", "thread_pool.h".

template <typename UK, typename = void>
struct HasTileRows : std::false_type {};
template <typename UK>
struct HasTileRows<UK, std::void_t<decltype(&UK::tile_rows)>> : std::true_type {};

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// f32 → bf16 bits as VCVTNEPS2BF16 rounds: nearest-even, subnormals to signed zero, NaN kept (quieted).
inline uint16_t f32_to_bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) == 0) return static_cast<uint16_t>((u >> 16) & 0x8000u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

// The bf16 compute mode on a path without bf16 products: a packed f32 panel rounded to bf16 values in place.
inline void round_panel_to_bf16(float* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = bf16_to_f32(f32_to_bf16_bits(p[i]));
}

template <typename T>
inline float load_elem(const T* b, int64_t idx) {
  if constexpr (sizeof(T) == 2) {
    return bf16_to_f32(b[idx]);
  } else {
    return b[idx];
  }
}

// Scalar B-sliver packing for any column count (the edge sliver, and the portable path).
template <int NR, typename T>
inline void pack_b_generic(const T* b, int64_t ldb, bool trans_b, int64_t j0, int cols, int64_t p0, int64_t kc,
                           float* dst) {
  if (trans_b) {
    for (int c = 0; c < NR; ++c) {
      if (c < cols) {
        const T* src = b + (j0 + c) * ldb + p0;
        for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = load_elem(src, p);
      } else {
        for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = 0.0f;
      }
    }
  } else {
    for (int64_t p = 0; p < kc; ++p) {
      const T* src = b + (p0 + p) * ldb + j0;
      int c = 0;
      for (; c < cols; ++c) dst[p * NR + c] = load_elem(src, c);
      for (; c < NR; ++c) dst[p * NR + c] = 0.0f;
    }
  }
}

template <typename UK>
struct GemmDriver {
  static constexpr int MR = UK::MR;
  static constexpr int NR = UK::NR;
  // k depth of a panel. AVX2's 6x16 slivers take (6 + 16) · 320 floats = 27.5 KiB of L1; the avx512 8x32 ones take
  // 50 KiB, past a 48 KiB L1, yet measured as fast as at 192 (docs/performance.md).
  static constexpr int64_t KC_MAX = 320;
  static constexpr int64_t MC_MAX = 144;  // rows of a packed A block (multiple of MR): stays in L2
  static constexpr int64_t NC = 3072;     // columns of a task's packed B panel (multiple of NR)
  // Scratch slots (thread_pool.h): the last two of the eight, so that a kernel that calls GEMM from inside its
  // own task keeps the low slots for itself.
  static constexpr int SCRATCH_A = 6, SCRATCH_B = 7;

  struct Plan {
    const GemmArgs* g;
    int64_t n_kpanels;  // K is cut into n_kpanels panels of (nearly) equal depth; a function of K alone
    int64_t kc_base;
    int64_t m_slivers, n_slivers;
    int64_t gm, gn;  // task grid
  };

  static int64_t kpanel_begin(const Plan& pl, int64_t i) {
    const int64_t q = pl.g->k / pl.n_kpanels, r = pl.g->k % pl.n_kpanels;
    return i * q + (i < r ? i : r);
  }

  // Packs rows [i0, i0+mc) x k [p0, p0+kc) of op(A) into MR-row slivers, zero-padding the last one.
  static void pack_a(const GemmArgs& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
    for (int64_t is = 0; is < mc; is += MR) {
      const int64_t rows = mc - is < MR ? mc - is : MR;
      float* dst = out + is * kc;
      if (g.trans_a) {
        // A stored K x M: the MR values of one k are contiguous.
        const float* src = g.a + p0 * g.lda + i0 + is;
        if (rows == MR) {
          for (int64_t p = 0; p < kc; ++p, src += g.lda) {
            for (int r = 0; r < MR; ++r) dst[p * MR + r] = src[r];
          }
        } else {
          for (int64_t p = 0; p < kc; ++p, src += g.lda) {
            int64_t r = 0;
            for (; r < rows; ++r) dst[p * MR + r] = src[r];
            for (; r < MR; ++r) dst[p * MR + r] = 0.0f;
          }
        }
      } else if (rows == MR) {
        UK::pack_a_rows(g.a + (i0 + is) * g.lda + p0, g.lda, kc, dst);
      } else {
        for (int64_t r = 0; r < MR; ++r) {
          if (r < rows) {
            const float* src = g.a + (i0 + is + r) * g.lda + p0;
            for (int64_t p = 0; p < kc; ++p) dst[p * MR + r] = src[p];
          } else {
            for (int64_t p = 0; p < kc; ++p) dst[p * MR + r] = 0.0f;
          }
        }
      }
    }
  }

  template <typename T>
  static void pack_b_sliver(const GemmArgs& g, int64_t j0, int cols, int64_t p0, int64_t kc, float* dst) {
    const T* b = static_cast<const T*>(g.b);
    if (cols == NR) {
      if (g.trans_b) {
        UK::template pack_b_trans<T>(b + j0 * g.ldb + p0, g.ldb, kc, dst);
      } else {
        UK::template pack_b_plain<T>(b + p0 * g.ldb + j0, g.ldb, kc, dst);
      }
    } else {
      pack_b_generic<NR, T>(b, g.ldb, g.trans_b, j0, cols, p0, kc, dst);
    }
  }

  static void pack_b(const GemmArgs& g, int64_t j0, int cols, int64_t p0, int64_t kc, float* dst) {
    if (g.b_type == DType::BF16) {
      pack_b_sliver<uint16_t>(g, j0, cols, p0, kc, dst);
    } else {
      pack_b_sliver<float>(g, j0, cols, p0, kc, dst);
    }
  }

  // One register tile, full or partial (a partial one runs into a buffer and copies the valid part out).
  static inline void tile(int64_t kc, const float* const* a, int64_t csa, const float* b, int64_t bs, float* c,
                          int64_t ldc, int rows, int cols, float alpha, float beta) {
    if (rows == MR && cols == NR) {
      UK::tile(kc, a, csa, b, bs, c, ldc, alpha, beta);
      return;
    }
    alignas(64) float buf[MR * NR];
    UK::tile(kc, a, csa, b, bs, buf, NR, alpha, 0.0f);
    for (int r = 0; r < rows; ++r) {
      for (int cc = 0; cc < cols; ++cc) {
        const float v = buf[r * NR + cc];
        c[r * ldc + cc] = beta == 0.0f ? v : v + beta * c[r * ldc + cc];
      }
    }
  }

  static constexpr int64_t BPANEL_L2_FLOATS = 64 * 1024;  // 256 KiB: a B panel this small stays in L2
  static constexpr int64_t SHORT_K = 64;  // up to this K depth a tile's time goes mostly to C, not to FMAs

  // One A block (rows [i0, i0+mc)) against the task's B panel for K panel [p0, p0+kc).
  struct Block {
    const GemmArgs* g;
    int64_t i0, mc, p0, kc, js0;
    float beta;
    bool direct_a, direct_b;
    const float* apack;
    const float* bpack;
  };

  // The register tile at row offset `is` of the block and column sliver `s`.
  static inline void block_tile(const Block& k, int64_t is, int64_t s, bool row_major_walk) {
    const GemmArgs& g = *k.g;
    const int64_t j0 = s * NR;
    const int cols = static_cast<int>(g.n - j0 < NR ? g.n - j0 : NR);
    const int rows = static_cast<int>(k.mc - is < MR ? k.mc - is : MR);
    const float* bp;
    int64_t bs;
    if (k.direct_b && cols == NR) {
      bp = static_cast<const float*>(g.b) + k.p0 * g.ldb + j0;
      bs = g.ldb;
    } else {
      bp = k.bpack + (s - k.js0) * k.kc * NR;
      bs = NR;
    }
    const float* arow[MR];
    int64_t csa;
    if (k.direct_a) {
      // Rows past the end repeat the last valid row (computed, never stored).
      for (int r = 0; r < MR; ++r) {
        const int64_t i = k.i0 + is + (r < rows ? r : rows - 1);
        arow[r] = g.trans_a ? g.a + k.p0 * g.lda + i : g.a + i * g.lda + k.p0;
      }
      csa = g.trans_a ? g.lda : 1;
    } else {
      const float* ap = k.apack + is * k.kc;
      for (int r = 0; r < MR; ++r) arow[r] = ap + r;
      csa = MR;
    }
    float* c = g.c + (k.i0 + is) * g.ldc + j0;
    if (row_major_walk) {
      // Short K leaves a tile little time to hide the latency of its C lines: fetch the next tile's early.
      for (int r = 0; r < rows; ++r) __builtin_prefetch(c + r * g.ldc + NR, 1);
    } else if (is + MR < k.mc) {
      for (int r = 0; r < MR; ++r) __builtin_prefetch(c + (MR + r) * g.ldc, 1);
    }
    tile(k.kc, arow, csa, bp, bs, c, g.ldc, rows, cols, g.alpha, k.beta);
  }

  // The rectangle of task `task`: slivers [ms0, ms1) x [ns0, ns1).
  static void run_task(const Plan& pl, int64_t task, int thread) {
    const GemmArgs& g = *pl.g;
    const int64_t tm = task / pl.gn, tn = task % pl.gn;
    const int64_t ms0 = tm * pl.m_slivers / pl.gm, ms1 = (tm + 1) * pl.m_slivers / pl.gm;
    const int64_t ns0 = tn * pl.n_slivers / pl.gn, ns1 = (tn + 1) * pl.n_slivers / pl.gn;
    if (ms0 >= ms1 || ns0 >= ns1) return;
    const int64_t i_begin = ms0 * MR, i_end = ms1 * MR < g.m ? ms1 * MR : g.m;
    const int64_t rows_total = i_end - i_begin;

    // A block height: the task's rows cut evenly into blocks of at most MC_MAX (multiples of MR).
    const int64_t n_mblocks = (rows_total + MC_MAX - 1) / MC_MAX;
    int64_t mc_step = (rows_total + n_mblocks - 1) / n_mblocks;
    mc_step = (mc_step + MR - 1) / MR * MR;

    // Skinny shapes: an operand whose packed form would be used by only one or two tiles is read in place.
    const int64_t task_nslivers = ns1 - ns0;
    // (A stored K x M read in place steps by lda per k, which suits only a single sliver of columns.)
    // (The bf16 compute mode rounds operands while packing, so it always packs.)
    const bool direct_a = !g.bf16_ops && (g.trans_a ? task_nslivers == 1 : task_nslivers <= 2);
    const bool direct_b = !g.bf16_ops && !g.trans_b && g.b_type == DType::F32 && rows_total <= 3 * MR;

    float* apack = direct_a ? nullptr : static_cast<float*>(thread_scratch(thread, SCRATCH_A, sizeof(float) * MC_MAX * KC_MAX));
    const int64_t nc_max = (task_nslivers < NC / NR ? task_nslivers : NC / NR) * NR;
    float* bpack = static_cast<float*>(thread_scratch(thread, SCRATCH_B, sizeof(float) * static_cast<size_t>(nc_max * KC_MAX)));

    for (int64_t js0 = ns0; js0 < ns1; js0 += NC / NR) {
      const int64_t js1 = js0 + NC / NR < ns1 ? js0 + NC / NR : ns1;
      for (int64_t kp = 0; kp < pl.n_kpanels; ++kp) {
        const int64_t p0 = kpanel_begin(pl, kp);
        const int64_t kc = kpanel_begin(pl, kp + 1) - p0;
        const float beta = kp == 0 ? g.beta : 1.0f;
        // Pack this task's B panel (or, read in place, only its partial edge sliver).
        for (int64_t s = js0; s < js1; ++s) {
          const int64_t j0 = s * NR;
          const int cols = static_cast<int>(g.n - j0 < NR ? g.n - j0 : NR);
          if (direct_b && cols == NR) continue;
          pack_b(g, j0, cols, p0, kc, bpack + (s - js0) * kc * NR);
        }
        if (g.bf16_ops) round_panel_to_bf16(bpack, (js1 - js0) * kc * NR);
        for (int64_t i0 = i_begin; i0 < i_end; i0 += mc_step) {
          const int64_t mc = i_end - i0 < mc_step ? i_end - i0 : mc_step;
          if (!direct_a) pack_a(g, i0, mc, p0, kc, apack);
          if (g.bf16_ops) round_panel_to_bf16(apack, (mc + MR - 1) / MR * MR * kc);
          Block blk{&g, i0, mc, p0, kc, js0, beta, direct_a, direct_b, apack, bpack};
          if (kc <= SHORT_K && kc * (js1 - js0) * NR <= BPANEL_L2_FLOATS) {
            // Short K is bound by C traffic, and the B panel fits in L2: walk C row strip by row strip, so C
            // streams in address order while one A sliver stays in L1.
            for (int64_t is = 0; is < mc; is += MR) {
              for (int64_t s = js0; s < js1; ++s) block_tile(blk, is, s, s + 1 < js1);
            }
          } else {
            // BLIS order: one B sliver stays in L1 while the A block streams from L2.
            for (int64_t s = js0; s < js1; ++s) {
              for (int64_t is = 0; is < mc; is += MR) block_tile(blk, is, s, false);
            }
          }
        }
      }
    }
  }

  // Asks for the B sliver at column j0, k [p0, p0+kc) ahead of its use. A small-M product reads each weight once,
  // mostly from DRAM; with the NR rows of a transposed sliver read side by side, the hardware prefetchers do not
  // keep up, and the loop would wait on every line.
  static void prefetch_b_sliver(const GemmArgs& g, int64_t j0, int cols, int64_t p0, int64_t kc) {
    const int64_t esize = g.b_type == DType::BF16 ? 2 : 4;
    const char* b = static_cast<const char*>(g.b);
    if (g.trans_b) {
      for (int c = 0; c < cols; ++c) {
        const char* row = b + ((j0 + c) * g.ldb + p0) * esize;
        for (int64_t off = 0; off < kc * esize; off += 64) __builtin_prefetch(row + off, 0, 0);
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const char* row = b + ((p0 + p) * g.ldb + j0) * esize;
        for (int64_t off = 0; off < cols * esize; off += 64) __builtin_prefetch(row + off, 0, 0);
      }
    }
  }

  // The small-M path's task: column slivers [ns0, ns1) of all g.m (<= MR) rows.
  static void run_small_m_task(const Plan& pl, int64_t task, int thread) {
    const GemmArgs& g = *pl.g;
    const int64_t ns0 = task * pl.n_slivers / pl.gn, ns1 = (task + 1) * pl.n_slivers / pl.gn;
    const int rows = static_cast<int>(g.m);
    float* bsliver = static_cast<float*>(thread_scratch(thread, SCRATCH_B, sizeof(float) * NR * KC_MAX));
    const bool b_in_place = !g.trans_b && g.b_type == DType::F32;
    for (int64_t s = ns0; s < ns1; ++s) {
      const int64_t j0 = s * NR;
      const int cols = static_cast<int>(g.n - j0 < NR ? g.n - j0 : NR);
      for (int64_t kp = 0; kp < pl.n_kpanels; ++kp) {
        const int64_t p0 = kpanel_begin(pl, kp);
        const int64_t kc = kpanel_begin(pl, kp + 1) - p0;
        const float beta = kp == 0 ? g.beta : 1.0f;
        if (s + 1 < ns1) {
          const int64_t jn = j0 + NR;
          prefetch_b_sliver(g, jn, static_cast<int>(g.n - jn < NR ? g.n - jn : NR), p0, kc);
        }
        const float* bp = bsliver;
        int64_t bs = NR;
        if (b_in_place && cols == NR) {
          bp = static_cast<const float*>(g.b) + p0 * g.ldb + j0;
          bs = g.ldb;
        } else {
          pack_b(g, j0, cols, p0, kc, bsliver);
        }
        // Rows past the end repeat the last valid row (computed, never stored).
        const float* arow[MR];
        for (int r = 0; r < MR; ++r) {
          const int64_t i = r < rows ? r : rows - 1;
          arow[r] = g.trans_a ? g.a + p0 * g.lda + i : g.a + i * g.lda + p0;
        }
        const int64_t csa = g.trans_a ? g.lda : 1;
        float* c = g.c + j0;
        if constexpr (HasTileRows<UK>::value) {
          if (cols == NR && rows < MR) {
            UK::tile_rows(rows, kc, arow, csa, bp, bs, c, g.ldc, g.alpha, beta);
            continue;
          }
        }
        tile(kc, arow, csa, bp, bs, c, g.ldc, rows, cols, g.alpha, beta);
      }
    }
  }

  static void scale_c(const GemmArgs& g) {
    // K == 0: C = beta * C (beta == 0 clears C without reading it).
    for (int64_t i = 0; i < g.m; ++i) {
      float* row = g.c + i * g.ldc;
      for (int64_t j = 0; j < g.n; ++j) row[j] = g.beta == 0.0f ? 0.0f : g.beta * row[j];
    }
  }

  // Task grid: at least `target` tasks (dynamic scheduling evens out the threads), choosing the split that packs
  // the least (each of gn column ranges packs all of A once, each of gm row ranges all of B).
  static void choose_grid(Plan& pl, int threads) {
    const GemmArgs& g = *pl.g;
    pl.gm = 1;
    pl.gn = 1;
    if (threads <= 1) return;
    // About three tasks a thread; large products get more (up to 16 a thread, none under ~0.5 GFLOP), so that
    // a thread the OS preempts holds up only a small share of the work.
    const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
    int64_t target = 3 * static_cast<int64_t>(threads);
    const int64_t by_size = static_cast<int64_t>(flops / 5.0e8);
    if (by_size > target) target = by_size < 16 * threads ? by_size : 16 * static_cast<int64_t>(threads);
    if (g.k <= SHORT_K && pl.m_slivers >= target) {
      // Short K: packing is cheap and C traffic dominates; whole rows per task keep C streaming in long runs.
      pl.gm = target;
      return;
    }
    double best = -1.0;
    for (int64_t gm = 1; gm <= target; ++gm) {
      int64_t gn = (target + gm - 1) / gm;
      int64_t em = gm < pl.m_slivers ? gm : pl.m_slivers;
      int64_t en = gn < pl.n_slivers ? gn : pl.n_slivers;
      if (em * en < threads && !(em == pl.m_slivers && en == pl.n_slivers)) continue;
      const double cost = static_cast<double>(en) * static_cast<double>(g.m) + static_cast<double>(em) * static_cast<double>(g.n);
      // Prefer enough tasks to balance, then the least packing.
      const double balance = static_cast<double>(em * en >= target ? 0 : 1);
      const double score = balance * 1e30 + cost;
      if (best < 0 || score < best) {
        best = score;
        pl.gm = em;
        pl.gn = en;
      }
    }
  }

  static void run(const GemmArgs& g) {
    if (g.m == 0 || g.n == 0) return;
    if (g.k == 0) {
      scale_c(g);
      return;
    }
    Plan pl{};
    pl.g = &g;
    pl.n_kpanels = (g.k + KC_MAX - 1) / KC_MAX;
    pl.m_slivers = (g.m + MR - 1) / MR;
    pl.n_slivers = (g.n + NR - 1) / NR;
    const int threads = pool_threads();
    // Small problems are not worth waking the pool; the per-element arithmetic is the same either way.
    const bool parallel = threads > 1 && g.m * g.n * g.k >= (int64_t{1} << 18);
    choose_grid(pl, parallel ? threads : 1);
    if (g.m <= MR && !g.bf16_ops) {
      // (The grid of one row sliver splits the columns only.)
      auto body = [&pl](int64_t task, int thread) { run_small_m_task(pl, task, thread); };
      parallel_for(pl.gm * pl.gn, body);
      return;
    }
    auto body = [&pl](int64_t task, int thread) { run_task(pl, task, thread); };
    // Always through the pool: a single task runs inline there, with the thread index of the caller (which
    // matters for scratch space when a kernel calls GEMM from inside its own parallel task).
    parallel_for(pl.gm * pl.gn, body);
  }
};
