// Bindings of the ggml block codecs (native/src/ggml):
//   ggmlDequantize(typeId, data: Uint8Array, count, out: Float32Array)   decodes `count` elements
//   ggmlQuantize(typeId, values: Float32Array, out: Uint8Array) -> -1 | index of the first non-finite value
// Sizes are checked against the native type table, so a call can never read or write out of bounds.
#include <mutex>

#include "bind_common.h"
#include "ggml/ggml_codec.h"

namespace lf {
namespace {

const ggml::Codec& arg_codec(const Napi::CallbackInfo& info, const char* op) {
  const int64_t id = arg_int(info, 0, op, "typeId");
  const ggml::Codec* c = id <= 0xffff ? ggml::codec_by_id(static_cast<int>(id)) : nullptr;
  if (!c) throw_range(info.Env(), op, "ggml type id " + std::to_string(id) + " has no codec");
  return *c;
}

// The number of blocks `count` elements make; throws unless they are whole blocks.
int64_t whole_blocks(Napi::Env env, const char* op, const ggml::Codec& c, int64_t count) {
  if (count % c.block_size != 0) {
    throw_range(env, op, std::to_string(count) + " elements are not a whole number of " + c.name + " blocks of " +
                             std::to_string(c.block_size));
  }
  return count / c.block_size;
}

Napi::Value GgmlDequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "ggmlDequantize";
  const ggml::Codec& c = arg_codec(info, op);
  U8View data = arg_u8(info, 1, op, "data");
  const int64_t count = arg_int(info, 2, op, "count");
  F32View out = arg_f32(info, 3, op, "out");
  const int64_t blocks = whole_blocks(env, op, c, count);
  if (data.length != blocks * c.type_size) {
    throw_range(env, op, "data holds " + std::to_string(data.length) + " bytes, " + std::to_string(count) + " " +
                             c.name + " elements take " + std::to_string(blocks * c.type_size));
  }
  if (out.length != count) throw_range(env, op, "out holds " + std::to_string(out.length) + " values, expected " + std::to_string(count));
  std::lock_guard<std::mutex> lock(kernel_mutex());
  ggml::dequantize(c, data.data, blocks, out.data);
  return env.Undefined();
}

Napi::Value GgmlQuantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "ggmlQuantize";
  const ggml::Codec& c = arg_codec(info, op);
  F32View values = arg_f32(info, 1, op, "values");
  U8View out = arg_u8(info, 2, op, "out");
  const int64_t blocks = whole_blocks(env, op, c, values.length);
  if (out.length != blocks * c.type_size) {
    throw_range(env, op, "out holds " + std::to_string(out.length) + " bytes, expected " + std::to_string(blocks * c.type_size));
  }
  std::lock_guard<std::mutex> lock(kernel_mutex());
  const int64_t bad = ggml::quantize(c, values.data, blocks, out.data);
  return Napi::Number::New(env, static_cast<double>(bad));
}

}  // namespace

void register_ggml(Napi::Env env, Napi::Object exports) {
  exports.Set("ggmlDequantize", Napi::Function::New(env, GgmlDequantize));
  exports.Set("ggmlQuantize", Napi::Function::New(env, GgmlQuantize));
}

}  // namespace lf
