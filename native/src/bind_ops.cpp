// Bindings of the non-GEMM kernels (see ops.h). Each checks argument types, sizes, index ranges and shape
// relations before touching memory, then runs the current kernel path under the kernel mutex. The TypeScript
// wrappers (src/tensor/cpu/*.ts) give friendlier errors first; these checks are what keep memory safe.
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include "bind_common.h"
#include "dispatch.h"
#include "kernels/rope_freq.h"

namespace lf {
namespace {

// Largest element count accepted: keeps every product of dimensions exact in int64 and double.
constexpr int64_t kMaxElems = int64_t{1} << 50;

int64_t product(Napi::Env env, const char* op, std::initializer_list<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d != 0 && n > kMaxElems / d) throw_range(env, op, "dimensions too large");
    n *= d;
  }
  return n;
}

int64_t positive_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  const int64_t v = arg_int(info, i, op, name);
  if (v < 1) throw_range(info.Env(), op, std::string(name) + " must be >= 1");
  return v;
}

double finite_double(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  const double v = arg_num(info, i, op, name);
  if (!std::isfinite(v)) throw_range(info.Env(), op, std::string(name) + " must be finite");
  return v;
}

float finite_float(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  return static_cast<float>(finite_double(info, i, op, name));
}

// A trailing boolean that callers may leave out (false).
bool optional_bool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  return info.Length() > i && !info[i].IsUndefined() && arg_bool(info, i, op, name);
}

void need(Napi::Env env, const char* op, const char* name, int64_t length, int64_t count) {
  check_span(env, op, name, length, 0, count);
}

// A weight that may be f32 (wType 0, Float32Array) or bf16 (wType 1, Uint16Array of bf16 bits).
struct Weight {
  const void* data;
  int64_t length;
  DType type;
};

Weight arg_weight(const Napi::CallbackInfo& info, size_t i, size_t type_index, const char* op) {
  const int64_t type = arg_int(info, type_index, op, "wType");
  if (type == 0) {
    F32View w = arg_f32(info, i, op, "w");
    return Weight{w.data, w.length, DType::F32};
  }
  if (type == 1) {
    U16View w = arg_u16(info, i, op, "w");
    return Weight{w.data, w.length, DType::BF16};
  }
  throw_range(info.Env(), op, "wType must be 0 (f32) or 1 (bf16)");
}

void check_ids(Napi::Env env, const char* op, const char* name, const int32_t* ids, int64_t n, int64_t limit,
               bool allow_ignore) {
  for (int64_t i = 0; i < n; ++i) {
    if ((ids[i] < 0 || ids[i] >= limit) && !(allow_ignore && ids[i] == -100)) {
      throw_range(env, op, std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                               " is outside [0, " + std::to_string(limit) + ")");
    }
  }
}

// rmsNorm(x, w, eps, rows, dim, y, rstd)
Napi::Value RmsNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "rmsNorm";
  F32View x = arg_f32(info, 0, op, "x");
  F32View w = arg_f32(info, 1, op, "w");
  const float eps = finite_float(info, 2, op, "eps");
  const int64_t rows = arg_int(info, 3, op, "rows"), dim = positive_int(info, 4, op, "dim");
  F32View y = arg_f32(info, 5, op, "y");
  F32View rstd = arg_f32(info, 6, op, "rstd");
  const int64_t n = product(env, op, {rows, dim});
  need(env, op, "x", x.length, n);
  need(env, op, "w", w.length, dim);
  need(env, op, "y", y.length, n);
  need(env, op, "rstd", rstd.length, rows);
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.rms_norm(x.data, w.data, eps, rows, dim, y.data, rstd.data);
  return env.Undefined();
}

// rmsNormBackward(dy, x, w, rstd, rows, dim, dx)
Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "rmsNormBackward";
  F32View dy = arg_f32(info, 0, op, "dy");
  F32View x = arg_f32(info, 1, op, "x");
  F32View w = arg_f32(info, 2, op, "w");
  F32View rstd = arg_f32(info, 3, op, "rstd");
  const int64_t rows = arg_int(info, 4, op, "rows"), dim = positive_int(info, 5, op, "dim");
  F32View dx = arg_f32(info, 6, op, "dx");
  const int64_t n = product(env, op, {rows, dim});
  need(env, op, "dy", dy.length, n);
  need(env, op, "x", x.length, n);
  need(env, op, "w", w.length, dim);
  need(env, op, "rstd", rstd.length, rows);
  need(env, op, "dx", dx.length, n);
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.rms_norm_backward(dy.data, x.data, w.data, rstd.data, rows, dim, dx.data);
  return env.Undefined();
}

