/*
   The host table's whole-block sweeps of a convolutional leapfrog tanh block, the second-order CNN (include/odyn/
   private/backend.h, conv_leapfrog_*): Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 F_j(Y_j), Y_{-1} = Y_0, 3x3 stencils, with
     sym 0 (layer conv, c -> c channels):          F_j(Y) = tanh(K_j * Y + b_j)
     sym 1 (layer convsymmetric, K * Y of m):      F_j(Y) = -K_j^T * tanh(K_j * Y + b_j)

   They perform the host path's operations (src/schemes/impls/leapfrog.c with src/layers/impls/convcore.c: Apply,
   Linearize, JacX, JacTheta, JacThetaT, JacXT; no normalization, no pooling, the identity stencil map) with its
   operands, in its order and over the layer's chunks of examples (odyn_conv_chunk_examples()), so that a block
   delegated to the host table (-odyn_backend hostref) gives that path's results bit for bit. Per step, per chunk
   (D = sigma', S = tanh(K * Y + b), L a whole-batch scratch):
     forward   sym 0: L = tanh(K * Y_j + b) with D; sym 1: S with D, L = -K^T * S; then Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 L
     tangent   L = 0; L += F_Y dY_j (sym 0: D .* (K * dY); sym 1: T = D .* (K * dY), L += -K^T * T); then
               L += F_theta dtheta_j (sym 0: D .* (dK * Y_j + db); sym 1: the same T, L += -K^T * T, L += -dK^T * S);
               dY_{j+1} = 2 dY_j - dY_{j-1} + h^2 L
     adjoint   cur = A_{j+1}, prev = A_j so far: T = D .* cur (sym 1: D .* (K * cur), sign -1; gK_j first gets
               -h^2 the stencil gradient (cur, S)); gb_j += sign h^2 channel sums of T, gK_j += sign h^2 stencil gradient
               (Y_j, T); prev += sign h^2 K^T * T; then prev += 2 cur and A_{j-1} = -cur (j = 0: prev += cur)
   The direct path's adjoint walks all chunks for the parameter gradient and then all again for prev, forming T twice;
   here T is formed once per chunk for both (the same values, the gradient summed in the same order).
   With the TV normalization (eps > 0, convcore.c's tvnorm branches): the forward's A = K * Y_j + b is normalized
   (odyn_tvnorm: Uhat, 1/r), scaled and shifted, then activated; the forward products apply T = scale .* J_tv T before
   D (the parameter tangent adding dscale .* Uhat + dbeta); the adjoint adds the channel dots (Uhat, T) and sums of T to
   the gradients of scale and beta and takes T = J_tv (scale .* T) before the bias and stencil gradients.
   The reversible sweeps (-odyn_scheme_trajectory recompute) take the same steps, the states recomputed forward from Y_0
   in the tangent and rebuilt backwards in the adjoint, Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 F_j(Y_j), from the F of the
   step's linearization (leapfrog.c's reverse step): the host path's recomputing sweeps' values. No PETSc here, like the
   rest of src/backend/.
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>

static long lmin(long a, long b) { return a < b ? a : b; }

/* out = 2 cur - prev + h2 F, elementwise (leapfrog.c's update; out may alias prev or F) */
static void Combine(long len, double h2, const double *cur, const double *prev, const double *F, double *out)
{
  for (long i = 0; i < len; i++) out[i] = 2.0 * cur[i] - prev[i] + h2 * F[i];
}

long odyn_host_conv_leapfrog_linsize(int sym, long c, long m, double eps, long ih, long iw, long N, long s)
{
  (void)c;
  return (sym ? 2 : 1) * N * m * ih * iw * s + (eps > 0 ? N * (m + 1) * ih * iw * s : 0);
}

/* one step's linearization: D = sigma', S = sigma (sym 1), and with the normalization Uhat and 1/r (else NULL) */
typedef struct {
  double *D, *S, *Uhat, *rinv;
} StepLin;

/* step j's parts of a stored sweep's lin (the layout of backend.h) */
static StepLin StoredLin(int sym, double eps, double *lin, long N, long j, long lm, long lp)
{
  const long tv = (sym ? 2 : 1) * N * lm; /* where the normalization's parts begin */
  StepLin    l  = {lin + j * lm, sym ? lin + (N + j) * lm : NULL, NULL, NULL};

  if (eps > 0) {
    l.Uhat = lin + tv + j * lm;
    l.rinv = lin + tv + N * lm + j * lp;
  }
  return l;
}

