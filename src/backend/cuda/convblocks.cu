/*
   The cuda table's whole-block convolutional sweeps (include/odyn/private/backend.h: conv_euler_*, conv_single_*,
   conv_verlet_*; conv_leapfrog_* in convleapfrog.cu, conv_parabolic_* in convparabolic.cu), composed
   from the direct 3x3 kernels of convdirect.cu (odyn_cuda_conv3_*, cudakernels.h) and the table's own elementwise operations (backend.cu,
   through backendimpl.cuh). No PETSc header here by design.
*/
#include <limits.h>
#include <odyn/private/backend.h>
#include <odyn/private/cudakernels.h>
#include <odyn/private/pointwise.h>
#include "backendimpl.cuh"

namespace odyn_cudabackend {

/*
   The whole-block convolutional Euler tanh sweeps (conv_euler_*): the direct 3x3 kernels of convdirect.cu through
   their C API (odyn_cuda_conv3_*, cudakernels.h), composed as bench/bench_cuda.c composes them, on the legacy default
   stream like the dense sweeps above. lin = [D_0 .. D_{N-1} (N len) (| Uhat_0 .. Uhat_{N-1} (N len) | 1/r_0 ..
   1/r_{N-1} (N hw s) with the TV normalization) | T (len) | P (len) | ones (ih iw) | cs (c s) (| A (len): eps > 0)]:
     forward   Y_{j+1} = Y_j + h tanh(K_j * Y_j + b_j), D_j = sigma'                   (odyn_cuda_conv3_euler)
     tangent   T = dK_j * Y_j + db_j (or 0); T += K_j * dY; dY += h D_j .* T         (conv3_forward_bias_act, conv3_forward, scaled_hadamard_add)
     adjoint   T = h D_j .* P; gK_j += stencil gradient (Y_j, T); gb_j += channel sums of T (cs = per example and
               channel sums by one DGEMM with ones, then the row sums of cs); P += K_j^T T
   With the normalization (eps > 0, as convparabolic.cu): the forward's U = K_j * Y_j + b_j goes into Y_{j+1}, is
   normalized, scaled, shifted and activated there (tvnorm_forward: D_j, Uhat_j, 1/r_j), then Y_{j+1} = Y_j + h U;
   the tangent takes T = scale_j .* J_tv T + dscale_j .* Uhat_j + dbeta_j before D_j; the adjoint adds the channel
   sums of Uhat_j .* T (A) and of T to the gradients of scale_j and beta_j and takes T = J_tv (scale_j .* T) first.
   The gradient sums run in another order than the host's (per block and across blocks, and cuBLAS), so the results
   agree with the host table's to round-off, not bit for bit (tests/gpu/test_gpu_convbackend.c).
*/
static __global__ void k_fill(long len, double v, double *x)
{
  ODYN_FOR_EACH(i, len) x[i] = v;
}

/* ones (len) = 1: the vector the channel sums multiply (what names the sweep for a launch error) */
int conv_fill_ones(long len, double *ones, const char *what)
{
  k_fill<<<grid_for(len), TPB, 0, st.stream>>>(len, 1.0, ones);
  return launched(what);
}

/* an adjoint's T (cout channels of hw per example) through the TV normalization: the gradients of scale and beta (gs,
   gbeta; gs NULL: none; tmp holds Uhat .* T), then T = J_tv (scale .* T) */
int conv_tv_adjoint(long cout, long hw, long s, const double *scale, double *gs, double *gbeta, const double *Uhat, const double *rinv, double *T, double *tmp, const double *ones, double *cs)
{
  int r;

  if (gs) {
    if ((r = odyn_cuda_hadamard(cout * hw * s, 1.0, Uhat, T, tmp))) return kernel_status(r, "conv adjoint (TV normalization)");
    if ((r = channel_sums_add(cout, hw, s, tmp, ones, cs, gs)) || (r = channel_sums_add(cout, hw, s, T, ones, cs, gbeta))) return r;
  }
  return tvnorm_jac(1, cout, hw, s, scale, NULL, NULL, Uhat, rinv, T);
}

/* any channel count >= 1: the direct kernels up to ODYN_CUDA_CONV_MAXC, convgemm.cu (im2col + cuBLAS) beyond */
static bool conv_fits(long c) { return c >= 1; }

/* the parts of lin (see above): step j's D, Uhat, 1/r (NULL without the normalization), then the sweeps' scratch */
typedef struct {
  double *D, *Uhat, *rinv;
} EulerLin;

static EulerLin euler_lin(double *lin, double eps, long N, long j, long len, long hws)
{
  EulerLin l = {lin + j * len, NULL, NULL};

  if (eps > 0) {
    l.Uhat = lin + (N + j) * len;
    l.rinv = lin + 2 * N * len + j * hws;
  }
  return l;
}

static long    euler_stored(double eps, long N, long len, long hws) { return eps > 0 ? 2 * N * len + N * hws : N * len; }
static double *euler_scratch(double *lin, double eps, long N, long len, long hws) { return lin + euler_stored(eps, N, len, hws); }

/* the parameters of step j: [K | b] or, normalized, [K | b | scale | beta] */
static long euler_slot(long c, double eps) { return 9 * c * c + (eps > 0 ? 3 : 1) * c; }

long cuda_conv_euler_linsize(long c, double eps, long ih, long iw, long N, long s)
{
  const long len = c * ih * iw * s, hws = ih * iw * s;

  if (!conv_fits(c) || !(eps >= 0)) return -1;
  return euler_stored(eps, N, len, hws) + 2 * len + ih * iw + c * s + (eps > 0 ? len : 0);
}

/* the activations of the conv sweeps: identity, tanh or relu, as paper 000's CNNs use (the diffusion fluxes of the
   pointwise table need a contrast, which the conv layers do not learn) */
int conv_check_act(const char *op, int act)
{
  if (odyn_act_is_plain(act)) return ODYN_BACKEND_OK;
  return fail(ODYN_BACKEND_ERR_ARG, "%s: activation %d is none of identity, tanh and relu (ODYN_PW_IDENTITY, _TANH, _RELU)", op, act);
}

static int check_conv(const char *op, int act, long c, double eps, long ih, long iw, long N, long s, const double *lin)
{
  if (conv_check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  if (c < 1 || ih < 1 || iw < 1 || N < 0 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need c, ih, iw >= 1, N >= 0, s >= 0, got c = %ld, ih = %ld, iw = %ld, N = %ld, s = %ld", op, c, ih, iw, N, s);
  if (ih > INT_MAX / iw || c * ih * iw > INT_MAX || c * s > INT_MAX || s > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "%s: c = %ld, ih = %ld, iw = %ld, s = %ld exceed cuBLAS's int", op, c, ih, iw, s);
  if (!(eps >= 0) || isinf(eps)) return fail(ODYN_BACKEND_ERR_ARG, "%s: eps of the TV normalization must be finite and >= 0 (0: none), got %g", op, eps);
  if (s && N && !lin) return fail(ODYN_BACKEND_ERR_ARG, "%s: lin (conv_euler_linsize() values) must be an array of the backend", op);
  return ensure_stream();
}

int cuda_conv_euler_forward(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const odyn_conv_geom g = {ih, iw, c, c, 3};
  const long           hw = ih * iw, len = c * hw * s, nk = 9 * c * c, slot = euler_slot(c, eps);
  int                  r;

  if ((r = check_conv("conv_euler_forward", act, c, eps, ih, iw, N, s, lin)) || !s) return r;
  if ((r = cuda_copy_device(Ytraj, Y0, (size_t)len * sizeof(double)))) return r;
  for (long j = 0; j < N; j++) {
    const double  *K  = theta + j * slot, *Yj = Ytraj + j * len;
    double        *Y1 = Ytraj + (j + 1) * len;
    const EulerLin l  = euler_lin(lin, eps, N, j, len, hw * s);

    if (eps > 0) {
      if ((r = conv_act_tv(act, &g, s, eps, K, K + nk, K + nk + c, K + nk + 2 * c, Yj, Y1, l.D, l.Uhat, l.rinv, "conv_euler_forward"))) return r;
      if ((r = cuda_axpby(len, 1.0, Yj, h, Y1))) return r;
    } else if ((r = odyn_cuda_conv3_euler(&g, s, K, K + nk, act, h, Yj, Y1, l.D))) return kernel_status(r, "conv_euler_forward");
  }
  return ODYN_BACKEND_OK;
}

int cuda_conv_euler_tangent(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  const odyn_conv_geom g = {ih, iw, c, c, 3};
  const long           hw = ih * iw, len = c * hw * s, nk = 9 * c * c, slot = euler_slot(c, eps);
  double              *T;
  int                  r;

  if ((r = check_conv("conv_euler_tangent", act, c, eps, ih, iw, N, s, lin)) || !s) return r;
  T = euler_scratch(lin, eps, N, len, hw * s);
  if (dY0) r = cuda_copy_device(dYN, dY0, (size_t)len * sizeof(double));
  else r = cuda_mem_set(dYN, 0, (size_t)len * sizeof(double));
  if (r) return r;
  for (long j = 0; j < N; j++) {
    const double  *K  = theta + j * slot, *dK = dtheta ? dtheta + j * slot : NULL;
    const EulerLin l  = euler_lin(lin, eps, N, j, len, hw * s);

    if (dK && (r = odyn_cuda_conv3_forward_bias_act(&g, s, dK, Ytraj + j * len, dK + nk, ODYN_PW_IDENTITY, T, NULL))) return kernel_status(r, "conv_euler_tangent");
    if ((r = odyn_cuda_conv3_forward(&g, s, K, 1.0, dYN, dK ? 1.0 : 0.0, T))) return kernel_status(r, "conv_euler_tangent");
    if (eps > 0 && (r = tvnorm_jac(0, c, hw, s, K + nk + c, dK ? dK + nk + c : NULL, dK ? dK + nk + 2 * c : NULL, l.Uhat, l.rinv, T))) return r;
    if ((r = cuda_scaled_hadamard_add(len, h, l.D, T, dYN))) return r;
  }
  return ODYN_BACKEND_OK;
}

int cuda_conv_euler_adjoint(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, c, c, 3};
  const long           hw = ih * iw, len = c * hw * s, nk = 9 * c * c, slot = euler_slot(c, eps);
  double              *T, *P, *ones, *cs, *A;
  int                  r;

  if ((r = check_conv("conv_euler_adjoint", act, c, eps, ih, iw, N, s, lin)) || !s || (!gtheta && !gY0)) return r;
  T    = euler_scratch(lin, eps, N, len, hw * s);
  P    = gY0 ? gY0 : T + len;
  ones = T + 2 * len;
  cs   = ones + hw;
  A    = cs + c * s;
  if ((r = cuda_copy_device(P, W, (size_t)len * sizeof(double)))) return r;
  if (gtheta) {
    if ((r = conv_fill_ones(hw, ones, "conv_euler_adjoint (ones)"))) return r;
  }
  for (long j = N - 1; j >= 0; j--) {
    const double  *K  = theta + j * slot;
    double        *gK = gtheta ? gtheta + j * slot : NULL;
    const EulerLin l  = euler_lin(lin, eps, N, j, len, hw * s);

    if ((r = odyn_cuda_hadamard(len, h, l.D, P, T))) return kernel_status(r, "conv_euler_adjoint");
    if (eps > 0 && (r = conv_tv_adjoint(c, hw, s, K + nk + c, gK ? gK + nk + c : NULL, gK ? gK + nk + 2 * c : NULL, l.Uhat, l.rinv, T, A, ones, cs))) return r;
    if (gK) {
      if ((r = odyn_cuda_conv3_stencil_grad(&g, s, Ytraj + j * len, T, 1.0, gK))) return kernel_status(r, "conv_euler_adjoint");
      if ((r = channel_sums_add(c, hw, s, T, ones, cs, gK + nk))) return r;
    }
    if ((r = odyn_cuda_conv3_adjoint(&g, s, K, 1.0, T, 1.0, P))) return kernel_status(r, "conv_euler_adjoint");
  }
  return ODYN_BACKEND_OK;
}

/*
   The one-step conv tanh layer cin -> cout (conv_single_*: the opening layer and paper 000's connectors, scheme single
   with layer conv), k x k stencils (k = 1 or 3), optionally followed by 2x2 average pooling P, from the same device
   functions as the Euler sweeps above. lin = [D (lenU) (| Uhat (lenU) | 1/r (ih iw s): eps > 0) | T (lenU) | ones
   (ih iw) | cs (cout s) (| A (lenU): eps > 0)]; U = tanh(K * Y0 + b) before
   pooling (lenU = cout ih iw s):
     forward   U = tanh(K * Y0 + b), D = sigma' (conv3_forward_bias_act; into T when pooled); Y1 = U or P U
     tangent   T = dK * Y0 + db (or 0); T += K * dY0; dY1 = D .* T, or T = D .* T, dY1 = P T
     adjoint   T = D .* W, or T = P^T W, T = D .* T; gK += stencil gradient (Y0, T); gb += channel sums of T (as above);
               gY0 = K^T T
   With the TV normalization (eps > 0) as the Euler sweeps: U = K * Y0 + b normalized, scaled, shifted and activated
   (tvnorm_forward); the tangent's T = scale .* J_tv T + dscale .* Uhat + dbeta before D; the adjoint's gradients of
   scale and beta, then T = J_tv (scale .* T), before the bias and stencil gradients (conv_tv_adjoint).
   A 1x1 stencil goes to the same odyn_cuda_conv3_* functions with g.k = 1, which run it as cuBLAS GEMMs on the states
   themselves (convgemm.cu; until 2026-12-05 it ran as the centre tap of a zero-padded 3x3 stencil on the direct
   kernels, 9 times the multiply-adds). Round-off as the Euler sweeps: the gradient sums run in another order than the
   host's.
*/
bool conv1_fits(long cin, long cout) { return conv_fits(cin) && conv_fits(cout); }

/* the parts of a one-step layer's lin (see above; cuda_conv_single_linsize() adds them up) */
typedef struct {
  double *D, *Uhat, *rinv, *T, *ones, *cs, *A;
} Conv1Lin;

static Conv1Lin conv1_lin(double *lin, long cout, double eps, long hw, long s)
{
  const long lenU = cout * hw * s, tv = eps > 0;
  Conv1Lin   l;

  l.D    = lin;
  l.Uhat = tv ? lin + lenU : NULL;
  l.rinv = tv ? lin + 2 * lenU : NULL;
  l.T    = lin + (tv ? 2 * lenU + hw * s : lenU);
  l.ones = l.T + lenU;
  l.cs   = l.ones + hw;
  l.A    = l.cs + cout * s;
  return l;
}

long cuda_conv_single_linsize(long cin, long cout, long k, int pool, double eps, long ih, long iw, long s)
{
  const long lenU = cout * ih * iw * s;

  (void)pool;
  (void)k;
  if (!conv1_fits(cin, cout) || !(eps >= 0)) return -1;
  return (eps > 0 ? 2 * lenU + ih * iw * s : lenU) + lenU + ih * iw + cout * s + (eps > 0 ? lenU : 0);
}

static int check_conv1(const char *op, int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *lin)
{
  if (conv_check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  const long cm = cin > cout ? cin : cout;

  if (cin < 1 || cout < 1 || ih < 1 || iw < 1 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need cin, cout, ih, iw >= 1, s >= 0, got cin = %ld, cout = %ld, ih = %ld, iw = %ld, s = %ld", op, cin, cout, ih, iw, s);
  if (k != 1 && k != 3) return fail(ODYN_BACKEND_ERR_SIZE, "%s: 1x1 or 3x3 stencils only, got k = %ld", op, k);
  if (pool && (ih % 2 || iw % 2)) return fail(ODYN_BACKEND_ERR_SIZE, "%s: 2x2 pooling needs an even image, got %ld x %ld", op, ih, iw);
  if (ih > INT_MAX / iw || cm * ih * iw > INT_MAX || cout * s > INT_MAX || s > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "%s: cin = %ld, cout = %ld, ih = %ld, iw = %ld, s = %ld exceed cuBLAS's int", op, cin, cout, ih, iw, s);
  if (!(eps >= 0) || isinf(eps)) return fail(ODYN_BACKEND_ERR_ARG, "%s: eps of the TV normalization must be finite and >= 0 (0: none), got %g", op, eps);
  if (s && (!theta || !lin)) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin (conv_single_linsize() values) must be arrays of the backend", op);
  return ensure_stream();
}

/* F = P U (2x2 averages; planes: channels times examples, of h x w), or F += P U (add), as the host's odyn_avgpool2 */
static __global__ void k_avgpool2(long planes, long h, long w, int add, const double *U, double *F)
{
  const long h2 = h / 2, w2 = w / 2;

  ODYN_FOR_EACH(k, planes * h2 * w2)
  {
    const long    p = k / (h2 * w2), i = (k / w2) % h2, j = k % w2;
    const double *u = U + p * h * w + 2 * i * w + 2 * j;
    const double  v = __dmul_rn(0.25, __dadd_rn(__dadd_rn(__dadd_rn(u[0], u[1]), u[w]), u[w + 1]));

    F[k] = add ? __dadd_rn(F[k], v) : v;
  }
}

/* U = P^T F (each average's weight 1/4 spread over its 2x2 block), as the host's odyn_avgpool2_adjoint */
static __global__ void k_avgpool2_adjoint(long planes, long h, long w, const double *F, double *U)
{
  const long h2 = h / 2, w2 = w / 2;

  ODYN_FOR_EACH(k, planes * h * w)
  {
    const long p = k / (h * w), i = (k / w) % h, j = k % w;

    U[k] = __dmul_rn(0.25, F[p * h2 * w2 + (i / 2) * w2 + j / 2]);
  }
}

static int avgpool2(long planes, long h, long w, int add, const double *U, double *F)
{
  k_avgpool2<<<grid_for(planes * (h / 2) * (w / 2)), TPB, 0, st.stream>>>(planes, h, w, add, U, F);
  return launched("conv_single (2x2 average pooling)");
}

int cuda_conv_single_forward(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *Y1, double *lin)
{
  const odyn_conv_geom g = {ih, iw, cin, cout, k};
  const long           hw = ih * iw, nk = k * k * cin * cout;
  const Conv1Lin       l = conv1_lin(lin, cout, eps, hw, s);
  double              *U = pool ? l.T : Y1;
  int                  r;

  if ((r = check_conv1("conv_single_forward", act, cin, cout, k, pool, eps, ih, iw, s, theta, lin)) || !s) return r;
  if (!Y0 || !Y1) return fail(ODYN_BACKEND_ERR_ARG, "conv_single_forward: Y0 and Y1 must be arrays of the backend");
  if ((r = conv_act_tv(act, &g, s, eps, theta, theta + nk, theta + nk + cout, theta + nk + 2 * cout, Y0, U, l.D, l.Uhat, l.rinv, "conv_single_forward"))) return r;
  return pool ? avgpool2(cout * s, ih, iw, 0, l.T, Y1) : ODYN_BACKEND_OK;
}

int cuda_conv_single_tangent(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *dtheta, const double *Y0, double *lin, const double *dY0, double *dY1)
{
  const odyn_conv_geom g = {ih, iw, cin, cout, k};
  const long           hw = ih * iw, lenU = cout * hw * s, nk = k * k * cin * cout;
  const Conv1Lin       l = conv1_lin(lin, cout, eps, hw, s);
  int                  r;

  if ((r = check_conv1("conv_single_tangent", act, cin, cout, k, pool, eps, ih, iw, s, theta, lin)) || !s) return r;
  if (!Y0 || !dY1) return fail(ODYN_BACKEND_ERR_ARG, "conv_single_tangent: Y0 and dY1 must be arrays of the backend");
  if (!dtheta && !dY0) return cuda_mem_set(dY1, 0, (size_t)(pool ? lenU / 4 : lenU) * sizeof(double));
  if (dtheta && (r = odyn_cuda_conv3_forward_bias_act(&g, s, dtheta, Y0, dtheta + nk, ODYN_PW_IDENTITY, l.T, NULL))) return kernel_status(r, "conv_single_tangent");
  if (dY0 && (r = odyn_cuda_conv3_forward(&g, s, theta, 1.0, dY0, dtheta ? 1.0 : 0.0, l.T))) return kernel_status(r, "conv_single_tangent");
  if (eps > 0 && (r = tvnorm_jac(0, cout, hw, s, theta + nk + cout, dtheta ? dtheta + nk + cout : NULL, dtheta ? dtheta + nk + 2 * cout : NULL, l.Uhat, l.rinv, l.T))) return r;
  if ((r = odyn_cuda_hadamard(lenU, 1.0, l.D, l.T, pool ? l.T : dY1))) return kernel_status(r, "conv_single_tangent");
  return pool ? avgpool2(cout * s, ih, iw, 0, l.T, dY1) : ODYN_BACKEND_OK;
}

int cuda_conv_single_adjoint(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *lin, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, cin, cout, k};
  const long           hw = ih * iw, lenU = cout * hw * s, nk = k * k * cin * cout;
  const Conv1Lin       l = conv1_lin(lin, cout, eps, hw, s);
  int                  r;

  if ((r = check_conv1("conv_single_adjoint", act, cin, cout, k, pool, eps, ih, iw, s, theta, lin)) || !s || (!gtheta && !gY0)) return r;
  if (!Y0 || !W) return fail(ODYN_BACKEND_ERR_ARG, "conv_single_adjoint: Y0 and W must be arrays of the backend");
  if (pool) {
    k_avgpool2_adjoint<<<grid_for(lenU), TPB, 0, st.stream>>>(cout * s, ih, iw, W, l.T);
    if ((r = launched("conv_single_adjoint (pooling's adjoint)"))) return r;
  }
  if ((r = odyn_cuda_hadamard(lenU, 1.0, l.D, pool ? l.T : W, l.T))) return kernel_status(r, "conv_single_adjoint");
  if (gtheta && (r = conv_fill_ones(hw, l.ones, "conv_single_adjoint (ones)"))) return r;
  if (eps > 0 && (r = conv_tv_adjoint(cout, hw, s, theta + nk + cout, gtheta ? gtheta + nk + cout : NULL, gtheta ? gtheta + nk + 2 * cout : NULL, l.Uhat, l.rinv, l.T, l.A, l.ones, l.cs))) return r;
  if (gtheta) {
    if ((r = odyn_cuda_conv3_stencil_grad(&g, s, Y0, l.T, 1.0, gtheta))) return kernel_status(r, "conv_single_adjoint");
    if ((r = channel_sums_add(cout, hw, s, l.T, l.ones, l.cs, gtheta + nk))) return r;
  }
  if (gY0 && (r = odyn_cuda_conv3_adjoint(&g, s, theta, 1.0, l.T, 0.0, gY0))) return kernel_status(r, "conv_single_adjoint");
  return ODYN_BACKEND_OK;
}

/*
   The whole-block convolutional Verlet tanh sweeps (conv_verlet_*: the Hamiltonian CNN, scheme verlet with layer
   convhamiltonian), from the same device functions; with the TV normalization (eps > 0) each face's pre-activation goes
   through tvnorm_forward (convtvnorm.cu) and its products through tvnorm_jac, the gradients of scale and beta being
   channel sums of Uhat .* T and T (verlet_face1_act, verlet_face0, verlet_tangent_face1/0, verlet_adjoint_face0/1,
   shared by the stored and the recomputing sweeps). One geometry g = {ih, iw, m, c, 3}: K_j * Z maps Z (m channels) to
   Y (c), K_j^T * Y is odyn_cuda_conv3_adjoint with the same K_j (no flipped copy), and the stencil gradient of the
   K^T face is odyn_cuda_conv3_stencil_grad with its two arguments' roles swapped: <T, K^T * Y> = <K * T, Y>, so T (m
   channels) is the input X and Y_j (c channels) the weight W. lx = max(ln, lm), cx = max(c, m);
   lin = [DG_0 DF_0 .. DG_{N-1} DF_{N-1} (N (lm + ln)) | T (lx) | A (lx: dZ or Q) | P (lx) | ones (ih iw) | cs (cx s)]:
     forward   Z = K_j^T * Y_j; Z = tanh(Z + bG) with DG_j; Z_{j+1/2} = Z_{j-1/2} - h Z;
               Y_{j+1} = tanh(K_j * Z_{j+1/2} + bF) with DF_j; Y_{j+1} = Y_j + h Y_{j+1}       (conv3_adjoint, k_channel_bias_act, axpby, conv3_forward_bias_act, axpby)
     tangent   T = dK_j^T * Y_j (or 0) + K_j^T * dY (+ dbG); dZ += -h DG_j .* T;
               T = dK_j * Z_{j+1/2} + dbF (or 0) + K_j * dZ; dY += h DF_j .* T
     adjoint   T = h DF_j .* P; gK_j += stencil gradient (Z_{j+1/2}, T); gbF_j += channel sums of T; Q += K_j^T T;
               T = -h DG_j .* Q; gK_j += stencil gradient (T, Y_j); gbG_j += channel sums of T; P += K_j T
   Round-off as the Euler sweeps: another order of the gradient sums than the host's, and the K^T face as the adjoint
   convolution where the host convolves with the flipped stencil (the same products, summed in another order).
*/
static __global__ void k_channel_bias_act(int act, long hw, long c, long len, const double *b, double *A, double *D)
{
  ODYN_FOR_EACH(k, len)
  {
    const double x = b ? __dadd_rn(A[k], b[(k / hw) % c]) : A[k], y = odyn_act(act, x);

    A[k] = y;
    if (D) D[k] = act == ODYN_PW_TANH ? __dsub_rn(1.0, __dmul_rn(y, y)) : odyn_act_deriv(act, x);
  }
}

/* A = act(A + b per channel) (A: c hw x s, channel-major), D = act' when not NULL */
static int channel_bias_act(int act, long hw, long c, long s, const double *b, double *A, double *D)
{
  if (!hw || !c || !s) return ODYN_BACKEND_OK;
  k_channel_bias_act<<<grid_for(c * hw * s), TPB, 0, st.stream>>>(act, hw, c, c * hw * s, b, A, D);
  return launched("channel_bias_act kernel");
}

/* the parts of a step's parameters (eps > 0: with the normalization's scale and beta of both faces) */
struct VerletParams {
  long nk, slot, obF, obG, osF, obetaF, osG, obetaG;
};

static VerletParams verlet_params(long c, long m, double eps)
{
  VerletParams p;

  p.nk     = 9 * c * m;
  p.obF    = p.nk;
  p.obG    = p.nk + c;
  p.osF    = p.nk + c + m;
  p.obetaF = p.osF + c;
  p.osG    = p.obetaF + c;
  p.obetaG = p.osG + m;
  p.slot   = p.nk + c + m + (eps > 0 ? 2 * (c + m) : 0);
  return p;
}

/* the normalization's parts of one step (all NULL without it): Uhat and 1/r of face 1 (G, m channels) and face 0 (F,
   c channels), and tmp (lx), the adjoint's Uhat .* T */
struct VerletTV {
  double *UhatG, *rinvG, *UhatF, *rinvF, *tmp;
};

/* one step's Uhat and 1/r of both faces at buf: [UhatG (lm) | 1/rG (lp) | UhatF (ln) | 1/rF (lp)] */
static VerletTV verlet_tv_at(double *buf, long ln, long lm, long lp, double *tmp)
{
  VerletTV t = {buf, buf + lm, buf + lm + lp, buf + lm + lp + ln, tmp};
  return t;
}

/* face 1's activation of U = K^T * Y (in G): G = tanh(U + bG), or tanh(N(U + bG)) with the normalization; DG may be NULL */
static int verlet_face1_act(int act, double eps, long m, long hw, long s, const double *K, const VerletParams *p, double *G, double *DG, const VerletTV *tv)
{
  int r;

  if (!(eps > 0)) return channel_bias_act(act, hw, m, s, K + p->obG, G, DG);
  if ((r = channel_bias_act(ODYN_PW_IDENTITY, hw, m, s, K + p->obG, G, NULL))) return r;
  return tvnorm_forward(act, m, hw, s, eps, K + p->osG, K + p->obetaG, G, DG, tv->UhatG, tv->rinvG);
}

/* face 0: F = tanh(K * Z + bF), or tanh(N(K * Z + bF)); DF may be NULL */
static int verlet_face0(int act, const odyn_conv_geom *g, double eps, long s, const double *K, const VerletParams *p, const double *Z, double *F, double *DF, const VerletTV *tv)
{
  return conv_act_tv(act, g, s, eps, K, K + p->obF, K + p->osF, K + p->obetaF, Z, F, DF, tv->UhatF, tv->rinvF, "conv Verlet face 0");
}

/* the stored sweeps' lin: [DG_j DF_j (N (lm + ln)) | with the normalization N of verlet_tv_at()'s (lm + ln + 2 lp) | the
   scratch: T | A (Q) | P (lx each) | ones (ih iw) | cs (cx s) | with the normalization tmp (lx)] */
static long verlet_stored(long c, long m, double eps, long hw, long N, long s) { return N * (c + m) * hw * s + (eps > 0 ? N * (c + m + 2) * hw * s : 0); }

long cuda_conv_verlet_linsize(long c, long m, double eps, long ih, long iw, long N, long s)
{
  const long hw = ih * iw, ln = c * hw * s, lm = m * hw * s, lx = ln > lm ? ln : lm, cx = c > m ? c : m;

  return conv1_fits(c, m) && eps >= 0 ? verlet_stored(c, m, eps, hw, N, s) + 3 * lx + hw + cx * s + (eps > 0 ? lx : 0) : -1;
}

int check_conv_verlet(const char *op, int act, long c, long m, double eps, long ih, long iw, long N, long s, const double *theta, const double *lin)
{
  if (conv_check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  const long cx = c > m ? c : m;

  if (c < 1 || m < 1 || ih < 1 || iw < 1 || N < 0 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need c, m, ih, iw >= 1, N >= 0, s >= 0, got c = %ld, m = %ld, ih = %ld, iw = %ld, N = %ld, s = %ld", op, c, m, ih, iw, N, s);
  if (ih > INT_MAX / iw || cx * ih * iw > INT_MAX || cx * s > INT_MAX || s > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "%s: c = %ld, m = %ld, ih = %ld, iw = %ld, s = %ld exceed cuBLAS's int", op, c, m, ih, iw, s);
  if (!(eps >= 0) || isinf(eps)) return fail(ODYN_BACKEND_ERR_ARG, "%s: eps of the TV normalization must be finite and >= 0 (0: none), got %g", op, eps);
  if (s && N && (!theta || !lin)) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin / work (conv_verlet_linsize() / _revsize() values) must be arrays of the backend", op);
  return ensure_stream();
}

/* step j's normalization parts in a stored lin */
static VerletTV verlet_stored_tv(double *lin, double eps, long N, long j, long ln, long lm, long lp, double *tmp)
{
  VerletTV none = {NULL, NULL, NULL, NULL, NULL};

  return eps > 0 ? verlet_tv_at(lin + N * (lm + ln) + j * (lm + ln + 2 * lp), ln, lm, lp, tmp) : none;
}

int cuda_conv_verlet_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin)
{
  const odyn_conv_geom g = {ih, iw, m, c, 3};
  const long           hw = ih * iw, ln = c * hw * s, lm = m * hw * s;
  const VerletParams   p  = verlet_params(c, m, eps);
  int                  r;

  if ((r = check_conv_verlet("conv_verlet_forward", act, c, m, eps, ih, iw, N, s, theta, lin)) || !s) return r;
  if (!Y0 || !Ytraj || !Ztraj) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_forward: Y0, Ytraj and Ztraj must be arrays of the backend");
  if ((r = cuda_copy_device(Ytraj, Y0, (size_t)ln * sizeof(double)))) return r;
  if ((r = cuda_mem_set(Ztraj, 0, (size_t)lm * sizeof(double)))) return r; /* Z_{-1/2} = 0 */
  for (long j = 0; j < N; j++) {
    const double  *K = theta + j * p.slot, *Yj = Ytraj + j * ln, *Zj = Ztraj + j * lm;
    double        *Y1 = Ytraj + (j + 1) * ln, *Z1 = Ztraj + (j + 1) * lm, *DG = lin + j * (lm + ln), *DF = DG + lm;
    const VerletTV tv = verlet_stored_tv(lin, eps, N, j, ln, lm, hw * s, NULL);

    if ((r = odyn_cuda_conv3_adjoint(&g, s, K, 1.0, Yj, 0.0, Z1))) return kernel_status(r, "conv_verlet_forward");
    if ((r = verlet_face1_act(act, eps, m, hw, s, K, &p, Z1, DG, &tv))) return r;
    if ((r = cuda_axpby(lm, 1.0, Zj, -h, Z1))) return r;
    if ((r = verlet_face0(act, &g, eps, s, K, &p, Z1, Y1, DF, &tv))) return r;
    if ((r = cuda_axpby(ln, 1.0, Yj, h, Y1))) return r;
  }
  return ODYN_BACKEND_OK;
}

/* the tangent's face 1 at Y: T = dK^T * Y (or 0) + K^T * dY (+ dbG), through N; dZ += -h DG .* T */
static int verlet_tangent_face1(const odyn_conv_geom *g, double eps, long m, long hw, long s, double h, const double *K, const double *dK, const VerletParams *p, const double *Y, const double *DG, const VerletTV *tv, double *T, const double *dY, double *dZ)
{
  int r;

  if (dK && (r = odyn_cuda_conv3_adjoint(g, s, dK, 1.0, Y, 0.0, T))) return kernel_status(r, "conv Verlet tangent");
  if ((r = odyn_cuda_conv3_adjoint(g, s, K, 1.0, dY, dK ? 1.0 : 0.0, T))) return kernel_status(r, "conv Verlet tangent");
  if (dK && (r = channel_bias_act(ODYN_PW_IDENTITY, hw, m, s, dK + p->obG, T, NULL))) return r;
  if (eps > 0 && (r = tvnorm_jac(0, m, hw, s, K + p->osG, dK ? dK + p->osG : NULL, dK ? dK + p->obetaG : NULL, tv->UhatG, tv->rinvG, T))) return r;
  return cuda_scaled_hadamard_add(m * hw * s, -h, DG, T, dZ);
}

/* the tangent's face 0 at Zh: T = dK * Zh + dbF (or 0) + K * dZ, through N; dY += h DF .* T */
static int verlet_tangent_face0(const odyn_conv_geom *g, double eps, long c, long hw, long s, double h, const double *K, const double *dK, const VerletParams *p, const double *Zh, const double *DF, const VerletTV *tv, double *T, const double *dZ, double *dY)
{
  int r;

  if (dK && (r = odyn_cuda_conv3_forward_bias_act(g, s, dK, Zh, dK + p->obF, ODYN_PW_IDENTITY, T, NULL))) return kernel_status(r, "conv Verlet tangent");
  if ((r = odyn_cuda_conv3_forward(g, s, K, 1.0, dZ, dK ? 1.0 : 0.0, T))) return kernel_status(r, "conv Verlet tangent");
  if (eps > 0 && (r = tvnorm_jac(0, c, hw, s, K + p->osF, dK ? dK + p->osF : NULL, dK ? dK + p->obetaF : NULL, tv->UhatF, tv->rinvF, T))) return r;
  return cuda_scaled_hadamard_add(c * hw * s, h, DF, T, dY);
}

int cuda_conv_verlet_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, double *lin, const double *dY0, double *dYN)
{
  const odyn_conv_geom g = {ih, iw, m, c, 3};
  const long           hw = ih * iw, ln = c * hw * s, lm = m * hw * s, lx = ln > lm ? ln : lm;
  const VerletParams   p  = verlet_params(c, m, eps);
  double              *T, *dZ;
  int                  r;

  if ((r = check_conv_verlet("conv_verlet_tangent", act, c, m, eps, ih, iw, N, s, theta, lin)) || !s) return r;
  if (!Ytraj || !Ztraj || !dYN) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_tangent: Ytraj, Ztraj and dYN must be arrays of the backend");
  T  = lin + verlet_stored(c, m, eps, hw, N, s);
  dZ = T + lx;
  if (dY0) r = cuda_copy_device(dYN, dY0, (size_t)ln * sizeof(double));
  else r = cuda_mem_set(dYN, 0, (size_t)ln * sizeof(double));
  if (r || (r = cuda_mem_set(dZ, 0, (size_t)lm * sizeof(double)))) return r;
  for (long j = 0; j < N; j++) {
    const double  *K = theta + j * p.slot, *DG = lin + j * (lm + ln), *DF = DG + lm, *dK = dtheta ? dtheta + j * p.slot : NULL;
    const VerletTV tv = verlet_stored_tv(lin, eps, N, j, ln, lm, hw * s, NULL);

    if ((r = verlet_tangent_face1(&g, eps, m, hw, s, h, K, dK, &p, Ytraj + j * ln, DG, &tv, T, dYN, dZ))) return r;
    if ((r = verlet_tangent_face0(&g, eps, c, hw, s, h, K, dK, &p, Ztraj + (j + 1) * lm, DF, &tv, T, dZ, dYN))) return r;
  }
  return ODYN_BACKEND_OK;
}

/* gb += the channel sums of T (ch hw x s): cs (ch s) by one DGEMM with ones, then its row sums */
int channel_sums_add(long ch, long hw, long s, const double *T, const double *ones, double *cs, double *gb)
{
  int r;

  if ((r = cuda_gemm('T', 'N', ch * s, 1, hw, 1.0, T, hw, ones, hw, 0.0, cs, ch * s))) return r;
  return cuda_rowsum_add(ch, s, 1.0, cs, gb);
}

/* the adjoint's face 0 at Zh (T = h DF .* P through N; gK, gbF; Q += K^T T) and face 1 at Y (T = -h DG .* Q through
   N; gK, gbG; P += K T): one step of the stored and recomputing sweeps; face 1 runs after the caller's reverse step
   (verlet_adjoint_face0 then verlet_adjoint_face1) */
static int verlet_adjoint_face0(const odyn_conv_geom *g, double eps, long c, long hw, long s, double h, const double *K, const VerletParams *p, const double *Zh, const double *DF, const VerletTV *tv, const double *P, double *T, double *Q, double *gK, const double *ones, double *cs)
{
  int r;

  if ((r = odyn_cuda_hadamard(c * hw * s, h, DF, P, T))) return kernel_status(r, "conv Verlet adjoint");
  if (eps > 0 && (r = conv_tv_adjoint(c, hw, s, K + p->osF, gK ? gK + p->osF : NULL, gK ? gK + p->obetaF : NULL, tv->UhatF, tv->rinvF, T, tv->tmp, ones, cs))) return r;
  if (gK) {
    if ((r = odyn_cuda_conv3_stencil_grad(g, s, Zh, T, 1.0, gK))) return kernel_status(r, "conv Verlet adjoint");
    if ((r = channel_sums_add(c, hw, s, T, ones, cs, gK + p->obF))) return r;
  }
  if ((r = odyn_cuda_conv3_adjoint(g, s, K, 1.0, T, 1.0, Q))) return kernel_status(r, "conv Verlet adjoint");
  return ODYN_BACKEND_OK;
}

static int verlet_adjoint_face1(const odyn_conv_geom *g, double eps, long m, long hw, long s, double h, const double *K, const VerletParams *p, const double *Y, const double *DG, const VerletTV *tv, const double *Q, double *T, double *P, double *gK, const double *ones, double *cs)
{
  int r;

  /* its pre-activation K^T * Y, so T is the convolution's input and Y its weight */
  if ((r = odyn_cuda_hadamard(m * hw * s, -h, DG, Q, T))) return kernel_status(r, "conv Verlet adjoint");
  if (eps > 0 && (r = conv_tv_adjoint(m, hw, s, K + p->osG, gK ? gK + p->osG : NULL, gK ? gK + p->obetaG : NULL, tv->UhatG, tv->rinvG, T, tv->tmp, ones, cs))) return r;
  if (gK) {
    if ((r = odyn_cuda_conv3_stencil_grad(g, s, T, Y, 1.0, gK))) return kernel_status(r, "conv Verlet adjoint");
    if ((r = channel_sums_add(m, hw, s, T, ones, cs, gK + p->obG))) return r;
  }
  if ((r = odyn_cuda_conv3_forward(g, s, K, 1.0, T, 1.0, P))) return kernel_status(r, "conv Verlet adjoint");
  return ODYN_BACKEND_OK;
}

int cuda_conv_verlet_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, m, c, 3};
  const long           hw = ih * iw, ln = c * hw * s, lm = m * hw * s, lx = ln > lm ? ln : lm, cx = c > m ? c : m;
  const VerletParams   p  = verlet_params(c, m, eps);
  double              *T, *Q, *P, *ones, *cs, *tmp;
  int                  r;

  if ((r = check_conv_verlet("conv_verlet_adjoint", act, c, m, eps, ih, iw, N, s, theta, lin)) || !s || (!gtheta && !gY0)) return r;
  if (!Ytraj || !Ztraj || !W) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_adjoint: Ytraj, Ztraj and W must be arrays of the backend");
  T    = lin + verlet_stored(c, m, eps, hw, N, s);
  Q    = T + lx;
  P    = gY0 ? gY0 : Q + lx;
  ones = Q + 2 * lx;
  cs   = ones + hw;
  tmp  = cs + cx * s;
  if ((r = cuda_copy_device(P, W, (size_t)ln * sizeof(double))) || (r = cuda_mem_set(Q, 0, (size_t)lm * sizeof(double)))) return r;
  if (gtheta) {
    if ((r = conv_fill_ones(hw, ones, "conv_verlet_adjoint (ones)"))) return r;
  }
  for (long j = N - 1; j >= 0; j--) {
    const double  *K = theta + j * p.slot, *DG = lin + j * (lm + ln), *DF = DG + lm;
    double        *gK = gtheta ? gtheta + j * p.slot : NULL;
    const VerletTV tv = verlet_stored_tv(lin, eps, N, j, ln, lm, hw * s, tmp);

    if ((r = verlet_adjoint_face0(&g, eps, c, hw, s, h, K, &p, Ztraj + (j + 1) * lm, DF, &tv, P, T, Q, gK, ones, cs))) return r;
    if ((r = verlet_adjoint_face1(&g, eps, m, hw, s, h, K, &p, Ytraj + j * ln, DG, &tv, Q, T, P, gK, ones, cs))) return r;
  }
  return ODYN_BACKEND_OK;
}

/*
   The reversible sweeps (conv_verlet_forward_final, _tangent_y0, _adjoint_reversible; -odyn_scheme_trajectory
   recompute), from the same functions, the states updated in place (the faces read the other state only):
     forward_final       Z -= h tanh(K^T * Y + bG); Y += h tanh(K * Z + bF)                      (YN, ZN themselves)
     tangent_y0          per step: G and DG at Y_j, Z_{j+1/2}; the tangent of face 1; F and DF at Z_{j+1/2},
                         Y_{j+1}; the tangent of face 0 (as conv_verlet_tangent)
     adjoint_reversible  per step: F and DF at Z_{j+1/2}; the adjoint of face 0; Y_j = Y_{j+1} - h F; G and DG at Y_j,
                         Z_{j-1/2} = Z_{j+1/2} + h G; the adjoint of face 1 (as conv_verlet_adjoint)
   work = [Y | Z | T | F | DF | DG | Q | P (lx each) | ones (ih iw) | cs (cx s)] (the forward uses T, the tangent the
   first six). The rebuilt states drift from the forward's by round-off per step, as the dense reversible sweeps.
*/
long cuda_conv_verlet_revsize(long c, long m, double eps, long ih, long iw, long s)
{
  const long hw = ih * iw, ln = c * hw * s, lm = m * hw * s, lx = ln > lm ? ln : lm, cx = c > m ? c : m;

  return conv1_fits(c, m) && eps >= 0 ? 8 * lx + hw + cx * s + (eps > 0 ? lm + ln + 2 * hw * s + lx : 0) : -1;
}

/* the reversible sweeps' normalization parts, after [Y | Z | T | F | DF | DG | Q | P (lx each) | ones | cs] in work */
static VerletTV verlet_rev_tv(double *work, double eps, long ln, long lm, long lx, long hw, long cx, long s)
{
  double  *tvb  = work + 8 * lx + hw + cx * s;
  VerletTV none = {NULL, NULL, NULL, NULL, NULL};

  return eps > 0 ? verlet_tv_at(tvb, ln, lm, hw * s, tvb + lm + ln + 2 * hw * s) : none;
}

int cuda_conv_verlet_forward_final(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN, double *work)
{
  const odyn_conv_geom g = {ih, iw, m, c, 3};
  const long           hw = ih * iw, ln = c * hw * s, lm = m * hw * s, lx = ln > lm ? ln : lm, cx = c > m ? c : m;
  const VerletParams   p  = verlet_params(c, m, eps);
  const VerletTV       tv = verlet_rev_tv(work, eps, ln, lm, lx, hw, cx, s);
  double              *T;
  int                  r;

  if ((r = check_conv_verlet("conv_verlet_forward_final", act, c, m, eps, ih, iw, N, s, theta, work)) || !s) return r;
  if (!Y0 || !YN || !ZN) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_forward_final: Y0, YN and ZN must be arrays of the backend");
  T = work + 2 * lx;
  if (YN != Y0 && (r = cuda_copy_device(YN, Y0, (size_t)ln * sizeof(double)))) return r;
  if ((r = cuda_mem_set(ZN, 0, (size_t)lm * sizeof(double)))) return r;
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * p.slot;

    if ((r = odyn_cuda_conv3_adjoint(&g, s, K, 1.0, YN, 0.0, T))) return kernel_status(r, "conv_verlet_forward_final");
    if ((r = verlet_face1_act(act, eps, m, hw, s, K, &p, T, NULL, &tv)) || (r = cuda_axpy(lm, -h, T, ZN))) return r;
    if ((r = verlet_face0(act, &g, eps, s, K, &p, ZN, T, NULL, &tv))) return r;
    if ((r = cuda_axpy(ln, h, T, YN))) return r;
  }
  return ODYN_BACKEND_OK;
}