// rope(x, positions, tokens, heads, headDim, rotary, theta, llama3 (null | [factor, low, high, originalMax]),
//      sign (1 | -1), out)
Napi::Value Rope(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "rope";
  F32View x = arg_f32(info, 0, op, "x");
  I32View pos = arg_i32(info, 1, op, "positions");
  const int64_t tokens = arg_int(info, 2, op, "tokens"), heads = positive_int(info, 3, op, "heads");
  const int64_t head_dim = positive_int(info, 4, op, "headDim"), rotary = positive_int(info, 5, op, "rotary");
  const double theta = arg_num(info, 6, op, "theta");
  if (!(theta > 0) || !std::isfinite(theta)) throw_range(env, op, "theta must be a positive number");
  if (rotary % 2 != 0 || rotary > head_dim) throw_range(env, op, "rotary must be even and <= headDim");
  Llama3Scaling scaling{};
  const bool has_llama3 = info.Length() > 7 && info[7].IsArray();
  if (has_llama3) {
    Napi::Array a = info[7].As<Napi::Array>();
    if (a.Length() != 4) throw_type(env, op, "llama3 must be [factor, lowFreqFactor, highFreqFactor, originalMax]");
    double v[4];
    for (uint32_t i = 0; i < 4; ++i) {
      Napi::Value e = a.Get(i);
      if (!e.IsNumber()) throw_type(env, op, "llama3 entries must be numbers");
      v[i] = e.As<Napi::Number>().DoubleValue();
    }
    if (!(v[0] > 0 && v[1] > 0 && v[2] > v[1] && v[3] > 0)) throw_range(env, op, "invalid llama3 scaling");
    scaling = Llama3Scaling{v[0], v[1], v[2], v[3]};
  } else if (info.Length() <= 7 || !info[7].IsNull()) {
    throw_type(env, op, "llama3 must be null or an array");
  }
  const int64_t sign = static_cast<int64_t>(arg_num(info, 8, op, "sign"));
  if (sign != 1 && sign != -1) throw_range(env, op, "sign must be 1 or -1");
  F32View out = arg_f32(info, 9, op, "out");
  const int64_t n = product(env, op, {tokens, heads, head_dim});
  need(env, op, "x", x.length, n);
  need(env, op, "positions", pos.length, tokens);
  need(env, op, "out", out.length, n);
  std::vector<double> inv_freq(static_cast<size_t>(rotary / 2));
  rope_inverse_frequencies(theta, rotary, has_llama3 ? &scaling : nullptr, inv_freq.data());
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.rope(x.data, pos.data, inv_freq.data(), tokens, heads, head_dim, rotary, static_cast<int>(sign),
                     out.data);
  return env.Undefined();
}

// swiglu(gate, up, out) and geglu(gate, up, out): one binding shape for both gated activations.
using GatedForward = void (*)(const float*, const float*, int64_t, float*);
using GatedBackward = void (*)(const float*, const float*, const float*, int64_t, float*, float*);

Napi::Value GatedActivation(const Napi::CallbackInfo& info, const char* op, GatedForward OpKernels::*kernel) {
  Napi::Env env = info.Env();
  F32View gate = arg_f32(info, 0, op, "gate");
  F32View up = arg_f32(info, 1, op, "up");
  F32View out = arg_f32(info, 2, op, "out");
  if (up.length != gate.length || out.length != gate.length) throw_range(env, op, "gate, up and out must have equal lengths");
  std::lock_guard<std::mutex> lock(kernel_mutex());
  (kernels().ops.*kernel)(gate.data, up.data, gate.length, out.data);
  return env.Undefined();
}

