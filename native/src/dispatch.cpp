#include "dispatch.h"

#include <cstdlib>
#include <cstdio>

#include "cpu_features.h"

namespace lf {
namespace {

const KernelTable* initial_table() {
  const char* forced = std::getenv("LORAFORGE_ISA");
  if (forced && *forced) {
    std::string name(forced);
    if (name == "portable") return &portable_kernels();
    if (name == "avx2") {
      if (cpu_has_avx2_fma()) return &avx2_kernels();
      std::fprintf(stderr, "loraforge: LORAFORGE_ISA=avx2 but this CPU lacks AVX2/FMA; using portable\n");
      return &portable_kernels();
    }
    std::fprintf(stderr, "loraforge: unknown LORAFORGE_ISA=%s (expected portable|avx2); ignoring it\n", forced);
  }
  return cpu_has_avx2_fma() ? &avx2_kernels() : &portable_kernels();
}

const KernelTable*& current() {
  static const KernelTable* table = initial_table();
  return table;
}

}  // namespace

const KernelTable& kernels() { return *current(); }

std::vector<std::string> available_isas() {
  std::vector<std::string> out{"portable"};
  if (cpu_has_avx2_fma()) out.push_back("avx2");
  return out;
}

bool select_isa(const std::string& name) {
  if (name == "portable") {
    current() = &portable_kernels();
    return true;
  }
  if (name == "avx2" && cpu_has_avx2_fma()) {
    current() = &avx2_kernels();
    return true;
  }
  return false;
}

}  // namespace lf