int cuda_conv_verlet_tangent_y0(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, double *work, const double *dY0, double *dYN)
{
  const odyn_conv_geom g = {ih, iw, m, c, 3};
  const long           hw = ih * iw, ln = c * hw * s, lm = m * hw * s, lx = ln > lm ? ln : lm, cx = c > m ? c : m;
  const VerletParams   p  = verlet_params(c, m, eps);
  const VerletTV       tv = verlet_rev_tv(work, eps, ln, lm, lx, hw, cx, s);
  double              *Y, *Z, *T, *DF, *DG, *dZ;
  int                  r;

  if ((r = check_conv_verlet("conv_verlet_tangent_y0", act, c, m, eps, ih, iw, N, s, theta, work)) || !s) return r;
  if (!Y0 || !dYN) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_tangent_y0: Y0 and dYN must be arrays of the backend");
  Y  = work;
  Z  = Y + lx;
  T  = Z + lx;
  DF = T + 2 * lx;
  DG = DF + lx;
  dZ = DG + lx;
  if ((r = cuda_copy_device(Y, Y0, (size_t)ln * sizeof(double))) || (r = cuda_mem_set(Z, 0, (size_t)lm * sizeof(double))) || (r = cuda_mem_set(dZ, 0, (size_t)lm * sizeof(double)))) return r;
  if (dY0) r = cuda_copy_device(dYN, dY0, (size_t)ln * sizeof(double));
  else r = cuda_mem_set(dYN, 0, (size_t)ln * sizeof(double));
  if (r) return r;
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * p.slot, *dK = dtheta ? dtheta + j * p.slot : NULL;

    /* G and DG at Y_j, Z_{j+1/2}; then face 1's tangent at Y_j (Y not yet stepped) */
    if ((r = odyn_cuda_conv3_adjoint(&g, s, K, 1.0, Y, 0.0, T))) return kernel_status(r, "conv_verlet_tangent_y0");
    if ((r = verlet_face1_act(act, eps, m, hw, s, K, &p, T, DG, &tv)) || (r = cuda_axpy(lm, -h, T, Z))) return r;
    if ((r = verlet_tangent_face1(&g, eps, m, hw, s, h, K, dK, &p, Y, DG, &tv, T, dYN, dZ))) return r;
    /* F and DF at Z_{j+1/2}, Y_{j+1}; then face 0's tangent */
    if ((r = verlet_face0(act, &g, eps, s, K, &p, Z, T, DF, &tv))) return r;
    if ((r = cuda_axpy(ln, h, T, Y))) return r;
    if ((r = verlet_tangent_face0(&g, eps, c, hw, s, h, K, dK, &p, Z, DF, &tv, T, dZ, dYN))) return r;
  }
  return ODYN_BACKEND_OK;
}