// swigluBackward / gegluBackward(dy, gate, up, dGate, dUp)
Napi::Value GatedActivationBackward(const Napi::CallbackInfo& info, const char* op, GatedBackward OpKernels::*kernel) {
  Napi::Env env = info.Env();
  F32View dy = arg_f32(info, 0, op, "dy");
  F32View gate = arg_f32(info, 1, op, "gate");
  F32View up = arg_f32(info, 2, op, "up");
  F32View d_gate = arg_f32(info, 3, op, "dGate");
  F32View d_up = arg_f32(info, 4, op, "dUp");
  const int64_t n = dy.length;
  if (gate.length != n || up.length != n || d_gate.length != n || d_up.length != n) {
    throw_range(env, op, "dy, gate, up, dGate and dUp must have equal lengths");
  }
  std::lock_guard<std::mutex> lock(kernel_mutex());
  (kernels().ops.*kernel)(dy.data, gate.data, up.data, n, d_gate.data, d_up.data);
  return env.Undefined();
}

Napi::Value Swiglu(const Napi::CallbackInfo& info) { return GatedActivation(info, "swiglu", &OpKernels::swiglu); }
Napi::Value SwigluBackward(const Napi::CallbackInfo& info) {
  return GatedActivationBackward(info, "swigluBackward", &OpKernels::swiglu_backward);
}
Napi::Value Geglu(const Napi::CallbackInfo& info) { return GatedActivation(info, "geglu", &OpKernels::geglu); }
Napi::Value GegluBackward(const Napi::CallbackInfo& info) {
  return GatedActivationBackward(info, "gegluBackward", &OpKernels::geglu_backward);
}

// embedding(w, wType, ids, vocab, dim, out)
Napi::Value Embedding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "embedding";
  Weight w = arg_weight(info, 0, 1, op);
  I32View ids = arg_i32(info, 2, op, "ids");
  const int64_t vocab = arg_int(info, 3, op, "vocab"), dim = positive_int(info, 4, op, "dim");
  F32View out = arg_f32(info, 5, op, "out");
  need(env, op, "w", w.length, product(env, op, {vocab, dim}));
  need(env, op, "out", out.length, product(env, op, {ids.length, dim}));
  check_ids(env, op, "ids", ids.data, ids.length, vocab, false);
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.embedding(w.data, w.type, ids.data, ids.length, dim, out.data);
  return env.Undefined();
}

// embeddingBackward(dy, ids, vocab, dim, dw)
Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "embeddingBackward";
  F32View dy = arg_f32(info, 0, op, "dy");
  I32View ids = arg_i32(info, 1, op, "ids");
  const int64_t vocab = arg_int(info, 2, op, "vocab"), dim = positive_int(info, 3, op, "dim");
  F32View dw = arg_f32(info, 4, op, "dw");
  need(env, op, "dy", dy.length, product(env, op, {ids.length, dim}));
  need(env, op, "dw", dw.length, product(env, op, {vocab, dim}));
  check_ids(env, op, "ids", ids.data, ids.length, vocab, false);
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.embedding_backward(dy.data, ids.data, ids.length, dim, vocab, dw.data);
  return env.Undefined();
}

// Segment bounds of each token from its segment id (runs of equal adjacent ids).
struct Segments {
  std::vector<int32_t> start, end;
};

Segments segment_bounds(const int32_t* ids, int64_t n) {
  Segments s{std::vector<int32_t>(static_cast<size_t>(n)), std::vector<int32_t>(static_cast<size_t>(n))};
  for (int64_t i = 0; i < n; ++i) s.start[i] = (i > 0 && ids[i] == ids[i - 1]) ? s.start[i - 1] : static_cast<int32_t>(i);
  for (int64_t i = n - 1; i >= 0; --i) {
    s.end[i] = (i + 1 < n && ids[i] == ids[i + 1]) ? s.end[i + 1] : static_cast<int32_t>(i + 1);
  }
  return s;
}

struct AttentionDims {
  int64_t tokens, heads, kv_heads, head_dim;
};

AttentionDims attention_dims(const Napi::CallbackInfo& info, size_t first, const char* op) {
  AttentionDims d{arg_int(info, first, op, "tokens"), positive_int(info, first + 1, op, "heads"),
                  positive_int(info, first + 2, op, "kvHeads"), positive_int(info, first + 3, op, "headDim")};
  if (d.heads % d.kv_heads != 0) throw_range(info.Env(), op, "heads must be a multiple of kvHeads");
  if (d.tokens > INT32_MAX) throw_range(info.Env(), op, "too many tokens");
  return d;
}