/* A sweep's geometry and buffers: work (the convolution workspace), tvwork (the normalization's h w values), T (one
   chunk of m channels), L (the whole batch, c channels), nring more whole-batch arrays of c channels (rings of states
   and of their derivatives) and, with lin, the linearization of one step (the reversible sweeps'): D and S (m channels
   each) and with the normalization Uhat (m channels) and 1/r */
typedef struct {
  odyn_conv_geom g;
  int            act; /* the activation (ODYN_PW_*) */
  double         eps;
  long           hw, nin, nU, lc, lm, nk, slot, ch;
  double        *work, *tvwork, *T, *L, *ring[6];
  StepLin        one;
} Sweep;

static int SweepStart(Sweep *w, int act, long c, long m, double eps, long ih, long iw, long s, int nring, int lin)
{
  const odyn_conv_geom g  = {ih, iw, c, m, 3};
  long                 nw = 0;

  memset(w, 0, sizeof(*w));
  w->g    = g;
  w->act  = act;
  w->hw   = ih * iw;
  w->nin  = c * w->hw;
  w->nU   = m * w->hw;
  w->lc   = w->nin * s;
  w->lm   = w->nU * s;
  w->nk   = 9 * c * m;
  w->eps  = eps;
  w->slot = w->nk + (eps > 0 ? 3 : 1) * m;
  w->ch   = odyn_conv_chunk_examples(&w->g);
  nw      = odyn_conv_work_size(&w->g);
  if (!(w->work = (double *)malloc((size_t)(nw + w->hw + w->nU * lmin(w->ch, s) + (1 + nring) * w->lc + (lin ? (eps > 0 ? 3 : 2) * w->lm + (eps > 0 ? w->hw * s : 0) : 0)) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  w->tvwork = w->work + nw;
  w->T      = w->tvwork + w->hw;
  w->L      = w->T + w->nU * lmin(w->ch, s);
  for (int r = 0; r < nring; r++) w->ring[r] = w->L + (1 + r) * w->lc;
  if (lin) {
    w->one.D = w->L + (1 + nring) * w->lc;
    w->one.S = w->one.D + w->lm;
    if (eps > 0) {
      w->one.Uhat = w->one.S + w->lm;
      w->one.rinv = w->one.Uhat + w->lm;
    }
  }
  return 0;
}

/* the chunk at e0 of a step's linearization */
static StepLin ChunkLin(const Sweep *w, const StepLin *l, long e0)
{
  StepLin c = {l->D + e0 * w->nU, l->S ? l->S + e0 * w->nU : NULL, l->Uhat ? l->Uhat + e0 * w->nU : NULL, l->rinv ? l->rinv + e0 * w->hw : NULL};
  return c;
}


/* L = F_j(Y_j) with D = sigma' (and S = sigma for sym 1, Uhat and 1/r with the normalization) of the step, chunk by
   chunk as the layer's Apply */
static int StepF(int sym, Sweep *w, long s, const double *K, const double *Yj, const StepLin *l)
{
  const long m = w->g.cout;
  int        r = 0;

  for (long e0 = 0; e0 < s && !r; e0 += w->ch) {
    const long    ns = lmin(w->ch, s - e0);
    const StepLin k  = ChunkLin(w, l, e0);
    double       *U  = sym ? k.S : w->L + e0 * w->nin; /* sym 0: sigma is F itself */

    if (k.Uhat) { /* U = K * Y + b, normalized, scaled and shifted in place, then activated */
      r = odyn_conv_forward_bias(&w->g, ns, K, Yj + e0 * w->nin, K + w->nk, U, w->work);
      odyn_tvnorm(m, w->hw, ns, w->eps, U, k.Uhat, k.rinv, w->tvwork);
      odyn_channel_affine(m, w->hw, ns, K + w->nk + m, K + w->nk + 2 * m, k.Uhat, U);
      odyn_bias_act(w->act, w->nU, ns, NULL, U, k.D);
    } else r = odyn_conv_forward_bias_act(&w->g, ns, K, Yj + e0 * w->nin, K + w->nk, w->act, U, k.D, w->work);
    if (!r && sym) r = odyn_conv_adjoint(&w->g, ns, K, -1.0, k.S, 0.0, w->L + e0 * w->nin, w->work);
  }
  return r;
}

/* L += the layer's D .* T (sym 0), or T = D .* T and L += -K^T * T (sym 1), on the chunk at e0 */
static int AddOuter(int sym, Sweep *w, long e0, long ns, const double *K, const double *D)
{
  if (!sym) {
    odyn_scaled_hadamard_add(w->nU * ns, 1.0, D + e0 * w->nU, w->T, w->L + e0 * w->nin);
    return 0;
  }
  odyn_hadamard_inplace(w->nU * ns, D + e0 * w->nU, w->T);
  return odyn_conv_adjoint(&w->g, ns, K, -1.0, w->T, 1.0, w->L + e0 * w->nin, w->work);
}

/* L = F_Y dY + F_theta dtheta of the step at (Y_j, its linearization l) (dK NULL: no dtheta), as leapfrog.c's JacX
   then JacTheta */
static int StepTangentL(int sym, Sweep *w, long s, const double *K, const double *dK, const double *Yj, const StepLin *l, const double *dY)
{
  const long m = w->g.cout;
  int        r = 0;

  memset(w->L, 0, (size_t)w->lc * sizeof(double));
  for (long e0 = 0; e0 < s && !r; e0 += w->ch) { /* F_Y dY_j */
    const long    ns = lmin(w->ch, s - e0);
    const StepLin k  = ChunkLin(w, l, e0);

    r = odyn_conv_forward(&w->g, ns, K, 1.0, dY + e0 * w->nin, 0.0, w->T, w->work);
    if (k.Uhat) odyn_tvnorm_forward_product(m, w->hw, ns, K + w->nk + m, k.Uhat, k.rinv, w->T, w->tvwork);
    if (!r) r = AddOuter(sym, w, e0, ns, K, l->D);
  }
  for (long e0 = 0; e0 < s && !r && dK; e0 += w->ch) { /* F_theta dtheta_j */
    const long    ns = lmin(w->ch, s - e0);
    const StepLin k  = ChunkLin(w, l, e0);

    r = odyn_conv_forward_bias(&w->g, ns, dK, Yj + e0 * w->nin, dK + w->nk, w->T, w->work);
    if (k.Uhat) odyn_tvnorm_forward_product(m, w->hw, ns, K + w->nk + m, k.Uhat, k.rinv, w->T, w->tvwork);
    if (k.Uhat) odyn_channel_affine_add(m, w->hw, ns, dK + w->nk + m, dK + w->nk + 2 * m, k.Uhat, w->T); /* + dscale .* Uhat + dbeta */
    if (!r) r = AddOuter(sym, w, e0, ns, K, l->D);
    if (!r && sym) r = odyn_conv_adjoint(&w->g, ns, dK, -1.0, k.S, 1.0, w->L + e0 * w->nin, w->work);
  }
  return r;
}

/* the adjoint's step j at (Y_j, its linearization l): gj += h2 F_theta^T cur (gj NULL: none), prev += h2 F_Y^T cur */
static int StepAdjoint(int sym, Sweep *w, long s, double h2, const double *K, const double *Yj, const StepLin *l, const double *cur, double *prev, double *gj)
{
  const double a = (sym ? -1.0 : 1.0) * h2;
  const long   m = w->g.cout;
  int          r = 0;

  for (long e0 = 0; e0 < s && !r; e0 += w->ch) {
    const long    ns = lmin(w->ch, s - e0), len = w->nU * ns;
    const StepLin k  = ChunkLin(w, l, e0);
    const double *Wc = cur + e0 * w->nin, *Dc = k.D;

    /* the outer -K^T * S of sym 1: <W, -dK^T * S> = -<dK * W, S>, a stencil gradient with W as the input */
    if (gj && sym) r = odyn_conv_stencil_grad(&w->g, ns, Wc, k.S, -h2, gj, w->work);
    if (sym) {
      if (!r) r = odyn_conv_forward(&w->g, ns, K, 1.0, Wc, 0.0, w->T, w->work);
      odyn_hadamard_inplace(len, Dc, w->T);
    } else
      for (long i = 0; i < len; i++) w->T[i] = Dc[i] * Wc[i];
    if (k.Uhat) { /* the normalization's parameters, then T = J_tv (scale .* T) (convcore.c AdjointProducts) */
      if (gj) {
        odyn_channel_dot_add(m, w->hw, ns, a, k.Uhat, w->T, gj + w->nk + m);
        odyn_channel_sum_add(m, w->hw, ns, a, w->T, gj + w->nk + 2 * m);
      }
      odyn_tvnorm_adjoint_product(m, w->hw, ns, K + w->nk + m, k.Uhat, k.rinv, w->T, w->tvwork);
    }
    if (gj) {
      odyn_channel_sum_add(w->g.cout, w->hw, ns, a, w->T, gj + w->nk);
      if (!r) r = odyn_conv_stencil_grad(&w->g, ns, Yj + e0 * w->nin, w->T, a, gj, w->work);
    }
    if (!r) r = odyn_conv_adjoint(&w->g, ns, K, a, w->T, 1.0, prev + e0 * w->nin, w->work);
  }
  return r;
}

/* the adjoint's ring after step j: prev += 2 cur, A_{j-1} = -cur (j = 0: prev += cur, as Y_{-1} = Y_0); then
   cur = A_j, prev = A_{j-1} */
static void AdjointRotate(long lc, long j, double **cur, double **prev, double **next)
{
  double *tmp;

  if (j > 0) {
    odyn_axpy(lc, 2.0, *cur, *prev);
    for (long i = 0; i < lc; i++) (*next)[i] = -(*cur)[i];
    tmp   = *cur;
    *cur  = *prev;
    *prev = *next;
    *next = tmp;
  } else {
    odyn_axpy(lc, 1.0, *cur, *prev); /* Y_{-1} = Y_0: 2 A_1 - A_1 */
    *cur = *prev;
  }
}

/* a ring's start: cur = src (NULL: zero) and prev = cur, as Y_{-1} = Y_0 */
static void RingStart(long lc, const double *src, double *cur, double *prev)
{
  if (src) memcpy(cur, src, (size_t)lc * sizeof(double));
  else memset(cur, 0, (size_t)lc * sizeof(double));
  memcpy(prev, cur, (size_t)lc * sizeof(double));
}

/* (prev, cur, next) <- (cur, next, prev) */
static void Rotate(double **prev, double **cur, double **next)
{
  double *tmp = *prev;

  *prev = *cur;
  *cur  = *next;
  *next = tmp;
}

int odyn_host_conv_leapfrog_forward(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  Sweep w;
  int   r = 0;

  if (c * ih * iw * s == 0) return 0;
  if (SweepStart(&w, act, c, m, eps, ih, iw, s, 0, 0)) return ODYN_BACKEND_ERR_MEM;
  memcpy(Ytraj, Y0, (size_t)w.lc * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *Yj = Ytraj + j * w.lc;
    const StepLin l  = StoredLin(sym, eps, lin, N, j, w.lm, w.hw * s);

    r = StepF(sym, &w, s, theta + j * w.slot, Yj, &l);
    Combine(w.lc, h * h, Yj, j ? Yj - w.lc : Yj, w.L, Ytraj + (j + 1) * w.lc);
  }
  free(w.work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_leapfrog_tangent(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  Sweep   w;
  double *prev, *cur, *next;
  int     r = 0;

  if (c * ih * iw * s == 0) return 0;
  if (SweepStart(&w, act, c, m, eps, ih, iw, s, 3, 0)) return ODYN_BACKEND_ERR_MEM;
  prev = w.ring[0], cur = w.ring[1], next = w.ring[2];
  RingStart(w.lc, dY0, cur, prev);
  for (long j = 0; j < N && !r; j++) {
    const StepLin l = StoredLin(sym, eps, lin, N, j, w.lm, w.hw * s);

    r = StepTangentL(sym, &w, s, theta + j * w.slot, dtheta ? dtheta + j * w.slot : NULL, Ytraj + j * w.lc, &l, cur);
    Combine(w.lc, h * h, cur, prev, w.L, next);
    Rotate(&prev, &cur, &next);
  }
  memcpy(dYN, cur, (size_t)w.lc * sizeof(double));
  free(w.work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_leapfrog_adjoint(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  Sweep   w;
  double *cur, *prev, *next;
  int     r = 0;

  if (c * ih * iw * s == 0 || (!gtheta && !gY0)) return 0;
  if (SweepStart(&w, act, c, m, eps, ih, iw, s, 3, 0)) return ODYN_BACKEND_ERR_MEM;
  cur = w.ring[0], prev = w.ring[1], next = w.ring[2];
  memcpy(cur, W, (size_t)w.lc * sizeof(double));
  memset(prev, 0, (size_t)w.lc * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const StepLin l = StoredLin(sym, eps, lin, N, j, w.lm, w.hw * s);

    r = StepAdjoint(sym, &w, s, h * h, theta + j * w.slot, Ytraj + j * w.lc, &l, cur, prev, gtheta ? gtheta + j * w.slot : NULL);
    AdjointRotate(w.lc, j, &cur, &prev, &next);
  }
  if (gY0) memcpy(gY0, cur, (size_t)w.lc * sizeof(double));
  free(w.work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

/* the reversible sweeps: the caller's work is not used (revsize 0), the scratch is allocated here, O(s) in N */
long odyn_host_conv_leapfrog_revsize(int sym, long c, long m, double eps, long ih, long iw, long s)
{
  (void)sym, (void)c, (void)m, (void)eps, (void)ih, (void)iw, (void)s;
  return 0;
}

int odyn_host_conv_leapfrog_forward_final(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1)
{
  Sweep   w;
  double *prev, *cur, *next;
  int     r = 0;

  if (c * ih * iw * s == 0) return 0;
  if (SweepStart(&w, act, c, m, eps, ih, iw, s, 3, 1)) return ODYN_BACKEND_ERR_MEM;
  prev = w.ring[0], cur = w.ring[1], next = w.ring[2];
  RingStart(w.lc, Y0, cur, prev);
  for (long j = 0; j < N && !r; j++) {
    r = StepF(sym, &w, s, theta + j * w.slot, cur, &w.one);
    Combine(w.lc, h * h, cur, prev, w.L, next);
    Rotate(&prev, &cur, &next);
  }
  memcpy(YN, cur, (size_t)w.lc * sizeof(double));
  memcpy(YNm1, prev, (size_t)w.lc * sizeof(double));
  free(w.work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_leapfrog_tangent_y0(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  Sweep   w;
  double *yp, *yc, *yn, *dp, *dc, *dn;
  int     r = 0;

  if (c * ih * iw * s == 0) return 0;
  if (SweepStart(&w, act, c, m, eps, ih, iw, s, 6, 1)) return ODYN_BACKEND_ERR_MEM;
  yp = w.ring[0], yc = w.ring[1], yn = w.ring[2], dp = w.ring[3], dc = w.ring[4], dn = w.ring[5];
  RingStart(w.lc, Y0, yc, yp);
  RingStart(w.lc, dY0, dc, dp);
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * w.slot;

    r = StepF(sym, &w, s, K, yc, &w.one); /* Y_{j+1}, and the linearization at Y_j */
    Combine(w.lc, h * h, yc, yp, w.L, yn);
    if (!r) r = StepTangentL(sym, &w, s, K, dtheta ? dtheta + j * w.slot : NULL, yc, &w.one, dc);
    Combine(w.lc, h * h, dc, dp, w.L, dn);
    Rotate(&yp, &yc, &yn);
    Rotate(&dp, &dc, &dn);
  }
  memcpy(dYN, dc, (size_t)w.lc * sizeof(double));
  free(w.work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_leapfrog_adjoint_reversible(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0)
{
  const double h2 = h * h;
  Sweep        w;
  double      *ya, *yb, *cur, *prev, *next, *t;
  int          r = 0;

  if (c * ih * iw * s == 0 || (!gtheta && !gY0)) return 0;
  if (SweepStart(&w, act, c, m, eps, ih, iw, s, 5, 1)) return ODYN_BACKEND_ERR_MEM;
  ya = w.ring[0], yb = w.ring[1], cur = w.ring[2], prev = w.ring[3], next = w.ring[4];
  memcpy(ya, YN, (size_t)w.lc * sizeof(double));
  memcpy(yb, YNm1, (size_t)w.lc * sizeof(double));
  memcpy(cur, W, (size_t)w.lc * sizeof(double));
  memset(prev, 0, (size_t)w.lc * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K = theta + j * w.slot;

    /* ya = Y_{j+1}, yb = Y_j: the step's linearization and F at Y_j, the adjoint step, then Y_{j-1} into ya */
    r = StepF(sym, &w, s, K, yb, &w.one);
    if (!r) r = StepAdjoint(sym, &w, s, h2, K, yb, &w.one, cur, prev, gtheta ? gtheta + j * w.slot : NULL);
    AdjointRotate(w.lc, j, &cur, &prev, &next);
    if (j > 0) {
      Combine(w.lc, h2, yb, ya, w.L, ya);
      t  = ya;
      ya = yb;
      yb = t;
    }
  }
  if (gY0) memcpy(gY0, cur, (size_t)w.lc * sizeof(double));
  free(w.work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}
