// Bindings of the 4-bit (bitsandbytes NF4/FP4) kernels:
//   quant4Gemm(mode, m, rows, cols, a, codes, table, blocksize, absmax, nestedCodes, nestedAbsmax, nestedMap,
//              nestedOffset, nestedBlocksize, c, beta)
//     mode 0: c[m, rows] = a[m, cols] · Wᵀ + beta·c;  mode 1: c[m, cols] = a[m, rows] · W + beta·c
//   quant4Dequantize(rows, cols, codes, table, blocksize, absmax, nestedCodes, nestedAbsmax, nestedMap,
//                    nestedOffset, nestedBlocksize, start, count, out)
// `absmax` is a Float32Array (plain scales) or null (double-quantized: the four nested arguments are used).
#include <mutex>

#include "bind_common.h"
#include "nf4/bind_quant4.h"
#include "nf4/quant4.h"

namespace lf {
namespace {

std::string count_msg(const char* name, int64_t got, int64_t want) {
  return std::string(name) + " holds " + std::to_string(got) + " values, expected " + std::to_string(want);
}

// Reads the weight description from arguments first..first+10 and checks every size against rows x cols.
Quant4Weight arg_weight(const Napi::CallbackInfo& info, size_t first, int64_t rows, int64_t cols, const char* op) {
  Napi::Env env = info.Env();
  Quant4Weight w{};
  w.rows = rows;
  w.cols = cols;
  const int64_t n = rows * cols;
  U8View codes = arg_u8(info, first, op, "codes");
  if (codes.length != (n + 1) / 2) throw_range(env, op, count_msg("codes", codes.length, (n + 1) / 2));
  w.codes = codes.data;
  F32View table = arg_f32(info, first + 1, op, "table");
  if (table.length != 16) throw_range(env, op, count_msg("table", table.length, 16));
  w.table = table.data;
  w.blocksize = arg_int(info, first + 2, op, "blocksize");
  if (w.blocksize < 2 || w.blocksize % 2 != 0) throw_range(env, op, "blocksize must be even and at least 2");
  const int64_t blocks = (n + w.blocksize - 1) / w.blocksize;
  if (info[first + 3].IsNull()) {
    U8View nc = arg_u8(info, first + 4, op, "nestedCodes");
    F32View na = arg_f32(info, first + 5, op, "nestedAbsmax");
    F32View nm = arg_f32(info, first + 6, op, "nestedMap");
    w.nested_offset = static_cast<float>(arg_num(info, first + 7, op, "nestedOffset"));
    w.nested_blocksize = arg_int(info, first + 8, op, "nestedBlocksize");
    if (w.nested_blocksize < 1) throw_range(env, op, "nestedBlocksize must be positive");
    if (nc.length != blocks) throw_range(env, op, count_msg("nestedCodes", nc.length, blocks));
    const int64_t nb = (blocks + w.nested_blocksize - 1) / w.nested_blocksize;
    if (na.length != nb) throw_range(env, op, count_msg("nestedAbsmax", na.length, nb));
    if (nm.length != 256) throw_range(env, op, count_msg("nestedMap", nm.length, 256));
    w.nested_codes = nc.data;
    w.nested_absmax = na.data;
    w.nested_map = nm.data;
  } else {
    F32View am = arg_f32(info, first + 3, op, "absmax");
    if (am.length != blocks) throw_range(env, op, count_msg("absmax", am.length, blocks));
    w.absmax = am.data;
  }
  return w;
}

Napi::Value Quant4Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "quant4Gemm";
  const int64_t mode = arg_int(info, 0, op, "mode");
  if (mode > 1) throw_range(env, op, "mode must be 0 (x·Wᵀ) or 1 (dy·W)");
  const int64_t m = arg_int(info, 1, op, "m");
  const int64_t rows = arg_int(info, 2, op, "rows");
  const int64_t cols = arg_int(info, 3, op, "cols");
  F32View a = arg_f32(info, 4, op, "a");
  Quant4Weight w = arg_weight(info, 5, rows, cols, op);
  F32View c = arg_f32(info, 14, op, "c");
  const float beta = static_cast<float>(arg_num(info, 15, op, "beta"));
  const int64_t a_cols = mode == 0 ? cols : rows;
  const int64_t c_cols = mode == 0 ? rows : cols;
  if (a.length != m * a_cols) throw_range(env, op, count_msg("a", a.length, m * a_cols));
  if (c.length != m * c_cols) throw_range(env, op, count_msg("c", c.length, m * c_cols));
  std::lock_guard<std::mutex> lock(kernel_mutex());
  quant4_gemm(mode == 0 ? Quant4Mode::XWt : Quant4Mode::DyW, m, a.data, w, c.data, beta);
  return env.Undefined();
}

Napi::Value Quant4Dequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "quant4Dequantize";
  const int64_t rows = arg_int(info, 0, op, "rows");
  const int64_t cols = arg_int(info, 1, op, "cols");
  Quant4Weight w = arg_weight(info, 2, rows, cols, op);
  const int64_t start = arg_int(info, 11, op, "start");
  const int64_t count = arg_int(info, 12, op, "count");
  F32View out = arg_f32(info, 13, op, "out");
  if (start + count > rows * cols) throw_range(env, op, "start + count is past the end of the weight");
  if (out.length < count) throw_range(env, op, count_msg("out", out.length, count));
  std::lock_guard<std::mutex> lock(kernel_mutex());
  quant4_dequantize(w, start, count, out.data);
  return env.Undefined();
}

}  // namespace

void register_quant4(Napi::Env env, Napi::Object exports) {
  exports.Set("quant4Gemm", Napi::Function::New(env, Quant4Gemm));
  exports.Set("quant4Dequantize", Napi::Function::New(env, Quant4Dequantize));
}

}  // namespace lf
