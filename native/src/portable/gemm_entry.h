#pragma once
#include "gemm.h"
namespace lf::portable {
void gemm(const GemmArgs& g);
}
