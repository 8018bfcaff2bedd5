/* Runs llama.cpp's own ggml codecs from libggml-base (the build node-llama-cpp ships) for the tests.
 *
 *   ggml_ref LIB quantize TYPE_ID ROWS ROW_LENGTH  < f32 values  > encoded bytes
 *       ggml_quantize_chunk(type, ...) with no importance matrix: what llama-quantize calls.
 *   ggml_ref LIB dequantize SYMBOL COUNT BYTES     < encoded     > f32 values
 *       SYMBOL(const void *src, float *dst, int64_t count), e.g. dequantize_row_q4_K, ggml_fp16_to_fp32_row.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef size_t (*quantize_chunk_fn)(int type, const float *src, void *dst, int64_t start, int64_t nrows,
                                    int64_t n_per_row, const float *imatrix);
typedef void (*to_float_fn)(const void *src, float *dst, int64_t count);

static void *read_all(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p || fread(p, 1, bytes, stdin) != bytes) {
    fprintf(stderr, "ggml_ref: expected %zu bytes on stdin\n", bytes);
    exit(2);
  }
  return p;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: ggml_ref LIB quantize TYPE_ID ROWS ROW_LENGTH | LIB dequantize SYMBOL COUNT BYTES\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) {
    fprintf(stderr, "ggml_ref: %s\n", dlerror());
    return 2;
  }
  if (argv[2][0] == 'q') {
    quantize_chunk_fn quantize = (quantize_chunk_fn)dlsym(lib, "ggml_quantize_chunk");
    const int type = atoi(argv[3]);
    const int64_t rows = atoll(argv[4]), row_length = atoll(argv[5]);
    float *src = read_all((size_t)(rows * row_length) * sizeof(float));
    void *dst = malloc((size_t)(rows * row_length) * 4 + 1);
    const size_t written = quantize(type, src, dst, 0, rows, row_length, NULL);
    fwrite(dst, 1, written, stdout);
  } else {
    to_float_fn decode = (to_float_fn)dlsym(lib, argv[3]);
    if (!decode) {
      fprintf(stderr, "ggml_ref: no symbol %s\n", argv[3]);
      return 2;
    }
    const int64_t count = atoll(argv[4]);
    void *src = read_all((size_t)atoll(argv[5]));
    float *dst = malloc((size_t)count * sizeof(float) + 1);
    decode(src, dst, count);
    fwrite(dst, sizeof(float), (size_t)count, stdout);
  }
  return 0;
}
