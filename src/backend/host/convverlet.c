/*
   The host table's whole-block sweeps of a convolutional Verlet tanh block, the Hamiltonian CNN (include/odyn/private/
   backend.h, conv_verlet_tanh_*): scheme verlet (src/schemes/impls/verlet.c) with layer convhamiltonian
   (src/layers/impls/convhamiltonian.c, convcore.c) of 3x3 stencils, tanh, no TV normalization, Y of c channels, Z of m:
     Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T * Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j * Z_{j+1/2} + bF_j),  Z_{-1/2} = 0
   theta_j = [K_j (c x m x 3 x 3) | bF_j (c) | bG_j (m)].

   They call the kernels the layer calls on the schemes' direct path, with the same operands, in the same order and over
   the same chunks of examples (each face its own: odyn_conv_chunk_examples() of its geometry), so that a block delegated
   to the host table (-odyn_backend hostref) gives the direct path's results bit for bit. Like the layer, face 1 runs the
   convolution with the flipped stencil M = flip(K) (m x c), formed as the layer forms it (zeros, then
   odyn_conv_flip_add() with alpha 1), not the adjoint convolution, and its stencil gradient goes into a zeroed dM that
   is flipped back with alpha -h after all chunks (convcore.c's MapTransposeAdd()). Step j (DG_j, DF_j: sigma' of the two
   faces, kept by the forward in lin, DG_j (m h w s) then DF_j (c h w s) at j (c + m) h w s):
     forward   Z = tanh(M * Y_j + bG) with DG_j; Z = 1 Z_{j-1/2} - h Z (odyn_axpby); F = tanh(K * Z + bF) with DF_j;
               Y_{j+1} = Y_j + h F (verlet.c's loop)
     tangent   T = M * dY, dZ += -h DG .* T (all chunks); T = dM * Y_j + dbG, dZ += -h DG .* T;
               T = K * dZ, dY += h DF .* T;                 T = dK * Z_{j+1/2} + dbF, dY += h DF .* T
     adjoint   per chunk of face 0: T = DF .* P; Q += h K^T T; gbF += h channel sums of T; gK += h stencil grad (Z_{j+1/2}, T)
               per chunk of face 1: T = DG .* Q; P += -h M^T T; gbG += -h channel sums of T; dM += stencil grad (Y_j, T);
               then gK += -h flip(dM)
   The direct path runs the state and parameter products of a face as two walks over the chunks, each forming T = D .* W
   (the same values); this forms T once per chunk for both, which writes the same sums in the same order (the products
   go to different arrays). Its linearization computes sigma' again at the same stored states by the same kernel (the
   same values). Only stored trajectories are reproduced. No PETSc here, like the rest of src/backend/.
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>

static long lmin(long a, long b) { return a < b ? a : b; }
static long lmax(long a, long b) { return a > b ? a : b; }

long odyn_host_conv_verlet_tanh_linsize(long c, long m, long ih, long iw, long N, long s) { return N * (c + m) * ih * iw * s; }

/* the two faces: face 0 Z (m channels) -> Y (c), stencil K; face 1 Y -> Z, stencil flip(K) */
typedef struct {
  odyn_conv_geom g0, g1;
  long           hw, nk, slot, ln, lm, ch0, ch1, nwork, nt;
} Faces;

static void faces_init(long c, long m, long ih, long iw, long s, Faces *f)
{
  const odyn_conv_geom g0 = {ih, iw, m, c, 3}, g1 = {ih, iw, c, m, 3};

  f->g0    = g0;
  f->g1    = g1;
  f->hw    = ih * iw;
  f->nk    = 9 * c * m;
  f->slot  = f->nk + c + m;
  f->ln    = c * f->hw * s;
  f->lm    = m * f->hw * s;
  f->ch0   = odyn_conv_chunk_examples(&g0);
  f->ch1   = odyn_conv_chunk_examples(&g1);
  f->nwork = lmax(odyn_conv_work_size(&g0), odyn_conv_work_size(&g1));
  /* T of one chunk: the pre-activation rows of either face (c h w per example for face 0, m h w for face 1) */
  f->nt = lmax(c * f->hw * lmin(f->ch0, s), m * f->hw * lmin(f->ch1, s));
}

