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
   go to different arrays). Its linearization computes sigma' again at the same states by the same kernel (the same
   values), and its forward applies the faces without sigma' (the same values of the faces).

   The reversible sweeps (-odyn_scheme_trajectory recompute, at the end of the file) follow the direct path's
   recomputing Verlet: forward_final keeps only Y_N, Z_{N-1/2}; tangent_y0 recomputes each step from Y_0 before its
   products; adjoint_reversible walks back from (Y_N, Z_{N-1/2}) by verlet.c's reverse step, Y_j = Y_{j+1} - h F
   (odyn_axpy), Z_{j-1/2} = Z_{j+1/2} + h G, with face 0's products before it and face 1's after it, as the direct path
   linearizes. So these are the direct path's recompute results bit for bit too. No PETSc here, like src/backend/.
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
  long           c, m, s, hw, nk, slot, ln, lm, ch0, ch1, nwork, nt;
  double         h;
  double        *work, *M, *dM, *T; /* convolution workspace, flip(K), the flipped stencil gradient, one chunk's T */
} Faces;

/* the sizes, and one allocation of the scratch every sweep needs followed by `extra` doubles (*extra: their start) */
static int faces_init(long c, long m, long ih, long iw, long s, double h, long extra, double **more, Faces *f)
{
  const odyn_conv_geom g0 = {ih, iw, m, c, 3}, g1 = {ih, iw, c, m, 3};

  f->g0    = g0;
  f->g1    = g1;
  f->c     = c;
  f->m     = m;
  f->s     = s;
  f->h     = h;
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
  if (!(f->work = (double *)malloc((size_t)(f->nwork + 2 * f->nk + f->nt + extra) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  f->M  = f->work + f->nwork;
  f->dM = f->M + f->nk;
  f->T  = f->dM + f->nk;
  if (more) *more = f->T + f->nt;
  return 0;
}

/* M = flip(K), as the layer forms face 1's stencil (convcore.c FaceStencil()) */
static void flip_stencil(const Faces *f, const double *K, double *M)
{
  memset(M, 0, (size_t)f->nk * sizeof(double));
  odyn_conv_flip_add(f->g1.cout, f->g1.cin, 3, 1.0, K, M);
}

/* face 1 (stencil f->M): G = tanh(M * Y + bG), D = sigma' when not NULL; face 0: F = tanh(K * Z + bF), likewise */
static int face1_eval(const Faces *f, const double *Y, const double *bG, double *G, double *D)
{
  const long nin = f->c * f->hw, nU = f->m * f->hw;
  int        r   = 0;

  for (long e0 = 0; e0 < f->s && !r; e0 += f->ch1) r = odyn_conv_forward_bias_act(&f->g1, lmin(f->ch1, f->s - e0), f->M, Y + e0 * nin, bG, ODYN_PW_TANH, G + e0 * nU, D ? D + e0 * nU : NULL, f->work);
  return r;
}

static int face0_eval(const Faces *f, const double *K, const double *Z, const double *bF, double *F, double *D)
{
  const long nin = f->m * f->hw, nU = f->c * f->hw;
  int        r   = 0;

  for (long e0 = 0; e0 < f->s && !r; e0 += f->ch0) r = odyn_conv_forward_bias_act(&f->g0, lmin(f->ch0, f->s - e0), K, Z + e0 * nin, bF, ODYN_PW_TANH, F + e0 * nU, D ? D + e0 * nU : NULL, f->work);
  return r;
}

/* one forward step: Z1 = Zj - h G(Y_j), Y1 = Y_j + h F(Z1); F is Y1 itself or scratch (DG, DF may be NULL) */
static int step(Faces *f, const double *K, const double *Yj, const double *Zj, double *Y1, double *Z1, double *F, double *DG, double *DF)
{
  int r;

  flip_stencil(f, K, f->M);
  if ((r = face1_eval(f, Yj, K + f->nk + f->c, Z1, DG))) return r;
  odyn_axpby(f->lm, 1.0, Zj, -f->h, Z1);
  if ((r = face0_eval(f, K, Z1, K + f->nk, F, DF))) return r;
  for (long i = 0; i < f->ln; i++) Y1[i] = Yj[i] + f->h * F[i];
  return 0;
}

/* the tangent of step j at (Y_j, Z_{j+1/2}) with sigma' DG, DF: dZ, then dY (dK NULL: no parameter direction) */
static int tangent_step(Faces *f, const double *K, const double *dK, const double *DG, const double *DF, const double *Yj, const double *Zh, double *dY, double *dZ)
{
  const long nin1 = f->c * f->hw, nU1 = f->m * f->hw, nin0 = f->m * f->hw, nU0 = f->c * f->hw;
  const long s = f->s;
  double    *T = f->T;
  int        r = 0;

  /* face 1 at Y_j, alpha -h: dZ += -h DG .* (M * dY), then += -h DG .* (dM * Y_j + dbG) */
  flip_stencil(f, K, f->M);
  for (long e0 = 0; e0 < s && !r; e0 += f->ch1) {
    const long ns = lmin(f->ch1, s - e0);

    r = odyn_conv_forward(&f->g1, ns, f->M, 1.0, dY + e0 * nin1, 0.0, T, f->work);
    odyn_scaled_hadamard_add(nU1 * ns, -f->h, DG + e0 * nU1, T, dZ + e0 * nU1);
  }
  if (dK) {
    flip_stencil(f, dK, f->M);
    for (long e0 = 0; e0 < s && !r; e0 += f->ch1) {
      const long ns = lmin(f->ch1, s - e0);

      r = odyn_conv_forward_bias(&f->g1, ns, f->M, Yj + e0 * nin1, dK + f->nk + f->c, T, f->work);
      odyn_scaled_hadamard_add(nU1 * ns, -f->h, DG + e0 * nU1, T, dZ + e0 * nU1);
    }
  }
  /* face 0 at Z_{j+1/2}, alpha h: dY += h DF .* (K * dZ), then += h DF .* (dK * Z_{j+1/2} + dbF) */
  for (long e0 = 0; e0 < s && !r; e0 += f->ch0) {
    const long ns = lmin(f->ch0, s - e0);

    r = odyn_conv_forward(&f->g0, ns, K, 1.0, dZ + e0 * nin0, 0.0, T, f->work);
    odyn_scaled_hadamard_add(nU0 * ns, f->h, DF + e0 * nU0, T, dY + e0 * nU0);
  }
  for (long e0 = 0; dK && e0 < s && !r; e0 += f->ch0) {
    const long ns = lmin(f->ch0, s - e0);

    r = odyn_conv_forward_bias(&f->g0, ns, dK, Zh + e0 * nin0, dK + f->nk, T, f->work);
    odyn_scaled_hadamard_add(nU0 * ns, f->h, DF + e0 * nU0, T, dY + e0 * nU0);
  }
  return r;
}

/* the adjoint of face 0 of step j (F at Z_{j+1/2}, alpha h): Q += h K^T (DF .* P), and gK, gbF (gK NULL: no gradient) */
static int adjoint_face0(Faces *f, const double *K, const double *DF, const double *Zh, const double *P, double *Q, double *gK)
{
  const long nin0 = f->m * f->hw, nU0 = f->c * f->hw, s = f->s;
  double    *T = f->T;
  int        r = 0;

  for (long e0 = 0; e0 < s && !r; e0 += f->ch0) {
    const long ns = lmin(f->ch0, s - e0), off = e0 * nU0;

    for (long i = 0; i < nU0 * ns; i++) T[i] = DF[off + i] * P[off + i];
    r = odyn_conv_adjoint(&f->g0, ns, K, f->h, T, 1.0, Q + e0 * nin0, f->work);
    if (gK && !r) {
      odyn_channel_sum_add(f->c, f->hw, ns, f->h, T, gK + f->nk);
      r = odyn_conv_stencil_grad(&f->g0, ns, Zh + e0 * nin0, T, f->h, gK, f->work);
    }
  }
  return r;
}

/* the adjoint of face 1 of step j (G at Y_j, alpha -h; its stencil M = flip(K), whose gradient dM maps back by the flip) */
static int adjoint_face1(Faces *f, const double *K, const double *DG, const double *Yj, const double *Q, double *P, double *gK)
{
  const long nin1 = f->c * f->hw, nU1 = f->m * f->hw, s = f->s;
  double    *T = f->T;
  int        r = 0;

  flip_stencil(f, K, f->M);
  if (gK) memset(f->dM, 0, (size_t)f->nk * sizeof(double));
  for (long e0 = 0; e0 < s && !r; e0 += f->ch1) {
    const long ns = lmin(f->ch1, s - e0), off = e0 * nU1;

    for (long i = 0; i < nU1 * ns; i++) T[i] = DG[off + i] * Q[off + i];
    r = odyn_conv_adjoint(&f->g1, ns, f->M, -f->h, T, 1.0, P + e0 * nin1, f->work);
    if (gK && !r) {
      odyn_channel_sum_add(f->m, f->hw, ns, -f->h, T, gK + f->nk + f->c);
      r = odyn_conv_stencil_grad(&f->g1, ns, Yj + e0 * nin1, T, 1.0, f->dM, f->work);
    }
  }
  if (gK && !r) odyn_conv_flip_add(f->g1.cin, f->g1.cout, 3, -f->h, f->dM, gK);
  return r;
}

static int done(Faces *f, int r)
{
  free(f->work);
  return r ? ODYN_BACKEND_ERR_SIZE : 0;
}

int odyn_host_conv_verlet_tanh_forward(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin)
{
  Faces f;
  int   r = 0;

  if (!s) return 0;
  if (faces_init(c, m, ih, iw, s, h, 0, NULL, &f)) return ODYN_BACKEND_ERR_MEM;
  memcpy(Ytraj, Y0, (size_t)f.ln * sizeof(double));
  memset(Ztraj, 0, (size_t)f.lm * sizeof(double)); /* Z_{-1/2} = 0 */
  for (long j = 0; j < N && !r; j++) {
    double *Y1 = Ytraj + (j + 1) * f.ln, *DG = lin + j * (f.lm + f.ln);

    r = step(&f, theta + j * f.slot, Ytraj + j * f.ln, Ztraj + j * f.lm, Y1, Ztraj + (j + 1) * f.lm, Y1, DG, DG + f.lm);
  }
  return done(&f, r);
}

int odyn_host_conv_verlet_tanh_tangent(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, double *lin, const double *dY0, double *dYN)
{
  Faces   f;
  double *dZ;
  int     r = 0;

  if (!s) return 0;
  if (faces_init(c, m, ih, iw, s, h, (long)m * ih * iw * s, &dZ, &f)) return ODYN_BACKEND_ERR_MEM;
  if (dY0) memcpy(dYN, dY0, (size_t)f.ln * sizeof(double));
  else memset(dYN, 0, (size_t)f.ln * sizeof(double));
  memset(dZ, 0, (size_t)f.lm * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *DG = lin + j * (f.lm + f.ln);

    r = tangent_step(&f, theta + j * f.slot, dtheta ? dtheta + j * f.slot : NULL, DG, DG + f.lm, Ytraj + j * f.ln, Ztraj + (j + 1) * f.lm, dYN, dZ);
  }
  return done(&f, r);
}

int odyn_host_conv_verlet_tanh_adjoint(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  Faces   f;
  double *Q, *P;
  int     r = 0;

  if (!s || (!gtheta && !gY0)) return 0;
  /* Q, and P unless gY0 is there to walk in */
  if (faces_init(c, m, ih, iw, s, h, (long)(m + (gY0 ? 0 : c)) * ih * iw * s, &Q, &f)) return ODYN_BACKEND_ERR_MEM;
  P = gY0 ? gY0 : Q + f.lm;
  memcpy(P, W, (size_t)f.ln * sizeof(double));
  memset(Q, 0, (size_t)f.lm * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K = theta + j * f.slot, *DG = lin + j * (f.lm + f.ln);
    double       *gK = gtheta ? gtheta + j * f.slot : NULL;

    r = adjoint_face0(&f, K, DG + f.lm, Ztraj + (j + 1) * f.lm, P, Q, gK);
    if (!r) r = adjoint_face1(&f, K, DG, Ytraj + j * f.ln, Q, P, gK);
  }
  return done(&f, r);
}

/*
   The reversible sweeps (conv_verlet_tanh_forward_final, _tangent_y0, _adjoint_reversible): the direct path with
   -odyn_scheme_trajectory recompute. Y_j, Z_{j-1/2} in rings of two (Y_0 and Z_{-1/2} = 0 apart), as that path's
   storage; sigma' of the step being worked on only.
*/
long odyn_host_conv_verlet_tanh_revsize(long c, long m, long ih, long iw, long s)
{
  (void)c, (void)m, (void)ih, (void)iw, (void)s;
  return 0; /* the host sweeps allocate their own scratch */
}

int odyn_host_conv_verlet_tanh_forward_final(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN)
{
  Faces   f;
  double *Yr, *Zr, *F;
  int     r = 0;

  if (!s) return 0;
  /* Yr: 2 ln, Zr: 2 lm (Zr[0] = Z_{-1/2} = 0), F: ln */
  if (faces_init(c, m, ih, iw, s, h, (long)(3 * c + 2 * m) * ih * iw * s, &Yr, &f)) return ODYN_BACKEND_ERR_MEM;
  Zr = Yr + 2 * f.ln;
  F  = Zr + 2 * f.lm;
  memset(Zr, 0, (size_t)f.lm * sizeof(double));
  for (long j = 0; j < N && !r; j++) r = step(&f, theta + j * f.slot, j ? Yr + (j & 1) * f.ln : Y0, Zr + (j & 1) * f.lm, Yr + ((j + 1) & 1) * f.ln, Zr + ((j + 1) & 1) * f.lm, F, NULL, NULL);
  if (!r) {
    memmove(YN, N ? Yr + (N & 1) * f.ln : Y0, (size_t)f.ln * sizeof(double));
    memcpy(ZN, Zr + (N & 1) * f.lm, (size_t)f.lm * sizeof(double));
  }
  return done(&f, r);
}

int odyn_host_conv_verlet_tanh_tangent_y0(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  Faces   f;
  double *Yr, *Zr, *F, *DG, *DF, *dZ;
  int     r = 0;

  if (!s) return 0;
  /* Yr: 2 ln, Zr: 2 lm, F: ln, DG: lm, DF: ln, dZ: lm */
  if (faces_init(c, m, ih, iw, s, h, (long)(5 * c + 4 * m) * ih * iw * s, &Yr, &f)) return ODYN_BACKEND_ERR_MEM;
  Zr = Yr + 2 * f.ln;
  F  = Zr + 2 * f.lm;
  DG = F + f.ln;
  DF = DG + f.lm;
  dZ = DF + f.ln;
  memset(Zr, 0, (size_t)f.lm * sizeof(double));
  if (dY0) memcpy(dYN, dY0, (size_t)f.ln * sizeof(double));
  else memset(dYN, 0, (size_t)f.ln * sizeof(double));
  memset(dZ, 0, (size_t)f.lm * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * f.slot, *Yj = j ? Yr + (j & 1) * f.ln : Y0;
    double       *Z1 = Zr + ((j + 1) & 1) * f.lm;

    /* the step recomputed first (the direct path's Step_Verlet), then its products at Y_j and Z_{j+1/2} */
    r = step(&f, K, Yj, Zr + (j & 1) * f.lm, Yr + ((j + 1) & 1) * f.ln, Z1, F, DG, DF);
    if (!r) r = tangent_step(&f, K, dtheta ? dtheta + j * f.slot : NULL, DG, DF, Yj, Z1, dYN, dZ);
  }
  return done(&f, r);
}

int odyn_host_conv_verlet_tanh_adjoint_reversible(long c, long m, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0)
{
  Faces   f;
  double *Y, *Z, *F, *G, *DF, *DG, *Q, *P;
  int     r = 0;

  if (!s || (!gtheta && !gY0)) return 0;
  /* Y, F, DF: ln each; Z, G, DG, Q: lm each; P: ln unless gY0 is there to walk in */
  if (faces_init(c, m, ih, iw, s, h, (long)((gY0 ? 3 : 4) * c + 4 * m) * ih * iw * s, &Y, &f)) return ODYN_BACKEND_ERR_MEM;
  F  = Y + f.ln;
  DF = F + f.ln;
  Z  = DF + f.ln;
  G  = Z + f.lm;
  DG = G + f.lm;
  Q  = DG + f.lm;
  P  = gY0 ? gY0 : Q + f.lm;
  memcpy(Y, YN, (size_t)f.ln * sizeof(double));
  memcpy(Z, ZN, (size_t)f.lm * sizeof(double));
  memcpy(P, W, (size_t)f.ln * sizeof(double));
  memset(Q, 0, (size_t)f.lm * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K = theta + j * f.slot;
    double       *gK = gtheta ? gtheta + j * f.slot : NULL;

    /* face 0 at Z_{j+1/2}: its sigma' and F = tanh(K * Z + bF) (the reverse step's) in one pass, then its products */
    r = face0_eval(&f, K, Z, K + f.nk, F, DF);
    if (!r) r = adjoint_face0(&f, K, DF, Z, P, Q, gK);
    if (r) break;
    /* back one step: Y_j = Y_{j+1} - h F, Z_{j-1/2} = Z_{j+1/2} + h G(Y_j) (verlet.c's reverse), then face 1 at Y_j */
    odyn_axpy(f.ln, -h, F, Y);
    flip_stencil(&f, K, f.M);
    r = face1_eval(&f, Y, K + f.nk + c, G, DG);
    odyn_axpy(f.lm, h, G, Z);
    if (!r) r = adjoint_face1(&f, K, DG, Y, Q, P, gK);
  }
  return done(&f, r);
}
