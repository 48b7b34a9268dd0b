/*
   Direct 3x3 convolution kernels for few channels (see include/odyn/private/convkernels.h; chosen by conv.c).

   Why: with 6 channels the im2col GEMM is thin (N = 6 output channels, K = 54) and im2col writes 9 copies of the
   input, which OpenBLAS then packs again; the GEMM path ran at 17-28 % of DGEMM's rate (docs/benchmarks.md). Here
   the input of one example is copied once into a zero-bordered buffer P (so that no loop tests the border), and an
   output row is computed for a block of output channels at once from registers: per stencil entry (c, a, b) one
   load of a run of pixels of P serves all the block's output channels (one broadcast stencil value each). The
   stencil gradient walks the same rows and keeps per-(c, a) partial sums of all output channels and the 3 column
   shifts in registers, flushed once per row into a small buffer (no per-pixel atomics; one buffer per call, which is
   per thread).

   Vectors are GCC vector extensions of 4 doubles (AVX2 width); the drivers are compiled twice (target_clones): for
   x86-64-v3 (AVX2 + FMA) and for the baseline x86-64, picked at load time, so the library still runs on any x86-64.
   Elsewhere GCC lowers the vectors to what the target has.
*/
#include <string.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>
#include <odyn/private/vtanh.h>

typedef double v4 __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  #define ODYN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
  #define ODYN_CLONES
#endif
#define ODYN_INLINE static inline __attribute__((always_inline))

/* unaligned vector loads and stores (vmovupd), allowed to alias the doubles (like the intrinsics' __m256d_u) */
typedef double v4u __attribute__((vector_size(32), aligned(8), may_alias));
#define ld(p)    (*(const v4u *)(p))
#define st(p, v) (*(v4u *)(p) = (v))
#define bc(x)    ((v4){(x), (x), (x), (x)})

typedef long v4i __attribute__((vector_size(32)));

/* y = act(y) over a run of n values, d = act'(y) when d is not NULL (tanh: 1 - tanh^2, what the layers save); tanh
   through include/odyn/private/vtanh.h, 8 wide when wide (odyn_vtanh_wide()) */
ODYN_INLINE void act_run(int act, long n, double *y, double *d, int wide)
{
  if (act == ODYN_PW_TANH) {
    odyn_vtanh_run(n, NULL, y, d, wide);
    return;
  }
  for (long j = 0; j < n; j++) {
    if (d) d[j] = odyn_act_deriv(act, y[j]);
    y[j] = odyn_act(act, y[j]);
  }
}

/* compiled like the drivers, so that the tests check the code the drivers run */
ODYN_CLONES
void odyn_conv_direct_tanh(long n, double *y, double *d) { act_run(ODYN_PW_TANH, n, y, d, odyn_vtanh_wide()); }

#define OB_MAX 6 /* output channels per register block of the forward kernel (6 x 2 accumulators: 12 of 16 ymm) */
#define GB_MAX 3 /* of the stencil gradient (3 x 3 accumulators + 3 shifted inputs + 1 output run) */

static long rup4(long v) { return (v + 3) & ~3L; }

/* padded geometry: rows h + 2, row length wp = rup4(w) + 2 (the last vector of a row may read 2 beyond w + 1) */
typedef struct {
  long h, w, wv, wp, pc; /* wv: w rounded up to vectors; pc: scalars of one padded plane */
} pgeom;

static pgeom pg_of(const odyn_conv_geom *g)
{
  pgeom p;
  p.h = g->h, p.w = g->w, p.wv = rup4(g->w), p.wp = p.wv + 2, p.pc = (g->h + 2) * p.wp;
  return p;
}

int odyn_conv_direct_supported(const odyn_conv_geom *g) { return g->k == 3 && g->h >= 1 && g->w >= 1 && g->cin >= 1 && g->cout >= 1; }

