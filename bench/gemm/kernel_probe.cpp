// Where the avx512 f32 GEMM's time goes, one thread: the one-core zmm FMA peak (12 independent chains); the
// macro-kernel as the driver runs it (a packed A block against a packed B panel, the product's 8x32 micro-kernel);
// candidate register tiles of other shapes, alone on L1-resident slivers and as a macro-kernel; whole products beside
// the time their packing alone takes. Each figure is the best of 9 windows of at least 30 ms of thread CPU time (on a
// shared machine the least disturbed window is the closest to what the code can do). Not part of the build or the
// tests; docs/performance.md says what it showed. Build and run from the repository root:
//
//   g++ -std=c++17 -O3 -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512bf16 -Inative/src
//       bench/gemm/kernel_probe.cpp native/src/thread_pool.cpp native/src/cpu_features.cpp -lpthread -o /tmp/probe
//   /tmp/probe
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

#include "avx512/gemm_avx512.cpp"

namespace lf::avx2 {
void gemm(const GemmArgs&) {}  // the avx512 path hands N <= 16 to AVX2; no case here has it
}  // namespace lf::avx2

namespace {

using lf::GemmArgs;
using lf::avx512::GemmDriver;
using lf::avx512::MicroKernel;

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Best GFLOPS of 9 windows of repeated calls of f (which does `flops` work), each at least 30 ms of CPU time.
template <typename F>
double gflops(double flops, F&& f) {
  f();
  double best = 0;
  for (int r = 0; r < 9; ++r) {
    int calls = 0;
    double dt = 0;
    const double t0 = cpu_now();
    do {
      f();
      ++calls;
      dt = cpu_now() - t0;
    } while (dt < 0.03);
    best = std::max(best, flops * calls / dt / 1e9);
  }
  return best;
}

std::vector<float> randoms(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
  }
  return v;
}

float* aligned(size_t n) { return static_cast<float*>(std::aligned_alloc(64, (n * 4 + 63) / 64 * 64)); }

double peak() {
  return gflops(2.0 * 16 * 12 * 200000, [] {
    __m512 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < 200000; ++it) {
#pragma GCC unroll 12
      for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
    }
    // Every chain feeds the result, or the compiler drops the unused ones.
    __m512 sum = acc[0];
    for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, acc[i]);
    volatile float sink = _mm512_reduce_add_ps(sum);
    (void)sink;
  });
}

// Candidate register tiles MRt x (16·NV) on packed slivers (A: MRt floats per k, B: 16·NV per k), stored as the
// product kernel stores (C = alpha·acc + beta·C), to compare shapes on this CPU.
template <int MRt, int NV>
void candidate_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc) {
  __m512 acc[MRt][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MRt; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < kc; ++p, a += MRt, b += 16 * NV) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MRt; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
  const __m512 va = _mm512_set1_ps(1.0f), vb = _mm512_set1_ps(1.0f);
#pragma GCC unroll 16
  for (int r = 0; r < MRt; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      float* q = c + r * ldc + 16 * v;
      _mm512_storeu_ps(q, _mm512_fmadd_ps(vb, _mm512_loadu_ps(q), _mm512_mul_ps(acc[r][v], va)));
    }
  }
}

// Random A [mc × kc] and B [n × kc] panels and a zeroed C [mc × n], freed with the struct.
struct Panels {
  float *a, *b, *c;
  Panels(int64_t mc, int64_t n, int64_t kc) : a(aligned(mc * kc)), b(aligned(n * kc)), c(aligned(mc * n)) {
    std::copy_n(randoms(mc * kc, 1).data(), mc * kc, a);
    std::copy_n(randoms(n * kc, 2).data(), n * kc, b);
    std::fill_n(c, mc * n, 0.0f);
  }
  ~Panels() {
    std::free(a);
    std::free(b);
    std::free(c);
  }
};

// A candidate alone in L1 (kc deep), and as a macro-kernel over a 144-row A block and a 576-column B panel.
template <int MRt, int NV>
void candidate(int64_t kc, double pk) {
  constexpr int NRt = 16 * NV;
  const int64_t mc = 144 / MRt * MRt, n = 576 / NRt * NRt;
  const Panels p(mc, n, kc);
  float *a = p.a, *b = p.b, *c = p.c;
  const int reps = 2000;
  const double alone = gflops(2.0 * MRt * NRt * kc * reps, [&] {
    for (int i = 0; i < reps; ++i) candidate_tile<MRt, NV>(kc, a, b, c, NRt);
  });
  const double macro = gflops(2.0 * mc * n * kc, [&] {
    for (int64_t j = 0; j < n; j += NRt) {
      for (int64_t i = 0; i < mc; i += MRt) candidate_tile<MRt, NV>(kc, a + i * kc, b + j * kc, c + i * n + j, n);
    }
  });
  std::printf("candidate %2dx%-2d kc %3ld: alone (L1) %5.1f%%, macro %ldx%ld.%ldx%ld %5.1f%% of peak\n", MRt, NRt,
              static_cast<long>(kc), 100 * alone / pk, static_cast<long>(mc), static_cast<long>(kc),
              static_cast<long>(kc), static_cast<long>(n), 100 * macro / pk);
}

