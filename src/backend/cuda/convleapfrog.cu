/*
   The cuda table's whole-block convolutional leapfrog sweeps (include/odyn/private/backend.h: conv_leapfrog_*,
   stored and reversible), composed, as convblocks.cu's other conv blocks, from the direct 3x3 kernels of convdirect.cu
   (odyn_cuda_conv3_*, cudakernels.h) and the table's elementwise operations; the checks and channel sums they share
   with convblocks.cu are declared in backendimpl.cuh. No PETSc header here by design.
*/
#include <limits.h>
#include <odyn/private/backend.h>
#include <odyn/private/cudakernels.h>
#include <odyn/private/pointwise.h>
#include "backendimpl.cuh"

namespace odyn_cudabackend {

/*
   The whole-block convolutional leapfrog tanh sweeps (conv_leapfrog_*: the second-order CNN, scheme leapfrog with
   layer conv, sym 0, or convsymmetric, sym 1), from the same device functions and one update kernel per step.
   g = {ih, iw, c, m, 3} (m = c for conv); lc = c ih iw s, lm = m ih iw s, lx = max(lc, lm). Per step:
     F         sym 0: L = tanh(K_j * Y_j + b_j) with D_j; sym 1: S_j with D_j, L = -K_j^T * S_j
     forward   Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 L                                   (k_leapfrog_combine, host's rounding)
     tangent   A = dK_j * Y_j + db_j (or 0) + K_j * dY_j; sym 0: L = D_j .* A; sym 1: T = -D_j .* A, L = K_j^T * T,
               L += -dK_j^T * S_j; dY_{j+1} = 2 dY_j - dY_{j-1} + h^2 L (a ring of three dY)
     adjoint   cur = A_{j+1}, prev = A_j so far: sym 0: T = h^2 D_j .* cur; sym 1: gK_j += -h^2 stencil gradient (cur,
               S_j), T = -h^2 D_j .* (K_j * cur); gK_j += stencil gradient (Y_j, T), gb_j += channel sums of T;
               prev += K_j^T * T; then prev += 2 cur, A_{j-1} = -cur (j = 0: prev += cur)
   With the TV normalization (eps > 0): F's activation is tanh(scale .* Uhat + beta) of the normalized
   A = K_j * Y_j + b_j (tvnorm_forward, convtvnorm.cu, after the identity convolution); the tangent applies
   tvnorm_jac (forward: scale .* J_tv A + dscale .* Uhat + dbeta) to A, the adjoint adds the channel sums of Uhat .* T and
   of T to the gradients of scale and beta and applies tvnorm_jac (adjoint: J_tv (scale .* T)) to T before the bias and
   stencil gradients.
   Stored: lin = [D_0 .. D_{N-1} (N lm) | sym 1: S_0 .. S_{N-1} (N lm) | with the normalization Uhat_0 .. (N lm), 1/r_0 ..
   (N ih iw s) | scratch]. Reversible: D and S of the one step
   in the scratch, the states recomputed forward (tangent) or rebuilt backwards (adjoint) by
   Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 F_j(Y_j). The scratch (stored: after the stored part, [R0 .. R3 (4 lc) | A T (2 lx)
   | ones (ih iw) | cs (max(c, m) s)]; reversible: work, [R0 .. R6 (7 lc) | A T D S (4 lx) | ones | cs | with the
   normalization Uhat (lm) and 1/r (ih iw s) of the step]). Round-off as the conv Euler sweeps (the
   gradient sums in another order than the host's).
*/
static __global__ void k_leapfrog_combine(long len, double h2, const double *cur, const double *prev, const double *F, double *out)
{
  ODYN_FOR_EACH(i, len) out[i] = __dadd_rn(__dsub_rn(__dmul_rn(2.0, cur[i]), prev[i]), __dmul_rn(h2, F[i])); /* out may alias prev or F */
}

static __global__ void k_scale_copy(long len, double a, const double *x, double *y)
{
  ODYN_FOR_EACH(i, len) y[i] = a * x[i];
}

static int leapfrog_combine(long len, double h2, const double *cur, const double *prev, const double *F, double *out)
{
  k_leapfrog_combine<<<grid_for(len), TPB, 0, st.stream>>>(len, h2, cur, prev, F, out);
  return launched("conv leapfrog update kernel");
}

/* a sweep's geometry and scratch; one: the reversible sweeps' linearization of one step */
struct LeapfrogLin {
  double *D, *S, *Uhat, *rinv; /* Uhat, rinv: with the TV normalization only */
};

struct LeapfrogSweep {
  odyn_conv_geom g;
  int            sym, act; /* act: the activation (ODYN_PW_*) */
  double         eps;
  long           hw, lc, lm, lx, nk, slot, s;
  double        *R[7], *A, *T, *ones, *cs;
  LeapfrogLin    one;
};

/* rev: the reversible sweeps' scratch (more rings, and D and S of the step; with the normalization Uhat and 1/r) */
static long leapfrog_scratch_size(long c, long m, double eps, long ih, long iw, long s, int rev)
{
  const long hw = ih * iw, lc = c * hw * s, lm = m * hw * s, lx = lc > lm ? lc : lm, cx = c > m ? c : m;

  return (rev ? 7 : 4) * lc + (rev ? 4 : 2) * lx + hw + cx * s + (rev && eps > 0 ? lm + hw * s : 0);
}

static void leapfrog_sweep(LeapfrogSweep *w, int act, int sym, long c, long m, double eps, long ih, long iw, long s, double *scratch, int rev)
{
  const int nr = rev ? 7 : 4;

  const odyn_conv_geom g = {ih, iw, c, m, 3};

  w->g    = g;
  w->sym  = sym;
  w->act  = act;
  w->eps  = eps;
  w->hw   = ih * iw;
  w->lc   = c * w->hw * s;
  w->lm   = m * w->hw * s;
  w->lx   = w->lc > w->lm ? w->lc : w->lm;
  w->nk   = 9 * c * m;
  w->slot = w->nk + (eps > 0 ? 3 : 1) * m;
  w->s    = s;
  for (int r = 0; r < 7; r++) w->R[r] = r < nr ? scratch + r * w->lc : NULL;
  w->A        = scratch + nr * w->lc;
  w->T        = w->A + w->lx;
  w->one.D    = rev ? w->T + w->lx : NULL;
  w->one.S    = rev ? w->one.D + w->lx : NULL;
  w->ones     = w->T + (rev ? 3 : 1) * w->lx;
  w->cs       = w->ones + w->hw;
  w->one.Uhat = rev && eps > 0 ? w->cs + (c > m ? c : m) * s : NULL;
  w->one.rinv = rev && eps > 0 ? w->one.Uhat + w->lm : NULL;
}

/* the stored lin's doubles before the scratch: D (and S) of every step, with the normalization Uhat and 1/r */
static long leapfrog_stored(int sym, long m, double eps, long ih, long iw, long N, long s) { return (sym ? 2 : 1) * N * m * ih * iw * s + (eps > 0 ? N * (m + 1) * ih * iw * s : 0); }

/* step j's parts of the stored lin */
static LeapfrogLin leapfrog_stored_lin(const LeapfrogSweep *w, double *lin, long N, long j)
{
  const long  tv = (w->sym ? 2 : 1) * N * w->lm;
  LeapfrogLin l  = {lin + j * w->lm, w->sym ? lin + (N + j) * w->lm : NULL, NULL, NULL};

  if (w->eps > 0) {
    l.Uhat = lin + tv + j * w->lm;
    l.rinv = lin + tv + N * w->lm + j * w->hw * w->s;
  }
  return l;
}

/* L = F_j(Y_j) with D (and S, Uhat, 1/r) of the step */
static int leapfrog_step_f(const LeapfrogSweep *w, const double *K, const double *Yj, const LeapfrogLin *l, double *L)
{
  double *U = w->sym ? l->S : L; /* sym 0: sigma is F itself */
  int     r;

  if ((r = conv_act_tv(w->act, &w->g, w->s, w->eps, K, K + w->nk, K + w->nk + w->g.cout, K + w->nk + 2 * w->g.cout, Yj, U, l->D, l->Uhat, l->rinv, "conv leapfrog step"))) return r;
  if (w->sym && (r = odyn_cuda_conv3_adjoint(&w->g, w->s, K, -1.0, l->S, 0.0, L))) return kernel_status(r, "conv leapfrog step");
  return ODYN_BACKEND_OK;
}

/* L = F_Y dY + F_theta dtheta of the step (dK NULL: none) */
static int leapfrog_step_tangent(const LeapfrogSweep *w, const double *K, const double *dK, const double *Yj, const LeapfrogLin *l, const double *dY, double *L)
{
  const long m = w->g.cout;
  int        r = 0;

  if (dK) r = odyn_cuda_conv3_forward_bias_act(&w->g, w->s, dK, Yj, dK + w->nk, ODYN_PW_IDENTITY, w->A, NULL);
  if (!r) r = odyn_cuda_conv3_forward(&w->g, w->s, K, 1.0, dY, dK ? 1.0 : 0.0, w->A);
  if (r) return kernel_status(r, "conv leapfrog tangent step");
  if (w->eps > 0 && (r = tvnorm_jac(0, m, w->hw, w->s, K + w->nk + m, dK ? dK + w->nk + m : NULL, dK ? dK + w->nk + 2 * m : NULL, l->Uhat, l->rinv, w->A))) return r;
  if (!w->sym) r = odyn_cuda_hadamard(w->lc, 1.0, l->D, w->A, L);
  else {
    r = odyn_cuda_hadamard(w->lm, -1.0, l->D, w->A, w->T);
    if (!r) r = odyn_cuda_conv3_adjoint(&w->g, w->s, K, 1.0, w->T, 0.0, L);
    if (!r && dK) r = odyn_cuda_conv3_adjoint(&w->g, w->s, dK, -1.0, l->S, 1.0, L);
  }
  return r ? kernel_status(r, "conv leapfrog tangent step") : ODYN_BACKEND_OK;
}

/* the adjoint's step j: gK += h2 F_theta^T cur (gK NULL: none), prev += h2 F_Y^T cur */
static int leapfrog_step_adjoint(const LeapfrogSweep *w, double h2, const double *K, const double *Yj, const LeapfrogLin *l, const double *cur, double *prev, double *gK)
{
  const long m = w->g.cout;
  int        r = 0;

  if (w->sym) {
    /* the outer -K^T * S: its stencil gradient with cur as the input */
    if (gK) r = odyn_cuda_conv3_stencil_grad(&w->g, w->s, cur, l->S, -h2, gK);
    if (!r) r = odyn_cuda_conv3_forward(&w->g, w->s, K, 1.0, cur, 0.0, w->A);
    if (!r) r = odyn_cuda_hadamard(w->lm, -h2, l->D, w->A, w->T);
  } else r = odyn_cuda_hadamard(w->lc, h2, l->D, cur, w->T);
  if (r) return kernel_status(r, "conv leapfrog adjoint step");
  /* the normalization: scale and beta (A is free now), then T = J_tv (scale .* T) */
  if (w->eps > 0 && (r = conv_tv_adjoint(m, w->hw, w->s, K + w->nk + m, gK ? gK + w->nk + m : NULL, gK ? gK + w->nk + 2 * m : NULL, l->Uhat, l->rinv, w->T, w->A, w->ones, w->cs))) return r;
  if (gK) r = odyn_cuda_conv3_stencil_grad(&w->g, w->s, Yj, w->T, 1.0, gK);
  if (r) return kernel_status(r, "conv leapfrog adjoint step");
  if (gK && (r = channel_sums_add(w->g.cout, w->hw, w->s, w->T, w->ones, w->cs, gK + w->nk))) return r;
  if ((r = odyn_cuda_conv3_adjoint(&w->g, w->s, K, 1.0, w->T, 1.0, prev))) return kernel_status(r, "conv leapfrog adjoint step");
  return ODYN_BACKEND_OK;
}

/* prev += 2 cur, A_{j-1} = -cur (j = 0: prev += cur); then cur = A_j, prev = A_{j-1} */
static int leapfrog_adjoint_rotate(long lc, long j, double **cur, double **prev, double **next)
{
  double *tmp;
  int     r;

  if (j == 0) {
    if ((r = cuda_axpy(lc, 1.0, *cur, *prev))) return r; /* Y_{-1} = Y_0: 2 A_1 - A_1 */
    *cur = *prev;
    return ODYN_BACKEND_OK;
  }
  if ((r = cuda_axpy(lc, 2.0, *cur, *prev))) return r;
  k_scale_copy<<<grid_for(lc), TPB, 0, st.stream>>>(lc, -1.0, *cur, *next);
  if ((r = launched("conv leapfrog negation kernel"))) return r;
  tmp   = *cur;
  *cur  = *prev;
  *prev = *next;
  *next = tmp;
  return ODYN_BACKEND_OK;
}

static void leapfrog_rotate(double **prev, double **cur, double **next)
{
  double *tmp = *prev;

  *prev = *cur;
  *cur  = *next;
  *next = tmp;
}

static int leapfrog_ones(const LeapfrogSweep *w)
{
  return conv_fill_ones(w->hw, w->ones, "conv leapfrog adjoint (ones)");
}

long cuda_conv_leapfrog_linsize(int sym, long c, long m, double eps, long ih, long iw, long N, long s)
{
  return conv1_fits(c, m) && (sym || m == c) && eps >= 0 ? leapfrog_stored(sym, m, eps, ih, iw, N, s) + leapfrog_scratch_size(c, m, eps, ih, iw, s, 0) : -1;
}

long cuda_conv_leapfrog_revsize(int sym, long c, long m, double eps, long ih, long iw, long s) { return conv1_fits(c, m) && (sym || m == c) && eps >= 0 ? leapfrog_scratch_size(c, m, eps, ih, iw, s, 1) : -1; }

/* sizes (check_conv_verlet's), sym 0 with m = c, and the two arrays a and b (named ab) there */
static int check_conv_leapfrog(const char *op, int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, const double *theta, const double *lin, const double *a, const double *b, const char *ab)
{
  int r = check_conv_verlet(op, act, c, m, eps, ih, iw, N, s, theta, lin);

  if (r) return r;
  if (!sym && m != c) return fail(ODYN_BACKEND_ERR_SIZE, "%s: layer conv (sym 0) maps c to c channels, got c = %ld, m = %ld", op, c, m);
  if (s && (!a || !b)) return fail(ODYN_BACKEND_ERR_ARG, "%s: %s must be arrays of the backend", op, ab);
  return ODYN_BACKEND_OK;
}

int cuda_conv_leapfrog_forward(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  LeapfrogSweep w;
  int           r;

  if ((r = check_conv_leapfrog("conv_leapfrog_forward", act, sym, c, m, eps, ih, iw, N, s, theta, lin, Y0, Ytraj, "Y0 and Ytraj")) || !s) return r;
  leapfrog_sweep(&w, act, sym, c, m, eps, ih, iw, s, lin + leapfrog_stored(sym, m, eps, ih, iw, N, s), 0);
  if ((r = cuda_copy_device(Ytraj, Y0, (size_t)w.lc * sizeof(double)))) return r;
  for (long j = 0; j < N; j++) {
    const double     *Yj = Ytraj + j * w.lc;
    const LeapfrogLin l  = leapfrog_stored_lin(&w, lin, N, j);

    if ((r = leapfrog_step_f(&w, theta + j * w.slot, Yj, &l, w.R[0]))) return r;
    if ((r = leapfrog_combine(w.lc, h * h, Yj, j ? Yj - w.lc : Yj, w.R[0], Ytraj + (j + 1) * w.lc))) return r;
  }
  return ODYN_BACKEND_OK;
}

int cuda_conv_leapfrog_tangent(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  LeapfrogSweep w;
  double       *prev, *cur, *next;
  int           r;

  if ((r = check_conv_leapfrog("conv_leapfrog_tangent", act, sym, c, m, eps, ih, iw, N, s, theta, lin, Ytraj, dYN, "Ytraj and dYN")) || !s) return r;
  leapfrog_sweep(&w, act, sym, c, m, eps, ih, iw, s, lin + leapfrog_stored(sym, m, eps, ih, iw, N, s), 0);
  prev = w.R[0], cur = w.R[1], next = w.R[2];
  if (dY0) r = cuda_copy_device(cur, dY0, (size_t)w.lc * sizeof(double));
  else r = cuda_mem_set(cur, 0, (size_t)w.lc * sizeof(double));
  if (r || (r = cuda_copy_device(prev, cur, (size_t)w.lc * sizeof(double)))) return r;
  for (long j = 0; j < N; j++) {
    const LeapfrogLin l = leapfrog_stored_lin(&w, lin, N, j);

    if ((r = leapfrog_step_tangent(&w, theta + j * w.slot, dtheta ? dtheta + j * w.slot : NULL, Ytraj + j * w.lc, &l, cur, w.R[3]))) return r;
    if ((r = leapfrog_combine(w.lc, h * h, cur, prev, w.R[3], next))) return r;
    leapfrog_rotate(&prev, &cur, &next);
  }
  return cuda_copy_device(dYN, cur, (size_t)w.lc * sizeof(double));
}

int cuda_conv_leapfrog_adjoint(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  LeapfrogSweep w;
  double       *cur, *prev, *next;
  int           r;

  if ((r = check_conv_leapfrog("conv_leapfrog_adjoint", act, sym, c, m, eps, ih, iw, N, s, theta, lin, Ytraj, W, "Ytraj and W")) || !s || (!gtheta && !gY0)) return r;
  leapfrog_sweep(&w, act, sym, c, m, eps, ih, iw, s, lin + leapfrog_stored(sym, m, eps, ih, iw, N, s), 0);
  cur = w.R[0], prev = w.R[1], next = w.R[2];
  if ((r = cuda_copy_device(cur, W, (size_t)w.lc * sizeof(double))) || (r = cuda_mem_set(prev, 0, (size_t)w.lc * sizeof(double)))) return r;
  if (gtheta && (r = leapfrog_ones(&w))) return r;
  for (long j = N - 1; j >= 0; j--) {
    const LeapfrogLin l = leapfrog_stored_lin(&w, lin, N, j);

    if ((r = leapfrog_step_adjoint(&w, h * h, theta + j * w.slot, Ytraj + j * w.lc, &l, cur, prev, gtheta ? gtheta + j * w.slot : NULL))) return r;
    if ((r = leapfrog_adjoint_rotate(w.lc, j, &cur, &prev, &next))) return r;
  }
  return gY0 ? cuda_copy_device(gY0, cur, (size_t)w.lc * sizeof(double)) : ODYN_BACKEND_OK;
}

int cuda_conv_leapfrog_forward_final(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1, double *work)
{
  LeapfrogSweep w;
  double       *prev, *cur, *next;
  int           r;

  if ((r = check_conv_leapfrog("conv_leapfrog_forward_final", act, sym, c, m, eps, ih, iw, N, s, theta, work, Y0, YN && YNm1 ? YN : NULL, "Y0, YN and YNm1")) || !s) return r;
  leapfrog_sweep(&w, act, sym, c, m, eps, ih, iw, s, work, 1);
  prev = w.R[0], cur = w.R[1], next = w.R[2];
  if ((r = cuda_copy_device(cur, Y0, (size_t)w.lc * sizeof(double))) || (r = cuda_copy_device(prev, Y0, (size_t)w.lc * sizeof(double)))) return r;
  for (long j = 0; j < N; j++) {
    if ((r = leapfrog_step_f(&w, theta + j * w.slot, cur, &w.one, w.R[3]))) return r;
    if ((r = leapfrog_combine(w.lc, h * h, cur, prev, w.R[3], next))) return r;
    leapfrog_rotate(&prev, &cur, &next);
  }
  if ((r = cuda_copy_device(YN, cur, (size_t)w.lc * sizeof(double)))) return r;
  return cuda_copy_device(YNm1, prev, (size_t)w.lc * sizeof(double));
}

int cuda_conv_leapfrog_tangent_y0(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, double *work, const double *dY0, double *dYN)
{
  LeapfrogSweep w;
  double       *yp, *yc, *yn, *dp, *dc, *dn;
  int           r;

  if ((r = check_conv_leapfrog("conv_leapfrog_tangent_y0", act, sym, c, m, eps, ih, iw, N, s, theta, work, Y0, dYN, "Y0 and dYN")) || !s) return r;
  leapfrog_sweep(&w, act, sym, c, m, eps, ih, iw, s, work, 1);
  yp = w.R[0], yc = w.R[1], yn = w.R[2], dp = w.R[3], dc = w.R[4], dn = w.R[5];
  if ((r = cuda_copy_device(yc, Y0, (size_t)w.lc * sizeof(double))) || (r = cuda_copy_device(yp, Y0, (size_t)w.lc * sizeof(double)))) return r;
  if (dY0) r = cuda_copy_device(dc, dY0, (size_t)w.lc * sizeof(double));
  else r = cuda_mem_set(dc, 0, (size_t)w.lc * sizeof(double));
  if (r || (r = cuda_copy_device(dp, dc, (size_t)w.lc * sizeof(double)))) return r;
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * w.slot;

    /* Y_{j+1}, and the linearization at Y_j; then the tangent's step at Y_j */
    if ((r = leapfrog_step_f(&w, K, yc, &w.one, w.R[6])) || (r = leapfrog_combine(w.lc, h * h, yc, yp, w.R[6], yn))) return r;
    if ((r = leapfrog_step_tangent(&w, K, dtheta ? dtheta + j * w.slot : NULL, yc, &w.one, dc, w.R[6]))) return r;
    if ((r = leapfrog_combine(w.lc, h * h, dc, dp, w.R[6], dn))) return r;
    leapfrog_rotate(&yp, &yc, &yn);
    leapfrog_rotate(&dp, &dc, &dn);
  }
  return cuda_copy_device(dYN, dc, (size_t)w.lc * sizeof(double));
}