long odyn_conv_direct_work_size(const odyn_conv_geom *g)
{
  const pgeom p    = pg_of(g);
  const long  cmax = g->cin > g->cout ? g->cin : g->cout, nk = g->cin * g->cout * 9;
  /* packed stencil | padded input | output / gradient-input rows | gradient partial sums (4 lanes) */
  return nk + cmax * p.pc + cmax * p.wv + 4 * nk;
}

/* y[0..n) = x[0..n) in vectors (a memcpy call per image row costs as much as the row's copy) */
ODYN_INLINE void copy_run(long n, const double *x, double *y)
{
  long j = 0;
  for (; j + 4 <= n; j += 4) st(y + j, ld(x + j));
  for (; j < n; j++) y[j] = x[j];
}

/* copy example planes X (c h w) into the interior of the zero-bordered P (the border was zeroed by the caller) */
ODYN_INLINE void pad_in(const pgeom *p, long c, const double *X, double *P)
{
  for (long ch = 0; ch < c; ch++)
    for (long r = 0; r < p->h; r++) copy_run(p->w, X + (ch * p->h + r) * p->w, P + ch * p->pc + (r + 1) * p->wp + 1);
}

/*
   Forward micro-kernel: for a block of OB output channels and JB vectors of one output row,
     Y[o][jb*4 + 0..3] = beta Y[o][...] + init[o] + sum_{c,a,b} Kp[(c*9 + a*3 + b)*OB + o] P[c][a][b + jb*4 + 0..3]
   (init: the bias, or NULL; beta 0: Y is not read); P points at the row's top-left padded input, Kp at the block's
   packed stencil, Y at the block's first output channel (ys scalars between channels).
*/
#define DEF_FWD(OB, JB) \
  ODYN_INLINE void fwd_##OB##_##JB(long cin, const double *P, long pc, long wp, const double *Kp, const double *init, double beta, double *Y, long ys) \
  { \
    v4 acc[OB][JB]; \
    _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++) \
    { \
      const v4 iv = init ? bc(init[o]) : bc(0.0); \
      _Pragma("GCC unroll 4") for (int j = 0; j < JB; j++) acc[o][j] = iv; \
    } \
    for (long c = 0; c < cin; c++) \
      for (int a = 0; a < 3; a++) { \
        const double *row = P + c * pc + a * wp; \
        _Pragma("GCC unroll 3") for (int b = 0; b < 3; b++) \
        { \
          const double *kp = Kp + ((c * 3 + a) * 3 + b) * OB; \
          v4            x[JB]; \
          _Pragma("GCC unroll 4") for (int j = 0; j < JB; j++) x[j] = ld(row + b + 4 * j); \
          _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++) \
          { \
            const v4 kv = bc(kp[o]); \
            _Pragma("GCC unroll 4") for (int j = 0; j < JB; j++) acc[o][j] += kv * x[j]; \
          } \
        } \
      } \
    if (beta == 0.0) { \
      _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++) _Pragma("GCC unroll 4") for (int j = 0; j < JB; j++) st(Y + o * ys + 4 * j, acc[o][j]); \
    } else { \
      const v4 bv = bc(beta); \
      _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++) _Pragma("GCC unroll 4") for (int j = 0; j < JB; j++) st(Y + o * ys + 4 * j, bv * ld(Y + o * ys + 4 * j) + acc[o][j]); \
    } \
  }

DEF_FWD(1, 1)
DEF_FWD(1, 2)
DEF_FWD(2, 1)
DEF_FWD(2, 2)
DEF_FWD(3, 1)
DEF_FWD(3, 2)
DEF_FWD(4, 1)
DEF_FWD(4, 2)
DEF_FWD(5, 1)
DEF_FWD(5, 2)
DEF_FWD(6, 1)
DEF_FWD(6, 2)

