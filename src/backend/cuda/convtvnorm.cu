/*
   The cuda table's kernels of paper 000's total-variation normalization (eq. 9) inside the conv block sweeps
   (convparabolic.cu, convleapfrog.cu): per pixel p and example, over the m channels of U = K * Y + b,
     1/r = 1 / sqrt(sum_c U_c^2 + eps),  Uhat = U / r,  A = scale .* Uhat + beta,  S = tanh(A),  D = 1 - S^2
   and its Jacobian J_tv V = (V - Uhat (Uhat . V)) / r (symmetric), one thread per pixel and example (two
   passes over the m channels, any m; the channel-major layout makes the threads of a warp read neighbouring pixels of
   one channel). The host's are odyn_tvnorm / odyn_tvnorm_jac / odyn_channel_affine (src/backend/host/conv.c).
   No PETSc header here by design.
*/
#include <odyn/private/backend.h>
#include <odyn/private/cudakernels.h>
#include <odyn/private/pointwise.h>
#include "backendimpl.cuh"

namespace odyn_cudabackend {

/* 1/r, Uhat and S = act(scale Uhat + beta), D = act' (tanh: 1 - S^2; D NULL: not kept) per pixel and example; U comes
   in S (m hw x s, channel-major) */
static __global__ void k_tvnorm_forward(int act, long m, long hw, long len, double eps, const double *scale, const double *beta, double *S, double *D, double *Uhat, double *rinv)
{
  ODYN_FOR_EACH(k, len) /* k = e hw + p */
  {
    const long e = k / hw, p = k % hw, base = e * m * hw + p;
    double     sum = eps, r;

    for (long c = 0; c < m; c++) {
      const double u = S[base + c * hw];

      sum += u * u;
    }
    r       = 1.0 / sqrt(sum);
    rinv[k] = r;
    for (long c = 0; c < m; c++) {
      const long   i  = base + c * hw;
      const double uh = S[i] * r, a = scale[c] * uh + beta[c], y = odyn_act(act, a);

      Uhat[i] = uh;
      S[i]    = y;
      if (D) D[i] = act == ODYN_PW_TANH ? __dsub_rn(1.0, __dmul_rn(y, y)) : odyn_act_deriv(act, a); /* the roundings of k_channel_bias_act */
    }
  }
}

/*
   The normalization's Jacobian per pixel and example on V (m hw x s): forward (adjoint = 0) V = scale .* J_tv V, plus
   dscale .* Uhat + dbeta when dscale is given; adjoint V = J_tv (scale .* V).
*/
static __global__ void k_tvnorm_jac(int adjoint, long m, long hw, long len, const double *scale, const double *dscale, const double *dbeta, const double *Uhat, const double *rinv, double *V)
{
  ODYN_FOR_EACH(k, len)
  {
    const long e = k / hw, p = k % hw, base = e * m * hw + p;
    double       dot = 0.0;
    const double r   = rinv[k];

    for (long c = 0; c < m; c++) dot += Uhat[base + c * hw] * (adjoint ? scale[c] * V[base + c * hw] : V[base + c * hw]);
    for (long c = 0; c < m; c++) { /* v_c read again (V[i] is written after its read): no per-thread array, any m */
      const long   i = base + c * hw;
      const double v = adjoint ? scale[c] * V[i] : V[i], j = r * (v - Uhat[i] * dot);

      V[i] = adjoint ? j : scale[c] * j + (dscale ? dscale[c] * Uhat[i] + dbeta[c] : 0.0);
    }
  }
}

int tvnorm_jac(int adjoint, long m, long hw, long s, const double *scale, const double *dscale, const double *dbeta, const double *Uhat, const double *rinv, double *V)
{
  if (!hw || !s) return ODYN_BACKEND_OK;
  k_tvnorm_jac<<<grid_for(hw * s), TPB, 0, st.stream>>>(adjoint, m, hw, hw * s, scale, dscale, dbeta, Uhat, rinv, V);
  return launched("tvnorm_jac kernel");
}

int conv_act_tv(int act, const odyn_conv_geom *g, long s, double eps, const double *K, const double *b, const double *scale, const double *beta, const double *X, double *U, double *D, double *Uhat, double *rinv, const char *op)
{
  int r = odyn_cuda_conv3_forward_bias_act(g, s, K, X, b, eps > 0 ? ODYN_PW_IDENTITY : act, U, eps > 0 ? NULL : D);

  if (r) return kernel_status(r, op);
  return eps > 0 ? tvnorm_forward(act, g->cout, g->h * g->w, s, eps, scale, beta, U, D, Uhat, rinv) : ODYN_BACKEND_OK;
}

int tvnorm_forward(int act, long m, long hw, long s, double eps, const double *scale, const double *beta, double *S, double *D, double *Uhat, double *rinv)
{
  if (!hw || !s) return ODYN_BACKEND_OK;
  k_tvnorm_forward<<<grid_for(hw * s), TPB, 0, st.stream>>>(act, m, hw, hw * s, eps, scale, beta, S, D, Uhat, rinv);
  return launched("tvnorm_forward kernel");
}

} // namespace odyn_cudabackend
