/*
   The cuda table's whole-block convolutional parabolic sweeps (include/odyn/private/backend.h: conv_parabolic_*,
   the parabolic CNN of paper 000, with or without its TV normalization), composed, as convblocks.cu's other conv
   blocks, from the direct 3x3 kernels of convdirect.cu (odyn_cuda_conv3_*, cudakernels.h), the table's elementwise
   operations and the normalization's kernels (convtvnorm.cu); the checks and channel sums they share with
   convblocks.cu are declared in backendimpl.cuh. No PETSc header here by design.
*/
#include <limits.h>
#include <odyn/private/backend.h>
#include <odyn/private/cudakernels.h>
#include <odyn/private/pointwise.h>
#include "backendimpl.cuh"

namespace odyn_cudabackend {

/*
   The whole-block convolutional parabolic tanh sweeps (conv_parabolic_*: the parabolic CNN, scheme euler with
   layer convsymmetric). One geometry g = {ih, iw, c, m, 3}: K_j * Y maps Y (c channels) to m, K_j^T * S is
   odyn_cuda_conv3_adjoint with the same K_j; the outer -K^T's stencil gradient is odyn_cuda_conv3_stencil_grad with P
   as the input and S_j as the weight (<P, -dK^T * S> = -<dK * P, S>).
   lin = [D_0 .. D_{N-1} (N lm) | S_0 .. S_{N-1} (N lm) | with the normalization Uhat_0 .. (N lm) | 1/r_0 .. (N lp) |
          scratch: T (lm) | A (lm) | P (lc) | ones (ih iw) | cs (m s)]
   Without the normalization:
     forward   S_j = tanh(K_j * Y_j + b_j) with D_j; Y_{j+1} = -K_j^T * S_j; Y_{j+1} = Y_j + h Y_{j+1}
                                                                       (conv3_forward_bias_act, conv3_adjoint, axpby)
     tangent   A = dK_j * Y_j + db_j (or 0) + K_j * dY; T = -h D_j .* A; dY += K_j^T * T; dY += -h dK_j^T * S_j
     adjoint   gK_j += -h stencil gradient (P, S_j); A = K_j * P; T = -h D_j .* A; gK_j += stencil gradient (Y_j, T);
               gb_j += channel sums of T; P += K_j^T * T
   With it (eps > 0; theta_j = [K_j | b_j | scale_j | beta_j]), per pixel and example over the m channels of U:
     forward   U = K_j * Y_j + b_j (conv3_forward_bias_act, identity) in S_j; tvnorm_forward: 1/r = 1/sqrt(sum U^2 +
               eps), Uhat = U / r, S_j = tanh(scale Uhat + beta), D_j; then as above
     tangent   A as above; tvnorm_jac (forward): A = scale .* J_tv A (+ dscale .* Uhat + dbeta); then as above
     adjoint   A = K_j * P; T = -h D_j .* A; gscale_j += channel sums of Uhat .* T, gbeta_j += channel sums of T;
               tvnorm_jac (adjoint): T = J_tv (scale .* T); then gK_j, gb_j and P as above
   with J_tv V = (V - Uhat (Uhat . V)) / r per pixel (symmetric). Round-off as the conv Euler sweeps: the gradient sums
   in another order than the host's, K^T * S as the adjoint convolution where the host convolves with the flipped
   stencil, and the normalization's sums with FMAs.
*/

/* the parts of lin that one step keeps (the layout above), and where the scratch begins */
typedef struct {
  double *D, *S, *Uhat, *rinv;
} StepLin;

static StepLin step_lin(double *lin, double eps, long N, long j, long lm, long lp)
{
  StepLin l = {lin + j * lm, lin + (N + j) * lm, NULL, NULL};

  if (eps > 0) {
    l.Uhat = lin + (2 * N + j) * lm;
    l.rinv = lin + 3 * N * lm + j * lp;
  }
  return l;
}

static double *scratch(double *lin, double eps, long N, long lm, long lp) { return lin + (eps > 0 ? 3 * N * lm + N * lp : 2 * N * lm); }

/* the parameters of step j: [K | b | scale | beta] with the normalization, else [K | b] */
static long slot_of(long nk, long m, double eps) { return nk + (eps > 0 ? 3 : 1) * m; }

long cuda_conv_parabolic_linsize(long c, long m, double eps, long ih, long iw, long N, long s)
{
  const long hw = ih * iw, lc = c * hw * s, lm = m * hw * s, lp = hw * s;

  if (!conv1_fits(c, m) || !(eps >= 0)) return -1;
  return (eps > 0 ? 3 * N * lm + N * lp : 2 * N * lm) + 2 * lm + lc + hw + m * s;
}

static int check_conv_parabolic(const char *op, int act, long c, long m, double eps, long ih, long iw, long N, long s, const double *theta, const double *lin, const double *a, const double *b, const char *ab)
{
  int r = check_conv_verlet(op, act, c, m, eps, ih, iw, N, s, theta, lin);

  if (r) return r;
  if (!s) return r;
  if (!a || !b) return fail(ODYN_BACKEND_ERR_ARG, "%s: %s must be arrays of the backend", op, ab);
  return ODYN_BACKEND_OK;
}

int cuda_conv_parabolic_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const odyn_conv_geom g = {ih, iw, c, m, 3};
  const long           hw = ih * iw, lc = c * hw * s, lm = m * hw * s, nk = 9 * c * m, slot = slot_of(nk, m, eps);
  int                  r;

  if ((r = check_conv_parabolic("conv_parabolic_forward", act, c, m, eps, ih, iw, N, s, theta, lin, Y0, Ytraj, "Y0 and Ytraj")) || !s) return r;
  if ((r = cuda_copy_device(Ytraj, Y0, (size_t)lc * sizeof(double)))) return r;
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * lc;
    double       *Y1 = Ytraj + (j + 1) * lc;
    const StepLin l  = step_lin(lin, eps, N, j, lm, hw * s);

