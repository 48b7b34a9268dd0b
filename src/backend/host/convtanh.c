/*
   The host table's whole-block sweeps of a convolutional forward-Euler tanh block (include/odyn/private/backend.h,
   conv_euler_tanh_*): Y_{j+1} = Y_j + h tanh(K_j * Y_j + b_j), 3x3 stencils, c channels in and out; and of one conv
   tanh layer cin -> cout applied once (conv_tanh_*, the opening layer, scheme single; at the end of the file).

   They call the kernels the conv layer calls on the schemes' direct path (src/schemes/impls/euler.c with
   src/layers/impls/convcore.c, no normalization, no pooling, the identity stencil map), with the same operands, in the
   same order and over the same chunks of examples (odyn_conv_chunk_examples(): the stencil and bias gradients are sums
   over the examples, and a different split would round differently), so that a block delegated to the host table
   (-odyn_backend hostref) gives the direct path's results bit for bit. Step by step, per chunk, as the layer does:
     forward   Y_{j+1} = Y_j + h tanh(K_j * Y_j + b_j), D_j = sigma'   (odyn_conv_forward_bias_act_euler)
     tangent   T = K_j * dY; dY += h D_j .* T; then T = dK_j * Y_j + db_j; dY += h D_j .* T
     adjoint   T = D_j .* P; gb_j += h channel sums of T; gK_j += h stencil gradient (Y_j, T); P += h K_j^T T
   No PETSc here, like the rest of src/backend/.
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>

static long lmin(long a, long b) { return a < b ? a : b; }

long odyn_host_conv_euler_tanh_linsize(long c, long ih, long iw, long N, long s) { return N * c * ih * iw * s; }

int odyn_host_conv_euler_tanh_forward(long c, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const odyn_conv_geom g = {ih, iw, c, c, 3};
  const long           nin = c * ih * iw, len = nin * s, nk = 9 * c * c, slot = nk + c, ch = odyn_conv_chunk_examples(&g);
  double              *work;

  if (!len) return 0;
  if (!(work = (double *)malloc((size_t)odyn_conv_work_size(&g) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  memcpy(Ytraj, Y0, (size_t)len * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len;
    double       *Y1 = Ytraj + (j + 1) * len, *D = lin + j * len;

    for (long e0 = 0; e0 < s; e0 += ch) {
      const long ns = lmin(ch, s - e0);

      if (odyn_conv_forward_bias_act_euler(&g, ns, K, Yj + e0 * nin, K + nk, ODYN_PW_TANH, h, Y1 + e0 * nin, D + e0 * nin, work)) {
        free(work);
        return ODYN_BACKEND_ERR_SIZE;
      }
    }
  }
  free(work);
  return 0;
}

int odyn_host_conv_euler_tanh_tangent(long c, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  const odyn_conv_geom g = {ih, iw, c, c, 3};
  const long           nin = c * ih * iw, len = nin * s, nk = 9 * c * c, slot = nk + c, ch = odyn_conv_chunk_examples(&g);
  double              *work, *T;
  int                  r = 0;

  if (!len) return 0;
  /* T: the chunk's product, as the layer's scratch T1 */
  if (!(work = (double *)malloc((size_t)(odyn_conv_work_size(&g) + nin * lmin(ch, s)) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  T = work + odyn_conv_work_size(&g);
  if (dY0) memcpy(dYN, dY0, (size_t)len * sizeof(double));
  else memset(dYN, 0, (size_t)len * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * slot, *D = lin + j * len, *Yj = Ytraj + j * len;

    /* dY += h D .* (K * dY): the chunk's dY is read into T before its rows are written */
    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long ns = lmin(ch, s - e0);

      r = odyn_conv_forward(&g, ns, K, 1.0, dYN + e0 * nin, 0.0, T, work);
      odyn_scaled_hadamard_add(nin * ns, h, D + e0 * nin, T, dYN + e0 * nin);
    }
    if (!dtheta) continue;
    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long    ns = lmin(ch, s - e0);
      const double *dK = dtheta + j * slot;

      r = odyn_conv_forward_bias(&g, ns, dK, Yj + e0 * nin, dK + nk, T, work);
      odyn_scaled_hadamard_add(nin * ns, h, D + e0 * nin, T, dYN + e0 * nin);
    }
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_euler_tanh_adjoint(long c, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, c, c, 3};
  const long           hw = ih * iw, nin = c * hw, len = nin * s, nk = 9 * c * c, slot = nk + c, ch = odyn_conv_chunk_examples(&g);
  double              *work, *T, *P;
  int                  r = 0;

  if (!len || (!gtheta && !gY0)) return 0;
  /* convolution workspace | T (one chunk) | P (all examples) unless gY0 is there to walk in */
  if (!(work = (double *)malloc((size_t)(odyn_conv_work_size(&g) + nin * lmin(ch, s) + (gY0 ? 0 : len)) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  T = work + odyn_conv_work_size(&g);
  P = gY0 ? gY0 : T + nin * lmin(ch, s);
  memcpy(P, W, (size_t)len * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K = theta + j * slot, *D = lin + j * len, *Yj = Ytraj + j * len;

    for (long e0 = 0; e0 < s && !r; e0 += ch) {
      const long ns = lmin(ch, s - e0), off = e0 * nin;

      for (long i = 0; i < nin * ns; i++) T[i] = D[off + i] * P[off + i];
      if (gtheta) {
        odyn_channel_sum_add(c, hw, ns, h, T, gtheta + j * slot + nk);
        r = odyn_conv_stencil_grad(&g, ns, Yj + off, T, h, gtheta + j * slot, work);
      }
      if (!r) r = odyn_conv_adjoint(&g, ns, K, h, T, 1.0, P + off, work);
    }
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

/*
   The one-step conv tanh layer (conv_tanh_*: scheme single with layer conv, cin -> cout), as single.c runs the conv
   layer on the direct path (convcore.c: Apply, Linearize + JacX / JacTheta, JacThetaT then JacXT), per chunk:
     forward   Y1 = tanh(K * Y0 + b), D = sigma'                              (odyn_conv_forward_bias_act)
     tangent   dY1 = 0; T = K * dY0, dY1 += D .* T (all chunks); then T = dK * Y0 + db, dY1 += D .* T
     adjoint   T = D .* W; gb += channel sums of T; gK += stencil gradient (Y0, T) (all chunks);
               then gY0 = 0; T = D .* W; gY0 += K^T T
*/
long odyn_host_conv_tanh_linsize(long cin, long cout, long ih, long iw, long s)
{
  (void)cin;
  return cout * ih * iw * s;
}

int odyn_host_conv_tanh_forward(long cin, long cout, long ih, long iw, long s, const double *theta, const double *Y0, double *Y1, double *lin)
{
  const odyn_conv_geom g = {ih, iw, cin, cout, 3};
  const long           nin = cin * ih * iw, nout = cout * ih * iw, nk = 9 * cin * cout, ch = odyn_conv_chunk_examples(&g);
  double              *work;
  int                  r = 0;

  if (!s) return 0;
  if (!(work = (double *)malloc((size_t)odyn_conv_work_size(&g) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  for (long e0 = 0; e0 < s && !r; e0 += ch) {
    const long ns = lmin(ch, s - e0);

    r = odyn_conv_forward_bias_act(&g, ns, theta, Y0 + e0 * nin, theta + nk, ODYN_PW_TANH, Y1 + e0 * nout, lin + e0 * nout, work);
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_tanh_tangent(long cin, long cout, long ih, long iw, long s, const double *theta, const double *dtheta, const double *Y0, double *lin, const double *dY0, double *dY1)
{
  const odyn_conv_geom g = {ih, iw, cin, cout, 3};
  const long           nin = cin * ih * iw, nout = cout * ih * iw, nk = 9 * cin * cout, ch = odyn_conv_chunk_examples(&g);
  double              *work, *T;
  int                  r = 0;

  if (!s) return 0;
  if (!(work = (double *)malloc((size_t)(odyn_conv_work_size(&g) + nout * lmin(ch, s)) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  T = work + odyn_conv_work_size(&g);
  memset(dY1, 0, (size_t)(nout * s) * sizeof(double));
  for (long e0 = 0; e0 < s && !r && dY0; e0 += ch) {
    const long ns = lmin(ch, s - e0);

    r = odyn_conv_forward(&g, ns, theta, 1.0, dY0 + e0 * nin, 0.0, T, work);
    odyn_scaled_hadamard_add(nout * ns, 1.0, lin + e0 * nout, T, dY1 + e0 * nout);
  }
  for (long e0 = 0; e0 < s && !r && dtheta; e0 += ch) {
    const long ns = lmin(ch, s - e0);

    r = odyn_conv_forward_bias(&g, ns, dtheta, Y0 + e0 * nin, dtheta + nk, T, work);
    odyn_scaled_hadamard_add(nout * ns, 1.0, lin + e0 * nout, T, dY1 + e0 * nout);
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_tanh_adjoint(long cin, long cout, long ih, long iw, long s, const double *theta, const double *Y0, double *lin, const double *W, double *gtheta, double *gY0)
{
  const odyn_conv_geom g = {ih, iw, cin, cout, 3};
  const long           hw = ih * iw, nin = cin * hw, nout = cout * hw, nk = 9 * cin * cout, ch = odyn_conv_chunk_examples(&g);
  double              *work, *T;
  int                  r = 0;

  if (!s || (!gtheta && !gY0)) return 0;
  if (!(work = (double *)malloc((size_t)(odyn_conv_work_size(&g) + nout * lmin(ch, s)) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  T = work + odyn_conv_work_size(&g);
  for (long e0 = 0; e0 < s && !r && gtheta; e0 += ch) {
    const long ns = lmin(ch, s - e0), off = e0 * nout;

    for (long i = 0; i < nout * ns; i++) T[i] = lin[off + i] * W[off + i];
    odyn_channel_sum_add(cout, hw, ns, 1.0, T, gtheta + nk);
    r = odyn_conv_stencil_grad(&g, ns, Y0 + e0 * nin, T, 1.0, gtheta, work);
  }
  if (gY0) memset(gY0, 0, (size_t)(nin * s) * sizeof(double));
  for (long e0 = 0; e0 < s && !r && gY0; e0 += ch) {
    const long ns = lmin(ch, s - e0), off = e0 * nout;

    for (long i = 0; i < nout * ns; i++) T[i] = lin[off + i] * W[off + i];
    r = odyn_conv_adjoint(&g, ns, theta, 1.0, T, 1.0, gY0 + e0 * nin, work);
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}
