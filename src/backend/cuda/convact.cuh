/* The activation and its derivative in the convolution kernels' epilogues (convdirect.cu, convgemm.cu): tanh, the
   common case, inline with devmath.cuh's branch-free odynk_tanh; the others out of line: the direct forward's epilogue
   is unrolled over CO values and inlining the switch of pointwise.h there made the file slow to compile.
   Only CUDA builtins and pointwise.h, so that tools/cudaemu compiles it on the CPU too. */
#pragma once
#include <odyn/private/pointwise.h>
#include "devmath.cuh"

static __device__ __noinline__ double odynk_act_general(int act, double z, double *d)
{
  *d = odyn_act_deriv(act, z);
  return odyn_act(act, z);
}

/* act(z), and *d = act'(z) */
static __device__ __forceinline__ double odynk_act_eval(int act, double z, double *d)
{
  if (act == ODYN_PW_TANH) {
    const double t = odynk_tanh(z);
    *d             = 1.0 - t * t;
    return t;
  }
  return odynk_act_general(act, z, d);
}
