/* OpenBLAS peer for bench/gemm: times cblas_sgemm on the shapes given on the command line and prints one line
 * per shape: "form m n k gflops t1 t2 ..." (GFLOPS of the median run after two warm-up runs, then every timed
 * run's seconds, sorted).
 * Usage: openblas_harness RUNS form:m:n:k [form:m:n:k ...]   form = y (X*W^T) | dx (dY*W) | dw (dY^T*X)
 * Build: gcc -O2 openblas_harness.c -o openblas_harness -lopenblas
 * The first line printed is "core <name>" from openblas_get_corename(). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char* openblas_get_corename(void);
int openblas_get_num_threads(void);

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static float* random_matrix(size_t n, unsigned seed) {
  float* p = (float*)malloc(n * sizeof(float));
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    p[i] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
  }
  return p;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s RUNS form:m:n:k ...\n", argv[0]);
    return 2;
  }
  int runs = atoi(argv[1]);
  if (runs < 1) runs = 7;
  printf("core %s threads %d\n", openblas_get_corename(), openblas_get_num_threads());
  for (int s = 2; s < argc; ++s) {
    char form[8];
    long m, n, k;
    if (sscanf(argv[s], "%7[a-z]:%ld:%ld:%ld", form, &m, &n, &k) != 4) {
      fprintf(stderr, "bad shape %s\n", argv[s]);
      return 2;
    }
    /* Same operand layouts as loraforge's three forms (row-major). */
    int trans_a = strcmp(form, "dw") == 0;
    int trans_b = strcmp(form, "y") == 0;
    float* a = random_matrix((size_t)m * (size_t)k, 1u);
    float* b = random_matrix((size_t)k * (size_t)n, 2u);
    float* c = random_matrix((size_t)m * (size_t)n, 3u);
    int lda = trans_a ? (int)m : (int)k;
    int ldb = trans_b ? (int)k : (int)n;
    double* t = (double*)malloc((size_t)runs * sizeof(double));
    for (int r = -2; r < runs; ++r) {
      double t0 = now_s();
      cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)m,
                  (int)n, (int)k, 1.0f, a, lda, b, ldb, 0.0f, c, (int)n);
      double dt = now_s() - t0;
      if (r >= 0) t[r] = dt;
    }
    qsort(t, (size_t)runs, sizeof(double), cmp_double);
    double med = t[runs / 2];
    printf("%s %ld %ld %ld %.2f", form, m, n, k, 2.0 * (double)m * (double)n * (double)k / med * 1e-9);
    for (int r = 0; r < runs; ++r) printf(" %.9f", t[r]);
    printf("\n");
    fflush(stdout);
    free(t);
    free(a);
    free(b);
    free(c);
  }
  return 0;
}
