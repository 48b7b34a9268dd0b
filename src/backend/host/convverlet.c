/*
   The host table's whole-block sweeps of a convolutional Verlet tanh block, the Hamiltonian CNN (include/odyn/private/
   backend.h, conv_verlet_*): scheme verlet (src/schemes/impls/verlet.c) with layer convhamiltonian
   (src/layers/impls/convhamiltonian.c, convcore.c) of 3x3 stencils, tanh, Y of c channels, Z of m:
     Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T * Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j * Z_{j+1/2} + bF_j),  Z_{-1/2} = 0
   theta_j = [K_j (c x m x 3 x 3) | bF_j (c) | bG_j (m)]; with the TV normalization (eps > 0) each face's
   pre-activation is normalized, scaled and shifted (convcore.c's tvnorm branches), theta_j = [K_j | bF_j | bG_j |
   scaleF_j, betaF_j (c each) | scaleG_j, betaG_j (m each)], and each face keeps its Uhat and 1/r.

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

/* the linearization each face keeps: sigma' D, and with the normalization Uhat and 1/r (else NULL) */
typedef struct {
  double *D, *Uhat, *rinv;
} FaceLin;

/* the doubles of one step's linearization of both faces: D (m + c channels), with the normalization also Uhat (m + c)
   and 1/r of each face */
static long StepLinSize(long c, long m, double eps, long hw, long s) { return (c + m) * hw * s + (eps > 0 ? (c + m + 2) * hw * s : 0); }

long odyn_host_conv_verlet_linsize(long c, long m, double eps, long ih, long iw, long N, long s) { return N * StepLinSize(c, m, eps, ih * iw, s); }

/* step j's two faces in a stored lin: [DG_j | DF_j] at j (lm + ln) (the layout without the normalization), then with
   it [UhatG_j | 1/rG_j | UhatF_j | 1/rF_j] at N (lm + ln) + j (lm + ln + 2 lp) */
static void StoredLin(double *lin, double eps, long N, long j, long ln, long lm, long lp, FaceLin *L1, FaceLin *L0)
{
  double *tv = lin + N * (lm + ln) + j * (lm + ln + 2 * lp);

  L1->D    = lin + j * (lm + ln);
  L0->D    = L1->D + lm;
  L1->Uhat = L1->rinv = L0->Uhat = L0->rinv = NULL;
  if (eps > 0) {
    L1->Uhat = tv;
    L1->rinv = tv + lm;
    L0->Uhat = tv + lm + lp;
    L0->rinv = tv + lm + lp + ln;
  }
}

/* one step's two faces in a scratch of StepLinSize() doubles */
static void ScratchLin(double *buf, double eps, long ln, long lm, long lp, FaceLin *L1, FaceLin *L0)
{
  L1->D    = buf;
  L0->D    = buf + lm;
  L1->Uhat = L1->rinv = L0->Uhat = L0->rinv = NULL;
  if (eps > 0) {
    L1->Uhat = buf + lm + ln;
    L1->rinv = L1->Uhat + lm;
    L0->Uhat = L1->rinv + lp;
    L0->rinv = L0->Uhat + ln;
  }
}

/* the two faces: face 0 Z (m channels) -> Y (c), stencil K; face 1 Y -> Z, stencil flip(K) */
typedef struct {
  odyn_conv_geom g0, g1;
  long           c, m, s, hw, nk, slot, ln, lm, lp, ch0, ch1, nwork, nt;
  long           obF, obG, osF, obetaF, osG, obetaG; /* offsets in a step's parameters (the normalization's: with eps) */
  double         h, eps;
  int            act;                       /* the activation (ODYN_PW_*) */
  double        *work, *M, *dM, *T, *tvwork; /* convolution workspace, flip(K), the flipped stencil gradient, one
                                                chunk's T, the normalization's h w values */
} Faces;

