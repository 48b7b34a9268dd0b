/* Device math shared by odyn's kernels (narrow.cu, verlet.cu, convdirect.cu, wide.cu). Only CUDA builtins and
   pointwise.h, so that tools/cudaemu can compile it as C++ on the CPU (it defines the bit casts itself). */
#pragma once
#include <odyn/private/pointwise.h>

/* tanh without branches, the method and constants of the host's include/odyn/private/vtanh.h (what the host table
   uses): k = rint(2|x| / ln 2), s = |x| - k ln(2)/2, e^{2s} = (1 + w + s) / (1 + w - s) with 1 + w = s coth(s)
   (fdlibm's polynomial), tanh|x| = (a + (a w + b s)) / (b + (b w + a s)), a = 2^k - 1, b = 2^k + 1: one division, a
   few ulp everywhere (no cancellation for small |x|). Why not CUDA's tanh: it branches at |x| = 0.55 (a polynomial
   below, exp and a division above) and a warp whose values straddle it, the usual case (the states of 32 examples,
   the rows of one example, the pixels of a layer), runs both sides: ~30-35 fp64 operations per value against ~25.
   With 8 tanh per example and step next to 64 FMAs (n = 8), or one per 54 FMAs of a 6-channel convolution output,
   that is a fifth to a third of a kernel's fp64 work. */
__device__ __forceinline__ double odynk_tanh(double x)
{
  const double shift = 6755399441055744.0; /* 1.5 2^52: adding it rounds to an integer */
  double       ax    = fabs(x);
  ax                 = ax > 20.0 ? 20.0 : ax; /* tanh(20) rounds to 1; a NaN stays */
  const double kd    = ax * (2.0 * 1.44269504088896338700e+00) + shift;
  const double nd    = kd - shift;
  const double s     = (ax - nd * (0.5 * 6.93147180369123816490e-01)) - nd * (0.5 * 1.90821492927058770002e-10);
  const double z     = s * s;
  const double w     = z * ((2.0 * 1.66666666666666019037e-01) + z * ((8.0 * -2.77777777770155933842e-03) + z * ((32.0 * 6.61375632143793436117e-05) + z * ((128.0 * -1.65339022054652515390e-06) + z * (512.0 * 4.13813679705723846039e-08)))));
  const double p2    = __longlong_as_double((long long)((unsigned long long)(__double_as_longlong(kd) - (__double_as_longlong(shift) - 1023)) << 52)); /* 2^k */
  const double a = p2 - 1.0, b = p2 + 1.0;
  return copysign((a + (a * w + b * s)) / (b + (b * w + a * s)), x);
}

/* The dense sweeps' activation (cudakernels.h, "Activation"): identity, tanh or relu. The narrow one-kernel sweeps take
   it as a template parameter ACT, so that their tanh instantiations compile to the code they were when they ran tanh
   alone (no branch, no call in the unrolled loops). sigma' is taken from the output t = sigma(z), which the kernels
   hold anyway: tanh 1 - t^2, relu t > 0 (as z > 0: pointwise.h's relu'(0) = 0), identity 1. */
template <int ACT>
__device__ __forceinline__ double odynk_act_of(double z);
template <int ACT>
__device__ __forceinline__ double odynk_act_dout(double t);
template <>
__device__ __forceinline__ double odynk_act_of<ODYN_PW_TANH>(double z) { return odynk_tanh(z); }
template <>
__device__ __forceinline__ double odynk_act_of<ODYN_PW_RELU>(double z) { return z > 0.0 ? z : 0.0; }
template <>
__device__ __forceinline__ double odynk_act_of<ODYN_PW_IDENTITY>(double z) { return z; }
template <>
__device__ __forceinline__ double odynk_act_dout<ODYN_PW_TANH>(double t) { return 1.0 - t * t; }
template <>
__device__ __forceinline__ double odynk_act_dout<ODYN_PW_RELU>(double t) { return t > 0.0 ? 1.0 : 0.0; }
template <>
__device__ __forceinline__ double odynk_act_dout<ODYN_PW_IDENTITY>(double t) { return 1.0; }

/* the same as expressions, for the kernels' conditional expressions (c ? h sigma'(t) P : 0): there a call, even one
   inlined, changed how nvcc placed the tanh (the adjoints' PTX differed from the tanh-only kernels'); for tanh these
   are the very text of those kernels, the constant condition folded by the compiler */
#define ODYNK_ACT_OF(ACT, z)   ((ACT) == ODYN_PW_TANH ? odynk_tanh(z) : odynk_act_of<ACT>(z))
#define ODYNK_ACT_DOUT(ACT, t) ((ACT) == ODYN_PW_TANH ? 1.0 - (t) * (t) : odynk_act_dout<ACT>(t))

/* the same at run time, for the wide paths' fused element-wise passes (one branch, uniform over the grid): act(z) and
   *d = act'(z) taken at the pre-activation z, as the host does; tanh inline as convact.cuh's odynk_act_eval */
__device__ __forceinline__ double odynk_act_rt(int act, double z, double *d)
{
  if (act == ODYN_PW_TANH) {
    const double t = odynk_tanh(z);
    *d             = 1.0 - t * t;
    return t;
  }
  if (act == ODYN_PW_RELU) {
    *d = z > 0.0 ? 1.0 : 0.0;
    return z > 0.0 ? z : 0.0;
  }
  *d = 1.0;
  return z;
}
