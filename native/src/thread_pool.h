// A persistent pool of worker threads. Work is split into numbered tasks; which thread runs a task never
// changes what the task computes, so kernels that keep their reduction order inside a task give bit-identical
// results for any thread count.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lf {

// A task body: `ctx` is the caller's state, `task` the task index, `thread` the index (0..threads-1) of the
// thread running it, for per-thread scratch space.
using TaskFn = void (*)(void* ctx, int64_t task, int thread);

// Runs fn(ctx, t, thread) for t in [0, n_tasks) on the pool (the calling thread takes part) and returns when
// all are done. Calls from several threads are serialized; a call from inside a task runs inline. Tasks start in
// increasing order, each once claimed, so a task may wait for one numbered below it (the attention backward does).
void parallel_run(int64_t n_tasks, TaskFn fn, void* ctx);

int pool_threads();
// Resizes the pool (n >= 1). Not to be called while a parallel_run is in flight.
void set_pool_threads(int n);

// Per-thread scratch memory, 64-byte aligned, kept between calls. `slot` lets one kernel hold several buffers.
// Only valid inside a task on thread `thread` (or on the caller outside parallel_run, thread 0).
void* thread_scratch(int thread, int slot, size_t bytes);

// Convenience for kernels: parallel_for over a lambda without std::function (keeps ISA-specific translation
// units free of shared template instantiations that the linker could merge across ISAs).
template <typename F>
inline void parallel_for(int64_t n_tasks, F& body) {
  parallel_run(
      n_tasks, [](void* ctx, int64_t task, int thread) { (*static_cast<F*>(ctx))(task, thread); }, &body);
}

}  // namespace lf
