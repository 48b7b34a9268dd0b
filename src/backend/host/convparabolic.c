/*
   The host table's whole-block sweeps of a convolutional parabolic tanh block, the parabolic CNN (include/odyn/private/
   backend.h, conv_parabolic_*): Y_{j+1} = Y_j - h K_j^T * tanh(K_j * Y_j + b_j), 3x3 stencils, Y of c channels,
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
   With the TV normalization (eps > 0; convcore.c's tvnorm branches): the forward's U = K_j * Y_j + b_j is normalized
   (odyn_tvnorm: Uhat_j, 1/r_j), scaled and shifted per channel and then activated (S_j, D_j); the forward products
   apply T = scale_j .* J_tv T (J_tv first) before D_j, and the parameter tangent adds dscale_j .* Uhat_j + dbeta_j;
   the adjoint adds gscale_j += -h channel dots (Uhat_j, T), gbeta_j += -h channel sums of T and takes
   T = J_tv (scale_j .* T) (scale first) before the bias and stencil gradients.
   The forward keeps S_j and D_j (and Uhat_j, 1/r_j: the layer forms them again at each linearization: the same
   values). No PETSc here, like the rest of src/backend/.
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>

static long lmin(long a, long b) { return a < b ? a : b; }

long odyn_host_conv_parabolic_linsize(long c, long m, double eps, long ih, long iw, long N, long s)
{
  (void)c;
  return (eps > 0 ? 3 : 2) * N * m * ih * iw * s + (eps > 0 ? N * ih * iw * s : 0);
}

/* one step's parts of lin (the layout of backend.h), and the chunk at example e0 of them */
typedef struct {
  double *D, *S, *Uhat, *rinv; /* Uhat, rinv: NULL without the normalization */
} Lin;

static Lin StepLin(double *lin, double eps, long N, long j, long lm, long lp)
{
  Lin l = {lin + j * lm, lin + (N + j) * lm, NULL, NULL};

  if (eps > 0) {
    l.Uhat = lin + (2 * N + j) * lm;
    l.rinv = lin + 3 * N * lm + j * lp;
  }
  return l;
}

static Lin ChunkLin(const Lin *l, long e0, long nU, long hw)
{
  Lin c = {l->D + e0 * nU, l->S + e0 * nU, l->Uhat ? l->Uhat + e0 * nU : NULL, l->rinv ? l->rinv + e0 * hw : NULL};
  return c;
}

/* the parameters of step j: K, b and (with the normalization) scale, beta */
static const double *Slot(const double *theta, long j, long nk, long m, double eps) { return theta + j * (nk + (eps > 0 ? 3 : 1) * m); }

