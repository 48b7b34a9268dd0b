/*
  Parity of the cuda backend with the host backend (issue 8, docs/gpu.md): every operation of the cuda table on the
  same random inputs as the host table, fp64, sizes 1, odd, more than one block of 256 threads, and large (10^6 - 10^7
  values); the device allocation failure; exit 2 (ctest: skipped) where no rank finds a CUDA device.

  Bounds. Elementwise operations and GEMMs: norm-wise relative difference max|d - h| / max|h| <= 1e-12 (the
  elementwise kernels round as the host loops do, so only tanh differs, by ulps; cuBLAS and OpenBLAS order the k
  products of a GEMM differently, ~k u). Reductions: both sides sum len values in different orders, and each is
  within (len - 1) u sum|x_i| of the exact sum (recursive summation, u = eps / 2), so |d - h| <= len eps sum|x_i|;
  rowsum row i: (s + 2) eps (|g_i| + |alpha| sum_e |T_ie|). The observed differences are printed.
  Run on 1 and 2 ranks (each rank on device rank % count).
*/
#include <float.h>
#include <math.h>
#include <string.h>
#include <cuda_runtime.h>
#include <petscsys.h>
#include <odyn.h>
#include <odyn/private/backend.h>
#include <odyn/private/pointwise.h>
#include <odyn/private/lossfn.h>

static const OdynBackendOps *cu, *ho;
static int                   failures = 0, rank = 0;
static char                  errmsg[4096];

static void check(int ok, const char *what, double got, double bound)
{
  if (!ok) failures++;
  if (!ok || !rank) printf("[%d] %-44s %s  diff %.3e  bound %.3e\n", rank, what, ok ? "ok  " : "FAIL", got, bound);
}