/*
   One output row of a block of ob output channels: the whole vectors straight into Y (JB = 2 while two remain), a last
   partial vector (w not a multiple of 4) into the row buffer T (ts scalars between channels), then its w % 4 values
   into Y.
*/
ODYN_INLINE void fwd_row(long ob, long cin, long w, const double *P, long pc, long wp, const double *Kp, const double *init, double beta, double *Y, long ys, double *T, long ts)
{
  const long nf = w / 4, r = w % 4;
  long       j  = 0;
#define FWD_CASE(OB) \
  case OB: \
    for (; j + 2 <= nf; j += 2) fwd_##OB##_2(cin, P + 4 * j, pc, wp, Kp, init, beta, Y + 4 * j, ys); \
    if (j < nf) fwd_##OB##_1(cin, P + 4 * j, pc, wp, Kp, init, beta, Y + 4 * j, ys); \
    if (r) fwd_##OB##_1(cin, P + 4 * nf, pc, wp, Kp, init, 0.0, T, ts); \
    break;
  switch (ob) {
    FWD_CASE(1)
    FWD_CASE(2)
    FWD_CASE(3)
    FWD_CASE(4)
    FWD_CASE(5)
    FWD_CASE(6)
  }
#undef FWD_CASE
  if (r)
    for (long o = 0; o < ob; o++)
      for (long q = 0; q < r; q++) Y[o * ys + 4 * nf + q] = (beta == 0.0 ? 0.0 : beta * Y[o * ys + 4 * nf + q]) + T[o * ts + q];
}

/* output channel blocks: as even as possible, at most OB_MAX each (16 -> 6, 5, 5) */
static long nblocks(long cout, long bmax) { return (cout + bmax - 1) / bmax; }
static long block_start(long cout, long nb, long i) { return (cout * i) / nb; }

/*
   Prefetch row i's share (1/h) of n doubles at x, with write intent or not: spread over the rows of one example, the
   next example's input (and output, which would be read for ownership) arrive while this one is computed; a whole
   example at once (pad_in) would stall on memory at large batches.
*/
ODYN_INLINE void prefetch_share(const double *x, long n, long i, long h, int write)
{
  const long per = (n + h - 1) / h, lo = i * per, hi = lo + per < n ? lo + per : n;
  for (long q = lo; q < hi; q += 8) {
    if (write) __builtin_prefetch(x + q, 1);
    else __builtin_prefetch(x + q, 0);
  }
}

/*
   y = x + h y over one output row (the forward Euler step, x the row of the input held in P), rounded as odyn_axpby()
   rounds 1 x + h y: h y first, then the sum. GCC would contract x + h y into one FMA in the AVX clones, which rounds
   once and would make the fused step differ in the last bit from the two passes (tests/test_euler_fused.c wants them
   equal): the product is xor'ed with zero, a zero the compiler cannot see (read from a volatile), which costs one
   integer operation per vector and keeps the two roundings.
*/
static volatile long opaque_zero = 0;

ODYN_INLINE void euler_row(long w, const double *x, double h, long zero, double *y)
{
  const v4i z = {zero, zero, zero, zero};
  long      j = 0;
  for (; j + 4 <= w; j += 4) {
    const v4 hy = (v4)((v4i)(bc(h) * ld(y + j)) ^ z);
    st(y + j, ld(x + j) + hy);
  }
  for (; j < w; j++) {
    double hy = h * y[j];
    long   bits;
    memcpy(&bits, &hy, sizeof(bits));
    bits ^= zero;
    memcpy(&hy, &bits, sizeof(hy));
    y[j] = x[j] + hy;
  }
}

