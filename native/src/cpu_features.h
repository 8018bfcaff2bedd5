// What this CPU can run, read once at load.
#pragma once

namespace lf {

bool cpu_has_avx2_fma();
// Physical cores this process may use (SMT siblings count once; the affinity mask is respected).
int physical_core_count();

}  // namespace lf
