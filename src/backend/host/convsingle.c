/*
   The host table's whole-block sweeps of a convolutional forward-Euler tanh block (include/odyn/private/backend.h,
   conv_euler_*): Y_{j+1} = Y_j + h tanh(K_j * Y_j + b_j), 3x3 stencils, c channels in and out, with or without
   paper 000's TV normalization (eps > 0: tanh(scale_j .* N(K_j * Y_j + b_j) + beta_j)); and of one conv
   tanh layer cin -> cout applied once, 1x1 or 3x3 stencils, optionally pooled (conv_single_*, the opening layer and the
   connectors, scheme single; at the end of the file). tanh stands for the activation act (tanh, relu or identity, the
   layer's; the file keeps the name of the time when tanh was the only one).

   They call the kernels the conv layer calls on the schemes' direct path (src/schemes/impls/euler.c with
   src/layers/impls/convcore.c, no normalization, no pooling, the identity stencil map), with the same operands, in the
   same order and over the same chunks of examples (odyn_conv_chunk_examples(): the stencil and bias gradients are sums
   over the examples, and a different split would round differently), so that a block delegated to the host table
   (-odyn_backend hostref) gives the direct path's results bit for bit. Step by step, per chunk, as the layer does:
     forward   Y_{j+1} = Y_j + h tanh(K_j * Y_j + b_j), D_j = sigma'   (odyn_conv_forward_bias_act_euler)
     tangent   T = K_j * dY; dY += h D_j .* T; then T = dK_j * Y_j + db_j; dY += h D_j .* T
     adjoint   T = D_j .* P; gb_j += h channel sums of T; gK_j += h stencil gradient (Y_j, T); P += h K_j^T T
   With the normalization (convcore.c's tvnorm branches, as convparabolic.c): U = K_j * Y_j + b_j in the next state is
   normalized (Uhat_j, 1/r_j kept), scaled, shifted and activated, then Y_j + h U; the products take T = scale_j .*
   J_tv T before D_j, the parameter tangent adds dscale_j .* Uhat_j + dbeta_j, the adjoint adds gscale_j += h channel
   dots (Uhat_j, T), gbeta_j += h channel sums of T and takes T = J_tv (scale_j .* T) before the bias and stencil.
   No PETSc here, like the rest of src/backend/.
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>

static long lmin(long a, long b) { return a < b ? a : b; }

/* lin = [D_0 .. D_{N-1} (N len) | with the normalization Uhat_0 .. Uhat_{N-1} (N len) | 1/r_0 .. 1/r_{N-1} (N hw s)] */
long odyn_host_conv_euler_linsize(long c, double eps, long ih, long iw, long N, long s) { return (eps > 0 ? 2 : 1) * N * c * ih * iw * s + (eps > 0 ? N * ih * iw * s : 0); }

/* step j's sigma', Uhat and 1/r (the last two NULL without the normalization), at the chunk of example e0 */
typedef struct {
  double *D, *Uhat, *rinv;
} EulerLin;

static EulerLin EulerLinAt(double *lin, double eps, long N, long j, long nin, long hw, long s, long e0)
{
  EulerLin l = {lin + j * nin * s + e0 * nin, NULL, NULL};

  if (eps > 0) {
    l.Uhat = lin + (N + j) * nin * s + e0 * nin;
    l.rinv = lin + 2 * N * nin * s + j * hw * s + e0 * hw;
  }
  return l;
}

/* the parameters of step j: [K | b] or, normalized, [K | b | scale | beta] */
static long EulerSlot(long c, double eps) { return 9 * c * c + (eps > 0 ? 3 : 1) * c; }

