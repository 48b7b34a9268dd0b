#ifndef ODYN_LOSSFN_H
#define ODYN_LOSSFN_H

/*
   The per-example loss functions of the built-in losses (src/losses/impls: softmax, logistic, lsq), written once for
   every place that evaluates them: the loss types' host ops, the host backend table's loss_value / loss_hessmult
   (include/odyn/private/backend.h) and the cuda table's kernels (src/backend/cuda/losses.cu, compiled by nvcc as
   __host__ __device__). Plain C, no PETSc: z, c, g, dz, h are the nc scores, targets, gradient, direction and product
   of one example (contiguous). So the host path and -odyn_backend hostref compute every value with the same
   operations in the same order (bit for bit equal), and the device differs only by its exp / log and contractions.

   value:    returns acc + S(z, c), adding S's terms to acc one by one in the order of the host loops (the host sums
             all examples' terms in one running sum); g = dS/dz when g is not NULL
   hessmult: h = d^2S/dz^2 dz (h must not alias dz)
*/
#include <math.h>
#include <stdio.h>
#include <odyn/private/backend.h>

/* the loss functions a backend can evaluate; a loss type sets its own (struct _p_OdynLoss lossfn), 0: none */
enum { ODYN_LOSSFN_NONE = 0, ODYN_LOSSFN_SOFTMAX = 1, ODYN_LOSSFN_LOGISTIC = 2, ODYN_LOSSFN_LSQ = 3 };

#if defined(__CUDACC__)
  #define ODYN_LOSSFN_DECL __host__ __device__ static inline
#else
  #define ODYN_LOSSFN_DECL static inline
#endif

/* log sum_k exp(z_k), the max taken out first so that no exp overflows */
ODYN_LOSSFN_DECL double odyn_lossfn_logsumexp(long nc, const double *z)
{
  double m = z[0], se = 0;

  for (long k = 1; k < nc; k++) m = m < z[k] ? z[k] : m;
  for (long k = 0; k < nc; k++) se += exp(z[k] - m);
  return m + log(se);
}

/* softmax cross entropy S = sum_k c_k (lse(z) - z_k); dS/dz = (sum_k c_k) p - c, p = exp(z - lse(z)) */
ODYN_LOSSFN_DECL double odyn_lossfn_softmax_value(long nc, const double *z, const double *c, double acc, double *g)
{
  const double lse  = odyn_lossfn_logsumexp(nc, z);
  double       csum = 0;

  for (long k = 0; k < nc; k++) {
    csum += c[k];
    acc += c[k] * (lse - z[k]); /* every term >= 0: no cancellation */
  }
  if (g)
    for (long k = 0; k < nc; k++) g[k] = csum * exp(z[k] - lse) - c[k];
  return acc;
}

/* (sum_k c_k) (diag(p) - p p^T) dz */
ODYN_LOSSFN_DECL void odyn_lossfn_softmax_hessmult(long nc, const double *z, const double *c, const double *dz, double *h)
{
  const double lse  = odyn_lossfn_logsumexp(nc, z);
  double       csum = 0, pd = 0;

  for (long k = 0; k < nc; k++) {
    h[k] = exp(z[k] - lse); /* p_k */
    csum += c[k];
    pd += h[k] * dz[k];
  }
  for (long k = 0; k < nc; k++) h[k] = csum * h[k] * (dz[k] - pd);
}

/* 1 / (1 + exp(-z)) without overflow for either sign of z */
ODYN_LOSSFN_DECL double odyn_lossfn_sigmoid(double z)
{
  if (z >= 0) return 1.0 / (1.0 + exp(-z));
  else {
    const double e = exp(z);
    return e / (1.0 + e);
  }
}

/* independent Bernoulli outputs: S = sum_k log(1 + exp(z_k)) - c_k z_k, evaluated as max(z, 0) + log1p(exp(-|z|)) */
ODYN_LOSSFN_DECL double odyn_lossfn_logistic_value(long nc, const double *z, const double *c, double acc, double *g)
{
  for (long k = 0; k < nc; k++) {
    acc += (z[k] < 0 ? 0 : z[k]) + log1p(exp(-fabs(z[k]))) - c[k] * z[k];
    if (g) g[k] = odyn_lossfn_sigmoid(z[k]) - c[k];
  }
  return acc;
}

ODYN_LOSSFN_DECL void odyn_lossfn_logistic_hessmult(long nc, const double *z, const double *dz, double *h)
{
  for (long k = 0; k < nc; k++) {
    const double p = odyn_lossfn_sigmoid(z[k]);
    h[k]           = p * (1 - p) * dz[k];
  }
}

/* least squares S = 1/2 ||z - c||^2: gradient z - c, Hessian the identity */
ODYN_LOSSFN_DECL double odyn_lossfn_lsq_value(long nc, const double *z, const double *c, double acc, double *g)
{
  for (long k = 0; k < nc; k++) {
    const double r = z[k] - c[k];
    acc += 0.5 * (r * r);
    if (g) g[k] = r;
  }
  return acc;
}

/* the loss fn (ODYN_LOSSFN_*) of one example; an unknown fn adds nothing and leaves g, h unset (callers check fn) */
ODYN_LOSSFN_DECL double odyn_lossfn_value(int fn, long nc, const double *z, const double *c, double acc, double *g)
{
  switch (fn) {
  case ODYN_LOSSFN_SOFTMAX:
    return odyn_lossfn_softmax_value(nc, z, c, acc, g);
  case ODYN_LOSSFN_LOGISTIC:
    return odyn_lossfn_logistic_value(nc, z, c, acc, g);
  case ODYN_LOSSFN_LSQ:
    return odyn_lossfn_lsq_value(nc, z, c, acc, g);
  default:
    return acc;
  }
}

ODYN_LOSSFN_DECL void odyn_lossfn_hessmult(int fn, long nc, const double *z, const double *c, const double *dz, double *h)
{
  switch (fn) {
  case ODYN_LOSSFN_SOFTMAX:
    odyn_lossfn_softmax_hessmult(nc, z, c, dz, h);
    break;
  case ODYN_LOSSFN_LOGISTIC:
    odyn_lossfn_logistic_hessmult(nc, z, dz, h);
    break;
  case ODYN_LOSSFN_LSQ:
    for (long k = 0; k < nc; k++) h[k] = dz[k];
    break;
  default:
    break;
  }
}

/* the arguments of a table's loss_value / loss_hessmult, checked on the host: ODYN_BACKEND_OK, or a status with the
   reason in msg */
static inline int odyn_lossfn_check(const char *op, int fn, long nc, long s, const double *Z, const double *C, char *msg, size_t len)
{
  if (fn != ODYN_LOSSFN_SOFTMAX && fn != ODYN_LOSSFN_LOGISTIC && fn != ODYN_LOSSFN_LSQ) {
    snprintf(msg, len, "%s: unknown loss function %d (ODYN_LOSSFN_SOFTMAX, _LOGISTIC or _LSQ of lossfn.h)", op, fn);
    return ODYN_BACKEND_ERR_ARG;
  }
  if (nc < 1 || s < 0) {
    snprintf(msg, len, "%s: need nc >= 1 classes and s >= 0 examples, got nc = %ld, s = %ld", op, nc, s);
    return ODYN_BACKEND_ERR_SIZE;
  }
  if (s && (!Z || !C)) {
    snprintf(msg, len, "%s: the scores Z and targets C must be arrays of the backend", op);
    return ODYN_BACKEND_ERR_ARG;
  }
  return ODYN_BACKEND_OK;
}

#endif