    if ((r = conv_act_tv(act, &g, s, eps, K, K + nk, K + nk + m, K + nk + 2 * m, Yj, l.S, l.D, l.Uhat, l.rinv, "conv_parabolic_forward"))) return r;
    if ((r = odyn_cuda_conv3_adjoint(&g, s, K, -1.0, l.S, 0.0, Y1))) return kernel_status(r, "conv_parabolic_forward");
    if ((r = cuda_axpby(lc, 1.0, Yj, h, Y1))) return r;
  }
  return ODYN_BACKEND_OK;
}

int cuda_conv_parabolic_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  const odyn_conv_geom g = {ih, iw, c, m, 3};
  const long           hw = ih * iw, lc = c * hw * s, lm = m * hw * s, nk = 9 * c * m, slot = slot_of(nk, m, eps);
  double              *T, *A;
  int                  r;

  if ((r = check_conv_parabolic("conv_parabolic_tangent", act, c, m, eps, ih, iw, N, s, theta, lin, Ytraj, dYN, "Ytraj and dYN")) || !s) return r;
  T = scratch(lin, eps, N, lm, hw * s);
  A = T + lm;
  if (dY0) r = cuda_copy_device(dYN, dY0, (size_t)lc * sizeof(double));
  else r = cuda_mem_set(dYN, 0, (size_t)lc * sizeof(double));
  if (r) return r;
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * lc;
    const double *dK = dtheta ? dtheta + j * slot : NULL;
    const StepLin l  = step_lin(lin, eps, N, j, lm, hw * s);

    if (dK && (r = odyn_cuda_conv3_forward_bias_act(&g, s, dK, Yj, dK + nk, ODYN_PW_IDENTITY, A, NULL))) return kernel_status(r, "conv_parabolic_tangent");
    if ((r = odyn_cuda_conv3_forward(&g, s, K, 1.0, dYN, dK ? 1.0 : 0.0, A))) return kernel_status(r, "conv_parabolic_tangent");
    if (eps > 0 && (r = tvnorm_jac(0, m, hw, s, K + nk + m, dK ? dK + nk + m : NULL, dK ? dK + nk + 2 * m : NULL, l.Uhat, l.rinv, A))) return r;
    if ((r = odyn_cuda_hadamard(lm, -h, l.D, A, T))) return kernel_status(r, "conv_parabolic_tangent");
    if ((r = odyn_cuda_conv3_adjoint(&g, s, K, 1.0, T, 1.0, dYN))) return kernel_status(r, "conv_parabolic_tangent");
    if (dK && (r = odyn_cuda_conv3_adjoint(&g, s, dK, -h, l.S, 1.0, dYN))) return kernel_status(r, "conv_parabolic_tangent");
  }
  return ODYN_BACKEND_OK;
}

int cuda_conv_parabolic_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, c, m, 3};
  const long           hw = ih * iw, lc = c * hw * s, lm = m * hw * s, nk = 9 * c * m, slot = slot_of(nk, m, eps);
  double              *T, *A, *P, *ones, *cs;
  int                  r;

  if ((r = check_conv_parabolic("conv_parabolic_adjoint", act, c, m, eps, ih, iw, N, s, theta, lin, Ytraj, W, "Ytraj and W")) || !s || (!gtheta && !gY0)) return r;
  T    = scratch(lin, eps, N, lm, hw * s);
  A    = T + lm;
  P    = gY0 ? gY0 : A + lm;
  ones = A + lm + lc;
  cs   = ones + hw;
  if ((r = cuda_copy_device(P, W, (size_t)lc * sizeof(double)))) return r;
  if (gtheta) {
    if ((r = conv_fill_ones(hw, ones, "conv_parabolic_adjoint (ones)"))) return r;
  }
  for (long j = N - 1; j >= 0; j--) {
    const double *K  = theta + j * slot, *Yj = Ytraj + j * lc;
    double       *gK = gtheta ? gtheta + j * slot : NULL;
    const StepLin l  = step_lin(lin, eps, N, j, lm, hw * s);

    /* the outer -K^T * S: its stencil gradient before P moves on */
    if (gK && (r = odyn_cuda_conv3_stencil_grad(&g, s, P, l.S, -h, gK))) return kernel_status(r, "conv_parabolic_adjoint");
    if ((r = odyn_cuda_conv3_forward(&g, s, K, 1.0, P, 0.0, A))) return kernel_status(r, "conv_parabolic_adjoint");
    if ((r = odyn_cuda_hadamard(lm, -h, l.D, A, T))) return kernel_status(r, "conv_parabolic_adjoint");
    /* the normalization: scale and beta first (A is free now), then T = J_tv (scale .* T) */
    if (eps > 0 && (r = conv_tv_adjoint(m, hw, s, K + nk + m, gK ? gK + nk + m : NULL, gK ? gK + nk + 2 * m : NULL, l.Uhat, l.rinv, T, A, ones, cs))) return r;
    if (gK) {
      if ((r = odyn_cuda_conv3_stencil_grad(&g, s, Yj, T, 1.0, gK))) return kernel_status(r, "conv_parabolic_adjoint");
      if ((r = channel_sums_add(m, hw, s, T, ones, cs, gK + nk))) return r;
    }
    if ((r = odyn_cuda_conv3_adjoint(&g, s, K, 1.0, T, 1.0, P))) return kernel_status(r, "conv_parabolic_adjoint");
  }
  return ODYN_BACKEND_OK;
}

} // namespace odyn_cudabackend