ODYN_CLONES
static void fwd_driver(const odyn_conv_geom *g, long s, const double *Kp, const double *X, double beta, const double *bias, int act, const double *h, double *Y, double *D, double *P, double *T)
{
  const pgeom p  = pg_of(g);
  const long  hw = g->h * g->w, cin = g->cin, cout = g->cout, nb = nblocks(cout, OB_MAX), zero = opaque_zero;
  const int   wide = odyn_vtanh_wide();

  for (long e = 0; e < s; e++) {
    pad_in(&p, cin, X + e * cin * hw, P);
    for (long i = 0; i < g->h; i++) {
      if (e + 1 < s) {
        prefetch_share(X + (e + 1) * cin * hw, cin * hw, i, g->h, 0);
        prefetch_share(Y + (e + 1) * cout * hw, cout * hw, i, g->h, beta != 0.0 ? 0 : 1);
      }
      for (long bi = 0; bi < nb; bi++) {
        const long o0 = block_start(cout, nb, bi), ob = block_start(cout, nb, bi + 1) - o0;
        fwd_row(ob, cin, g->w, P + i * p.wp, p.pc, p.wp, Kp + o0 * cin * 9, bias ? bias + o0 : NULL, beta, Y + (e * cout + o0) * hw + i * g->w, hw, T, 4);
      }
      /* the activation (and its derivative) on the row while it is in L1: no pass of its own over the state */
      if (act != ODYN_PW_IDENTITY || D)
        for (long o = 0; o < cout; o++) act_run(act, g->w, Y + (e * cout + o) * hw + i * g->w, D ? D + (e * cout + o) * hw + i * g->w : NULL, wide);
      /* the Euler step Y = X + h act(...) on the row while it is in L1, X's row from P: no pass of its own either */
      if (h)
        for (long o = 0; o < cout; o++) euler_row(g->w, P + o * p.pc + (i + 1) * p.wp + 1, *h, zero, Y + (e * cout + o) * hw + i * g->w);
    }
  }
}

/* the forward with the stencil packed, the padded buffer's border zeroed; h: Y = X + h Y as well (cin == cout) */
static void direct_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, const double *bias, int act, const double *h, double *Y, double *D, double *work)
{
  const pgeom p = pg_of(g);
  const long  cin = g->cin, cout = g->cout, nb = nblocks(cout, OB_MAX), nk = cin * cout * 9;
  double     *Kp = work, *P = Kp + nk, *T = P + cin * p.pc;

  /* stencil of each output block packed as [c][a][b][o in block], alpha folded in */
  for (long bi = 0; bi < nb; bi++) {
    const long o0 = block_start(cout, nb, bi), ob = block_start(cout, nb, bi + 1) - o0;
    for (long o = 0; o < ob; o++)
      for (long q = 0; q < cin * 9; q++) Kp[o0 * cin * 9 + q * ob + o] = alpha * K[(o0 + o) * cin * 9 + q];
  }
  memset(P, 0, (size_t)(cin * p.pc) * sizeof(double));
  fwd_driver(g, s, Kp, X, beta, bias, act, h, Y, D, P, T);
}

void odyn_conv_direct_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, const double *bias, int act, double *Y, double *D, double *work)
{
  direct_forward(g, s, K, alpha, X, beta, bias, act, NULL, Y, D, work);
}

int odyn_conv_direct_forward_euler(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *bias, int act, double h, double *Y, double *D, double *work)
{
  if (g->cin != g->cout) return 1;
  direct_forward(g, s, K, 1.0, X, 0.0, bias, act, &h, Y, D, work);
  return 0;
}

/*
   Stencil-gradient micro-kernel for one input channel c, one stencil row a and a block of OB output channels, over one
   output row: acc[o][b] += sum_j W[o][j] P[c][a][j + b]; the partial sums (4 lanes each) live in A[o][b].
*/
#define DEF_GRAD(OB) \
  ODYN_INLINE void grad_##OB(long nv, const double *prow, const double *W, long ws, double *A) \
  { \
    v4 acc[OB][3]; \
    _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++) _Pragma("GCC unroll 3") for (int b = 0; b < 3; b++) acc[o][b] = ld(A + (o * 3 + b) * 4); \
    for (long j = 0; j < nv; j++) { \
      const v4 x0 = ld(prow + 4 * j), x1 = ld(prow + 4 * j + 1), x2 = ld(prow + 4 * j + 2); \
      _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++) \
      { \
        const v4 wv = ld(W + o * ws + 4 * j); \
        acc[o][0] += wv * x0; \
        acc[o][1] += wv * x1; \
        acc[o][2] += wv * x2; \
      } \
    } \
    _Pragma("GCC unroll 8") for (int o = 0; o < OB; o++) _Pragma("GCC unroll 3") for (int b = 0; b < 3; b++) st(A + (o * 3 + b) * 4, acc[o][b]); \
  }

