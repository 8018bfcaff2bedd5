// Cache-blocked, packed GEMM driver (the BLIS loop nest), shared by the ISA paths. Each ISA translation unit
// includes this header inside its own namespace and supplies a micro-kernel type `UK` with:
//   static constexpr int MR, NR;              register tile (rows x columns of C)
//   static void tile(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha,
//                    float beta);            C[MR,NR] = alpha * Ap * Bp + beta * C   (beta == 0: C not read)
// Packed layouts: an A sliver is kc groups of MR floats (k-major); a B sliver is kc groups of NR floats.
// Threads split the output into tiles; a tile's K loop always runs in the same order, so the result does not
// depend on the thread count.
//
// Requires before inclusion: <cstdint>, <cstring>, "gemm.h", "thread_pool.h".

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

template <typename UK>
struct GemmDriver {
  static constexpr int MR = UK::MR;
  static constexpr int NR = UK::NR;
  static constexpr int64_t KC = 256;  // k depth of a packed panel: A and B slivers stay in L1
  static constexpr int64_t MC = 96;   // rows of a packed A block (multiple of MR): stays in L2
  static constexpr int64_t NC = 3072;  // columns of a packed B panel (multiple of NR): stays in L3

  // Packs rows [i0, i0+mc) x k [p0, p0+kc) of op(A) into MR-row slivers, zero-padding the last one.
  static void pack_a(const GemmArgs& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
    for (int64_t is = 0; is < mc; is += MR) {
      const int64_t rows = mc - is < MR ? mc - is : MR;
      float* dst = out + is * kc;
      if (g.trans_a) {
        // A stored K x M: the MR values of one k are contiguous.
        for (int64_t p = 0; p < kc; ++p) {
          const float* src = g.a + (p0 + p) * g.lda + i0 + is;
          int64_t r = 0;
          for (; r < rows; ++r) dst[p * MR + r] = src[r];
          for (; r < MR; ++r) dst[p * MR + r] = 0.0f;
        }
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
  static inline float load_b(const T* b, int64_t idx) {
    if constexpr (sizeof(T) == 2) {
      return bf16_to_f32(b[idx]);
    } else {
      return b[idx];
    }
  }

  // Packs one NR-column sliver (columns [j0, j0+cols) of op(B), k [p0, p0+kc)), zero-padding missing columns.
  template <typename T>
  static void pack_b_sliver(const GemmArgs& g, const T* b, int64_t j0, int64_t cols, int64_t p0, int64_t kc,
                            float* dst) {
    if (g.trans_b) {
      // B stored N x K: each column of op(B) is a contiguous row of B.
      for (int64_t c = 0; c < NR; ++c) {
        if (c < cols) {
          const T* src = b + (j0 + c) * g.ldb + p0;
          for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = load_b(src, p);
        } else {
          for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = 0.0f;
        }
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const T* src = b + (p0 + p) * g.ldb + j0;
        int64_t c = 0;
        for (; c < cols; ++c) dst[p * NR + c] = load_b(src, c);
        for (; c < NR; ++c) dst[p * NR + c] = 0.0f;
      }
    }
  }

  // C tile update for a tile that may be partial (rows < MR or cols < NR): run the full tile into a buffer.
  static void edge_tile(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int rows, int cols,
                        float alpha, float beta) {
    alignas(64) float buf[MR * NR];
    UK::tile(kc, ap, bp, buf, NR, alpha, 0.0f);
    for (int r = 0; r < rows; ++r) {
      for (int cc = 0; cc < cols; ++cc) {
        float v = buf[r * NR + cc];
        c[r * ldc + cc] = beta == 0.0f ? v : v + beta * c[r * ldc + cc];
      }
    }
  }

  struct Job {
    const GemmArgs* g;
    int64_t jc, nc, pc, kc;
    float beta;          // beta for this K panel (the caller's on the first panel, 1 afterwards)
    float* bpack;        // packed B panel: ceil(nc/NR) slivers of kc*NR floats
    int64_t n_slivers;   // slivers in the panel
    int64_t m_blocks;    // row blocks of MC
    int64_t n_groups;    // sliver groups per row block
  };

  template <typename T>
  static void pack_b_task(const Job& job, int64_t s) {
    const GemmArgs& g = *job.g;
    const int64_t j0 = job.jc + s * NR;
    const int64_t cols = job.jc + job.nc - j0 < NR ? job.jc + job.nc - j0 : NR;
    pack_b_sliver<T>(g, static_cast<const T*>(g.b), j0, cols, job.pc, job.kc, job.bpack + s * job.kc * NR);
  }

  static void compute_task(const Job& job, int64_t task, int thread) {
    const GemmArgs& g = *job.g;
    const int64_t mb = task / job.n_groups;
    const int64_t ng = task % job.n_groups;
    const int64_t i0 = mb * MC;
    const int64_t mc = g.m - i0 < MC ? g.m - i0 : MC;
    const int64_t per_group = (job.n_slivers + job.n_groups - 1) / job.n_groups;
    const int64_t s_begin = ng * per_group;
    const int64_t s_end = s_begin + per_group < job.n_slivers ? s_begin + per_group : job.n_slivers;
    if (s_begin >= s_end) return;

    float* apack = static_cast<float*>(thread_scratch(thread, 0, sizeof(float) * MC * KC));
    pack_a(g, i0, mc, job.pc, job.kc, apack);

    for (int64_t s = s_begin; s < s_end; ++s) {
      const int64_t j0 = job.jc + s * NR;
      const int cols = static_cast<int>(job.jc + job.nc - j0 < NR ? job.jc + job.nc - j0 : NR);
      const float* bp = job.bpack + s * job.kc * NR;
      for (int64_t is = 0; is < mc; is += MR) {
        const int rows = static_cast<int>(mc - is < MR ? mc - is : MR);
        float* c = g.c + (i0 + is) * g.ldc + j0;
        const float* ap = apack + is * job.kc;
        if (rows == MR && cols == NR) {
          UK::tile(job.kc, ap, bp, c, g.ldc, g.alpha, job.beta);
        } else {
          edge_tile(job.kc, ap, bp, c, g.ldc, rows, cols, g.alpha, job.beta);
        }
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

  static void run(const GemmArgs& g) {
    if (g.m == 0 || g.n == 0) return;
    if (g.k == 0) {
      scale_c(g);
      return;
    }
    const int threads = pool_threads();
    // Small problems are not worth waking the pool; the per-tile arithmetic is the same either way.
    const bool parallel = threads > 1 && g.m * g.n * g.k >= (int64_t{1} << 15);
    const int64_t m_blocks = (g.m + MC - 1) / MC;
    for (int64_t jc = 0; jc < g.n; jc += NC) {
      const int64_t nc = g.n - jc < NC ? g.n - jc : NC;
      const int64_t n_slivers = (nc + NR - 1) / NR;
      // Enough tasks to balance the threads: split each row block's slivers into groups when rows are few.
      int64_t n_groups = 1;
      if (parallel) {
        const int64_t want = 4 * threads;
        n_groups = (want + m_blocks - 1) / m_blocks;
        if (n_groups > n_slivers) n_groups = n_slivers;
      }
      for (int64_t pc = 0; pc < g.k; pc += KC) {
        const int64_t kc = g.k - pc < KC ? g.k - pc : KC;
        float* bpack = static_cast<float*>(thread_scratch(0, 1, sizeof(float) * static_cast<size_t>(n_slivers * kc * NR)));
        Job job{&g, jc, nc, pc, kc, pc == 0 ? g.beta : 1.0f, bpack, n_slivers, m_blocks, n_groups};
        auto pack = [&job](int64_t s, int) {
          if (job.g->b_type == DType::BF16) {
            pack_b_task<uint16_t>(job, s);
          } else {
            pack_b_task<float>(job, s);
          }
        };
        auto compute = [&job](int64_t task, int thread) { compute_task(job, task, thread); };
        if (parallel) {
          parallel_for(n_slivers, pack);
          parallel_for(m_blocks * n_groups, compute);
        } else {
          for (int64_t s = 0; s < n_slivers; ++s) pack(s, 0);
          for (int64_t t = 0; t < m_blocks * n_groups; ++t) compute(t, 0);
        }
      }
    }
  }
};
