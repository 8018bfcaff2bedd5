/* The f32 FMA peak of one core, for bench/gemm's efficiency figures: GFLOPS of 12 independent chains of
 * VFMADD231PS (ymm: AVX2, zmm: AVX-512), enough to cover the FMA latency on two pipes (and few enough for the 16 ymm registers), median of 31 runs of ~2 ms (as short as a GEMM call, so both see the same share of a busy core).
 * Usage: fma_peak avx2|avx512 (the CPU must have it)   Build: gcc -O2 -mavx2 -mfma -mavx512f fma_peak.c -o fma_peak
 * Prints "<isa> GFLOPS". */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

#define ITERS 200000L
#define CHAINS(T, SET1, FMA, STORE, LANES)                                                    \
  {                                                                                         \
    T acc[12];                                                                              \
    for (int i = 0; i < 12; ++i) acc[i] = SET1(1.0f + i * 1e-3f);                           \
    const T x = SET1(0.999999f), y = SET1(1e-7f);                                           \
    const double t0 = now_s();                                                              \
    for (long it = 0; it < ITERS; ++it) {                                                   \
      _Pragma("GCC unroll 12") for (int i = 0; i < 12; ++i) acc[i] = FMA(acc[i], x, y);        \
    }                                                                                       \
    const double dt = now_s() - t0;                                                         \
    float sink[LANES];                                                                      \
    T sum = acc[0];                                                                         \
    for (int i = 1; i < 12; ++i) sum = FMA(sum, x, acc[i]);                                 \
    STORE(sink, sum);                                                                       \
    if (sink[0] == 12345.0f) printf("!");                                                   \
    gflops = 2.0 * LANES * 12 * ITERS / dt / 1e9;                                           \
  }

static double run(int wide) {
  double gflops = 0;
  if (wide) {
    CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps, 16)
  } else {
    CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps, 8)
  }
  return gflops;
}

int main(int argc, char** argv) {
  if (argc != 2 || (strcmp(argv[1], "avx2") != 0 && strcmp(argv[1], "avx512") != 0)) {
    fprintf(stderr, "usage: %s avx2|avx512\n", argv[0]);
    return 2;
  }
  const int wide = strcmp(argv[1], "avx512") == 0;
  double g[31];
  for (int r = 0; r < 31; ++r) g[r] = run(wide);
  qsort(g, 31, sizeof(double), cmp_double);
  printf("%s %.1f\n", argv[1], g[15]);
  return 0;
}