DEF_GRAD(1)
DEF_GRAD(2)
DEF_GRAD(3)

ODYN_CLONES
static void grad_driver(const odyn_conv_geom *g, long s, const double *X, const double *W, double *P, double *Wr, double *A)
{
  const pgeom p  = pg_of(g);
  const long  hw = g->h * g->w, cin = g->cin, cout = g->cout, nb = nblocks(cout, GB_MAX), nv = p.wv / 4;

  for (long e = 0; e < s; e++) {
    pad_in(&p, cin, X + e * cin * hw, P);
    for (long i = 0; i < g->h; i++) {
      const double *wrow;
      long          ws;
      if (e + 1 < s) {
        prefetch_share(X + (e + 1) * cin * hw, cin * hw, i, g->h, 0);
        prefetch_share(W + (e + 1) * cout * hw, cout * hw, i, g->h, 0);
      }
      if (g->w % 4 == 0) { /* whole vectors: read the rows of W in place */
        wrow = W + e * cout * hw + i * g->w;
        ws   = hw;
      } else { /* copy into rows whose tails stay zero */
        for (long o = 0; o < cout; o++) copy_run(g->w, W + (e * cout + o) * hw + i * g->w, Wr + o * p.wv);
        wrow = Wr;
        ws   = p.wv;
      }
      for (long c = 0; c < cin; c++)
        for (long a = 0; a < 3; a++) {
          const double *prow = P + c * p.pc + (i + a) * p.wp;
          double       *Aca  = A + (c * 3 + a) * cout * 12;
          for (long bi = 0; bi < nb; bi++) {
            const long o0 = block_start(cout, nb, bi), ob = block_start(cout, nb, bi + 1) - o0;
            switch (ob) {
            case 1:
              grad_1(nv, prow, wrow + o0 * ws, ws, Aca + o0 * 12);
              break;
            case 2:
              grad_2(nv, prow, wrow + o0 * ws, ws, Aca + o0 * 12);
              break;
            case 3:
              grad_3(nv, prow, wrow + o0 * ws, ws, Aca + o0 * 12);
              break;
            }
          }
        }
    }
  }
}

void odyn_conv_direct_stencil_grad(const odyn_conv_geom *g, long s, const double *X, const double *W, double alpha, double *G, double *work)
{
  const pgeom p = pg_of(g);
  const long  cin = g->cin, cout = g->cout, nk = cin * cout * 9;
  double     *P = work + nk, *Wr = P + cin * p.pc, *A = Wr + (cin > cout ? cin : cout) * p.wv;

  memset(P, 0, (size_t)(cin * p.pc) * sizeof(double));
  memset(Wr, 0, (size_t)(cout * p.wv) * sizeof(double));
  memset(A, 0, (size_t)(4 * nk) * sizeof(double));
  grad_driver(g, s, X, W, P, Wr, A);
  /* A[c][a][o][b][lane] -> G[o][c][a][b] (G is kd x cout, kd = 9 cin) */
  for (long c = 0; c < cin; c++)
    for (long a = 0; a < 3; a++)
      for (long o = 0; o < cout; o++)
        for (long b = 0; b < 3; b++) {
          const double *l = A + (((c * 3 + a) * cout + o) * 3 + b) * 4;
          G[o * cin * 9 + (c * 3 + a) * 3 + b] += alpha * ((l[0] + l[1]) + (l[2] + l[3]));
        }
}
