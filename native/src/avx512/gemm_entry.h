#pragma once
#include "gemm.h"
namespace lf::avx512 {
void gemm(const GemmArgs& g);
}