int odyn_host_conv_euler_forward(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const odyn_conv_geom g = {ih, iw, c, c, 3};
  const long           hw = ih * iw, nin = c * hw, len = nin * s, nk = 9 * c * c, slot = EulerSlot(c, eps), ch = odyn_conv_chunk_examples(&g);
  double              *work, *tvwork;
  int                  r = 0;

  if (!len) return 0;
  if (!(work = odyn_conv_sweep_scratch(&g, s, &tvwork, NULL))) return ODYN_BACKEND_ERR_MEM;
  memcpy(Ytraj, Y0, (size_t)len * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len;
    double       *Y1 = Ytraj + (j + 1) * len;

    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long     ns = lmin(ch, s - e0), off = e0 * nin;
      const EulerLin l  = EulerLinAt(lin, eps, N, j, nin, hw, s, e0);

      if (eps > 0) { /* convcore.c's Eval: U in the next state, normalized, scaled and shifted, activated; then X + h U */
        r = odyn_conv_forward_bias(&g, ns, K, Yj + off, K + nk, Y1 + off, work);
        odyn_tvnorm(c, hw, ns, eps, Y1 + off, l.Uhat, l.rinv, tvwork);
        odyn_channel_affine(c, hw, ns, K + nk + c, K + nk + 2 * c, l.Uhat, Y1 + off);
        odyn_bias_act(act, nin, ns, NULL, Y1 + off, l.D);
        odyn_axpby(nin * ns, 1.0, Yj + off, h, Y1 + off);
      } else r = odyn_conv_forward_bias_act_euler(&g, ns, K, Yj + off, K + nk, act, h, Y1 + off, l.D, work);
    }
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_euler_tangent(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  const odyn_conv_geom g = {ih, iw, c, c, 3};
  const long           hw = ih * iw, nin = c * hw, len = nin * s, nk = 9 * c * c, slot = EulerSlot(c, eps), ch = odyn_conv_chunk_examples(&g);
  double              *work, *tvwork, *T;
  int                  r = 0;

  if (!len) return 0;
  /* T: the chunk's product, as the layer's scratch T1 */
  if (!(work = odyn_conv_sweep_scratch(&g, s, &tvwork, &T))) return ODYN_BACKEND_ERR_MEM;
  if (dY0) memcpy(dYN, dY0, (size_t)len * sizeof(double));
  else memset(dYN, 0, (size_t)len * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len;

    /* dY += h D .* scale .* J_tv (K * dY): the chunk's dY is read into T before its rows are written */
    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long     ns = lmin(ch, s - e0);
      const EulerLin l  = EulerLinAt(lin, eps, N, j, nin, hw, s, e0);

      r = odyn_conv_forward(&g, ns, K, 1.0, dYN + e0 * nin, 0.0, T, work);
      if (l.Uhat) odyn_tvnorm_forward_product(c, hw, ns, K + nk + c, l.Uhat, l.rinv, T, tvwork);
      odyn_scaled_hadamard_add(nin * ns, h, l.D, T, dYN + e0 * nin);
    }
    if (!dtheta) continue;
    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long     ns = lmin(ch, s - e0);
      const double  *dK = dtheta + j * slot;
      const EulerLin l  = EulerLinAt(lin, eps, N, j, nin, hw, s, e0);

      r = odyn_conv_forward_bias(&g, ns, dK, Yj + e0 * nin, dK + nk, T, work);
      if (l.Uhat) {
        odyn_tvnorm_forward_product(c, hw, ns, K + nk + c, l.Uhat, l.rinv, T, tvwork);
        odyn_channel_affine_add(c, hw, ns, dK + nk + c, dK + nk + 2 * c, l.Uhat, T); /* + dscale .* Uhat + dbeta */
      }
      odyn_scaled_hadamard_add(nin * ns, h, l.D, T, dYN + e0 * nin);
    }
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_euler_adjoint(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, c, c, 3};
  const long           hw = ih * iw, nin = c * hw, len = nin * s, nk = 9 * c * c, slot = EulerSlot(c, eps), ch = odyn_conv_chunk_examples(&g);
  double              *work, *tvwork, *T, *P;
  int                  r = 0;

  if (!len || (!gtheta && !gY0)) return 0;
  if (!(work = odyn_conv_sweep_scratch(&g, s, &tvwork, &T))) return ODYN_BACKEND_ERR_MEM;
  /* P walks in gY0, or in an array of its own when gY0 is not wanted */
  if (!(P = gY0 ? gY0 : (double *)malloc((size_t)len * sizeof(double)))) {
    free(work);
    return ODYN_BACKEND_ERR_MEM;
  }
  memcpy(P, W, (size_t)len * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K  = theta + j * slot, *Yj = Ytraj + j * len;
    double       *gj = gtheta ? gtheta + j * slot : NULL;

    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long     ns = lmin(ch, s - e0), off = e0 * nin;
      const EulerLin l  = EulerLinAt(lin, eps, N, j, nin, hw, s, e0);

      for (long i = 0; i < nin * ns; i++) T[i] = l.D[i] * P[off + i];
      if (l.Uhat) { /* the normalization's parameters, then T = J_tv (scale .* T) (convcore.c AdjointProducts) */
        if (gj) {
          odyn_channel_dot_add(c, hw, ns, h, l.Uhat, T, gj + nk + c);
          odyn_channel_sum_add(c, hw, ns, h, T, gj + nk + 2 * c);
        }
        odyn_tvnorm_adjoint_product(c, hw, ns, K + nk + c, l.Uhat, l.rinv, T, tvwork);
      }
      if (gj) {
        odyn_channel_sum_add(c, hw, ns, h, T, gj + nk);
        r = odyn_conv_stencil_grad(&g, ns, Yj + off, T, h, gj, work);
      }
      if (!r) r = odyn_conv_adjoint(&g, ns, K, h, T, 1.0, P + off, work);
    }
  }
  if (!gY0) free(P);
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