// attention(q, k, v, segmentIds, tokens, heads, kvHeads, headDim, scale, out, lse, window[, bf16Ops])
// bf16Ops (all three attention ops): the bf16 compute mode (ops.h).
Napi::Value Attention(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "attention";
  F32View q = arg_f32(info, 0, op, "q");
  F32View k = arg_f32(info, 1, op, "k");
  F32View v = arg_f32(info, 2, op, "v");
  I32View seg = arg_i32(info, 3, op, "segmentIds");
  const AttentionDims d = attention_dims(info, 4, op);
  const float scale = finite_float(info, 8, op, "scale");
  F32View out = arg_f32(info, 9, op, "out");
  F32View lse = arg_f32(info, 10, op, "lse");
  const int64_t window = arg_int(info, 11, op, "window");
  const bool bf16_ops = optional_bool(info, 12, op, "bf16Ops");
  const int64_t nq = product(env, op, {d.tokens, d.heads, d.head_dim});
  const int64_t nk = product(env, op, {d.tokens, d.kv_heads, d.head_dim});
  need(env, op, "q", q.length, nq);
  need(env, op, "k", k.length, nk);
  need(env, op, "v", v.length, nk);
  need(env, op, "segmentIds", seg.length, d.tokens);
  need(env, op, "out", out.length, nq);
  need(env, op, "lse", lse.length, product(env, op, {d.heads, d.tokens}));
  const Segments s = segment_bounds(seg.data, d.tokens);
  const AttentionArgs a{d.tokens, d.tokens, d.heads, d.kv_heads, d.head_dim, q.data, k.data, v.data,
                        d.kv_heads * d.head_dim, s.start.data(), s.end.data(), scale, window, bf16_ops};
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.attention(a, out.data, lse.data);
  return env.Undefined();
}

// attentionBackward(dOut, q, k, v, out, lse, segmentIds, tokens, heads, kvHeads, headDim, scale, dq, dk, dv, window
//                   [, bf16Ops])
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "attentionBackward";
  F32View d_out = arg_f32(info, 0, op, "dOut");
  F32View q = arg_f32(info, 1, op, "q");
  F32View k = arg_f32(info, 2, op, "k");
  F32View v = arg_f32(info, 3, op, "v");
  F32View out = arg_f32(info, 4, op, "out");
  F32View lse = arg_f32(info, 5, op, "lse");
  I32View seg = arg_i32(info, 6, op, "segmentIds");
  const AttentionDims d = attention_dims(info, 7, op);
  const float scale = finite_float(info, 11, op, "scale");
  F32View dq = arg_f32(info, 12, op, "dq");
  F32View dk = arg_f32(info, 13, op, "dk");
  F32View dv = arg_f32(info, 14, op, "dv");
  const int64_t window = arg_int(info, 15, op, "window");
  const bool bf16_ops = optional_bool(info, 16, op, "bf16Ops");
  const int64_t nq = product(env, op, {d.tokens, d.heads, d.head_dim});
  const int64_t nk = product(env, op, {d.tokens, d.kv_heads, d.head_dim});
  need(env, op, "dOut", d_out.length, nq);
  need(env, op, "q", q.length, nq);
  need(env, op, "k", k.length, nk);
  need(env, op, "v", v.length, nk);
  need(env, op, "out", out.length, nq);
  need(env, op, "lse", lse.length, product(env, op, {d.heads, d.tokens}));
  need(env, op, "segmentIds", seg.length, d.tokens);
  need(env, op, "dq", dq.length, nq);
  need(env, op, "dk", dk.length, nk);
  need(env, op, "dv", dv.length, nk);
  const Segments s = segment_bounds(seg.data, d.tokens);
  const AttentionArgs a{d.tokens, d.tokens, d.heads, d.kv_heads, d.head_dim, q.data, k.data, v.data,
                        d.kv_heads * d.head_dim, s.start.data(), s.end.data(), scale, window, bf16_ops};
  const AttentionGrads g{d_out.data, out.data, lse.data, dq.data, dk.data, dv.data};
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.attention_backward(a, g);
  return env.Undefined();
}

