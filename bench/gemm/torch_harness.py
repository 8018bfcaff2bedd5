"""PyTorch peer for bench/gemm: times torch.mm (MKL / oneDNN on PyPI torch's CPU build) on the shapes given and
prints, after a first line naming the build, one line per shape: "form m n k gflops t1 t2 ..." (GFLOPS of the
median run after two warm-up runs, then every timed run's seconds, sorted), as openblas_harness.c does.

Usage: python torch_harness.py RUNS THREADS DTYPE form:m:n:k [form:m:n:k ...]
  DTYPE = f32 | bf16 (both operands and C in bfloat16: oneDNN's bf16 GEMM, f32 accumulation)
  form  = y (X·Wᵀ, W stored [n, k]) | dx (dY·W, W stored [k, n]) | dw (dYᵀ·X, dY stored [k, m])
"""
import sys
import time

import torch


def operand(rows, cols, seed, dtype):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(rows, cols, generator=g) - 0.5).to(dtype)


def main():
    runs, threads, dtype_name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    dtype = torch.bfloat16 if dtype_name == "bf16" else torch.float32
    torch.set_num_threads(threads)
    print(f"torch {torch.__version__} mkl {torch.backends.mkl.is_available()} mkldnn {torch.backends.mkldnn.is_available()} "
          f"threads {torch.get_num_threads()} {dtype_name}")
    for spec in sys.argv[4:]:
        form, m, n, k = spec.split(":")
        m, n, k = int(m), int(n), int(k)
        # The same stored layouts as loraforge's three forms (row-major); .t() is a view, as a linear layer uses it.
        if form == "y":
            a, b = operand(m, k, 1, dtype), operand(n, k, 2, dtype).t()
        elif form == "dx":
            a, b = operand(m, k, 1, dtype), operand(k, n, 2, dtype)
        else:
            a, b = operand(k, m, 1, dtype).t(), operand(k, n, 2, dtype)
        c = torch.empty(m, n, dtype=dtype)
        for _ in range(2):
            torch.mm(a, b, out=c)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            torch.mm(a, b, out=c)
            times.append(time.perf_counter() - t0)
        times.sort()
        gflops = 2.0 * m * n * k / times[len(times) // 2] / 1e9
        print(form, m, n, k, f"{gflops:.2f}", " ".join(f"{t:.9f}" for t in times))


if __name__ == "__main__":
    main()
