#include "thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include "cpu_features.h"

namespace lf {
namespace {

struct ScratchBuffer {
  void* ptr = nullptr;
  size_t bytes = 0;
};

constexpr int kScratchSlots = 8;

class Pool {
 public:
  explicit Pool(int n) { start(n); }
  ~Pool() { stop(); }

  int size() const { return n_threads_; }

  void resize(int n) {
    std::lock_guard<std::mutex> call_lock(call_mutex_);
    stop();
    start(n);
  }

  void run(int64_t n_tasks, TaskFn fn, void* ctx) {
    if (n_tasks <= 0) return;
    if (in_task_ || n_threads_ == 1 || n_tasks == 1) {
      // Inline: nested calls, or nothing to share. Thread index stays the caller's (0 outside the pool).
      int thread = in_task_ ? current_thread_ : 0;
      for (int64_t t = 0; t < n_tasks; ++t) fn(ctx, t, thread);
      return;
    }
    std::lock_guard<std::mutex> call_lock(call_mutex_);
    fn_ = fn;
    ctx_ = ctx;
    n_tasks_ = n_tasks;
    next_task_.store(0, std::memory_order_relaxed);
    workers_left_.store(n_threads_ - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    work(0);
    // Wait for the workers to leave this generation's task loop.
    while (workers_left_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }

  void* scratch(int thread, int slot, size_t bytes) {
    ScratchBuffer& buf = scratch_[static_cast<size_t>(thread) * kScratchSlots + slot];
    if (buf.bytes < bytes) {
      ::operator delete(buf.ptr, std::align_val_t(64));
      buf.ptr = ::operator new(bytes, std::align_val_t(64));
      buf.bytes = bytes;
    }
    return buf.ptr;
  }

 private:
  void start(int n) {
    n_threads_ = n < 1 ? 1 : n;
    scratch_.assign(static_cast<size_t>(n_threads_) * kScratchSlots, ScratchBuffer{});
    quit_ = false;
    // Workers start from the current generation, so a run() issued before a worker is scheduled still counts.
    const uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i, gen] { worker_loop(i, gen); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    for (auto& buf : scratch_) ::operator delete(buf.ptr, std::align_val_t(64));
    scratch_.clear();
  }

  void work(int thread) {
    in_task_ = true;
    current_thread_ = thread;
    for (;;) {
      int64_t t = next_task_.fetch_add(1, std::memory_order_relaxed);
      if (t >= n_tasks_) break;
      fn_(ctx_, t, thread);
    }
    in_task_ = false;
  }

  void worker_loop(int thread, uint64_t seen) {
    for (;;) {
      // Spin briefly before sleeping: kernels are called back to back during a training step.
      uint64_t gen = seen;
      for (int spin = 0; spin < 20000; ++spin) {
        gen = generation_.load(std::memory_order_acquire);
        if (gen != seen) break;
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        gen = generation_.load(std::memory_order_acquire);
      }
      seen = gen;
      if (quit_) return;
      work(thread);
      workers_left_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::vector<ScratchBuffer> scratch_;
  std::mutex call_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> next_task_{0};
  std::atomic<int> workers_left_{0};
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_tasks_ = 0;
  bool quit_ = false;
  static thread_local bool in_task_;
  static thread_local int current_thread_;
};

thread_local bool Pool::in_task_ = false;
thread_local int Pool::current_thread_ = 0;

int initial_threads() {
  const char* env = std::getenv("LORAFORGE_THREADS");
  if (env && *env) {
    int n = std::atoi(env);
    if (n >= 1) return n;
  }
  return physical_core_count();
}

Pool& the_pool() {
  static Pool pool(initial_threads());
  return pool;
}

}  // namespace

void parallel_run(int64_t n_tasks, TaskFn fn, void* ctx) { the_pool().run(n_tasks, fn, ctx); }
int pool_threads() { return the_pool().size(); }
void set_pool_threads(int n) { the_pool().resize(n); }
void* thread_scratch(int thread, int slot, size_t bytes) { return the_pool().scratch(thread, slot, bytes); }

}  // namespace lf
