// gemm(m, n, k, a, aOffset, lda, transA, b, bOffset, ldb, transB, bType, c, cOffset, ldc, alpha, beta[, bf16Ops])
// bType: 0 = f32 (b is a Float32Array), 1 = bf16 (b is a Uint16Array of bf16 bits).
// bf16Ops: the bf16 compute mode (both operands rounded to bf16, f32 accumulation; gemm.h).
#include <mutex>

#include "bind_common.h"
#include "dispatch.h"

namespace lf {
namespace {

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "gemm";
  const int64_t m = arg_int(info, 0, op, "m");
  const int64_t n = arg_int(info, 1, op, "n");
  const int64_t k = arg_int(info, 2, op, "k");
  F32View a = arg_f32(info, 3, op, "a");
  const int64_t a_off = arg_int(info, 4, op, "aOffset");
  const int64_t lda = arg_int(info, 5, op, "lda");
  const bool trans_a = arg_bool(info, 6, op, "transA");
  const int64_t b_type = arg_int(info, 11, op, "bType");
  const void* b_data = nullptr;
  int64_t b_len = 0;
  if (b_type == 0) {
    F32View b = arg_f32(info, 7, op, "b");
    b_data = b.data;
    b_len = b.length;
  } else if (b_type == 1) {
    U16View b = arg_u16(info, 7, op, "b");
    b_data = b.data;
    b_len = b.length;
  } else {
    throw_range(env, op, "bType must be 0 (f32) or 1 (bf16)");
  }
  const int64_t b_off = arg_int(info, 8, op, "bOffset");
  const int64_t ldb = arg_int(info, 9, op, "ldb");
  const bool trans_b = arg_bool(info, 10, op, "transB");
  F32View c = arg_f32(info, 12, op, "c");
  const int64_t c_off = arg_int(info, 13, op, "cOffset");
  const int64_t ldc = arg_int(info, 14, op, "ldc");
  const float alpha = static_cast<float>(arg_num(info, 15, op, "alpha"));
  const float beta = static_cast<float>(arg_num(info, 16, op, "beta"));
  const bool bf16_ops = info.Length() > 17 && !info[17].IsUndefined() && arg_bool(info, 17, op, "bf16Ops");

  check_matrix(env, op, "a", a.length, a_off, trans_a ? k : m, trans_a ? m : k, lda);
  check_matrix(env, op, "b", b_len, b_off, trans_b ? n : k, trans_b ? k : n, ldb);
  check_matrix(env, op, "c", c.length, c_off, m, n, ldc);

  const size_t b_elem = b_type == 0 ? sizeof(float) : sizeof(uint16_t);
  GemmArgs g{m,
             n,
             k,
             a.data + a_off,
             lda,
             trans_a,
             static_cast<const uint8_t*>(b_data) + b_off * b_elem,
             ldb,
             trans_b,
             b_type == 0 ? DType::F32 : DType::BF16,
             c.data + c_off,
             ldc,
             alpha,
             beta,
             bf16_ops};
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().gemm(g);
  return env.Undefined();
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) { exports.Set("gemm", Napi::Function::New(env, Gemm)); }

}  // namespace lf
