// The loraforge native addon: a flat kernel API over typed arrays, plus the switches that pick the kernel
// path and the thread count. It knows nothing about models or files.
#include <napi.h>

#include <mutex>

#include "bind_common.h"
#include "dispatch.h"
#include "nf4/bind_quant4.h"
#include "thread_pool.h"

namespace lf {

std::mutex& kernel_mutex() {
  static std::mutex m;
  return m;
}

namespace {

#define LF_STR2(x) #x
#define LF_STR(x) LF_STR2(x)

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", kernels().name);
  out.Set("buildFlags", kernels().build_flags);
  Napi::Array isas = Napi::Array::New(env);
  auto names = available_isas();
  for (size_t i = 0; i < names.size(); ++i) isas.Set(static_cast<uint32_t>(i), names[i]);
  out.Set("isas", isas);
  out.Set("threads", pool_threads());
#if defined(__clang__)
  out.Set("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  out.Set("compiler", "g++ " LF_STR(__GNUC__) "." LF_STR(__GNUC_MINOR__) "." LF_STR(__GNUC_PATCHLEVEL__));
#else
  out.Set("compiler", "unknown");
#endif
  return out;
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_type(env, "setIsa", "name must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::lock_guard<std::mutex> lock(kernel_mutex());
  if (!select_isa(name)) throw_range(env, "setIsa", "kernel path '" + name + "' is unknown or not supported by this CPU");
  return env.Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t n = arg_int(info, 0, "setThreads", "threads");
  if (n < 1 || n > 1024) throw_range(env, "setThreads", "threads must be between 1 and 1024");
  std::lock_guard<std::mutex> lock(kernel_mutex());
  set_pool_threads(static_cast<int>(n));
  return env.Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  register_gemm(env, exports);
  register_ops(env, exports);
  register_quant4(env, exports);
  register_ggml(env, exports);
  return exports;
}

}  // namespace lf

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return lf::Init(env, exports); }

NODE_API_MODULE(loraforge, InitAddon)