// attentionDecode(q, kCache, vCache, capacity, length, heads, kvHeads, headDim, scale, out, window[, bf16Ops])
Napi::Value AttentionDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "attentionDecode";
  F32View q = arg_f32(info, 0, op, "q");
  F32View k = arg_f32(info, 1, op, "kCache");
  F32View v = arg_f32(info, 2, op, "vCache");
  const int64_t capacity = arg_int(info, 3, op, "capacity");
  const AttentionDims d = attention_dims(info, 4, op);  // tokens = length
  const float scale = finite_float(info, 8, op, "scale");
  F32View out = arg_f32(info, 9, op, "out");
  const int64_t window = arg_int(info, 10, op, "window");
  const bool bf16_ops = optional_bool(info, 11, op, "bf16Ops");
  if (d.tokens < 1 || d.tokens > capacity) throw_range(env, op, "length must lie in [1, capacity]");
  const int64_t nq = product(env, op, {d.heads, d.head_dim});
  const int64_t nk = product(env, op, {capacity, d.kv_heads, d.head_dim});
  need(env, op, "q", q.length, nq);
  need(env, op, "kCache", k.length, nk);
  need(env, op, "vCache", v.length, nk);
  need(env, op, "out", out.length, nq);
  std::vector<float> lse(static_cast<size_t>(d.heads));  // not returned: decode needs no backward
  const AttentionArgs a{1, d.tokens, d.heads, d.kv_heads, d.head_dim, q.data, k.data, v.data,
                        d.kv_heads * d.head_dim, nullptr, nullptr, scale, window, bf16_ops};
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.attention(a, out.data, lse.data());
  return env.Undefined();
}

// crossEntropyLinear(h, w, wType, targets, tokens, dim, vocab, gradScale, dh | null[, bf16Ops]) → [lossSum, count]
Napi::Value CrossEntropyLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "crossEntropyLinear";
  F32View h = arg_f32(info, 0, op, "h");
  Weight w = arg_weight(info, 1, 2, op);
  I32View targets = arg_i32(info, 3, op, "targets");
  const int64_t tokens = arg_int(info, 4, op, "tokens"), dim = positive_int(info, 5, op, "dim");
  const int64_t vocab = positive_int(info, 6, op, "vocab");
  const float grad_scale = finite_float(info, 7, op, "gradScale");
  float* dh = nullptr;
  if (info.Length() > 8 && !info[8].IsNull()) {
    F32View v = arg_f32(info, 8, op, "dh");
    need(env, op, "dh", v.length, product(env, op, {tokens, dim}));
    dh = v.data;
  }
  need(env, op, "h", h.length, product(env, op, {tokens, dim}));
  need(env, op, "w", w.length, product(env, op, {vocab, dim}));
  need(env, op, "targets", targets.length, tokens);
  check_ids(env, op, "targets", targets.data, tokens, vocab, true);
  double loss = 0.0;
  int64_t count = 0;
  const bool bf16_ops = optional_bool(info, 9, op, "bf16Ops");
  const CrossEntropyArgs a{tokens, dim, vocab, h.data, w.data, w.type, targets.data, grad_scale, dh, &loss, &count, bf16_ops};
  {
    std::lock_guard<std::mutex> lock(kernel_mutex());
    kernels().ops.cross_entropy_linear(a);
  }
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, loss));
  result.Set(1u, Napi::Number::New(env, static_cast<double>(count)));
  return result;
}

// dropout(x, key, threshold, scale, out)
Napi::Value Dropout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "dropout";
  F32View x = arg_f32(info, 0, op, "x");
  const uint32_t key = arg_u32(info, 1, op, "key");
  const uint32_t threshold = arg_u32(info, 2, op, "threshold");
  const float scale = finite_float(info, 3, op, "scale");
  F32View out = arg_f32(info, 4, op, "out");
  if (out.length != x.length) throw_range(env, op, "x and out must have equal lengths");
  // The element index is hashed as 32 bits: a longer tensor would repeat its mask.
  if (x.length > (int64_t{1} << 32)) throw_range(env, op, "x has more than 2^32 elements");
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.dropout(x.data, x.length, key, threshold, scale, out.data);
  return env.Undefined();
}