/* deterministic uniform values in [lo, hi] (xorshift64*), the same on every rank */
static double *rnd(unsigned long long seed, long len, double lo, double hi)
{
  double            *a = (double *)malloc((size_t)(len > 0 ? len : 1) * sizeof(double));
  unsigned long long x = seed * 0x9E3779B97F4A7C15ULL + 1;

  for (long i = 0; i < len; i++) {
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    a[i] = lo + (hi - lo) * ((double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0);
  }
  return a;
}

/* a device copy of h (len doubles) */
static double *up(const double *h, long len)
{
  void *d;

  if (OdynBackendMalloc(cu, (size_t)len * sizeof(double), &d) || cu->copy_to_device(d, h, (size_t)len * sizeof(double))) {
    printf("[%d] up: %s\n", rank, cu->last_error());
    exit(1);
  }
  return (double *)d;
}

/* the device array d (len doubles) into a fresh host array; frees d */
static double *down(double *d, long len)
{
  double *h = (double *)malloc((size_t)(len > 0 ? len : 1) * sizeof(double));
  void   *p = d;

  if (cu->copy_to_host(h, d, (size_t)len * sizeof(double)) || OdynBackendFree(cu, &p)) {
    printf("[%d] down: %s\n", rank, cu->last_error());
    exit(1);
  }
  return h;
}

static double reldiff(long len, const double *a, const double *b)
{
  double d = 0.0, m = 0.0;

  for (long i = 0; i < len; i++) d = fmax(d, fabs(a[i] - b[i])), m = fmax(m, fabs(b[i]));
  return d / (m > 0.0 ? m : DBL_MIN);
}

/* compare the device result dres with the host result h (frees both) */
static void same(const char *what, double *dres, double *h, long len)
{
  double *d = down(dres, len), r = reldiff(len, d, h);

  check(r <= 1e-12, what, r, 1e-12);
  free(d);
  free(h);
}

#define CALL2(op, ...) \
  do { \
    if (cu->op(__VA_ARGS__)) printf("[%d] cuda %s: %s\n", rank, #op, cu->last_error()), failures++; \
  } while (0)

static void test_gemm(void)
{
  const long shapes[][3] = {{1, 1, 1}, {5, 7, 3}, {33, 17, 65}, {300, 257, 129}, {64, 20000, 64}};
  const char tr[]        = {'N', 'T'};
  char       what[128];

  for (int sh = 0; sh < 5; sh++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        const long m = shapes[sh][0], n = shapes[sh][1], k = shapes[sh][2], batch = sh < 4 ? 3 : 1;
        const long lda = (tr[ta] == 'N' ? m : k) + 1, ldb = (tr[tb] == 'N' ? k : n) + 1, ldc = m + 1;
        const long sA = lda * (tr[ta] == 'N' ? k : m) + 3, sB = ldb * (tr[tb] == 'N' ? n : k) + 3, sC = ldc * n + 3;
        double    *A = rnd(1, batch * sA, -1, 1), *B = rnd(2, batch * sB, -1, 1), *C = rnd(3, batch * sC, -1, 1);
        double    *dA = up(A, batch * sA), *dB = up(B, batch * sB), *dC = up(C, batch * sC), *dC2 = up(C, batch * sC);
        double    *C2 = rnd(3, batch * sC, -1, 1);

        ho->gemm(tr[ta], tr[tb], m, n, k, 0.7, A, lda, B, ldb, -0.3, C, ldc);
        CALL2(gemm, tr[ta], tr[tb], m, n, k, 0.7, dA, lda, dB, ldb, -0.3, dC, ldc);
        snprintf(what, sizeof(what), "gemm %c%c %ldx%ldx%ld", tr[ta], tr[tb], m, n, k);
        same(what, dC, C, batch * sC);
        ho->gemm_strided_batched(tr[ta], tr[tb], m, n, k, 0.7, A, lda, sA, B, ldb, sB, -0.3, C2, ldc, sC, batch);
        CALL2(gemm_strided_batched, tr[ta], tr[tb], m, n, k, 0.7, dA, lda, sA, dB, ldb, sB, -0.3, dC2, ldc, sC, batch);
        snprintf(what, sizeof(what), "gemm_strided_batched %c%c %ldx%ldx%ld x%ld", tr[ta], tr[tb], m, n, k, batch);
        same(what, dC2, C2, batch * sC);
        free(down(dA, 0)), free(down(dB, 0)), free(A), free(B);
      }
  check(cu->gemm('X', 'N', 1, 1, 1, 1.0, NULL, 1, NULL, 1, 0.0, NULL, 1) == ODYN_BACKEND_ERR_ARG, "gemm: bad transa is ODYN_BACKEND_ERR_ARG", 0, 0);
  check(cu->gemm('N', 'N', 3000000000L, 1, 1, 1.0, NULL, 3000000000L, NULL, 1, 0.0, NULL, 3000000000L) == ODYN_BACKEND_ERR_SIZE, "gemm: m > INT_MAX is ODYN_BACKEND_ERR_SIZE", 0, 0);
}

static void test_elementwise(void)
{
  const long shapes[][2] = {{1, 1}, {7, 33}, {16, 1000}, {300, 257}, {8, 1000003}};
  char       what[128];

  for (int sh = 0; sh < 5; sh++) {
    const long n = shapes[sh][0], s = shapes[sh][1], len = n * s;
    double    *A = rnd(10 + sh, len, -3, 3), *B = rnd(20 + sh, len, -1, 1), *b = rnd(30 + sh, n, -1, 1);

    for (int act = ODYN_PW_IDENTITY; act <= ODYN_PW_PERONAMALIK; act++)
      for (int variant = 0; variant < 3; variant++) { /* with bias and derivative; no bias; no derivative */
        double *H = rnd(10 + sh, len, -3, 3), *D = rnd(40, len, -1, 1), *dH = up(H, len), *dD = up(D, len), *db = up(b, n);

        ho->bias_act(act, n, s, variant == 1 ? NULL : b, H, variant == 2 ? NULL : D);
        CALL2(bias_act, act, n, s, variant == 1 ? NULL : db, dH, variant == 2 ? NULL : dD);
        snprintf(what, sizeof(what), "bias_act %d%s n %ld s %ld", act, variant == 1 ? " (no b)" : variant == 2 ? " (no D)" : "", n, s);
        same(what, dH, H, len);
        snprintf(what, sizeof(what), "bias_act' %d n %ld s %ld", act, n, s);
        same(what, dD, D, len);
        free(down(db, 0));
      }
    {
      double *dA = up(A, len), *dB = up(B, len), *db = up(b, n), *O = rnd(50, len, -1, 1), *dO = up(O, len);
      double *O2, *dO2;

      ho->scaled_hadamard_add(len, -1.5, A, B, O);
      CALL2(scaled_hadamard_add, len, -1.5, dA, dB, dO);
      ho->hadamard_inplace(len, A, O);
      CALL2(hadamard_inplace, len, dA, dO);
      ho->add_bias(n, s, b, O);
      CALL2(add_bias, n, s, db, dO);
      ho->axpy(len, 0.25, A, O);
      CALL2(axpy, len, 0.25, dA, dO);
      O2 = rnd(51, len, -1, 1), dO2 = up(O2, len);
      ho->copy_device(O2, O, (size_t)len * sizeof(double));
      CALL2(copy_device, dO2, dO, (size_t)len * sizeof(double));
      ho->axpby(len, 2.0, B, -0.5, O2);
      CALL2(axpby, len, 2.0, dB, -0.5, dO2);
      snprintf(what, sizeof(what), "hadamard, add_bias, axpy n %ld s %ld", n, s);
      same(what, dO, O, len);
      snprintf(what, sizeof(what), "axpby, copy_device len %ld", len);
      same(what, dO2, O2, len);
      free(down(dA, 0)), free(down(dB, 0)), free(down(db, 0));
    }
    free(A), free(B), free(b);
  }
}

static void test_reductions(void)
{
  const long rs[][2]  = {{1, 1}, {7, 33}, {8, 1000003}, {256, 1000}, {257, 999}, {300, 2}, {5000, 40}, {100000, 20}};
  const long lens[]   = {1, 7, 257, 1000003, 10000019};
  char       what[128];

  for (int i = 0; i < 8; i++) { /* narrow and wide rows, one and several chunks */
    const long n = rs[i][0], s = rs[i][1];
    double    *T = rnd(60 + i, n * s, -0.5, 1), *g = rnd(70 + i, n, -1, 1), *g0 = rnd(70 + i, n, -1, 1), *dT = up(T, n * s), *dg = up(g, n), *gd;
    double     worst = 0.0;
    int        ok    = 1;

    ho->rowsum_add(n, s, -0.75, T, g);
    CALL2(rowsum_add, n, s, -0.75, dT, dg);
    gd = down(dg, n);
    for (long r = 0; r < n; r++) {
      double mag = fabs(g0[r]), bound;

      for (long e = 0; e < s; e++) mag += 0.75 * fabs(T[e * n + r]);
      bound = (s + 2) * DBL_EPSILON * mag;
      worst = fmax(worst, fabs(gd[r] - g[r]) / bound);
      ok    = ok && fabs(gd[r] - g[r]) <= bound;
    }
    snprintf(what, sizeof(what), "rowsum_add n %ld s %ld (diff/bound)", n, s);
    check(ok, what, worst, 1.0);
    free(down(dT, 0)), free(T), free(g), free(g0), free(gd);
  }
  for (int i = 0; i < 5; i++) {
    const long len = lens[i];
    double    *x = rnd(80 + i, len, -0.5, 1), *y = rnd(90 + i, len, -1, 1), *dx = up(x, len), *dy = up(y, len);
    double     hs, ds, hd, dd, ms = 0.0, md = 0.0;

    for (long k = 0; k < len; k++) ms += fabs(x[k]), md += fabs(x[k] * y[k]);
    ho->sum(len, x, &hs);
    CALL2(sum, len, dx, &ds);
    ho->dot(len, x, y, &hd);
    CALL2(dot, len, dx, dy, &dd);
    snprintf(what, sizeof(what), "sum len %ld", len);
    check(fabs(ds - hs) <= len * DBL_EPSILON * ms, what, fabs(ds - hs), len * DBL_EPSILON * ms);
    snprintf(what, sizeof(what), "dot len %ld", len);
    check(fabs(dd - hd) <= len * DBL_EPSILON * md, what, fabs(dd - hd), len * DBL_EPSILON * md);
    free(down(dx, 0)), free(down(dy, 0)), free(x), free(y);
  }
}

/*
   The loss functions (loss_value, loss_hessmult) for the three built-in losses, one and several blocks of examples,
   scores in [-3, 3]. G and H_Z E: 1e-12 norm-wise as the elementwise operations (the device's exp / log / log1p differ
   from glibc's by an ulp or two, nvcc contracts into FMAs). The value: each side sums the s nc terms (all >= 0) in its
   own order, within (s nc) u of the exact sum, and each term differs by a few ulps relative (for these scores every
   term is at least 0.02 and lse and z at most 6 in magnitude), so |d - h| <= (s nc + 64) eps |h|.
*/
static void test_lossfns(void)
{
  const int   fns[]     = {ODYN_LOSSFN_SOFTMAX, ODYN_LOSSFN_LOGISTIC, ODYN_LOSSFN_LSQ};
  const char *names[]   = {"softmax", "logistic", "lsq"};
  const long  shapes[][2] = {{10, 1}, {10, 257}, {3, 100003}, {1, 5000}}; /* nc, s */
  char        what[128];

  for (int f = 0; f < 3; f++)
    for (int i = 0; i < 4; i++) {
      const int  fn = fns[f];
      const long nc = shapes[i][0], s = shapes[i][1], len = nc * s;
      double    *Z = rnd(110 + i, len, -3, 3), *C = rnd(120 + i, len, -1, 1), *E = rnd(130 + i, len, -1, 1);
      double    *G = (double *)malloc((size_t)len * sizeof(double)), *H = (double *)malloc((size_t)len * sizeof(double));
      double    *dZ = up(Z, len), *dC, *dE = up(E, len), *dG = up(G, len), *dH = up(H, len), hs, ds;

      for (long e = 0; e < s; e++) /* valid targets: one-hot (softmax), {0, 1} (logistic), reals (lsq) */
        for (long k = 0; k < nc; k++)
          if (fn == ODYN_LOSSFN_SOFTMAX) C[e * nc + k] = k == (e * 7) % nc;
          else if (fn == ODYN_LOSSFN_LOGISTIC) C[e * nc + k] = (e + 3 * k) % 2;
      dC = up(C, len);
      ho->loss_value(fn, nc, s, 0.5, Z, C, G, &hs);
      CALL2(loss_value, fn, nc, s, 0.5, dZ, dC, dG, &ds);
      snprintf(what, sizeof(what), "loss_value %s nc %ld s %ld: value", names[f], nc, s);
      check(fabs(ds - hs) <= (len + 64) * DBL_EPSILON * fabs(hs), what, fabs(ds - hs), (len + 64) * DBL_EPSILON * fabs(hs));
      snprintf(what, sizeof(what), "loss_value %s nc %ld s %ld: G", names[f], nc, s);
      same(what, dG, G, len);
      ho->loss_hessmult(fn, nc, s, 0.5, Z, C, E, H);
      CALL2(loss_hessmult, fn, nc, s, 0.5, dZ, dC, dE, dH);
      snprintf(what, sizeof(what), "loss_hessmult %s nc %ld s %ld", names[f], nc, s);
      same(what, dH, H, len);
      free(down(dZ, 0)), free(down(dC, 0)), free(down(dE, 0)), free(Z), free(C), free(E);
    }
}

static PetscErrorCode Capture(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  if (p == PETSC_ERROR_INITIAL && mess) PetscStrncpy(errmsg, mess, sizeof(errmsg));
  return n;
}

/* more than the card has: PETSC_ERR_MEM naming the bytes, nothing allocated, and the backend still works */
static void test_alloc_failure(void)
{
  const size_t   huge = (size_t)1 << 50; /* 1 PiB */
  void          *p    = (void *)1;
  PetscErrorCode ierr;
  double         x = 3.0, *dx;

  errmsg[0] = 0;
  PetscPushErrorHandler(Capture, NULL);
  ierr = OdynBackendMalloc(cu, huge, &p);
  PetscPopErrorHandler();
  check(ierr == PETSC_ERR_MEM && !p && strstr(errmsg, "could not allocate 1125899906842624 bytes") != NULL, "device allocation of 1 PiB: PETSC_ERR_MEM", 0, 0);
  if (!rank) printf("    message: %s\n", errmsg);
  dx = up(&x, 1);
  x  = 0.0;
  free(down(dx, 0));
  dx = up(&x, 1);
  check(cu->copy_to_host(&x, dx, sizeof(double)) == 0 && x == 0.0, "backend usable after the failed allocation", 0, 0);
  free(down(dx, 0));
}

/* mem_alloc of 0 bytes, mem_set (zero and a byte pattern) against the host's, synchronize, copy of an odd length */
static void test_memory(void)
{
  const long n = 1031;
  double    *h = rnd(100, n, -1, 1), *r = rnd(100, n, -1, 1), *d = up(h, n);
  void      *z = (void *)1;

  check(cu->mem_alloc(0, &z) == 0 && !z, "mem_alloc of 0 bytes gives NULL", 0, 0);
  ho->mem_set(r + 3, 0x3f, 5 * sizeof(double) + 3);
  CALL2(mem_set, d + 3, 0x3f, 5 * sizeof(double) + 3);
  check(cu->synchronize() == 0, "synchronize", 0, 0);
  same("mem_set 0x3f (43 bytes at an offset)", d, r, n);
  d = up(h, n);
  CALL2(mem_set, d, 0, n * sizeof(double));
  memset(h, 0, n * sizeof(double));
  same("mem_set 0", d, h, n);
}

/* a network given -odyn_backend cuda takes it for its dense Euler tanh blocks (tests/gpu/test_gpu_netbackend.c runs
   them) and stops with PETSC_ERR_SUP for a block the device does not run (here: the charbonnier flux), naming the block */
static void test_net_refuses(void)
{
  OdynNet        net;
  PetscErrorCode ierr;

  errmsg[0] = 0;
  if (OdynNetCreate(PETSC_COMM_WORLD, &net) || PetscOptionsSetValue(NULL, "-odyn_backend", "cuda") || PetscOptionsSetValue(NULL, "-odyn_layer_activation", "charbonnier")) exit(1);
  PetscPushErrorHandler(Capture, NULL);
  ierr = OdynNetSetFromOptions(net);
  PetscPopErrorHandler();
  check(ierr == PETSC_ERR_SUP && strstr(errmsg, "block 0 of the network (scheme euler, layer dense, activation charbonnier) cannot run on it") != NULL, "OdynNetSetFromOptions refuses a charbonnier block on -odyn_backend cuda", 0, 0);
  if (PetscOptionsSetValue(NULL, "-odyn_layer_activation", "tanh")) exit(1);
  ierr = OdynNetSetFromOptions(net) || OdynNetSetUp(net);
  check(ierr == 0, "OdynNetSetFromOptions takes a dense Euler tanh block on -odyn_backend cuda", 0, 0);
  if (PetscOptionsClearValue(NULL, "-odyn_backend") || PetscOptionsClearValue(NULL, "-odyn_layer_activation") || OdynNetDestroy(&net)) exit(1);
}

int main(int argc, char **argv)
{
  int         count = 0, nodev, any;
  cudaError_t e;

  if (PetscInitialize(&argc, &argv, NULL, NULL)) return 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  e     = cudaGetDeviceCount(&count);
  nodev = e != cudaSuccess || count < 1;
  MPI_Allreduce(&nodev, &any, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
  if (any) {
    if (nodev) printf("[%d] test_gpu_backend: no CUDA device (cudaGetDeviceCount: %s, %d devices): skipped\n", rank, cudaGetErrorString(e), count);
    if (PetscFinalize()) return 1;
    return 2;
  }
  ho = odyn_backend_host();
  if (OdynBackendGet(PETSC_COMM_WORLD, ODYNBACKENDCUDA, &cu)) return 1;
  test_memory();
  test_gemm();
  test_elementwise();
  test_reductions();
  test_lossfns();
  test_alloc_failure();
  test_net_refuses();
  MPI_Allreduce(MPI_IN_PLACE, &failures, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD);
  if (!rank) printf("test_gpu_backend: %s (%d failures)\n", failures ? "FAIL" : "PASS", failures);
  if (PetscFinalize()) return 1;
  return failures ? 1 : 0;
}
