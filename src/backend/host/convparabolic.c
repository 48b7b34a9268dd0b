/*
   The host table's whole-block sweeps of a convolutional parabolic tanh block, the parabolic CNN (include/odyn/private/
   backend.h, conv_parabolic_tanh_*): Y_{j+1} = Y_j - h K_j^T * tanh(K_j * Y_j + b_j), 3x3 stencils, Y of c channels,
   K_j * Y of m.

   They call the kernels the convsymmetric layer calls on the schemes' direct path (src/schemes/impls/euler.c with
   src/layers/impls/convcore.c, no normalization, the identity stencil map, the fused Euler step and the in-place
   derivative products), with the same operands, in the same order and over the same chunks of examples
   (odyn_conv_chunk_examples() of the geometry c -> m: the stencil and bias gradients are sums over the examples, and
   another split would round otherwise), so that a block delegated to the host table (-odyn_backend hostref) gives the
   direct path's results bit for bit. Step by step, per chunk, as the layer does (convcore.c: Eval, JacX, JacTheta,
   AdjointProducts / JacXT):
     forward   S_j = tanh(K_j * Y_j + b_j), D_j = sigma'; Y_{j+1} = -K_j^T * S_j; Y_{j+1} = Y_j + h Y_{j+1}
     tangent   T = K_j * dY; T = D_j .* T; dY += -h K_j^T * T (all chunks); then T = dK_j * Y_j + db_j; T = D_j .* T;
               dY += -h K_j^T * T; dY += -h dK_j^T * S_j
     adjoint   gK_j += -h stencil gradient (P, S_j); T = K_j * P; T = D_j .* T; gb_j += -h channel sums of T;
               gK_j += -h stencil gradient (Y_j, T); P += -h K_j^T * T  (without gtheta: the last two lines' T and P only)
   The forward keeps S_j and D_j (the layer forms them again at each linearization: the same values). No PETSc here,
   like the rest of src/backend/.
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>

static long lmin(long a, long b) { return a < b ? a : b; }

long odyn_host_conv_parabolic_tanh_linsize(long c, long m, long ih, long iw, long N, long s)
{
  (void)c;
  return 2 * N * m * ih * iw * s;
}

/* the scratch of a sweep: the convolution workspace, then T (one chunk of m channels) when withT */
static double *Scratch(const odyn_conv_geom *g, long s, int withT, double **T)
{
  const long ch = odyn_conv_chunk_examples(g), nw = odyn_conv_work_size(g);
  double    *work;

  work = (double *)malloc((size_t)(nw + (withT ? g->cout * g->h * g->w * lmin(ch, s) : 0)) * sizeof(double));
  if (work && T) *T = work + nw;
  return work;
}