/* M = flip(K), as the layer forms face 1's stencil (convcore.c FaceStencil()) */
static void flip_stencil(const Faces *f, const double *K, double *M)
{
  memset(M, 0, (size_t)f->nk * sizeof(double));
  odyn_conv_flip_add(f->g1.cout, f->g1.cin, 3, 1.0, K, M);
}

int odyn_host_conv_verlet_tanh_forward(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin)
{
  Faces   f;
  double *work, *M;
  int     r = 0;

  if (!s) return 0;
  faces_init(c, m, ih, iw, s, &f);
  if (!(work = (double *)malloc((size_t)(f.nwork + f.nk) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  M = work + f.nwork;
  memcpy(Ytraj, Y0, (size_t)f.ln * sizeof(double));
  memset(Ztraj, 0, (size_t)f.lm * sizeof(double)); /* Z_{-1/2} = 0 */
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * f.slot, *bF = K + f.nk, *bG = bF + c, *Yj = Ytraj + j * f.ln, *Zj = Ztraj + j * f.lm;
    double       *Y1 = Ytraj + (j + 1) * f.ln, *Z1 = Ztraj + (j + 1) * f.lm, *DG = lin + j * (f.lm + f.ln), *DF = DG + f.lm;
    const long    nin1 = c * f.hw, nU1 = m * f.hw, nin0 = m * f.hw, nU0 = c * f.hw;

    flip_stencil(&f, K, M);
    for (long e0 = 0; e0 < s && !r; e0 += f.ch1) {
      const long ns = lmin(f.ch1, s - e0);

      r = odyn_conv_forward_bias_act(&f.g1, ns, M, Yj + e0 * nin1, bG, ODYN_PW_TANH, Z1 + e0 * nU1, DG + e0 * nU1, work);
    }
    odyn_axpby(f.lm, 1.0, Zj, -h, Z1);
    for (long e0 = 0; e0 < s && !r; e0 += f.ch0) {
      const long ns = lmin(f.ch0, s - e0);

      r = odyn_conv_forward_bias_act(&f.g0, ns, K, Z1 + e0 * nin0, bF, ODYN_PW_TANH, Y1 + e0 * nU0, DF + e0 * nU0, work);
    }
    for (long i = 0; i < f.ln; i++) Y1[i] = Yj[i] + h * Y1[i];
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_verlet_tanh_tangent(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, double *lin, const double *dY0, double *dYN)
{
  Faces   f;
  double *work, *M, *T, *dZ;
  int     r = 0;

  if (!s) return 0;
  faces_init(c, m, ih, iw, s, &f);
  /* convolution workspace | M (the flipped stencil or its direction) | T (one chunk) | dZ */
  if (!(work = (double *)malloc((size_t)(f.nwork + f.nk + f.nt + f.lm) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  M  = work + f.nwork;
  T  = M + f.nk;
  dZ = T + f.nt;
  if (dY0) memcpy(dYN, dY0, (size_t)f.ln * sizeof(double));
  else memset(dYN, 0, (size_t)f.ln * sizeof(double));
  memset(dZ, 0, (size_t)f.lm * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * f.slot, *DG = lin + j * (f.lm + f.ln), *DF = DG + f.lm;
    const double *Yj = Ytraj + j * f.ln, *Zh = Ztraj + (j + 1) * f.lm, *dK = dtheta ? dtheta + j * f.slot : NULL;
    const long    nin1 = c * f.hw, nU1 = m * f.hw, nin0 = m * f.hw, nU0 = c * f.hw;

    /* face 1 at Y_j, alpha -h: dZ += -h DG .* (M * dY), then += -h DG .* (dM * Y_j + dbG) */
    flip_stencil(&f, K, M);
    for (long e0 = 0; e0 < s && !r; e0 += f.ch1) {
      const long ns = lmin(f.ch1, s - e0);

      r = odyn_conv_forward(&f.g1, ns, M, 1.0, dYN + e0 * nin1, 0.0, T, work);
      odyn_scaled_hadamard_add(nU1 * ns, -h, DG + e0 * nU1, T, dZ + e0 * nU1);
    }
    if (dK) {
      flip_stencil(&f, dK, M);
      for (long e0 = 0; e0 < s && !r; e0 += f.ch1) {
        const long ns = lmin(f.ch1, s - e0);

        r = odyn_conv_forward_bias(&f.g1, ns, M, Yj + e0 * nin1, dK + f.nk + c, T, work);
        odyn_scaled_hadamard_add(nU1 * ns, -h, DG + e0 * nU1, T, dZ + e0 * nU1);
      }
    }
    /* face 0 at Z_{j+1/2}, alpha h: dY += h DF .* (K * dZ), then += h DF .* (dK * Z_{j+1/2} + dbF) */
    for (long e0 = 0; e0 < s && !r; e0 += f.ch0) {
      const long ns = lmin(f.ch0, s - e0);

      r = odyn_conv_forward(&f.g0, ns, K, 1.0, dZ + e0 * nin0, 0.0, T, work);
      odyn_scaled_hadamard_add(nU0 * ns, h, DF + e0 * nU0, T, dYN + e0 * nU0);
    }
    for (long e0 = 0; dK && e0 < s && !r; e0 += f.ch0) {
      const long ns = lmin(f.ch0, s - e0);

      r = odyn_conv_forward_bias(&f.g0, ns, dK, Zh + e0 * nin0, dK + f.nk, T, work);
      odyn_scaled_hadamard_add(nU0 * ns, h, DF + e0 * nU0, T, dYN + e0 * nU0);
    }
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_verlet_tanh_adjoint(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  Faces   f;
  double *work, *M, *dM, *T, *Q, *P;
  int     r = 0;

  if (!s || (!gtheta && !gY0)) return 0;
  faces_init(c, m, ih, iw, s, &f);
  /* convolution workspace | M | dM | T (one chunk) | Q | P unless gY0 is there to walk in */
  if (!(work = (double *)malloc((size_t)(f.nwork + 2 * f.nk + f.nt + f.lm + (gY0 ? 0 : f.ln)) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  M  = work + f.nwork;
  dM = M + f.nk;
  T  = dM + f.nk;
  Q  = T + f.nt;
  P  = gY0 ? gY0 : Q + f.lm;
  memcpy(P, W, (size_t)f.ln * sizeof(double));
  memset(Q, 0, (size_t)f.lm * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K = theta + j * f.slot, *DG = lin + j * (f.lm + f.ln), *DF = DG + f.lm;
    const double *Yj = Ytraj + j * f.ln, *Zh = Ztraj + (j + 1) * f.lm;
    double       *gK = gtheta ? gtheta + j * f.slot : NULL;
    const long    nin1 = c * f.hw, nU1 = m * f.hw, nin0 = m * f.hw, nU0 = c * f.hw;

    /* face 0 (F at Z_{j+1/2}), alpha h */
    for (long e0 = 0; e0 < s && !r; e0 += f.ch0) {
      const long ns = lmin(f.ch0, s - e0), off = e0 * nU0;

      for (long i = 0; i < nU0 * ns; i++) T[i] = DF[off + i] * P[off + i];
      r = odyn_conv_adjoint(&f.g0, ns, K, h, T, 1.0, Q + e0 * nin0, work);
      if (gK && !r) {
        odyn_channel_sum_add(c, f.hw, ns, h, T, gK + f.nk);
        r = odyn_conv_stencil_grad(&f.g0, ns, Zh + e0 * nin0, T, h, gK, work);
      }
    }
    /* face 1 (G at Y_j), alpha -h: its stencil M = flip(K), whose gradient dM maps back by the flip */
    flip_stencil(&f, K, M);
    if (gK) memset(dM, 0, (size_t)f.nk * sizeof(double));
    for (long e0 = 0; e0 < s && !r; e0 += f.ch1) {
      const long ns = lmin(f.ch1, s - e0), off = e0 * nU1;

      for (long i = 0; i < nU1 * ns; i++) T[i] = DG[off + i] * Q[off + i];
      r = odyn_conv_adjoint(&f.g1, ns, M, -h, T, 1.0, P + e0 * nin1, work);
      if (gK && !r) {
        odyn_channel_sum_add(m, f.hw, ns, -h, T, gK + f.nk + c);
        r = odyn_conv_stencil_grad(&f.g1, ns, Yj + e0 * nin1, T, 1.0, dM, work);
      }
    }
    if (gK) odyn_conv_flip_add(f.g1.cin, f.g1.cout, 3, -h, dM, gK);
  }
  free(work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}
