#pragma once
#include "gemm.h"
namespace lf::avx2 {
void gemm(const GemmArgs& g);
}
