#ifndef ODYN_POINTWISE_H
#define ODYN_POINTWISE_H

/*
   Activation formulas, written once for host and device code. No PETSc here: src/backend/ includes this header.
   sigma(x), sigma'(x). ReLU's derivative at 0 is taken as 0 (a subgradient).

   The diffusion fluxes of paper 002 (Sec. 3.4) are Phi(s) = g(s^2) s with a contrast parameter lambda > 0:
     Charbonnier   g(x) = 1 / sqrt(1 + x / lambda^2)   Phi monotone, Phi'(s) = (1 + s^2/lambda^2)^(-3/2)
     Perona-Malik  g(x) = 1 / (1 + x / lambda^2)       Phi non-monotone, Phi'(s) = (1 - s^2/lambda^2) / (1 + s^2/lambda^2)^2
   Both have Lipschitz constant L = sup |Phi'| = 1 (attained at s = 0) whatever lambda is, like tanh, ReLU and the
   identity: that is what makes the stability bound tau <= 2 / (L ||K||^2) of the diffusion layer a priori.
   The *_l functions take lambda; odyn_act() and odyn_act_deriv() use lambda = 1 (layers without a learned contrast).
   d/dlambda: Charbonnier dPhi/dlambda = s^3 / (lambda^3 (1 + s^2/lambda^2)^(3/2)),
              Perona-Malik dPhi/dlambda = 2 s^3 / (lambda^3 (1 + s^2/lambda^2)^2); 0 for the other activations.
*/
#include <math.h>

#if defined(__CUDACC__)
  #define ODYN_POINTWISE static __host__ __device__ inline
#else
  #define ODYN_POINTWISE static inline
#endif

enum { ODYN_PW_IDENTITY = 0, ODYN_PW_TANH = 1, ODYN_PW_RELU = 2, ODYN_PW_CHARBONNIER = 3, ODYN_PW_PERONAMALIK = 4 };

/* the Lipschitz constant sup |sigma'| of every activation above */
#define ODYN_PW_LIPSCHITZ 1.0

/* whether the activation has a contrast parameter lambda */
ODYN_POINTWISE int odyn_act_has_contrast(int type) { return type == ODYN_PW_CHARBONNIER || type == ODYN_PW_PERONAMALIK; }

/* whether type is one of the activations above without a contrast (identity, tanh, relu): those the backends' conv
   sweeps run, as the conv layers have no contrast to learn */
ODYN_POINTWISE int odyn_act_is_plain(int type) { return type >= ODYN_PW_IDENTITY && type <= ODYN_PW_PERONAMALIK && !odyn_act_has_contrast(type); }

ODYN_POINTWISE double odyn_act_l(int type, double x, double lambda)
{
  switch (type) {
  case ODYN_PW_TANH:
    return tanh(x);
  case ODYN_PW_RELU:
    return x > 0.0 ? x : 0.0;
  case ODYN_PW_CHARBONNIER: {
    const double r = x / lambda;
    return x / sqrt(1.0 + r * r);
  }
  case ODYN_PW_PERONAMALIK: {
    const double r = x / lambda;
    return x / (1.0 + r * r);
  }
  default:
    return x;
  }
}

ODYN_POINTWISE double odyn_act_deriv_l(int type, double x, double lambda)
{
  switch (type) {
  case ODYN_PW_TANH: {
    double t = tanh(x);
    return 1.0 - t * t;
  }
  case ODYN_PW_RELU:
    return x > 0.0 ? 1.0 : 0.0;
  case ODYN_PW_CHARBONNIER: {
    const double q = 1.0 + (x / lambda) * (x / lambda);
    return 1.0 / (q * sqrt(q));
  }
  case ODYN_PW_PERONAMALIK: {
    const double r2 = (x / lambda) * (x / lambda), q = 1.0 + r2;
    return (1.0 - r2) / (q * q);
  }
  default:
    return 1.0;
  }
}

/* d sigma / d lambda */
ODYN_POINTWISE double odyn_act_dlambda(int type, double x, double lambda)
{
  switch (type) {
  case ODYN_PW_CHARBONNIER: {
    const double r = x / lambda, q = 1.0 + r * r;
    return r * r * r / (q * sqrt(q));
  }
  case ODYN_PW_PERONAMALIK: {
    const double r = x / lambda, q = 1.0 + r * r;
    return 2.0 * r * r * r / (q * q);
  }
  default:
    return 0.0;
  }
}

ODYN_POINTWISE double odyn_act(int type, double x) { return odyn_act_l(type, x, 1.0); }

ODYN_POINTWISE double odyn_act_deriv(int type, double x) { return odyn_act_deriv_l(type, x, 1.0); }

#endif
