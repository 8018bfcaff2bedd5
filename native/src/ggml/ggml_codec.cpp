// The ggml type table and the parallel driver: tasks are fixed runs of whole blocks (from the sizes only), so
// every output byte is computed the same way whatever the thread count.
#include "ggml/ggml_codec.h"

#include <cstring>
#include <vector>

#include "thread_pool.h"

namespace lf::ggml {
namespace {

const Codec kCodecs[] = {
    {0, "F32", 1, 4, decode_f32, encode_f32},
    {1, "F16", 1, 2, decode_f16, encode_f16},
    {2, "Q4_0", 32, 18, decode_q4_0, encode_q4_0},
    {3, "Q4_1", 32, 20, decode_q4_1, encode_q4_1},
    {6, "Q5_0", 32, 22, decode_q5_0, encode_q5_0},
    {7, "Q5_1", 32, 24, decode_q5_1, encode_q5_1},
    {8, "Q8_0", 32, 34, decode_q8_0, encode_q8_0},
    {10, "Q2_K", 256, 84, decode_q2_k, encode_q2_k},
    {11, "Q3_K", 256, 110, decode_q3_k, encode_q3_k},
    {12, "Q4_K", 256, 144, decode_q4_k, encode_q4_k},
    {13, "Q5_K", 256, 176, decode_q5_k, encode_q5_k},
    {14, "Q6_K", 256, 210, decode_q6_k, encode_q6_k},
    {30, "BF16", 1, 2, decode_bf16, encode_bf16},
};

// About 16k elements per task: large enough to amortize the hand-off, small enough to balance 2..64 threads.
int64_t blocks_per_task(const Codec& c) {
  const int64_t n = (int64_t{1} << 14) / c.block_size;
  return n > 0 ? n : 1;
}

bool is_finite(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return (u & 0x7f800000u) != 0x7f800000u;
}

}  // namespace

const Codec* codec_by_id(int id) {
  for (const Codec& c : kCodecs) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

void dequantize(const Codec& c, const uint8_t* src, int64_t blocks, float* out) {
  const int64_t per = blocks_per_task(c);
  auto body = [&](int64_t task, int) {
    const int64_t b0 = task * per;
    const int64_t nb = b0 + per < blocks ? per : blocks - b0;
    c.decode(src + b0 * c.type_size, nb, out + b0 * c.block_size);
  };
  parallel_for((blocks + per - 1) / per, body);
}

int64_t quantize(const Codec& c, const float* x, int64_t blocks, uint8_t* dst) {
  const int64_t per = blocks_per_task(c);
  const int64_t tasks = (blocks + per - 1) / per;
  // Float types store any value; the block types are defined for finite values only.
  const bool finite_only = c.block_size > 1;
  std::vector<int64_t> bad(static_cast<size_t>(tasks), -1);
  auto body = [&](int64_t task, int) {
    const int64_t b0 = task * per;
    const int64_t nb = b0 + per < blocks ? per : blocks - b0;
    const float* xs = x + b0 * c.block_size;
    if (finite_only) {
      for (int64_t i = 0; i < nb * c.block_size; ++i) {
        if (!is_finite(xs[i])) {
          bad[static_cast<size_t>(task)] = b0 * c.block_size + i;
          return;
        }
      }
    }
    c.encode(xs, nb, dst + b0 * c.type_size);
  };
  parallel_for(tasks, body);
  for (int64_t i : bad) {
    if (i >= 0) return i;
  }
  return -1;
}

}  // namespace lf::ggml
