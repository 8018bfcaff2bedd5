// The fused 4-bit products. The weight is decoded tile by tile into a per-thread f32 panel (each 4-bit code is
// read once per product) and the panel is multiplied with the GEMM library's own kernel (kernels().gemm, run
// inline inside the task). Tasks split the output columns only, never K, and their shapes depend only on the
// problem, so results are bit-identical for any thread count. M = 1 (decoding) takes a matrix-vector path that
// decodes one weight row at a time and reduces it against x.
// (Version 1 of the compute: the GEMM library's kernel on decoded panels, not a micro-kernel of our own.)
#include <cstdlib>
#include <cstring>

#include "dispatch.h"
#include "nf4/quant4.h"
#include "thread_pool.h"

namespace lf {
namespace {

// Decoded panel per thread: 4 MiB, so that even with K (or the row count) in the thousands a task hands the GEMM
// a few hundred output columns and the per-row decode calls are amortized.
constexpr int64_t kPanelFloats = int64_t{1} << 20;
constexpr int64_t kColumnPanelFloats = int64_t{1} << 20;

// The decoded panel lives in a buffer of our own per thread, not in a thread_scratch slot: the GEMM that runs
// inside our task uses the pool's slots, and which ones is its business.
struct PanelBuffer {
  float* data = nullptr;
  size_t floats = 0;
  ~PanelBuffer() { std::free(data); }
  float* get(size_t n) {
    if (n > floats) {
      std::free(data);
      data = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      if (!data) std::abort();
      floats = n;
    }
    return data;
  }
};

float* panel_buffer(int64_t floats) {
  static thread_local PanelBuffer buffer;
  return buffer.get(static_cast<size_t>(floats > 0 ? floats : 1));
}

// The avx512 path decodes with the AVX2 routines (it includes AVX2).
bool use_avx2() { return std::strcmp(kernels().name, "portable") != 0; }
Quant4DecodeFn decode_fn() { return use_avx2() ? quant4_decode_avx2 : quant4_decode_portable; }
Quant4DotFn dot_fn() { return use_avx2() ? quant4_dot_avx2 : quant4_dot_portable; }

// Rows (XWt) or columns (DyW) of W per task, from the shape only (so results never depend on the thread count):
// at most what the panel budget allows (`tile x other` floats, 16..512), and at least 8 tasks when each can
// still get 64, split evenly so the last task is not a sliver; a multiple of 16.
int64_t tile_size(int64_t budget, int64_t other, int64_t total) {
  int64_t cap = budget / (other > 0 ? other : 1);
  cap = cap < 16 ? 16 : (cap > 512 ? 512 : cap);
  cap -= cap % 16;
  int64_t tasks = (total + cap - 1) / cap;
  const int64_t wide = total / 64;
  if (tasks < 8 && wide > tasks) tasks = wide < 8 ? wide : 8;
  int64_t t = (total + tasks - 1) / tasks;
  t = (t + 15) / 16 * 16;
  if (t > cap) t = cap;
  return t < total ? t : total;
}

void gemv(int64_t n_rows_task, const float* x, const Quant4Weight& w, float* y, float beta) {
  const Quant4DecodeFn decode = decode_fn();
  const Quant4DotFn dot = dot_fn();
  const int64_t tasks = (w.rows + n_rows_task - 1) / n_rows_task;
  auto body = [&](int64_t task, int) {
    float* row = panel_buffer(w.cols);
    const int64_t r0 = task * n_rows_task;
    const int64_t r1 = r0 + n_rows_task < w.rows ? r0 + n_rows_task : w.rows;
    for (int64_t r = r0; r < r1; ++r) {
      decode(w, r * w.cols, w.cols, row);
      const float v = dot(x, row, w.cols);
      y[r] = beta == 0.0f ? v : v + beta * y[r];
    }
  };
  parallel_for(tasks, body);
}

}  // namespace

void quant4_dequantize(const Quant4Weight& w, int64_t start, int64_t count, float* out) { decode_fn()(w, start, count, out); }

void quant4_gemm(Quant4Mode mode, int64_t m, const float* a, const Quant4Weight& w, float* c, float beta) {
  if (m == 0 || w.rows == 0 || w.cols == 0) {
    if (beta != 1.0f) {
      const int64_t n = mode == Quant4Mode::XWt ? w.rows : w.cols;
      for (int64_t i = 0; i < m * n; ++i) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    }
    return;
  }
  if (mode == Quant4Mode::XWt && m == 1) {
    gemv(16, a, w, c, beta);
    return;
  }
  const Quant4DecodeFn decode = decode_fn();
  const GemmFn gemm = kernels().gemm;
  if (mode == Quant4Mode::XWt) {
    // C[:, r0:r1] = A · W[r0:r1, :]^T; the panel is rows r0..r1 of W, contiguous in the flattened tensor.
    const int64_t tile = tile_size(kPanelFloats, w.cols, w.rows);
    const int64_t tasks = (w.rows + tile - 1) / tile;
    auto body = [&](int64_t task, int) {
      const int64_t r0 = task * tile;
      const int64_t nr = r0 + tile < w.rows ? tile : w.rows - r0;
      float* panel = panel_buffer(tile * w.cols);
      decode(w, r0 * w.cols, nr * w.cols, panel);
      GemmArgs g{m, nr, w.cols, a, w.cols, false, panel, w.cols, true, DType::F32, c + r0, w.rows, 1.0f, beta};
      gemm(g);
    };
    parallel_for(tasks, body);
  } else {
    // C[:, k0:k1] = A · W[:, k0:k1]; the panel is that column slice of every row of W.
    const int64_t tile = tile_size(kColumnPanelFloats, w.rows, w.cols);
    const int64_t tasks = (w.cols + tile - 1) / tile;
    auto body = [&](int64_t task, int) {
      const int64_t k0 = task * tile;
      const int64_t nk = k0 + tile < w.cols ? tile : w.cols - k0;
      float* panel = panel_buffer(tile * w.rows);
      for (int64_t r = 0; r < w.rows; ++r) decode(w, r * w.cols + k0, nk, panel + r * nk);
      GemmArgs g{m, nk, w.rows, a, w.rows, false, panel, nk, false, DType::F32, c + k0, w.cols, 1.0f, beta};
      gemm(g);
    };
    parallel_for(tasks, body);
  }
}

}  // namespace lf
