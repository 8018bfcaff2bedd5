// Registers the 4-bit kernels' bindings (native/src/bind_nf4.cpp) on the addon's exports.
#pragma once
#include <napi.h>

namespace lf {
void register_quant4(Napi::Env env, Napi::Object exports);
}  // namespace lf
