// ggml block codecs: decoding GGUF tensor data of a ggml type into f32 and encoding f32 into it, with the
// block layouts and reference rounding rules of docs/formats/ggml-quants.md. Every block is coded on its own,
// so the work splits over blocks and the result never depends on the thread count.
#pragma once
#include <cstdint>

namespace lf::ggml {

// Decodes `blocks` consecutive blocks at `src` into blocks * block_size floats.
using DecodeFn = void (*)(const uint8_t* src, int64_t blocks, float* out);
// Encodes blocks * block_size finite floats into `blocks` consecutive blocks at `dst`.
using EncodeFn = void (*)(const float* x, int64_t blocks, uint8_t* dst);

struct Codec {
  int id;              // ggml type id (GGUF tensor info)
  const char* name;
  int64_t block_size;  // elements per block
  int64_t type_size;   // bytes per block
  DecodeFn decode;
  EncodeFn encode;
};

// The codec of ggml type `id`, or nullptr for a type loraforge does not handle.
const Codec* codec_by_id(int id);

// Decodes `blocks` blocks on the thread pool.
void dequantize(const Codec& c, const uint8_t* src, int64_t blocks, float* out);

// Encodes `blocks` blocks on the thread pool. Returns -1, or the index of the first non-finite value in `x`
// (then `dst` is left unspecified).
int64_t quantize(const Codec& c, const float* x, int64_t blocks, uint8_t* dst);

// Per-family codecs (float_types.cpp, legacy_quants.cpp, kquants_decode.cpp, kquants_encode.cpp).
void decode_f32(const uint8_t* src, int64_t n, float* out);
void encode_f32(const float* x, int64_t n, uint8_t* dst);
void decode_f16(const uint8_t* src, int64_t n, float* out);
void encode_f16(const float* x, int64_t n, uint8_t* dst);
void decode_bf16(const uint8_t* src, int64_t n, float* out);
void encode_bf16(const float* x, int64_t n, uint8_t* dst);

void decode_q4_0(const uint8_t* src, int64_t blocks, float* out);
void encode_q4_0(const float* x, int64_t blocks, uint8_t* dst);
void decode_q4_1(const uint8_t* src, int64_t blocks, float* out);
void encode_q4_1(const float* x, int64_t blocks, uint8_t* dst);
void decode_q5_0(const uint8_t* src, int64_t blocks, float* out);
void encode_q5_0(const float* x, int64_t blocks, uint8_t* dst);
void decode_q5_1(const uint8_t* src, int64_t blocks, float* out);
void encode_q5_1(const float* x, int64_t blocks, uint8_t* dst);
void decode_q8_0(const uint8_t* src, int64_t blocks, float* out);
void encode_q8_0(const float* x, int64_t blocks, uint8_t* dst);

void decode_q2_k(const uint8_t* src, int64_t blocks, float* out);
void decode_q3_k(const uint8_t* src, int64_t blocks, float* out);
void decode_q4_k(const uint8_t* src, int64_t blocks, float* out);
void decode_q5_k(const uint8_t* src, int64_t blocks, float* out);
void decode_q6_k(const uint8_t* src, int64_t blocks, float* out);
void encode_q2_k(const float* x, int64_t blocks, uint8_t* dst);
void encode_q3_k(const float* x, int64_t blocks, uint8_t* dst);
void encode_q4_k(const float* x, int64_t blocks, uint8_t* dst);
void encode_q5_k(const float* x, int64_t blocks, uint8_t* dst);
void encode_q6_k(const float* x, int64_t blocks, uint8_t* dst);

}  // namespace lf::ggml
