// Which lf::thread_scratch slots the op kernels use (included inside each ISA namespace with the kernels).
// GEMM owns slots 6 and 7 (gemm_driver.h), so the fused loss can call it while holding its own buffers.
constexpr int kSlotCaller0 = 0;  // thread 0, outside tasks: buffers that live across a kernel's parallel passes
constexpr int kSlotCaller1 = 1;
constexpr int kSlotTask0 = 2;    // inside tasks, per thread: slots 2 to 5
constexpr int kSlotTask1 = 3;
constexpr int kSlotTask2 = 4;
constexpr int kSlotTask3 = 5;
