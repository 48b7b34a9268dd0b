// The emulators' dispatch of the narrow kernels' activation (narrow_emu.cpp, verlet_emu.cpp): included after
// narrowcommon.cuh (ODYN_PW_* of pointwise.h)
#pragma once
#include <type_traits>

// f(std::integral_constant<int, ACT>()) for the kernels' activation template parameter (narrowcommon.cuh's
// odynk_with_act is CUDA host code)
template <typename F>
static void with_act(int act, F f)
{
  switch (act) {
  case ODYN_PW_RELU: f(std::integral_constant<int, ODYN_PW_RELU>()); break;
  case ODYN_PW_IDENTITY: f(std::integral_constant<int, ODYN_PW_IDENTITY>()); break;
  default: f(std::integral_constant<int, ODYN_PW_TANH>());
  }
}
static const char *act_name(int act) { return act == ODYN_PW_RELU ? "relu" : act == ODYN_PW_IDENTITY ? "identity" : "tanh"; }