int odyn_host_conv_parabolic_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const odyn_conv_geom g = {ih, iw, c, m, 3};
  const long           hw = ih * iw, nin = c * hw, nU = m * hw, lc = nin * s, lm = nU * s, nk = 9 * c * m, ch = odyn_conv_chunk_examples(&g);
  double              *work, *tvwork;
  int                  r = 0;

  if (!lc) return 0;
  if (!(work = odyn_conv_sweep_scratch(&g, s, &tvwork, NULL))) return ODYN_BACKEND_ERR_MEM;
  memcpy(Ytraj, Y0, (size_t)lc * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = Slot(theta, j, nk, m, eps), *Yj = Ytraj + j * lc;
    double       *Y1 = Ytraj + (j + 1) * lc;
    const Lin     l  = StepLin(lin, eps, N, j, lm, hw * s);

    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long ns = lmin(ch, s - e0);
      const Lin  k  = ChunkLin(&l, e0, nU, hw);

      if (eps > 0) { /* U in S, normalized, scaled and shifted there, then activated */
        r = odyn_conv_forward_bias(&g, ns, K, Yj + e0 * nin, K + nk, k.S, work);
        odyn_tvnorm(m, hw, ns, eps, k.S, k.Uhat, k.rinv, tvwork);
        odyn_channel_affine(m, hw, ns, K + nk + m, K + nk + 2 * m, k.Uhat, k.S);
        odyn_bias_act(act, nU, ns, NULL, k.S, k.D);
      } else r = odyn_conv_forward_bias_act(&g, ns, K, Yj + e0 * nin, K + nk, act, k.S, k.D, work);
      if (!r) r = odyn_conv_adjoint(&g, ns, K, -1.0, k.S, 0.0, Y1 + e0 * nin, work);
      odyn_axpby(nin * ns, 1.0, Yj + e0 * nin, h, Y1 + e0 * nin);
    }
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_parabolic_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  const odyn_conv_geom g = {ih, iw, c, m, 3};
  const long           hw = ih * iw, nin = c * hw, nU = m * hw, lc = nin * s, lm = nU * s, nk = 9 * c * m, ch = odyn_conv_chunk_examples(&g);
  double              *work, *tvwork, *T;
  int                  r = 0;

  if (!lc) return 0;
  if (!(work = odyn_conv_sweep_scratch(&g, s, &tvwork, &T))) return ODYN_BACKEND_ERR_MEM;
  if (dY0) memcpy(dYN, dY0, (size_t)lc * sizeof(double));
  else memset(dYN, 0, (size_t)lc * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = Slot(theta, j, nk, m, eps), *Yj = Ytraj + j * lc;
    const Lin     l = StepLin(lin, eps, N, j, lm, hw * s);

    /* dY += -h K^T (D .* scale .* J_tv (K * dY)): the chunk's dY is read into T before its rows are written */
    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long ns = lmin(ch, s - e0);
      const Lin  k  = ChunkLin(&l, e0, nU, hw);

      r = odyn_conv_forward(&g, ns, K, 1.0, dYN + e0 * nin, 0.0, T, work);
      if (k.Uhat) odyn_tvnorm_forward_product(m, hw, ns, K + nk + m, k.Uhat, k.rinv, T, tvwork);
      odyn_hadamard_inplace(nU * ns, k.D, T);
      if (!r) r = odyn_conv_adjoint(&g, ns, K, -h, T, 1.0, dYN + e0 * nin, work);
    }
    if (!dtheta) continue;
    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long    ns = lmin(ch, s - e0);
      const double *dK = Slot(dtheta, j, nk, m, eps);
      const Lin     k  = ChunkLin(&l, e0, nU, hw);

      r = odyn_conv_forward_bias(&g, ns, dK, Yj + e0 * nin, dK + nk, T, work);
      if (k.Uhat) odyn_tvnorm_forward_product(m, hw, ns, K + nk + m, k.Uhat, k.rinv, T, tvwork);
      if (k.Uhat) odyn_channel_affine_add(m, hw, ns, dK + nk + m, dK + nk + 2 * m, k.Uhat, T); /* + dscale .* Uhat + dbeta */
      odyn_hadamard_inplace(nU * ns, k.D, T);
      if (!r) r = odyn_conv_adjoint(&g, ns, K, -h, T, 1.0, dYN + e0 * nin, work);
      if (!r) r = odyn_conv_adjoint(&g, ns, dK, -h, k.S, 1.0, dYN + e0 * nin, work);
    }
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_parabolic_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, c, m, 3};
  const long           hw = ih * iw, nin = c * hw, nU = m * hw, lc = nin * s, lm = nU * s, nk = 9 * c * m, ch = odyn_conv_chunk_examples(&g);
  double              *work, *tvwork, *T, *P;
  int                  r = 0;

  if (!lc || (!gtheta && !gY0)) return 0;
  if (!(work = odyn_conv_sweep_scratch(&g, s, &tvwork, &T))) return ODYN_BACKEND_ERR_MEM;
  /* P walks in gY0, or in an array of its own when gY0 is not wanted */
  if (!(P = gY0 ? gY0 : (double *)malloc((size_t)lc * sizeof(double)))) {
    free(work);
    return ODYN_BACKEND_ERR_MEM;
  }
  memcpy(P, W, (size_t)lc * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K = Slot(theta, j, nk, m, eps), *Yj = Ytraj + j * lc;
    double       *gj = gtheta ? (double *)Slot(gtheta, j, nk, m, eps) : NULL;
    const Lin     l  = StepLin(lin, eps, N, j, lm, hw * s);

    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long ns = lmin(ch, s - e0);
      const Lin  k  = ChunkLin(&l, e0, nU, hw);
      double    *Pc = P + e0 * nin;

      /* the outer -K^T S: <W, -dK^T S> = -<dK * W, S>, a stencil gradient with W as the input */
      if (gj) r = odyn_conv_stencil_grad(&g, ns, Pc, k.S, -h, gj, work);
      if (!r) r = odyn_conv_forward(&g, ns, K, 1.0, Pc, 0.0, T, work);
      odyn_hadamard_inplace(nU * ns, k.D, T);
      if (k.Uhat) { /* the normalization's parameters, then T = J_tv (scale .* T) (convcore.c AdjointProducts) */
        if (gj) {
          odyn_channel_dot_add(m, hw, ns, -h, k.Uhat, T, gj + nk + m);
          odyn_channel_sum_add(m, hw, ns, -h, T, gj + nk + 2 * m);
        }
        odyn_tvnorm_adjoint_product(m, hw, ns, K + nk + m, k.Uhat, k.rinv, T, tvwork);
      }
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
