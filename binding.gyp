{
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
    "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")", "native/src"]
  },
  "targets": [
    {
      "target_name": "kernels_portable",
      "type": "static_library",
      "cflags_cc": ["-fPIC"],
      "sources": [
        "native/src/portable/gemm_portable.cpp",
        "native/src/portable/ops_portable.cpp",
        "native/src/nf4/quant4_portable.cpp"
      ]
    },
    {
      "target_name": "kernels_avx2",
      "type": "static_library",
      "cflags_cc": ["-fPIC", "-mavx2", "-mfma", "-mf16c"],
      "sources": [
        "native/src/avx2/gemm_avx2.cpp",
        "native/src/avx2/ops_avx2.cpp",
        "native/src/nf4/quant4_avx2.cpp"
      ]
    },
    {
      "target_name": "loraforge",
      "dependencies": ["kernels_portable", "kernels_avx2"],
      "cflags_cc": ["-fexceptions", "-ffp-contract=off"],
      "defines": ["NODE_ADDON_API_CPP_EXCEPTIONS"],
      "libraries": ["-lpthread"],
      "sources": [
        "native/src/addon.cpp",
        "native/src/bind_gemm.cpp",
        "native/src/bind_ops.cpp",
        "native/src/cpu_features.cpp",
        "native/src/thread_pool.cpp",
        "native/src/dispatch.cpp",
        "native/src/kernels/rope_freq.cpp",
        "native/src/nf4/quant4_driver.cpp",
        "native/src/bind_nf4.cpp",
        "native/src/ggml/ggml_codec.cpp",
        "native/src/ggml/float_types.cpp",
        "native/src/ggml/legacy_quants.cpp",
        "native/src/ggml/kquants_decode.cpp",
        "native/src/ggml/kquants_search.cpp",
        "native/src/ggml/kquants_encode.cpp",
        "native/src/bind_ggml.cpp"
      ]
    }
  ]
}