/*
   The one-step conv tanh layer (conv_single_*: scheme single with layer conv, cin -> cout, k x k stencils, optionally 2x2
   average pooling P), as single.c runs the conv layer on the direct path (convcore.c: Apply, Linearize + JacX /
   JacTheta, JacThetaT then JacXT), per chunk (U: the chunk's tanh(K * Y0 + b) before pooling):
     forward   U = tanh(K * Y0 + b), D = sigma' (odyn_conv_forward_bias_act); Y1 = U, or P U
     tangent   dY1 = 0; T = K * dY0, dY1 += D .* T (all chunks); then T = dK * Y0 + db, dY1 += D .* T
               (pooled: T = D .* T, dY1 += P T: convcore.c's ForwardFinish)
     adjoint   T = D .* W (pooled: T = P^T W, T = D .* T: AdjointStart); gb += channel sums of T; gK += stencil
               gradient (Y0, T) (all chunks); then gY0 = 0; T as before; gY0 += K^T T
   With the TV normalization (eps > 0) the same branches as the Euler sweeps above: U normalized, scaled, shifted and
   activated; the products through J_tv, the gradients of scale and beta before the bias's.
*/
/* lin = [D (lenU) | with the normalization Uhat (lenU) | 1/r (ih iw s)] */
long odyn_host_conv_single_linsize(long cin, long cout, long k, int pool, double eps, long ih, long iw, long s)
{
  (void)cin;
  (void)k;
  (void)pool;
  return (eps > 0 ? 2 : 1) * cout * ih * iw * s + (eps > 0 ? ih * iw * s : 0);
}

/* A sweep's sizes: the layer's geometry, the lengths per example (in, U before pooling, out), the chunk of examples,
   the parameters' offsets (b, scale, beta), and its scratch (odyn_conv_sweep_scratch(): the kernels' work, the
   normalization's h w values, then T, nU per example of a chunk). ODYN_BACKEND_ERR_MEM if none. */
typedef struct {
  odyn_conv_geom g;
  long           nin, nU, nout, ch, hw, lenU, ob, os, obeta;
  int            pool;
  double         eps;
  double        *work, *tvwork, *T;
} Conv1;