/* the sizes, and one allocation of the scratch every sweep needs followed by `extra` doubles (*extra: their start) */
static int faces_init(int act, long c, long m, double eps, long ih, long iw, long s, double h, long extra, double **more, Faces *f)
{
  const odyn_conv_geom g0 = {ih, iw, m, c, 3}, g1 = {ih, iw, c, m, 3};

  f->g0    = g0;
  f->g1    = g1;
  f->c     = c;
  f->m     = m;
  f->s     = s;
  f->h     = h;
  f->eps   = eps;
  f->act   = act;
  f->hw    = ih * iw;
  f->nk    = 9 * c * m;
  f->obF   = f->nk;
  f->obG   = f->nk + c;
  f->osF   = f->nk + c + m;
  f->obetaF = f->osF + c;
  f->osG   = f->obetaF + c;
  f->obetaG = f->osG + m;
  f->slot  = f->nk + c + m + (eps > 0 ? 2 * (c + m) : 0);
  f->ln    = c * f->hw * s;
  f->lm    = m * f->hw * s;
  f->lp    = f->hw * s;
  f->ch0   = odyn_conv_chunk_examples(&g0);
  f->ch1   = odyn_conv_chunk_examples(&g1);
  f->nwork = lmax(odyn_conv_work_size(&g0), odyn_conv_work_size(&g1));
  /* T of one chunk: the pre-activation rows of either face (c h w per example for face 0, m h w for face 1) */
  f->nt = lmax(c * f->hw * lmin(f->ch0, s), m * f->hw * lmin(f->ch1, s));
  if (!(f->work = (double *)malloc((size_t)(f->nwork + 2 * f->nk + f->nt + f->hw + extra) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  f->M      = f->work + f->nwork;
  f->dM     = f->M + f->nk;
  f->T      = f->dM + f->nk;
  f->tvwork = f->T + f->nt;
  if (more) *more = f->tvwork + f->hw;
  return 0;
}

/* one face's evaluation on a chunk, as convcore.c's Eval: U = M * X + b into F, then with the normalization (scale,
   beta; L's Uhat and 1/r, or in place when L has none) U = scale .* Uhat + beta, then F = tanh(U), D = sigma' (NULL:
   not wanted) */
static int face_chunk(const Faces *f, const odyn_conv_geom *g, long ns, const double *M, const double *X, const double *b, const double *scale, const double *beta, double *F, double *D, double *Uhat, double *rinv)
{
  const long nU = g->cout * f->hw;
  int        r;

  if (f->eps > 0) {
    r = odyn_conv_forward_bias(g, ns, M, X, b, F, f->work);
    odyn_tvnorm(g->cout, f->hw, ns, f->eps, F, Uhat ? Uhat : F, rinv, f->tvwork);
    odyn_channel_affine(g->cout, f->hw, ns, scale, beta, Uhat ? Uhat : F, F);
    odyn_bias_act(f->act, nU, ns, NULL, F, D);
    return r;
  }
  return odyn_conv_forward_bias_act(g, ns, M, X, b, f->act, F, D, f->work);
}

/* M = flip(K), as the layer forms face 1's stencil (convcore.c FaceStencil()) */
static void flip_stencil(const Faces *f, const double *K, double *M)
{
  memset(M, 0, (size_t)f->nk * sizeof(double));
  odyn_conv_flip_add(f->g1.cout, f->g1.cin, 3, 1.0, K, M);
}

/* face 1 (stencil f->M): G = tanh(N(M * Y + bG)), its linearization into L when not NULL; face 0: F = tanh(N(K * Z +
   bF)), likewise (N: the normalization, when on) */
static int face1_eval(const Faces *f, const double *K, const double *Y, double *G, const FaceLin *L)
{
  const long nin = f->c * f->hw, nU = f->m * f->hw;
  int        r   = 0;

  for (long e0 = 0; e0 < f->s && !r; e0 += f->ch1)
    r = face_chunk(f, &f->g1, lmin(f->ch1, f->s - e0), f->M, Y + e0 * nin, K + f->obG, K + f->osG, K + f->obetaG, G + e0 * nU, L ? L->D + e0 * nU : NULL, L && L->Uhat ? L->Uhat + e0 * nU : NULL, L && L->rinv ? L->rinv + e0 * f->hw : NULL);
  return r;
}

static int face0_eval(const Faces *f, const double *K, const double *Z, double *F, const FaceLin *L)
{
  const long nin = f->m * f->hw, nU = f->c * f->hw;
  int        r   = 0;

  for (long e0 = 0; e0 < f->s && !r; e0 += f->ch0)
    r = face_chunk(f, &f->g0, lmin(f->ch0, f->s - e0), K, Z + e0 * nin, K + f->obF, K + f->osF, K + f->obetaF, F + e0 * nU, L ? L->D + e0 * nU : NULL, L && L->Uhat ? L->Uhat + e0 * nU : NULL, L && L->rinv ? L->rinv + e0 * f->hw : NULL);
  return r;
}

/* one forward step: Z1 = Zj - h G(Y_j), Y1 = Y_j + h F(Z1); F is Y1 itself or scratch (L1, L0 may be NULL) */
static int step(Faces *f, const double *K, const double *Yj, const double *Zj, double *Y1, double *Z1, double *F, const FaceLin *L1, const FaceLin *L0)
{
  int r;

  flip_stencil(f, K, f->M);
  if ((r = face1_eval(f, K, Yj, Z1, L1))) return r;
  odyn_axpby(f->lm, 1.0, Zj, -f->h, Z1);
  if ((r = face0_eval(f, K, Z1, F, L0))) return r;
  for (long i = 0; i < f->ln; i++) Y1[i] = Yj[i] + f->h * F[i];
  return 0;
}

/* with the normalization, a face's forward-product chunk T (cout channels): T = scale .* J_tv T, and for a parameter
   direction (ds not NULL) also + ds .* Uhat + dbeta (convcore.c's ForwardMid and JacTheta) */
static void tv_forward(const Faces *f, long cout, long ns, const double *scale, const double *ds, const double *dbeta, const FaceLin *L, long e0, double *T)
{
  const double *uh;

  if (!L->Uhat) return;
  uh = L->Uhat + e0 * cout * f->hw;
  odyn_tvnorm_forward_product(cout, f->hw, ns, scale, uh, L->rinv + e0 * f->hw, T, f->tvwork);
  if (ds) odyn_channel_affine_add(cout, f->hw, ns, ds, dbeta, uh, T);
}

/* the tangent of step j at (Y_j, Z_{j+1/2}) with the faces' linearizations L1, L0: dZ, then dY (dK NULL: no parameter
   direction) */
static int tangent_step(Faces *f, const double *K, const double *dK, const FaceLin *L1, const FaceLin *L0, const double *Yj, const double *Zh, double *dY, double *dZ)
{
  const long nin1 = f->c * f->hw, nU1 = f->m * f->hw, nin0 = f->m * f->hw, nU0 = f->c * f->hw;
  const long s = f->s;
  double    *T = f->T;
  int        r = 0;

  /* face 1 at Y_j, alpha -h: dZ += -h DG .* (M * dY), then += -h DG .* (dM * Y_j + dbG) (through N when on) */
  flip_stencil(f, K, f->M);
  for (long e0 = 0; e0 < s && !r; e0 += f->ch1) {
    const long ns = lmin(f->ch1, s - e0);

    r = odyn_conv_forward(&f->g1, ns, f->M, 1.0, dY + e0 * nin1, 0.0, T, f->work);
    tv_forward(f, f->m, ns, K + f->osG, NULL, NULL, L1, e0, T);
    odyn_scaled_hadamard_add(nU1 * ns, -f->h, L1->D + e0 * nU1, T, dZ + e0 * nU1);
  }
  if (dK) {
    flip_stencil(f, dK, f->M);
    for (long e0 = 0; e0 < s && !r; e0 += f->ch1) {
      const long ns = lmin(f->ch1, s - e0);

      r = odyn_conv_forward_bias(&f->g1, ns, f->M, Yj + e0 * nin1, dK + f->obG, T, f->work);
      tv_forward(f, f->m, ns, K + f->osG, dK + f->osG, dK + f->obetaG, L1, e0, T);
      odyn_scaled_hadamard_add(nU1 * ns, -f->h, L1->D + e0 * nU1, T, dZ + e0 * nU1);
    }
  }
  /* face 0 at Z_{j+1/2}, alpha h: dY += h DF .* (K * dZ), then += h DF .* (dK * Z_{j+1/2} + dbF) */
  for (long e0 = 0; e0 < s && !r; e0 += f->ch0) {
    const long ns = lmin(f->ch0, s - e0);

    r = odyn_conv_forward(&f->g0, ns, K, 1.0, dZ + e0 * nin0, 0.0, T, f->work);
    tv_forward(f, f->c, ns, K + f->osF, NULL, NULL, L0, e0, T);
    odyn_scaled_hadamard_add(nU0 * ns, f->h, L0->D + e0 * nU0, T, dY + e0 * nU0);
  }
  for (long e0 = 0; dK && e0 < s && !r; e0 += f->ch0) {
    const long ns = lmin(f->ch0, s - e0);

    r = odyn_conv_forward_bias(&f->g0, ns, dK, Zh + e0 * nin0, dK + f->obF, T, f->work);
    tv_forward(f, f->c, ns, K + f->osF, dK + f->osF, dK + f->obetaF, L0, e0, T);
    odyn_scaled_hadamard_add(nU0 * ns, f->h, L0->D + e0 * nU0, T, dY + e0 * nU0);
  }
  return r;
}

/* with the normalization, a face's adjoint chunk T: the gradients of scale and beta (alpha a; gs NULL: none), then
   T = J_tv (scale .* T) (convcore.c's AdjointProducts) */
static void tv_adjoint(const Faces *f, long cout, long ns, double a, const double *scale, double *gs, double *gbeta, const FaceLin *L, long e0, double *T)
{
  const double *uh;

  if (!L->Uhat) return;
  uh = L->Uhat + e0 * cout * f->hw;
  if (gs) {
    odyn_channel_dot_add(cout, f->hw, ns, a, uh, T, gs);
    odyn_channel_sum_add(cout, f->hw, ns, a, T, gbeta);
  }
  odyn_tvnorm_adjoint_product(cout, f->hw, ns, scale, uh, L->rinv + e0 * f->hw, T, f->tvwork);
}

/* the adjoint of face 0 of step j (F at Z_{j+1/2}, alpha h): Q += h K^T (DF .* P), and gK, gbF (gK NULL: no gradient) */
static int adjoint_face0(Faces *f, const double *K, const FaceLin *L0, const double *Zh, const double *P, double *Q, double *gK)
{
  const double *DF = L0->D;
  const long nin0 = f->m * f->hw, nU0 = f->c * f->hw, s = f->s;
  double    *T = f->T;
  int        r = 0;

  for (long e0 = 0; e0 < s && !r; e0 += f->ch0) {
    const long ns = lmin(f->ch0, s - e0), off = e0 * nU0;

    for (long i = 0; i < nU0 * ns; i++) T[i] = DF[off + i] * P[off + i];
    tv_adjoint(f, f->c, ns, f->h, K + f->osF, gK ? gK + f->osF : NULL, gK ? gK + f->obetaF : NULL, L0, e0, T);
    r = odyn_conv_adjoint(&f->g0, ns, K, f->h, T, 1.0, Q + e0 * nin0, f->work);
    if (gK && !r) {
      odyn_channel_sum_add(f->c, f->hw, ns, f->h, T, gK + f->obF);
      r = odyn_conv_stencil_grad(&f->g0, ns, Zh + e0 * nin0, T, f->h, gK, f->work);
    }
  }
  return r;
}

/* the adjoint of face 1 of step j (G at Y_j, alpha -h; its stencil M = flip(K), whose gradient dM maps back by the flip) */
static int adjoint_face1(Faces *f, const double *K, const FaceLin *L1, const double *Yj, const double *Q, double *P, double *gK)
{
  const double *DG = L1->D;
  const long nin1 = f->c * f->hw, nU1 = f->m * f->hw, s = f->s;
  double    *T = f->T;
  int        r = 0;

  flip_stencil(f, K, f->M);
  if (gK) memset(f->dM, 0, (size_t)f->nk * sizeof(double));
  for (long e0 = 0; e0 < s && !r; e0 += f->ch1) {
    const long ns = lmin(f->ch1, s - e0), off = e0 * nU1;

    for (long i = 0; i < nU1 * ns; i++) T[i] = DG[off + i] * Q[off + i];
    tv_adjoint(f, f->m, ns, -f->h, K + f->osG, gK ? gK + f->osG : NULL, gK ? gK + f->obetaG : NULL, L1, e0, T);
    r = odyn_conv_adjoint(&f->g1, ns, f->M, -f->h, T, 1.0, P + e0 * nin1, f->work);
    if (gK && !r) {
      odyn_channel_sum_add(f->m, f->hw, ns, -f->h, T, gK + f->obG);
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

int odyn_host_conv_verlet_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin)
{
  Faces f;
  int   r = 0;

  if (!s) return 0;
  if (faces_init(act, c, m, eps, ih, iw, s, h, 0, NULL, &f)) return ODYN_BACKEND_ERR_MEM;
  memcpy(Ytraj, Y0, (size_t)f.ln * sizeof(double));
  memset(Ztraj, 0, (size_t)f.lm * sizeof(double)); /* Z_{-1/2} = 0 */
  for (long j = 0; j < N && !r; j++) {
    double *Y1 = Ytraj + (j + 1) * f.ln;
    FaceLin L1, L0;

    StoredLin(lin, eps, N, j, f.ln, f.lm, f.lp, &L1, &L0);
    r = step(&f, theta + j * f.slot, Ytraj + j * f.ln, Ztraj + j * f.lm, Y1, Ztraj + (j + 1) * f.lm, Y1, &L1, &L0);
  }
  return done(&f, r);
}

int odyn_host_conv_verlet_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, double *lin, const double *dY0, double *dYN)
{
  Faces   f;
  double *dZ;
  int     r = 0;

  if (!s) return 0;
  if (faces_init(act, c, m, eps, ih, iw, s, h, (long)m * ih * iw * s, &dZ, &f)) return ODYN_BACKEND_ERR_MEM;
  if (dY0) memcpy(dYN, dY0, (size_t)f.ln * sizeof(double));
  else memset(dYN, 0, (size_t)f.ln * sizeof(double));
  memset(dZ, 0, (size_t)f.lm * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    FaceLin L1, L0;

    StoredLin(lin, eps, N, j, f.ln, f.lm, f.lp, &L1, &L0);
    r = tangent_step(&f, theta + j * f.slot, dtheta ? dtheta + j * f.slot : NULL, &L1, &L0, Ytraj + j * f.ln, Ztraj + (j + 1) * f.lm, dYN, dZ);
  }
  return done(&f, r);
}

int odyn_host_conv_verlet_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  Faces   f;
  double *Q, *P;
  int     r = 0;

  if (!s || (!gtheta && !gY0)) return 0;
  /* Q, and P unless gY0 is there to walk in */
  if (faces_init(act, c, m, eps, ih, iw, s, h, (long)(m + (gY0 ? 0 : c)) * ih * iw * s, &Q, &f)) return ODYN_BACKEND_ERR_MEM;
  P = gY0 ? gY0 : Q + f.lm;
  memcpy(P, W, (size_t)f.ln * sizeof(double));
  memset(Q, 0, (size_t)f.lm * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K  = theta + j * f.slot;
    double       *gK = gtheta ? gtheta + j * f.slot : NULL;
    FaceLin       L1, L0;

    StoredLin(lin, eps, N, j, f.ln, f.lm, f.lp, &L1, &L0);
    r = adjoint_face0(&f, K, &L0, Ztraj + (j + 1) * f.lm, P, Q, gK);
    if (!r) r = adjoint_face1(&f, K, &L1, Ytraj + j * f.ln, Q, P, gK);
  }
  return done(&f, r);
}

/*
   The reversible sweeps (conv_verlet_forward_final, _tangent_y0, _adjoint_reversible): the direct path with
   -odyn_scheme_trajectory recompute. Y_j, Z_{j-1/2} in rings of two (Y_0 and Z_{-1/2} = 0 apart), as that path's
   storage; sigma' of the step being worked on only.
*/
long odyn_host_conv_verlet_revsize(long c, long m, double eps, long ih, long iw, long s)
{
  (void)c, (void)m, (void)eps, (void)ih, (void)iw, (void)s;
  return 0; /* the host sweeps allocate their own scratch */
}

int odyn_host_conv_verlet_forward_final(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN)
{
  Faces   f;
  double *Yr, *Zr, *F;
  int     r = 0;

  if (!s) return 0;
  /* Yr: 2 ln, Zr: 2 lm (Zr[0] = Z_{-1/2} = 0), F: ln */
  if (faces_init(act, c, m, eps, ih, iw, s, h, (long)(3 * c + 2 * m) * ih * iw * s, &Yr, &f)) return ODYN_BACKEND_ERR_MEM;
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

int odyn_host_conv_verlet_tangent_y0(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  Faces   f;
  double *Yr, *Zr, *F, *dZ, *lin;
  FaceLin L1, L0;
  int     r = 0;

  if (!s) return 0;
  /* Yr: 2 ln, Zr: 2 lm, F: ln, dZ: lm, the step's linearization (StepLinSize()) */
  if (faces_init(act, c, m, eps, ih, iw, s, h, (long)(3 * c + 3 * m) * ih * iw * s + StepLinSize(c, m, eps, ih * iw, s), &Yr, &f)) return ODYN_BACKEND_ERR_MEM;
  Zr  = Yr + 2 * f.ln;
  F   = Zr + 2 * f.lm;
  dZ  = F + f.ln;
  lin = dZ + f.lm;
  ScratchLin(lin, eps, f.ln, f.lm, f.lp, &L1, &L0);
  memset(Zr, 0, (size_t)f.lm * sizeof(double));
  if (dY0) memcpy(dYN, dY0, (size_t)f.ln * sizeof(double));
  else memset(dYN, 0, (size_t)f.ln * sizeof(double));
  memset(dZ, 0, (size_t)f.lm * sizeof(double));
  for (long j = 0; j < N && !r; j++) {
    const double *K = theta + j * f.slot, *Yj = j ? Yr + (j & 1) * f.ln : Y0;
    double       *Z1 = Zr + ((j + 1) & 1) * f.lm;

    /* the step recomputed first (the direct path's Step_Verlet), then its products at Y_j and Z_{j+1/2} */
    r = step(&f, K, Yj, Zr + (j & 1) * f.lm, Yr + ((j + 1) & 1) * f.ln, Z1, F, &L1, &L0);
    if (!r) r = tangent_step(&f, K, dtheta ? dtheta + j * f.slot : NULL, &L1, &L0, Yj, Z1, dYN, dZ);
  }
  return done(&f, r);
}

int odyn_host_conv_verlet_adjoint_reversible(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0)
{
  Faces   f;
  double *Y, *Z, *F, *G, *Q, *P, *lin;
  FaceLin L1, L0;
  int     r = 0;

  if (!s || (!gtheta && !gY0)) return 0;
  /* Y, F: ln each; Z, G, Q: lm each; the step's linearization (StepLinSize()); P: ln unless gY0 is there to walk in */
  if (faces_init(act, c, m, eps, ih, iw, s, h, (long)((gY0 ? 2 : 3) * c + 3 * m) * ih * iw * s + StepLinSize(c, m, eps, ih * iw, s), &Y, &f)) return ODYN_BACKEND_ERR_MEM;
  F   = Y + f.ln;
  Z   = F + f.ln;
  G   = Z + f.lm;
  Q   = G + f.lm;
  lin = Q + f.lm;
  P   = gY0 ? gY0 : lin + StepLinSize(c, m, eps, f.hw, s);
  ScratchLin(lin, eps, f.ln, f.lm, f.lp, &L1, &L0);
  memcpy(Y, YN, (size_t)f.ln * sizeof(double));
  memcpy(Z, ZN, (size_t)f.lm * sizeof(double));
  memcpy(P, W, (size_t)f.ln * sizeof(double));
  memset(Q, 0, (size_t)f.lm * sizeof(double));
  for (long j = N - 1; j >= 0 && !r; j--) {
    const double *K = theta + j * f.slot;
    double       *gK = gtheta ? gtheta + j * f.slot : NULL;

    /* face 0 at Z_{j+1/2}: its sigma' and F = tanh(K * Z + bF) (the reverse step's) in one pass, then its products */
    r = face0_eval(&f, K, Z, F, &L0);
    if (!r) r = adjoint_face0(&f, K, &L0, Z, P, Q, gK);
    if (r) break;
    /* back one step: Y_j = Y_{j+1} - h F, Z_{j-1/2} = Z_{j+1/2} + h G(Y_j) (verlet.c's reverse), then face 1 at Y_j */
    odyn_axpy(f.ln, -h, F, Y);
    flip_stencil(&f, K, f.M);
    r = face1_eval(&f, K, Y, G, &L1);
    odyn_axpy(f.lm, h, G, Z);
    if (!r) r = adjoint_face1(&f, K, &L1, Y, Q, P, gK);
  }
  return done(&f, r);
}
