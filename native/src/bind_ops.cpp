// Bindings of the non-GEMM kernels (see ops.h).
#include "bind_common.h"
#include "dispatch.h"

namespace lf {

void register_ops(Napi::Env env, Napi::Object exports) {}

}  // namespace lf
