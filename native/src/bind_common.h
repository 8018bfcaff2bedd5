// Argument checking shared by the N-API bindings. Every binding validates types, sizes and bounds before it
// touches memory, so a bad call from JavaScript throws instead of writing out of bounds.
#pragma once
#include <napi.h>

#include <cstdint>
#include <mutex>
#include <string>

namespace lf {

// Kernels share per-thread scratch space and the pool: calls from several JS threads take turns.
std::mutex& kernel_mutex();

struct F32View {
  float* data;
  int64_t length;
};
struct U16View {
  uint16_t* data;
  int64_t length;
};
struct I32View {
  int32_t* data;
  int64_t length;
};
struct U8View {
  uint8_t* data;
  int64_t length;
};

[[noreturn]] inline void throw_type(Napi::Env env, const std::string& op, const std::string& msg) {
  throw Napi::TypeError::New(env, op + ": " + msg);
}
[[noreturn]] inline void throw_range(Napi::Env env, const std::string& op, const std::string& msg) {
  throw Napi::RangeError::New(env, op + ": " + msg);
}

inline int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) throw_type(info.Env(), op, std::string(name) + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v == static_cast<double>(static_cast<int64_t>(v))) || v < 0) {
    throw_range(info.Env(), op, std::string(name) + " must be a non-negative integer");
  }
  return static_cast<int64_t>(v);
}

inline uint32_t arg_u32(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  const int64_t v = arg_int(info, i, op, name);
  if (v > 0xffffffffLL) throw_range(info.Env(), op, std::string(name) + " must fit in 32 bits");
  return static_cast<uint32_t>(v);
}

inline double arg_num(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) throw_type(info.Env(), op, std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

inline bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  if (i >= info.Length() || !info[i].IsBoolean()) throw_type(info.Env(), op, std::string(name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

template <typename View, napi_typedarray_type Kind>
inline View arg_array(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name, const char* kind) {
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != Kind) {
    throw_type(info.Env(), op, std::string(name) + " must be a " + kind);
  }
  auto arr = info[i].As<Napi::TypedArray>();
  auto* base = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  return View{reinterpret_cast<decltype(View::data)>(base), static_cast<int64_t>(arr.ElementLength())};
}

inline F32View arg_f32(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  return arg_array<F32View, napi_float32_array>(info, i, op, name, "Float32Array");
}
inline U16View arg_u16(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  return arg_array<U16View, napi_uint16_array>(info, i, op, name, "Uint16Array");
}
inline I32View arg_i32(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  return arg_array<I32View, napi_int32_array>(info, i, op, name, "Int32Array");
}
inline U8View arg_u8(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  return arg_array<U8View, napi_uint8_array>(info, i, op, name, "Uint8Array");
}

// Checks that a row-major matrix of `rows` x `cols` with row stride `ld`, starting at `offset`, lies inside an
// array of `length` elements.
inline void check_matrix(Napi::Env env, const char* op, const char* name, int64_t length, int64_t offset,
                         int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return;
  if (ld < cols) {
    throw_range(env, op, std::string(name) + ": leading dimension " + std::to_string(ld) + " < columns " +
                             std::to_string(cols));
  }
  const int64_t last = offset + (rows - 1) * ld + cols;
  if (last > length) {
    throw_range(env, op, std::string(name) + ": " + std::to_string(rows) + "x" + std::to_string(cols) +
                             " (ld " + std::to_string(ld) + ", offset " + std::to_string(offset) +
                             ") needs " + std::to_string(last) + " elements, array has " + std::to_string(length));
  }
}

// Checks that `count` elements from `offset` fit in an array of `length` elements.
inline void check_span(Napi::Env env, const char* op, const char* name, int64_t length, int64_t offset,
                       int64_t count) {
  if (offset + count > length) {
    throw_range(env, op, std::string(name) + ": needs " + std::to_string(offset + count) + " elements, array has " +
                             std::to_string(length));
  }
}

void register_gemm(Napi::Env env, Napi::Object exports);
void register_ops(Napi::Env env, Napi::Object exports);
void register_ggml(Napi::Env env, Napi::Object exports);

}  // namespace lf
