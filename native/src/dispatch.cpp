#include "dispatch.h"

#include <cstdlib>
#include <cstdio>

#include "cpu_features.h"

namespace lf {
namespace {

// The table of a path by name, or null when the name is unknown or this CPU cannot run it.
const KernelTable* table_named(const std::string& name) {
  if (name == "portable") return &portable_kernels();
  if (name == "avx2" && cpu_has_avx2_fma()) return &avx2_kernels();
  if (name == "avx512" && cpu_has_avx512_bf16()) return &avx512_kernels();
  return nullptr;
}

const KernelTable* best_table() {
  if (cpu_has_avx512_bf16()) return &avx512_kernels();
  return cpu_has_avx2_fma() ? &avx2_kernels() : &portable_kernels();
}

const KernelTable* initial_table() {
  const char* forced = std::getenv("LORAFORGE_ISA");
  if (forced && *forced) {
    const std::string name(forced);
    if (const KernelTable* t = table_named(name)) return t;
    const KernelTable* fallback = best_table();
    if (name == "portable" || name == "avx2" || name == "avx512") {
      std::fprintf(stderr, "loraforge: LORAFORGE_ISA=%s but this CPU cannot run it; using %s\n", forced, fallback->name);
    } else {
      std::fprintf(stderr, "loraforge: unknown LORAFORGE_ISA=%s (expected portable|avx2|avx512); ignoring it\n", forced);
    }
    return fallback;
  }
  return best_table();
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
  if (cpu_has_avx512_bf16()) out.push_back("avx512");
  return out;
}

bool select_isa(const std::string& name) {
  const KernelTable* t = table_named(name);
  if (t) current() = t;
  return t != nullptr;
}

}  // namespace lf
