#ifndef ODYN_POINTWISE_H
#define ODYN_POINTWISE_H

/*
   Activation formulas, written once for host and device code. No PETSc here: src/backend/ includes this header.
   sigma(x), sigma'(x). ReLU's derivative at 0 is taken as 0 (a subgradient).
*/
#include <math.h>

#if defined(__CUDACC__)
  #define ODYN_POINTWISE static __host__ __device__ inline
#else
  #define ODYN_POINTWISE static inline
#endif

enum { ODYN_PW_IDENTITY = 0, ODYN_PW_TANH = 1, ODYN_PW_RELU = 2 };

ODYN_POINTWISE double odyn_act(int type, double x)
{
  switch (type) {
  case ODYN_PW_TANH:
    return tanh(x);
  case ODYN_PW_RELU:
    return x > 0.0 ? x : 0.0;
  default:
    return x;
  }
}

ODYN_POINTWISE double odyn_act_deriv(int type, double x)
{
  switch (type) {
  case ODYN_PW_TANH: {
    double t = tanh(x);
    return 1.0 - t * t;
  }
  case ODYN_PW_RELU:
    return x > 0.0 ? 1.0 : 0.0;
  default:
    return 1.0;
  }
}

#endif