int cuda_conv_verlet_adjoint_reversible(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *ZN, double *work, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, m, c, 3};
  const long           hw = ih * iw, ln = c * hw * s, lm = m * hw * s, lx = ln > lm ? ln : lm, cx = c > m ? c : m;
  const VerletParams   p  = verlet_params(c, m, eps);
  const VerletTV       tv = verlet_rev_tv(work, eps, ln, lm, lx, hw, cx, s);
  double              *Y, *Z, *T, *F, *DF, *DG, *Q, *P, *ones, *cs;
  int                  r;

  if ((r = check_conv_verlet("conv_verlet_adjoint_reversible", act, c, m, eps, ih, iw, N, s, theta, work)) || !s || (!gtheta && !gY0)) return r;
  if (!YN || !ZN || !W) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_adjoint_reversible: YN, ZN and W must be arrays of the backend");
  if (gY0 && (gY0 == YN || gY0 == ZN)) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_adjoint_reversible: gY0 must not alias YN or ZN");
  Y    = work;
  Z    = Y + lx;
  T    = Z + lx;
  F    = T + lx;
  DF   = F + lx;
  DG   = DF + lx;
  Q    = DG + lx;
  P    = gY0 ? gY0 : Q + lx;
  ones = Q + 2 * lx;
  cs   = ones + hw;
  if ((r = cuda_copy_device(Y, YN, (size_t)ln * sizeof(double))) || (r = cuda_copy_device(Z, ZN, (size_t)lm * sizeof(double)))) return r;
  if ((r = cuda_copy_device(P, W, (size_t)ln * sizeof(double))) || (r = cuda_mem_set(Q, 0, (size_t)lm * sizeof(double)))) return r;
  if (gtheta) {
    if ((r = conv_fill_ones(hw, ones, "conv_verlet_adjoint_reversible (ones)"))) return r;
  }
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * p.slot;
    double       *gK = gtheta ? gtheta + j * p.slot : NULL;

    /* face 0 at Z_{j+1/2}: F and DF, its adjoint, then Y_j = Y_{j+1} - h F */
    if ((r = verlet_face0(act, &g, eps, s, K, &p, Z, F, DF, &tv))) return r;
    if ((r = verlet_adjoint_face0(&g, eps, c, hw, s, h, K, &p, Z, DF, &tv, P, T, Q, gK, ones, cs))) return r;
    if ((r = cuda_axpy(ln, -h, F, Y))) return r;
    /* face 1 at Y_j: G (in F) and DG, Z_{j-1/2} = Z_{j+1/2} + h G, its adjoint */
    if ((r = odyn_cuda_conv3_adjoint(&g, s, K, 1.0, Y, 0.0, F))) return kernel_status(r, "conv_verlet_adjoint_reversible");
    if ((r = verlet_face1_act(act, eps, m, hw, s, K, &p, F, DG, &tv)) || (r = cuda_axpy(lm, h, F, Z))) return r;
    if ((r = verlet_adjoint_face1(&g, eps, m, hw, s, h, K, &p, Y, DG, &tv, Q, T, P, gK, ones, cs))) return r;
  }
  return ODYN_BACKEND_OK;
}

} // namespace odyn_cudabackend
