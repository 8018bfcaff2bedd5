// What this CPU can run, read once at load.
#pragma once

namespace lf {

bool cpu_has_avx2_fma();
// AVX-512 F/BW/VL/DQ with BF16 (VDPBF16PS), on top of AVX2+FMA.
bool cpu_has_avx512_bf16();
// Physical cores this process may use (SMT siblings count once; the affinity mask is respected).
int physical_core_count();

}  // namespace lf