// The macro-kernel as the driver runs it (BLIS order: a B sliver in L1, the A block from L2), operands packed.
double block_alone(int64_t mc, int64_t n, int64_t kc) {
  constexpr int MR = MicroKernel::MR, NR = MicroKernel::NR;
  const Panels p(mc, n, kc);
  float *a = p.a, *b = p.b, *c = p.c;
  const double g = gflops(2.0 * mc * n * kc, [&] {
    for (int64_t j = 0; j < n; j += NR) {
      for (int64_t i = 0; i < mc; i += MR) {
        const float* arow[MR];
        for (int r = 0; r < MR; ++r) arow[r] = a + i * kc + r;
        MicroKernel::tile(kc, arow, MR, b + j * kc, NR, c + i * n + j, n, 1.0f, 1.0f);
      }
    }
  });
  return g;
}

struct Shape {
  const char* name;
  char form;  // 'y', 'x' (dX), 'w' (dW)
  int64_t m, n, k;
};

GemmArgs args(const Shape& s, const float* a, const float* b, float* c) {
  GemmArgs g{};
  g.m = s.m;
  g.n = s.n;
  g.k = s.k;
  g.a = a;
  g.trans_a = s.form == 'w';
  g.lda = g.trans_a ? s.m : s.k;
  g.b = b;
  g.trans_b = s.form == 'y';
  g.ldb = g.trans_b ? s.k : s.n;
  g.b_type = lf::DType::F32;
  g.c = c;
  g.ldc = s.n;
  g.alpha = 1.0f;
  g.beta = 0.0f;
  return g;
}

// Whole products, and the share of their time that packing A and B alone takes.
void products(const std::vector<Shape>& shapes, double pk) {
  using D = GemmDriver<MicroKernel>;
  for (const Shape& s : shapes) {
    auto a = randoms(s.m * s.k, 1), b = randoms(s.k * s.n, 2);
    std::vector<float> c(s.m * s.n);
    const GemmArgs g = args(s, a.data(), b.data(), c.data());
    const double flops = 2.0 * s.m * s.n * s.k;
    const double run = gflops(flops, [&] { D::run(g); });
    // Packing as a task of the whole product does it: B once per K panel, A once per K panel and NC chunk.
    float* ap = aligned(D::MC_MAX * D::KC_MAX);
    float* bp = aligned(D::NR * D::KC_MAX);
    const int64_t nkp = (s.k + D::KC_MAX - 1) / D::KC_MAX, nchunks = (s.n + D::NC - 1) / D::NC;
    const double pack = gflops(flops, [&] {
      for (int64_t kp = 0; kp < nkp; ++kp) {
        const int64_t p0 = kp * s.k / nkp, kc = (kp + 1) * s.k / nkp - p0;
        for (int64_t j = 0; j < s.n; j += D::NR) D::pack_b(g, j, D::NR, p0, kc, bp);
        for (int64_t ch = 0; ch < nchunks; ++ch) {
          for (int64_t i = 0; i < s.m; i += D::MC_MAX) D::pack_a(g, i, std::min(D::MC_MAX, s.m - i), p0, kc, ap);
        }
      }
    });
    std::printf("%-22s %c  %6.1f GFLOPS  %5.1f%% of peak   packing alone %4.1f%% of the run's time\n", s.name, s.form,
                run, 100 * run / pk, 100 * run / pack);
    std::free(ap);
    std::free(bp);
  }
}

}  // namespace

int main() {
  lf::set_pool_threads(1);
  const double pk = peak();
  std::printf("zmm FMA peak (12 chains): %.1f GFLOPS\n", pk);
  // N = 576: the B panel (and C) stay in L2; 1536 and 3072: they do not.
  for (int64_t n : {576, 1536, 3072}) {
    for (int64_t kc : {192, 320}) {
      const double t = block_alone(144, n, kc);
      std::printf("macro-kernel 144 x %3ld . %3ld x %4ld (packed): %6.1f GFLOPS  %5.1f%%\n", static_cast<long>(kc),
                  static_cast<long>(kc), static_cast<long>(n), t, 100 * t / pk);
    }
  }
  for (int64_t kc : {192, 320}) {
    candidate<8, 2>(kc, pk);
    candidate<12, 2>(kc, pk);
    candidate<14, 2>(kc, pk);
    candidate<6, 4>(kc, pk);
    candidate<4, 4>(kc, pk);
  }
  const std::vector<Shape> shapes = {
      {"mlp 576->1536", 'y', 512, 1536, 576},  {"mlp 576->1536", 'x', 512, 576, 1536},
      {"mlp 576->1536", 'w', 1536, 576, 512},  {"mlp 1536->576", 'y', 512, 576, 1536},
      {"mlp 1536->576", 'x', 512, 1536, 576},  {"mlp 1536->576", 'w', 576, 1536, 512},
      {"square 1024", 'y', 1024, 1024, 1024},  {"lm_head 576->49152", 'y', 512, 49152, 576},
  };
  products(shapes, pk);
  return 0;
}