static int conv1_begin(long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, Conv1 *cv)
{
  const odyn_conv_geom g = {ih, iw, cin, cout, k};

  cv->g     = g;
  cv->hw    = ih * iw;
  cv->nin   = cin * cv->hw;
  cv->nU    = cout * cv->hw;
  cv->lenU  = cv->nU * s;
  cv->nout  = pool ? cout * (ih / 2) * (iw / 2) : cv->nU;
  cv->ch    = odyn_conv_chunk_examples(&g);
  cv->ob    = k * k * cin * cout;
  cv->os    = cv->ob + cout;
  cv->obeta = cv->os + cout;
  cv->pool  = pool;
  cv->eps   = eps;
  return (cv->work = odyn_conv_sweep_scratch(&g, s, &cv->tvwork, &cv->T)) ? 0 : ODYN_BACKEND_ERR_MEM;
}

/* the chunk at example e0 of sigma', Uhat and 1/r in lin (the last two NULL without the normalization) */
static void conv1_lin(const Conv1 *cv, double *lin, long e0, double **D, double **Uhat, double **rinv)
{
  *D    = lin + e0 * cv->nU;
  *Uhat = cv->eps > 0 ? lin + cv->lenU + e0 * cv->nU : NULL;
  *rinv = cv->eps > 0 ? lin + 2 * cv->lenU + e0 * cv->hw : NULL;
}

/* dY1's rows of the chunk += the outer map (identity or P) of D .* T */
static void conv1_finish(const Conv1 *cv, long ns, const double *D, double *T, double *out)
{
  if (!cv->pool) {
    odyn_scaled_hadamard_add(cv->nU * ns, 1.0, D, T, out);
    return;
  }
  odyn_hadamard_inplace(cv->nU * ns, D, T);
  odyn_avgpool2(cv->g.cout, cv->g.h, cv->g.w, ns, 1.0, T, 1.0, out);
}

/* T = D .* (the outer map's transpose applied to the chunk's rows of W) */
static void conv1_start(const Conv1 *cv, long ns, const double *D, const double *W, double *T)
{
  if (!cv->pool) {
    for (long i = 0; i < cv->nU * ns; i++) T[i] = D[i] * W[i];
    return;
  }
  odyn_avgpool2_adjoint(cv->g.cout, cv->g.h, cv->g.w, ns, 1.0, W, 0.0, T);
  odyn_hadamard_inplace(cv->nU * ns, D, T);
}

