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
    // The claim word carries the run's number, so a worker that wakes late (after its run is over) claims
    // nothing. Close the word for the new run first, then publish the job, then open it: a late worker that
    // reads the new job's size also sees the closed word (release/acquire on n_tasks_).
    const uint64_t gen = ++run_number_;
    claim_.store((gen << kIndexBits) | kIndexMask, std::memory_order_release);
    fn_.store(fn, std::memory_order_relaxed);
    ctx_.store(ctx, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    n_tasks_.store(n_tasks, std::memory_order_release);
    claim_.store(gen << kIndexBits, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.store(gen, std::memory_order_release);
    }
    cv_.notify_all();
    work(0, gen);
    // Wait for the tasks, not for the workers: a worker the OS has not scheduled yet is not waited for.
    for (int spin = 0; done_.load(std::memory_order_acquire) != n_tasks; ++spin) {
      if (spin < 2000) {
        cpu_relax();
      } else {
        std::this_thread::yield();
      }
    }
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
    quit_.store(false, std::memory_order_release);
    // Workers start from the current generation, so a run() issued before a worker is scheduled still counts.
    const uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i, gen] { worker_loop(i, gen); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_.store(true, std::memory_order_release);
      generation_.store(++run_number_, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    for (auto& buf : scratch_) ::operator delete(buf.ptr, std::align_val_t(64));
    scratch_.clear();
  }

  static void cpu_relax() {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }

  // Claims and runs tasks of run `gen` until none are left (or the run is no longer current).
  void work(int thread, uint64_t gen) {
    in_task_ = true;
    current_thread_ = thread;
    const int64_t n_tasks = n_tasks_.load(std::memory_order_acquire);
    for (;;) {
      uint64_t claim = claim_.load(std::memory_order_acquire);
      int64_t task;
      do {
        task = static_cast<int64_t>(claim & kIndexMask);
        if ((claim >> kIndexBits) != gen || task >= n_tasks) {
          in_task_ = false;
          return;
        }
      } while (!claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel, std::memory_order_acquire));
      fn_.load(std::memory_order_relaxed)(ctx_.load(std::memory_order_relaxed), task, thread);
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  void worker_loop(int thread, uint64_t seen) {
    for (;;) {
      // Spin briefly before sleeping: kernels are called back to back during a training step. Kept short so an
      // idle worker does not take a shared core from the thread that has work.
      uint64_t gen = seen;
      for (int spin = 0; spin < 4000; ++spin) {
        gen = generation_.load(std::memory_order_acquire);
        if (gen != seen) break;
        cpu_relax();
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        gen = generation_.load(std::memory_order_acquire);
      }
      seen = gen;
      if (quit_.load(std::memory_order_acquire)) return;
      work(thread, gen);
    }
  }

  // The claim word: run number in the high bits, next task index in the low ones.
  static constexpr int kIndexBits = 40;
  static constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::vector<ScratchBuffer> scratch_;
  std::mutex call_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<TaskFn> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<int64_t> n_tasks_{0};
  uint64_t run_number_ = 0;  // only touched under call_mutex_
  std::atomic<bool> quit_{false};
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