// axpy(y, x, alpha)
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "axpy";
  F32View y = arg_f32(info, 0, op, "y");
  F32View x = arg_f32(info, 1, op, "x");
  const float alpha = finite_float(info, 2, op, "alpha");
  if (x.length != y.length) throw_range(env, op, "x and y must have equal lengths");
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.axpy(y.data, x.data, y.length, alpha);
  return env.Undefined();
}

// scale(x, alpha)
Napi::Value Scale(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32View x = arg_f32(info, 0, "scale", "x");
  const float alpha = finite_float(info, 1, "scale", "alpha");
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.scale(x.data, x.length, alpha);
  return env.Undefined();
}

// adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step)
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "adamwStep";
  F32View p = arg_f32(info, 0, op, "param");
  F32View g = arg_f32(info, 1, op, "grad");
  F32View m = arg_f32(info, 2, op, "m");
  F32View v = arg_f32(info, 3, op, "v");
  const double lr = finite_double(info, 4, op, "lr"), beta1 = finite_double(info, 5, op, "beta1");
  const double beta2 = finite_double(info, 6, op, "beta2"), eps = finite_double(info, 7, op, "eps");
  const double wd = finite_double(info, 8, op, "weightDecay");
  const int64_t step = positive_int(info, 9, op, "step");
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw_range(env, op, "betas must lie in [0, 1)");
  if (g.length != p.length || m.length != p.length || v.length != p.length) {
    throw_range(env, op, "param, grad, m and v must have equal lengths");
  }
  // Bias corrections in double, as torch computes them in Python floats.
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  const AdamWArgs h{static_cast<float>(beta2),       static_cast<float>(eps),
                    static_cast<float>(1.0 - beta1), static_cast<float>(1.0 - beta2),
                    static_cast<float>(1.0 - lr * wd), static_cast<float>(lr / bc1),
                    static_cast<float>(std::sqrt(bc2))};
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.adamw(p.data, g.data, m.data, v.data, p.length, h);
  return env.Undefined();
}

// sgd(param, grad, lr, weightDecay)
Napi::Value Sgd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "sgdStep";
  F32View p = arg_f32(info, 0, op, "param");
  F32View g = arg_f32(info, 1, op, "grad");
  const float lr = finite_float(info, 2, op, "lr"), wd = finite_float(info, 3, op, "weightDecay");
  if (g.length != p.length) throw_range(env, op, "param and grad must have equal lengths");
  std::lock_guard<std::mutex> lock(kernel_mutex());
  kernels().ops.sgd(p.data, g.data, p.length, lr, wd);
  return env.Undefined();
}

// sumSquares(x) → Σ x² (double)
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  F32View x = arg_f32(info, 0, "sumSquares", "x");
  std::lock_guard<std::mutex> lock(kernel_mutex());
  return Napi::Number::New(info.Env(), kernels().ops.sum_squares(x.data, x.length));
}

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("rmsNorm", Napi::Function::New(env, RmsNorm));
  exports.Set("rmsNormBackward", Napi::Function::New(env, RmsNormBackward));
  exports.Set("rope", Napi::Function::New(env, Rope));
  exports.Set("swiglu", Napi::Function::New(env, Swiglu));
  exports.Set("swigluBackward", Napi::Function::New(env, SwigluBackward));
  exports.Set("geglu", Napi::Function::New(env, Geglu));
  exports.Set("gegluBackward", Napi::Function::New(env, GegluBackward));
  exports.Set("embedding", Napi::Function::New(env, Embedding));
  exports.Set("embeddingBackward", Napi::Function::New(env, EmbeddingBackward));
  exports.Set("attention", Napi::Function::New(env, Attention));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward));
  exports.Set("attentionDecode", Napi::Function::New(env, AttentionDecode));
  exports.Set("crossEntropyLinear", Napi::Function::New(env, CrossEntropyLinear));
  exports.Set("dropout", Napi::Function::New(env, Dropout));
  exports.Set("axpy", Napi::Function::New(env, Axpy));
  exports.Set("scale", Napi::Function::New(env, Scale));
  exports.Set("adamw", Napi::Function::New(env, AdamW));
  exports.Set("sgd", Napi::Function::New(env, Sgd));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
}

}  // namespace lf