int odyn_host_conv_single_forward(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *Y1, double *lin)
{
  Conv1 cv;
  int   r = 0;

  if (!s) return 0;
  if (conv1_begin(cin, cout, k, pool, eps, ih, iw, s, &cv)) return ODYN_BACKEND_ERR_MEM;
  for (long e0 = 0; e0 < s && !r; e0 += cv.ch) { /* pooled: U in T, then Y1 = P U */
    const long ns = lmin(cv.ch, s - e0);
    double    *U  = pool ? cv.T : Y1 + e0 * cv.nout, *D, *Uhat, *rinv;

    conv1_lin(&cv, lin, e0, &D, &Uhat, &rinv);
    if (eps > 0) { /* convcore.c's Eval: normalized, scaled and shifted, then activated */
      r = odyn_conv_forward_bias(&cv.g, ns, theta, Y0 + e0 * cv.nin, theta + cv.ob, U, cv.work);
      odyn_tvnorm(cout, cv.hw, ns, eps, U, Uhat, rinv, cv.tvwork);
      odyn_channel_affine(cout, cv.hw, ns, theta + cv.os, theta + cv.obeta, Uhat, U);
      odyn_bias_act(act, cv.nU, ns, NULL, U, D);
    } else r = odyn_conv_forward_bias_act(&cv.g, ns, theta, Y0 + e0 * cv.nin, theta + cv.ob, act, U, D, cv.work);
    if (pool) odyn_avgpool2(cout, ih, iw, ns, 1.0, cv.T, 0.0, Y1 + e0 * cv.nout);
  }
  free(cv.work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_single_tangent(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *dtheta, const double *Y0, double *lin, const double *dY0, double *dY1)
{
  Conv1 cv;
  int   r = 0;

  if (!s) return 0;
  if (conv1_begin(cin, cout, k, pool, eps, ih, iw, s, &cv)) return ODYN_BACKEND_ERR_MEM;
  memset(dY1, 0, (size_t)(cv.nout * s) * sizeof(double));
  for (long e0 = 0; e0 < s && !r && dY0; e0 += cv.ch) {
    const long ns = lmin(cv.ch, s - e0);
    double    *D, *Uhat, *rinv;

    conv1_lin(&cv, lin, e0, &D, &Uhat, &rinv);
    r = odyn_conv_forward(&cv.g, ns, theta, 1.0, dY0 + e0 * cv.nin, 0.0, cv.T, cv.work);
    if (Uhat) odyn_tvnorm_forward_product(cout, cv.hw, ns, theta + cv.os, Uhat, rinv, cv.T, cv.tvwork);
    conv1_finish(&cv, ns, D, cv.T, dY1 + e0 * cv.nout);
  }
  for (long e0 = 0; e0 < s && !r && dtheta; e0 += cv.ch) {
    const long ns = lmin(cv.ch, s - e0);
    double    *D, *Uhat, *rinv;

    conv1_lin(&cv, lin, e0, &D, &Uhat, &rinv);
    r = odyn_conv_forward_bias(&cv.g, ns, dtheta, Y0 + e0 * cv.nin, dtheta + cv.ob, cv.T, cv.work);
    if (Uhat) {
      odyn_tvnorm_forward_product(cout, cv.hw, ns, theta + cv.os, Uhat, rinv, cv.T, cv.tvwork);
      odyn_channel_affine_add(cout, cv.hw, ns, dtheta + cv.os, dtheta + cv.obeta, Uhat, cv.T); /* + dscale .* Uhat + dbeta */
    }
    conv1_finish(&cv, ns, D, cv.T, dY1 + e0 * cv.nout);
  }
  free(cv.work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_single_adjoint(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *lin, const double *W, double *gtheta, double *gY0)
{
  Conv1 cv;
  int   r = 0;

  if (!s || (!gtheta && !gY0)) return 0;
  if (conv1_begin(cin, cout, k, pool, eps, ih, iw, s, &cv)) return ODYN_BACKEND_ERR_MEM;
  for (long e0 = 0; e0 < s && !r && gtheta; e0 += cv.ch) {
    const long ns = lmin(cv.ch, s - e0);
    double    *D, *Uhat, *rinv;

    conv1_lin(&cv, lin, e0, &D, &Uhat, &rinv);
    conv1_start(&cv, ns, D, W + e0 * cv.nout, cv.T);
    if (Uhat) { /* the normalization's parameters, then T = J_tv (scale .* T) (convcore.c AdjointProducts) */
      odyn_channel_dot_add(cout, cv.hw, ns, 1.0, Uhat, cv.T, gtheta + cv.os);
      odyn_channel_sum_add(cout, cv.hw, ns, 1.0, cv.T, gtheta + cv.obeta);
      odyn_tvnorm_adjoint_product(cout, cv.hw, ns, theta + cv.os, Uhat, rinv, cv.T, cv.tvwork);
    }
    odyn_channel_sum_add(cout, cv.hw, ns, 1.0, cv.T, gtheta + cv.ob);
    r = odyn_conv_stencil_grad(&cv.g, ns, Y0 + e0 * cv.nin, cv.T, 1.0, gtheta, cv.work);
  }
  if (gY0) memset(gY0, 0, (size_t)(cv.nin * s) * sizeof(double));
  for (long e0 = 0; e0 < s && !r && gY0; e0 += cv.ch) {
    const long ns = lmin(cv.ch, s - e0);
    double    *D, *Uhat, *rinv;

    conv1_lin(&cv, lin, e0, &D, &Uhat, &rinv);
    conv1_start(&cv, ns, D, W + e0 * cv.nout, cv.T);
    if (Uhat) odyn_tvnorm_adjoint_product(cout, cv.hw, ns, theta + cv.os, Uhat, rinv, cv.T, cv.tvwork);
    r = odyn_conv_adjoint(&cv.g, ns, theta, 1.0, cv.T, 1.0, gY0 + e0 * cv.nin, cv.work);
  }
  free(cv.work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}