int cuda_conv_leapfrog_adjoint_reversible(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, double *work, const double *W, double *gtheta, double *gY0)
{
  const double  h2 = h * h;
  LeapfrogSweep w;
  double       *ya, *yb, *cur, *prev, *next, *L, *t;
  int           r;

  if ((r = check_conv_leapfrog("conv_leapfrog_adjoint_reversible", act, sym, c, m, eps, ih, iw, N, s, theta, work, YN && YNm1 ? YN : NULL, W, "YN, YNm1 and W")) || !s || (!gtheta && !gY0)) return r;
  if (gY0 && (gY0 == YN || gY0 == YNm1)) return fail(ODYN_BACKEND_ERR_ARG, "conv_leapfrog_adjoint_reversible: gY0 must not alias YN or YNm1");
  leapfrog_sweep(&w, act, sym, c, m, eps, ih, iw, s, work, 1);
  ya = w.R[0], yb = w.R[1], cur = w.R[2], prev = w.R[3], next = w.R[4], L = w.R[5];
  if ((r = cuda_copy_device(ya, YN, (size_t)w.lc * sizeof(double))) || (r = cuda_copy_device(yb, YNm1, (size_t)w.lc * sizeof(double)))) return r;
  if ((r = cuda_copy_device(cur, W, (size_t)w.lc * sizeof(double))) || (r = cuda_mem_set(prev, 0, (size_t)w.lc * sizeof(double)))) return r;
  if (gtheta && (r = leapfrog_ones(&w))) return r;
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * w.slot;

    /* ya = Y_{j+1}, yb = Y_j: the step's linearization and F at Y_j, the adjoint step, then Y_{j-1} into ya */
    if ((r = leapfrog_step_f(&w, K, yb, &w.one, L))) return r;
    if ((r = leapfrog_step_adjoint(&w, h2, K, yb, &w.one, cur, prev, gtheta ? gtheta + j * w.slot : NULL))) return r;
    if ((r = leapfrog_adjoint_rotate(w.lc, j, &cur, &prev, &next))) return r;
    if (j > 0) {
      if ((r = leapfrog_combine(w.lc, h2, yb, ya, L, ya))) return r;
      t  = ya;
      ya = yb;
      yb = t;
    }
  }
  return gY0 ? cuda_copy_device(gY0, cur, (size_t)w.lc * sizeof(double)) : ODYN_BACKEND_OK;
}

} // namespace odyn_cudabackend