int odyn_host_conv_parabolic_tanh_forward(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const odyn_conv_geom g = {ih, iw, c, m, 3};
  const long           hw = ih * iw, nin = c * hw, nU = m * hw, lc = nin * s, lm = nU * s, nk = 9 * c * m, slot = nk + m, ch = odyn_conv_chunk_examples(&g);
  double              *work;
  int                  r = 0;

  if (!lc) return 0;
  if (!(work = Scratch(&g, s, 0, NULL))) return ODYN_BACKEND_ERR_MEM;
  memcpy(Ytraj, Y0, (size_t)lc * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * lc;
    double       *Y1 = Ytraj + (j + 1) * lc, *D = lin + j * lm, *S = lin + (N + j) * lm;

    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long ns = lmin(ch, s - e0);

      r = odyn_conv_forward_bias_act(&g, ns, K, Yj + e0 * nin, K + nk, ODYN_PW_TANH, S + e0 * nU, D + e0 * nU, work);
      if (!r) r = odyn_conv_adjoint(&g, ns, K, -1.0, S + e0 * nU, 0.0, Y1 + e0 * nin, work);
      odyn_axpby(nin * ns, 1.0, Yj + e0 * nin, h, Y1 + e0 * nin);
    }
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_parabolic_tanh_tangent(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  const odyn_conv_geom g = {ih, iw, c, m, 3};
  const long           hw = ih * iw, nin = c * hw, nU = m * hw, lc = nin * s, lm = nU * s, nk = 9 * c * m, slot = nk + m, ch = odyn_conv_chunk_examples(&g);
  double              *work, *T;
  int                  r = 0;

  if (!lc) return 0;
  if (!(work = Scratch(&g, s, 1, &T))) return ODYN_BACKEND_ERR_MEM;
  if (dY0) memcpy(dYN, dY0, (size_t)lc * sizeof(double));
  else memset(dYN, 0, (size_t)lc * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * slot, *D = lin + j * lm, *S = lin + (N + j) * lm, *Yj = Ytraj + j * lc;

    /* dY += -h K^T (D .* (K * dY)): the chunk's dY is read into T before its rows are written */
    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long ns = lmin(ch, s - e0);

      r = odyn_conv_forward(&g, ns, K, 1.0, dYN + e0 * nin, 0.0, T, work);
      odyn_hadamard_inplace(nU * ns, D + e0 * nU, T);
      if (!r) r = odyn_conv_adjoint(&g, ns, K, -h, T, 1.0, dYN + e0 * nin, work);
    }
    if (!dtheta) continue;
    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long    ns = lmin(ch, s - e0);
      const double *dK = dtheta + j * slot;

      r = odyn_conv_forward_bias(&g, ns, dK, Yj + e0 * nin, dK + nk, T, work);
      odyn_hadamard_inplace(nU * ns, D + e0 * nU, T);
      if (!r) r = odyn_conv_adjoint(&g, ns, K, -h, T, 1.0, dYN + e0 * nin, work);
      if (!r) r = odyn_conv_adjoint(&g, ns, dK, -h, S + e0 * nU, 1.0, dYN + e0 * nin, work);
    }
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_parabolic_tanh_adjoint(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, c, m, 3};
  const long           hw = ih * iw, nin = c * hw, nU = m * hw, lc = nin * s, lm = nU * s, nk = 9 * c * m, slot = nk + m, ch = odyn_conv_chunk_examples(&g);
  double              *work, *T, *P;
  int                  r = 0;

  if (!lc || (!gtheta && !gY0)) return 0;
  if (!(work = Scratch(&g, s, 1, &T))) return ODYN_BACKEND_ERR_MEM;
  /* P walks in gY0, or in an array of its own when gY0 is not wanted */
  if (!(P = gY0 ? gY0 : (double *)malloc((size_t)lc * sizeof(double)))) {
    free(work);
    return ODYN_BACKEND_ERR_MEM;
  }
  memcpy(P, W, (size_t)lc * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K = theta + j * slot, *D = lin + j * lm, *S = lin + (N + j) * lm, *Yj = Ytraj + j * lc;
    double       *gj = gtheta ? gtheta + j * slot : NULL;

    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long ns = lmin(ch, s - e0);
      double    *Pc = P + e0 * nin;

      /* the outer -K^T S: <W, -dK^T S> = -<dK * W, S>, a stencil gradient with W as the input */
      if (gj) r = odyn_conv_stencil_grad(&g, ns, Pc, S + e0 * nU, -h, gj, work);
      if (!r) r = odyn_conv_forward(&g, ns, K, 1.0, Pc, 0.0, T, work);
      odyn_hadamard_inplace(nU * ns, D + e0 * nU, T);
      if (gj) {
        odyn_channel_sum_add(m, hw, ns, -h, T, gj + nk);
        if (!r) r = odyn_conv_stencil_grad(&g, ns, Yj + e0 * nin, T, -h, gj, work);
      }
      if (!r) r = odyn_conv_adjoint(&g, ns, K, -h, T, 1.0, Pc, work);
    }
  }
  if (!gY0) free(P);
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}
