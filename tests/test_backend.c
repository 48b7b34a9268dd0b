/*
  The backend operations table (include/odyn/private/backend.h, docs/gpu.md) on the host: every operation of the host
  table against a plain loop written here on random inputs (sizes 1, odd, and larger than a cache line of work), its
  status codes, the loss functions against their own central differences, the whole-block Euler tanh sweeps against the reference loops of narrowref.c, the Verlet tanh sweeps
  against those of verletref.c, the leapfrog tanh sweeps against plain loops and their own Taylor and dot-product tests, and the errors of
  -odyn_backend (unknown name; cuda without a CUDA build, or without a device, also given to a network). tests/gpu/test_gpu_backend.c compares the cuda table with this one.
*/
#include <stddef.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include "odyntest.h"
#include <odyn/private/backend.h>
#include <odyn/private/cudakernels.h> /* the host references odyn_narrow_ref_* */
#include <odyn/private/pointwise.h>
#include <odyn/private/lossfn.h>

static const long sizes[] = {1, 7, 1031};

/* max |a - b| / max(max |b|, tiny): the norm-wise relative difference used throughout */
static double reldiff(long len, const double *a, const double *b)
{
  double d = 0.0, m = 0.0;

  for (long i = 0; i < len; i++) {
    d = fmax(d, fabs(a[i] - b[i]));
    m = fmax(m, fabs(b[i]));
  }
  return d / (m > 0.0 ? m : DBL_MIN);
}

static double *rnd(unsigned long seed, long len)
{
  double *a;

  ck_assert(PetscMalloc1(len, &a) == 0);
  ODYN_CK(OdynTestRandom(seed, len, 1.0, a));
  return a;
}

/* op(X)(i, j) of a column-major array with leading dimension ld */
static double at(char t, const double *X, long ld, long i, long j) { return t == 'T' ? X[j + i * ld] : X[i + j * ld]; }

START_TEST(test_host_gemm)
{
  const OdynBackendOps *ops    = odyn_backend_host();
  const char            tr[2] = {'N', 'T'};
  const long            shapes[][3] = {{1, 1, 1}, {5, 7, 3}, {33, 17, 65}};

  for (int sh = 0; sh < 3; sh++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        const long m = shapes[sh][0], n = shapes[sh][1], k = shapes[sh][2], batch = 3;
        /* padded leading dimensions (+2) and strides (+5) so that a mix-up of rows, columns or strides shows */
        const long lda = (tr[ta] == 'N' ? m : k) + 2, ldb = (tr[tb] == 'N' ? k : n) + 2, ldc = m + 2;
        const long sA = lda * (tr[ta] == 'N' ? k : m) + 5, sB = ldb * (tr[tb] == 'N' ? n : k) + 5, sC = ldc * n + 5;
        double    *A = rnd(1, batch * sA), *B = rnd(2, batch * sB), *C = rnd(3, batch * sC), *R = rnd(3, batch * sC);

        ck_assert_int_eq(ops->gemm(tr[ta], tr[tb], m, n, k, 0.7, A, lda, B, ldb, -0.3, C, ldc), 0);
        ck_assert_int_eq(ops->gemm_strided_batched(tr[ta], tr[tb], m, n, k, 0.7, A, lda, sA, B, ldb, sB, -0.3, C + sC, ldc, sC, batch - 1), 0);
        for (long b = 0; b < batch; b++)
          for (long j = 0; j < n; j++)
            for (long i = 0; i < m; i++) {
              double acc = 0.0;

              for (long l = 0; l < k; l++) acc += at(tr[ta], A + (b ? b - 1 : 0) * sA, lda, i, l) * at(tr[tb], B + (b ? b - 1 : 0) * sB, ldb, l, j);
              R[b * sC + i + j * ldc] = 0.7 * acc - 0.3 * R[b * sC + i + j * ldc];
            }
        ck_assert_msg(reldiff(batch * sC, C, R) <= 1e-13, "gemm %c%c %ldx%ldx%ld: relative difference %g", tr[ta], tr[tb], m, n, k, reldiff(batch * sC, C, R));
        PetscFree(A);
        PetscFree(B);
        PetscFree(C);
        PetscFree(R);
      }
  ck_assert_int_eq(ops->gemm('X', 'N', 1, 1, 1, 1.0, NULL, 1, NULL, 1, 0.0, NULL, 1), ODYN_BACKEND_ERR_ARG);
  ck_assert_msg(strstr(ops->last_error(), "transa must be 'N' or 'T'"), "message: %s", ops->last_error());
  ck_assert_int_eq(ops->gemm('N', 'N', -1, 1, 1, 1.0, NULL, 1, NULL, 1, 0.0, NULL, 1), ODYN_BACKEND_ERR_SIZE);
  ck_assert_int_eq(ops->gemm('N', 'N', 3000000000L, 1, 1, 1.0, NULL, 3000000000L, NULL, 1, 0.0, NULL, 3000000000L), ODYN_BACKEND_ERR_SIZE);
}
END_TEST

START_TEST(test_host_elementwise)
{
  const OdynBackendOps *ops = odyn_backend_host();

  for (int si = 0; si < 3; si++)
    for (long n = 1; n <= 9; n += 4) { /* n = 1, 5, 9 rows, s = sizes[si] examples */
      const long s = sizes[si], len = n * s;
      double    *A = rnd(10, len), *B = rnd(11, len), *C = rnd(12, len), *b = rnd(13, n), *R = rnd(14, len), *RD = rnd(15, len), *D = rnd(16, len), *g, *rg;
      double     v, ref;

      for (int act = ODYN_PW_IDENTITY; act <= ODYN_PW_PERONAMALIK; act++)
        for (int withb = 0; withb < 2; withb++) {
          for (long e = 0; e < s; e++)
            for (long i = 0; i < n; i++) {
              const double x = 3.0 * A[e * n + i] + (withb ? b[i] : 0.0); /* [-3, 3]: both branches of relu, tanh saturating */

              R[e * n + i]  = odyn_act(act, x);
              RD[e * n + i] = odyn_act_deriv(act, x);
            }
          for (long k = 0; k < len; k++) C[k] = 3.0 * A[k];
          ck_assert_int_eq(ops->bias_act(act, n, s, withb ? b : NULL, C, D), 0);
          ck_assert_msg(reldiff(len, C, R) <= 1e-14 && reldiff(len, D, RD) <= 1e-14, "bias_act %d n %ld s %ld: %g %g", act, n, s, reldiff(len, C, R), reldiff(len, D, RD));
        }
      ck_assert_int_eq(ops->bias_act(ODYN_PW_PERONAMALIK + 1, n, s, b, C, D), ODYN_BACKEND_ERR_ARG);

      /* out += alpha D .* T, T = D .* T, A += b e^T, y += alpha x, y = alpha x + beta y: each against its loop */
      memcpy(C, B, len * sizeof(double));
      ck_assert_int_eq(ops->scaled_hadamard_add(len, -1.5, A, B, C), 0);
      for (long k = 0; k < len; k++) R[k] = B[k] + -1.5 * A[k] * B[k];
      ck_assert(reldiff(len, C, R) <= 1e-15);
      ck_assert_int_eq(ops->hadamard_inplace(len, A, C), 0);
      for (long k = 0; k < len; k++) R[k] *= A[k];
      ck_assert(reldiff(len, C, R) <= 1e-15);
      ck_assert_int_eq(ops->add_bias(n, s, b, C), 0);
      for (long k = 0; k < len; k++) R[k] += b[k % n];
      ck_assert(reldiff(len, C, R) <= 1e-15);
      ck_assert_int_eq(ops->axpy(len, 0.25, A, C), 0);
      for (long k = 0; k < len; k++) R[k] += 0.25 * A[k];
      ck_assert(reldiff(len, C, R) <= 1e-15);
      ck_assert_int_eq(ops->axpby(len, 2.0, B, -0.5, C), 0);
      for (long k = 0; k < len; k++) R[k] = 2.0 * B[k] - 0.5 * R[k];
      ck_assert(reldiff(len, C, R) <= 1e-15);
      ck_assert_int_eq(ops->axpy(-1, 1.0, A, C), ODYN_BACKEND_ERR_SIZE);

      /* reductions: the loop here sums in the same order, so any reordering would show up only as round-off */
      g  = rnd(17, n);
      rg = rnd(17, n);
      ck_assert_int_eq(ops->rowsum_add(n, s, 0.5, A, g), 0);
      for (long i = 0; i < n; i++) {
        double acc = 0.0, mag = fabs(rg[i]);

        for (long e = 0; e < s; e++) acc += A[e * n + i], mag += 0.5 * fabs(A[e * n + i]);
        rg[i] += 0.5 * acc;
        ck_assert_msg(fabs(g[i] - rg[i]) <= (s + 2) * DBL_EPSILON * mag, "rowsum_add row %ld: %g vs %g", i, g[i], rg[i]);
      }
      ck_assert_int_eq(ops->sum(len, A, &v), 0);
      ref = 0.0;
      for (long k = 0; k < len; k++) ref += A[k];
      ck_assert_msg(v == ref, "sum %.17g vs %.17g", v, ref);
      ck_assert_int_eq(ops->dot(len, A, B, &v), 0);
      ref = 0.0;
      for (long k = 0; k < len; k++) ref += A[k] * B[k];
      {
        double mag = 0.0;

        for (long k = 0; k < len; k++) mag += fabs(A[k] * B[k]);
        ck_assert_msg(fabs(v - ref) <= len * DBL_EPSILON * mag, "dot %.17g vs %.17g", v, ref);
      }
      PetscFree(A);
      PetscFree(B);
      PetscFree(C);
      PetscFree(b);
      PetscFree(R);
      PetscFree(RD);
      PetscFree(D);
      PetscFree(g);
      PetscFree(rg);
    }
}
END_TEST

/*
  Both host tables are complete (every member set: a missing operation would crash the block that calls it), and the
  walk finds a member that is not: a copy of the host table with one operation cleared reports that member. (The
  cuda table is checked by OdynBackendGet() when it loads libodyn_cuda.so: test_gpu_backend.)
*/
START_TEST(test_tables_complete)
{
  OdynBackendOps copy = *odyn_backend_host();
  int            count;

  ck_assert_int_eq(odyn_backend_ops_first_missing(odyn_backend_host(), &count), -1);
  ck_assert_int_eq(odyn_backend_ops_first_missing(odyn_backend_hostref(), NULL), -1);
  ck_assert_int_ge(count, 60); /* the name and the operations, all pointers (62 today) */
  copy.dense_parabolic_adjoint = NULL;
  ck_assert_int_eq(odyn_backend_ops_first_missing(&copy, NULL), (int)((offsetof(OdynBackendOps, dense_parabolic_adjoint)) / sizeof(void (*)(void))));
  copy = *odyn_backend_host();
  copy.name = NULL;
  ck_assert_int_eq(odyn_backend_ops_first_missing(&copy, NULL), 0);
}
END_TEST

START_TEST(test_host_memory)
{
  const OdynBackendOps *ops = odyn_backend_host();
  double               *x = rnd(20, 1031), *y = rnd(21, 1031);
  void                 *d1, *d2;

  ck_assert_int_eq(ops->init(1), 0); /* nothing to choose on the host, but the calls are part of the contract */
  ck_assert_int_eq(ops->finalize(), 0);
  ck_assert_int_eq(ops->mem_alloc(0, &d1), 0);
  ck_assert_ptr_null(d1);
  ck_assert_int_eq(ops->mem_free(NULL), 0);
  ck_assert_int_eq(ops->mem_alloc(1031 * sizeof(double), &d1), 0);
  ck_assert_int_eq(ops->mem_alloc(1031 * sizeof(double), &d2), 0);
  ck_assert_int_eq(ops->copy_to_device(d1, x, 1031 * sizeof(double)), 0);
  ck_assert_int_eq(ops->copy_device(d2, d1, 1031 * sizeof(double)), 0);
  ck_assert_int_eq(ops->copy_to_host(y, d2, 1031 * sizeof(double)), 0);
  ck_assert_int_eq(ops->synchronize(), 0);
  ck_assert(!memcmp(x, y, 1031 * sizeof(double)));
  ck_assert_int_eq(ops->mem_set(d1, 0, 1031 * sizeof(double)), 0);
  ck_assert_int_eq(ops->copy_to_host(y, d1, 1031 * sizeof(double)), 0);
  for (long k = 0; k < 1031; k++) ck_assert(y[k] == 0.0);
  ck_assert_int_eq(ops->mem_free(d1), 0);
  ck_assert_int_eq(ops->mem_free(d2), 0);
  ODYN_CK(OdynBackendMalloc(ops, 16, &d1));
  ck_assert_ptr_nonnull(d1);
  ODYN_CK(OdynBackendFree(ops, &d1));
  ck_assert_ptr_null(d1);
  { /* the accounting of OdynBackendGetMemoryUse(): current and peak bytes, the peak reset, 0 bytes not counted */
    PetscLogDouble c0, c, p;

    ODYN_CK(OdynBackendGetMemoryUse(ops, &c0, NULL));
    ODYN_CK(OdynBackendResetMemoryPeak(ops));
    ODYN_CK(OdynBackendMalloc(ops, 1000, &d1));
    ODYN_CK(OdynBackendMalloc(ops, 24, &d2));
    ODYN_CK(OdynBackendGetMemoryUse(ops, &c, &p));
    ck_assert_msg(c == c0 + 1024 && p == c0 + 1024, "after 1000 + 24 bytes: current %g, peak %g (before %g)", c, p, c0);
    ODYN_CK(OdynBackendFree(ops, &d1));
    ODYN_CK(OdynBackendGetMemoryUse(ops, &c, &p));
    ck_assert_msg(c == c0 + 24 && p == c0 + 1024, "after freeing 1000 bytes: current %g, peak %g (before %g)", c, p, c0);
    ODYN_CK(OdynBackendResetMemoryPeak(ops));
    ODYN_CK(OdynBackendMalloc(ops, 0, &d1));
    ODYN_CK(OdynBackendFree(ops, &d2));
    ODYN_CK(OdynBackendGetMemoryUse(ops, &c, &p));
    ck_assert_msg(c == c0 && p == c0 + 24, "after freeing everything: current %g, peak %g (before %g)", c, p, c0);
  }
#if !defined(__SANITIZE_ADDRESS__) /* ASan aborts on a request this large instead of returning NULL */
  {
    PetscErrorCode ierr;

    /* more than the address space: malloc returns NULL, which must become PETSC_ERR_MEM naming the bytes */
    OdynTestCaptureErrorsBegin();
    ierr = OdynBackendMalloc(ops, (size_t)1 << 62, &d1);
    OdynTestCaptureErrorsEnd();
    ck_assert_int_eq(ierr, PETSC_ERR_MEM);
    ck_assert_msg(strstr(OdynTestLastErrorMessage(), "could not allocate 4611686018427387904 bytes"), "message: %s", OdynTestLastErrorMessage());
    ck_assert_ptr_null(d1);
  }
#endif
  PetscFree(x);
  PetscFree(y);
}
END_TEST

/* valid targets of loss function fn for s examples of nc classes: one-hot (softmax), {0, 1} (logistic), reals (lsq) */
static double *LossTargets(int fn, long nc, long s)
{
  double *C = rnd(40 + fn, nc * s);

  for (long e = 0; e < s; e++)
    for (long k = 0; k < nc; k++) {
      double *c = &C[e * nc + k];

      if (fn == ODYN_LOSSFN_SOFTMAX) *c = k == (e * 7) % nc ? 1.0 : 0.0;
      else if (fn == ODYN_LOSSFN_LOGISTIC) *c = (e + 3 * k) % 2;
    }
  return C;
}

static double LossValue(const OdynBackendOps *ops, int fn, long nc, long s, const double *Z, const double *C, double *G)
{
  double v;

  ck_assert_int_eq(ops->loss_value(fn, nc, s, 0.25, Z, C, G, &v), 0);
  return v;
}

/*
  The host table's loss functions (loss_value, loss_hessmult; the per-example functions of lossfn.h that the loss types
  and the cuda table share) on their own: G = scale dS/dZ against central differences of the value, H_Z E against
  central differences of G (Taylor: O(t^2), t = 1e-4, so 1e-7 relative), the Hessian's symmetry <H E1, E2> =
  <E1, H E2> (1e-13), then the statuses of bad arguments.
*/
START_TEST(test_host_loss)
{
  const OdynBackendOps *ops    = odyn_backend_host();
  const int             fns[]  = {ODYN_LOSSFN_SOFTMAX, ODYN_LOSSFN_LOGISTIC, ODYN_LOSSFN_LSQ};
  const long            ncs[]  = {1, 3, 10}, s = 7;
  const double          t      = 1e-4, scale = 0.25;
  double                v;

  for (int f = 0; f < 3; f++)
    for (int i = 0; i < 3; i++) {
      const int  fn = fns[f];
      const long nc = ncs[i], len = nc * s;
      double    *Z = rnd(30, len), *E1 = rnd(31, len), *E2 = rnd(32, len), *C = LossTargets(fn, nc, s), *G, *Gp, *Gm, *H1, *H2, *Zp;
      double     fd, dot = 0, h1e2 = 0, e1h2 = 0, err = 0, mag = 0;

      ck_assert(!PetscMalloc5(len, &G, len, &Gp, len, &Gm, len, &H1, len, &H2) && !PetscMalloc1(len, &Zp));
      for (long k = 0; k < len; k++) Z[k] *= 3; /* scores in [-3, 3] */
      (void)LossValue(ops, fn, nc, s, Z, C, G);
      for (long k = 0; k < len; k++) Zp[k] = Z[k] + t * E1[k];
      fd = LossValue(ops, fn, nc, s, Zp, C, Gp);
      for (long k = 0; k < len; k++) Zp[k] = Z[k] - t * E1[k];
      fd = scale * (fd - LossValue(ops, fn, nc, s, Zp, C, Gm)) / (2 * t);
      for (long k = 0; k < len; k++) dot += G[k] * E1[k];
      ck_assert_msg(fabs(fd - dot) <= 1e-7 * fmax(fabs(dot), 1e-3), "loss %d, nc %ld: <G, E> = %.15g, central difference %.15g", fn, nc, dot, fd);
      ck_assert_int_eq(ops->loss_hessmult(fn, nc, s, scale, Z, C, E1, H1), 0);
      ck_assert_int_eq(ops->loss_hessmult(fn, nc, s, scale, Z, C, E2, H2), 0);
      for (long k = 0; k < len; k++) {
        const double d = (Gp[k] - Gm[k]) / (2 * t); /* both scaled */

        err = fmax(err, fabs(d - H1[k]));
        mag = fmax(mag, fabs(H1[k]));
        h1e2 += H1[k] * E2[k];
        e1h2 += E1[k] * H2[k];
      }
      ck_assert_msg(err <= 1e-7 * fmax(mag, 1e-3), "loss %d, nc %ld: H E differs from the central difference of G by %g (max |H E| %g)", fn, nc, err, mag);
      ck_assert_msg(fabs(h1e2 - e1h2) <= 1e-13 * (fabs(h1e2) + 1e-3), "loss %d, nc %ld: <H E1, E2> = %.17g but <E1, H E2> = %.17g", fn, nc, h1e2, e1h2);
      PetscFree5(G, Gp, Gm, H1, H2);
      PetscFree(Zp);
      PetscFree(Z);
      PetscFree(E1);
      PetscFree(E2);
      PetscFree(C);
    }
  ck_assert_int_eq(ops->loss_value(0, 3, 2, 1.0, &v, &v, NULL, &v), ODYN_BACKEND_ERR_ARG);
  ck_assert_msg(strstr(ops->last_error(), "unknown loss function 0") != NULL, "message: %s", ops->last_error());
  ck_assert_int_eq(ops->loss_hessmult(ODYN_LOSSFN_LSQ, 0, 2, 1.0, &v, &v, &v, &v), ODYN_BACKEND_ERR_SIZE);
  ck_assert_int_eq(ops->loss_value(ODYN_LOSSFN_SOFTMAX, 3, 2, 1.0, NULL, &v, NULL, &v), ODYN_BACKEND_ERR_ARG);
  ck_assert_int_eq(ops->loss_value(ODYN_LOSSFN_SOFTMAX, 3, 0, 1.0, NULL, NULL, NULL, &v), 0);
  ck_assert(v == 0.0);
}
END_TEST

/* the activations of the dense sweeps' tests (loop tests over _i) */
static const int Acts[3] = {ODYN_PW_TANH, ODYN_PW_RELU, ODYN_PW_IDENTITY};

/* whether lin = sigma' matches sigma = t read back from the states (within tol): tanh 1 - t^2; identity 1; relu 1 where
   t > 0, 0 where t = 0 (read back, t is 0 up to tol there) */
static int LinMatches(int act, double lin, double t, double tol)
{
  if (act == ODYN_PW_TANH) return fabs(lin - (1.0 - t * t)) <= tol;
  if (act == ODYN_PW_RELU) return (lin == 1.0 && t > -tol) || (lin == 0.0 && fabs(t) <= tol);
  return lin == 1.0;
}

/*
  The host table's whole-block dense Euler tanh sweeps against the plain loops of src/backend/host/narrowref.c (the
  GPU tests' reference): states through N steps of tanh within 3 ulp of libm's (vtanh.h) and BLAS sums in another order,
  so 1e-13; the gradient is accumulated onto what gtheta held. Then the statuses of bad arguments.
*/
START_TEST(test_host_dense_euler)
{
  const OdynBackendOps *ops = odyn_backend_hostref();
  const int             act = Acts[_i];
  const long            shapes[3][3] = {{1, 1, 1}, {3, 5, 7}, {20, 3, 33}}; /* n, N, s */

  ck_assert_str_eq(ops->name, "hostref");
  for (int k = 0; k < 3; k++) {
    const long   n = shapes[k][0], N = shapes[k][1], s = shapes[k][2], np = N * (n * n + n), ns = n * s;
    const double h = 1.5 / N;
    const long   nl = ops->dense_euler_linsize(n, N, s);
    double      *th = rnd(1, np), *dth = rnd(2, np), *Y0 = rnd(3, ns), *dY0 = rnd(4, ns), *W = rnd(5, ns), *g = rnd(6, np), *gr = rnd(6, np);
    double      *traj, *tref, *lin, *o, *r;

    ck_assert_int_eq(nl, N * n * s);
    for (long i = 0; i < np; i++) th[i] /= sqrt((double)n);
    ck_assert(PetscMalloc4((N + 1) * ns, &traj, (N + 1) * ns, &tref, nl, &lin, ns, &o) == 0);
    ck_assert(PetscMalloc1(ns, &r) == 0);
    ck_assert_int_eq(ops->dense_euler_forward(act, n, N, s, h, th, Y0, traj, lin), 0);
    odyn_narrow_ref_forward(act, n, N, s, h, th, Y0, tref, 1);
    ck_assert_msg(reldiff((N + 1) * ns, traj, tref) <= 1e-13, "forward n %ld N %ld s %ld: %g", n, N, s, reldiff((N + 1) * ns, traj, tref));
    for (long i = 0; i < N * ns; i++) { /* lin holds sigma' of every step: (Y_{j+1} - Y_j) / h = sigma */
      const double t = (traj[i + ns] - traj[i]) / h;
      ck_assert_msg(LinMatches(act, lin[i], t, 1e-12), "lin[%ld] = %g, sigma = %g", i, lin[i], t);
    }
    ck_assert_int_eq(ops->dense_euler_tangent(act, n, N, s, h, th, dth, traj, lin, dY0, o), 0);
    odyn_narrow_ref_tangent(act, n, N, s, h, th, dth, Y0, dY0, r);
    ck_assert_msg(reldiff(ns, o, r) <= 1e-13, "tangent n %ld: %g", n, reldiff(ns, o, r));
    ck_assert_int_eq(ops->dense_euler_tangent(act, n, N, s, h, th, NULL, traj, lin, dY0, o), 0);
    odyn_narrow_ref_tangent(act, n, N, s, h, th, NULL, Y0, dY0, r);
    ck_assert_msg(reldiff(ns, o, r) <= 1e-13, "tangent in Y0 n %ld: %g", n, reldiff(ns, o, r));
    ck_assert_int_eq(ops->dense_euler_tangent(act, n, N, s, h, th, dth, traj, lin, NULL, o), 0);
    odyn_narrow_ref_tangent(act, n, N, s, h, th, dth, Y0, NULL, r);
    ck_assert_msg(reldiff(ns, o, r) <= 1e-13, "tangent in theta n %ld: %g", n, reldiff(ns, o, r));
    ck_assert_int_eq(ops->dense_euler_adjoint(act, n, N, s, h, th, traj, lin, W, g, o), 0);
    odyn_narrow_ref_adjoint(act, n, N, s, h, th, tref, W, gr, r);
    ck_assert_msg(reldiff(np, g, gr) <= 1e-13, "adjoint gtheta n %ld: %g", n, reldiff(np, g, gr));
    ck_assert_msg(reldiff(ns, o, r) <= 1e-13, "adjoint gY0 n %ld: %g", n, reldiff(ns, o, r));
    ck_assert_int_eq(ops->dense_euler_adjoint(act, n, N, s, h, th, traj, lin, W, NULL, r), 0); /* gY0 alone: the same */
    ck_assert_msg(reldiff(ns, r, o) == 0.0, "adjoint gY0 alone n %ld", n);
    PetscFree4(traj, tref, lin, o);
    PetscFree(r);
    PetscFree(th);
    PetscFree(dth);
    PetscFree(Y0);
    PetscFree(dY0);
    PetscFree(W);
    PetscFree(g);
    PetscFree(gr);
  }
  /* bad arguments: a status and a message, nothing written */
  ck_assert_int_eq(ops->dense_euler_forward(act, 0, 2, 3, 0.1, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
  ck_assert_msg(strstr(ops->last_error(), "dense_euler_forward: need n >= 1, N >= 0, s >= 0, got n = 0"), "message: %s", ops->last_error());
  ck_assert_int_eq(ops->dense_euler_tangent(act, 2, 2, -1, 0.1, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
  ck_assert_int_eq(ops->dense_euler_adjoint(act, 2, 2, 3, 0.1, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
  ck_assert_msg(strstr(ops->last_error(), "dense_euler_adjoint: theta and lin (dense_euler_linsize() = 12 values) must be arrays of the backend"), "message: %s", ops->last_error());
  ck_assert_int_eq(ops->dense_euler_forward(act, 2, 2, 0, 0.1, NULL, NULL, NULL, NULL), 0); /* no example: nothing to do */
  ck_assert_int_eq(ops->dense_euler_forward(ODYN_PW_CHARBONNIER, 2, 2, 3, 0.1, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
  ck_assert_msg(strstr(ops->last_error(), "dense_euler_forward: activation 3 is none of identity, tanh and relu"), "message: %s", ops->last_error());
}
END_TEST

/* the leapfrog forward as plain loops, one example at a time: Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 sigma(K_j Y_j + b_j) */
static void leapfrog_ref_forward(int act, long n, long N, long s, double h, const double *th, const double *Y0, double *traj)
{
  const long slot = n * n + n, ns = n * s;

  memcpy(traj, Y0, (size_t)ns * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = th + j * slot, *Y = traj + j * ns, *Yp = j ? Y - ns : Y;
    for (long e = 0; e < s; e++)
      for (long i = 0; i < n; i++) {
        double z = K[n * n + i];
        for (long c = 0; c < n; c++) z += K[i + c * n] * Y[e * n + c];
        traj[(j + 1) * ns + e * n + i] = 2.0 * Y[e * n + i] - Yp[e * n + i] + h * h * odyn_act(act, z);
      }
  }
}

/* the dot-product test of a whole-block sweep pair: <J v, W> = <v, J^T W> with v = (dth, dY0), the adjoint's gradient
   added to what g held (g0) */
static void ExpectDot(long ns, long np, const double *dYN, const double *W, const double *dth, const double *g, const double *g0, const double *dY0, const double *gY0, const char *what)
{
  double jvw = 0.0, vjtw = 0.0;

  for (long i = 0; i < ns; i++) jvw += dYN[i] * W[i];
  for (long i = 0; i < np; i++) vjtw += dth[i] * (g[i] - g0[i]);
  for (long i = 0; i < ns; i++) vjtw += dY0[i] * gY0[i];
  ck_assert_msg(fabs(jvw - vjtw) <= 1e-12 * fmax(1.0, fabs(jvw)), "dot product %s: <Jv, W> = %.16g, <v, J^T W> = %.16g", what, jvw, vjtw);
}

/* the random inputs of a sweep test (rnd()'s PetscMalloc'd arrays) */
static void FreeInputs(double *th, double *dth, double *Y0, double *dY0, double *W, double *g0)
{
  PetscFree(th);
  PetscFree(dth);
  PetscFree(Y0);
  PetscFree(dY0);
  PetscFree(W);
  PetscFree(g0);
}

/* the parabolic forward as plain loops, one example at a time: Y_{j+1} = Y_j - h K_j^T sigma(K_j Y_j + b_j), K_j m x n */
static void parabolic_ref_forward(int act, long n, long m, long N, long s, double h, const double *th, const double *Y0, double *traj)
{
  const long slot = m * n + m, ns = n * s;
  double     t[64];

  memcpy(traj, Y0, (size_t)ns * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = th + j * slot, *Y = traj + j * ns;
    for (long e = 0; e < s; e++) {
      for (long r = 0; r < m; r++) {
        double z = K[m * n + r];
        for (long i = 0; i < n; i++) z += K[r + i * m] * Y[e * n + i];
        t[r] = odyn_act(act, z);
      }
      for (long i = 0; i < n; i++) {
        double f = 0.0;
        for (long r = 0; r < m; r++) f += K[r + i * m] * t[r];
        traj[(j + 1) * ns + e * n + i] = Y[e * n + i] - h * f;
      }
    }
  }
}

/*
  The host table's whole-block parabolic tanh sweeps (forward Euler with the symmetric layer): the forward against the
  plain loops above (1e-13, as the leapfrog's); lin's sigma and sigma' consistent (D = 1 - S^2); the tangent by a
  Taylor test of the forward and the adjoint by the dot product, in (theta, Y0) together, the gradient added to what
  gtheta held, gY0 alone the same; then the statuses of bad arguments. (test_netbackend's test_parity_parabolic compares
  these sweeps with the host path bit for bit.)
*/
START_TEST(test_host_dense_parabolic)
{
  const OdynBackendOps *ops = odyn_backend_hostref();
  const int             act = Acts[_i];
  const long            shapes[3][4] = {{1, 1, 1, 1}, {2, 5, 4, 7}, {20, 12, 3, 33}}; /* n, m, N, s */

  for (int k = 0; k < 3; k++) {
    const long   n = shapes[k][0], m = shapes[k][1], N = shapes[k][2], s = shapes[k][3], np = N * (m * n + m), ns = n * s;
    const double h = 1.0 / N;
    const long   nl = ops->dense_parabolic_linsize(n, m, N, s);
    double      *th = rnd(61, np), *dth = rnd(62, np), *Y0 = rnd(63, ns), *dY0 = rnd(64, ns), *W = rnd(65, ns), *g0 = rnd(66, np);
    double      *traj, *tref, *lin, *dYN, *g, *gY0, *gY0b, *thp, *Y0p, *tp, *linp;
    double       e1 = 0.0, e2 = 0.0;
    char         what[64];

    ck_assert_int_eq(nl, 2 * N * m * s);
    for (long i = 0; i < np; i++) th[i] /= sqrt((double)(n > m ? n : m));
    ck_assert(PetscMalloc6((N + 1) * ns, &traj, (N + 1) * ns, &tref, nl, &lin, ns, &dYN, np, &g, ns, &gY0) == 0);
    ck_assert(PetscMalloc5(ns, &gY0b, np, &thp, ns, &Y0p, (N + 1) * ns, &tp, nl, &linp) == 0);
    ck_assert_int_eq(ops->dense_parabolic_forward(act, n, m, N, s, h, th, Y0, traj, lin), 0);
    parabolic_ref_forward(act, n, m, N, s, h, th, Y0, tref);
    ck_assert_msg(reldiff((N + 1) * ns, traj, tref) <= 1e-13, "forward n %ld m %ld N %ld s %ld: %g", n, m, N, s, reldiff((N + 1) * ns, traj, tref));
    for (long i = 0; i < N * m * s; i++) { /* lin = [S_j | D_j] per step, D = 1 - S^2 */
      const double S = lin[(i / (m * s)) * 2 * m * s + i % (m * s)], D = lin[(i / (m * s)) * 2 * m * s + m * s + i % (m * s)];
      ck_assert_msg(LinMatches(act, D, S, 1e-15) && (act != ODYN_PW_TANH || fabs(S) < 1.0), "lin at %ld: S = %g, D = %g", i, S, D);
    }
    /* Taylor: |Y_N(p + t v) - Y_N(p) - t J v| falls by 4 when t halves */
    ck_assert_int_eq(ops->dense_parabolic_tangent(act, n, m, N, s, h, th, dth, traj, lin, dY0, dYN), 0);
    for (int q = 0; q < 2; q++) {
      const double t = q ? 5e-4 : 1e-3;
      double       e = 0.0;

      for (long i = 0; i < np; i++) thp[i] = th[i] + t * dth[i];
      for (long i = 0; i < ns; i++) Y0p[i] = Y0[i] + t * dY0[i];
      ck_assert_int_eq(ops->dense_parabolic_forward(act, n, m, N, s, h, thp, Y0p, tp, linp), 0);
      for (long i = 0; i < ns; i++) e = fmax(e, fabs(tp[N * ns + i] - traj[N * ns + i] - t * dYN[i]));
      if (q) e2 = e;
      else e1 = e;
    }
    ck_assert_msg(act == ODYN_PW_RELU || e2 < 0.3 * e1 || e1 < 1e-13, "Taylor n %ld m %ld N %ld: remainders %g, %g do not fall like t^2", n, m, N, e1, e2);
    memcpy(g, g0, (size_t)np * sizeof(double));
    ck_assert_int_eq(ops->dense_parabolic_adjoint(act, n, m, N, s, h, th, traj, lin, W, g, gY0), 0);
    snprintf(what, sizeof(what), "parabolic n %ld m %ld N %ld", n, m, N);
    ExpectDot(ns, np, dYN, W, dth, g, g0, dY0, gY0, what);
    ck_assert_int_eq(ops->dense_parabolic_adjoint(act, n, m, N, s, h, th, traj, lin, W, NULL, gY0b), 0); /* gY0 alone: the same */
    ck_assert_msg(reldiff(ns, gY0b, gY0) == 0.0, "adjoint gY0 alone n %ld", n);
    ck_assert_int_eq(ops->dense_parabolic_tangent(act, n, m, N, s, h, th, NULL, traj, lin, NULL, dYN), 0); /* no direction: zero */
    for (long i = 0; i < ns; i++) ck_assert(dYN[i] == 0.0);
    PetscFree6(traj, tref, lin, dYN, g, gY0);
    PetscFree5(gY0b, thp, Y0p, tp, linp);
    FreeInputs(th, dth, Y0, dY0, W, g0);
  }
  ck_assert_int_eq(ops->dense_parabolic_forward(act, 2, 0, 2, 3, 0.1, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
  ck_assert_msg(strstr(ops->last_error(), "dense_parabolic_forward: need n >= 1, m >= 1, N >= 0, s >= 0, got n = 2, m = 0"), "message: %s", ops->last_error());
  ck_assert_int_eq(ops->dense_parabolic_adjoint(act, 2, 3, 2, 3, 0.1, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
  ck_assert_msg(strstr(ops->last_error(), "dense_parabolic_adjoint: theta and lin (dense_parabolic_linsize() = 36 values) must be arrays of the backend"), "message: %s", ops->last_error());
  ck_assert_int_eq(ops->dense_parabolic_tangent(act, 2, 3, 2, 0, 0.1, NULL, NULL, NULL, NULL, NULL, NULL), 0); /* no example: nothing to do */
  ck_assert_int_eq(ops->dense_parabolic_adjoint(ODYN_PW_RELU + 1, 2, 3, 2, 3, 0.1, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
}
END_TEST

/*
  The host table's whole-block leapfrog tanh sweeps: the forward against the plain loops above (1e-13: tanh of vtanh.h
  within 3 ulp of libm's, BLAS sums in another order); lin = sigma' read back from the states; the tangent by a Taylor
  test of the forward (the remainder falls like t^2) and the adjoint by the dot product <J v, W> = <v, J^T W> (1e-12,
  round-off of sums of a few hundred terms), both in (theta, Y0) together; the gradient accumulated onto what gtheta
  held and gY0 alone the same; the reversible sweeps against these; then the statuses of bad arguments. (The network tests compare these sweeps with the
  host path's leapfrog scheme: tests/test_netbackend.c, test_parity_leapfrog.)
*/
START_TEST(test_host_dense_leapfrog)
{
  const OdynBackendOps *ops = odyn_backend_hostref();
  const int             act = Acts[_i];
  const long            shapes[3][3] = {{1, 1, 1}, {2, 4, 7}, {20, 3, 33}}; /* n, N, s */

  for (int k = 0; k < 3; k++) {
    const long   n = shapes[k][0], N = shapes[k][1], s = shapes[k][2], np = N * (n * n + n), ns = n * s;
    const double h = 2.0 / N;
    const long   nl = ops->dense_leapfrog_linsize(n, N, s);
    double      *th = rnd(21, np), *dth = rnd(22, np), *Y0 = rnd(23, ns), *dY0 = rnd(24, ns), *W = rnd(25, ns), *g0 = rnd(26, np);
    double      *traj, *tref, *lin, *dYN, *g, *gY0, *gY0b, *thp, *Y0p, *tp, *linp;
    double       e1 = 0.0, e2 = 0.0;
    char         what[64];

    ck_assert_int_eq(nl, N * n * s);
    for (long i = 0; i < np; i++) th[i] /= sqrt((double)n);
    ck_assert(PetscMalloc6((N + 1) * ns, &traj, (N + 1) * ns, &tref, nl, &lin, ns, &dYN, np, &g, ns, &gY0) == 0);
    ck_assert(PetscMalloc5(ns, &gY0b, np, &thp, ns, &Y0p, (N + 1) * ns, &tp, nl, &linp) == 0);
    ck_assert_int_eq(ops->dense_leapfrog_forward(act, n, N, s, h, th, Y0, traj, lin), 0);
    leapfrog_ref_forward(act, n, N, s, h, th, Y0, tref);
    ck_assert_msg(reldiff((N + 1) * ns, traj, tref) <= 1e-13, "forward n %ld N %ld s %ld: %g", n, N, s, reldiff((N + 1) * ns, traj, tref));
    for (long j = 0; j < N; j++) /* sigma' read back from sigma = (Y_{j+1} - 2 Y_j + Y_{j-1}) / h^2 */
      for (long i = 0; i < ns; i++) {
        const double *Y = traj + j * ns, *Yp = j ? Y - ns : Y, t = (Y[ns + i] - 2.0 * Y[i] + Yp[i]) / (h * h);
        ck_assert_msg(LinMatches(act, lin[j * ns + i], t, 1e-10), "lin[%ld] = %g, sigma = %g", j * ns + i, lin[j * ns + i], t);
      }
    /* Taylor: |Y_N(p + t v) - Y_N(p) - t J v| falls by 4 when t halves */
    ck_assert_int_eq(ops->dense_leapfrog_tangent(act, n, N, s, h, th, dth, traj, lin, dY0, dYN), 0);
    for (int q = 0; q < 2; q++) {
      const double t = q ? 5e-4 : 1e-3;
      double       e = 0.0;

      for (long i = 0; i < np; i++) thp[i] = th[i] + t * dth[i];
      for (long i = 0; i < ns; i++) Y0p[i] = Y0[i] + t * dY0[i];
      ck_assert_int_eq(ops->dense_leapfrog_forward(act, n, N, s, h, thp, Y0p, tp, linp), 0);
      for (long i = 0; i < ns; i++) e = fmax(e, fabs(tp[N * ns + i] - traj[N * ns + i] - t * dYN[i]));
      if (q) e2 = e;
      else e1 = e;
    }
    ck_assert_msg(act == ODYN_PW_RELU || e2 < 0.3 * e1 || e1 < 1e-13, "Taylor n %ld N %ld: remainders %g, %g do not fall like t^2", n, N, e1, e2);
    /* dot product, with the gradient added to what g held */
    memcpy(g, g0, (size_t)np * sizeof(double));
    ck_assert_int_eq(ops->dense_leapfrog_adjoint(act, n, N, s, h, th, traj, lin, W, g, gY0), 0);
    snprintf(what, sizeof(what), "leapfrog n %ld N %ld", n, N);
    ExpectDot(ns, np, dYN, W, dth, g, g0, dY0, gY0, what);
    ck_assert_int_eq(ops->dense_leapfrog_adjoint(act, n, N, s, h, th, traj, lin, W, NULL, gY0b), 0); /* gY0 alone: the same */
    ck_assert_msg(reldiff(ns, gY0b, gY0) == 0.0, "adjoint gY0 alone n %ld", n);
    { /* the reversible sweeps: the last two states and the tangent bit for bit (the same steps), the adjoint from
         states rebuilt backwards within 1e-12 */
      double *YN, *YNm1, *dr, *grv;

      ck_assert(PetscMalloc4(ns, &YN, ns, &YNm1, ns, &dr, np, &grv) == 0);
      ck_assert_int_eq(ops->dense_leapfrog_forward_final(act, n, N, s, h, th, Y0, YN, YNm1), 0);
      ck_assert_msg(reldiff(ns, YN, traj + N * ns) == 0.0 && reldiff(ns, YNm1, traj + (N - 1) * ns) == 0.0, "forward_final n %ld N %ld", n, N);
      ck_assert_int_eq(ops->dense_leapfrog_tangent_y0(act, n, N, s, h, th, dth, Y0, dY0, dr), 0);
      ck_assert_int_eq(ops->dense_leapfrog_tangent(act, n, N, s, h, th, dth, traj, lin, dY0, dYN), 0);
      ck_assert_msg(reldiff(ns, dr, dYN) == 0.0, "tangent_y0 n %ld N %ld: %g", n, N, reldiff(ns, dr, dYN));
      memcpy(grv, g0, (size_t)np * sizeof(double));
      ck_assert_int_eq(ops->dense_leapfrog_adjoint_reversible(act, n, N, s, h, th, YN, YNm1, W, grv, dr), 0);
      ck_assert_msg(reldiff(np, grv, g) <= 1e-12 && reldiff(ns, dr, gY0) <= 1e-12, "adjoint_reversible n %ld N %ld: %g, %g", n, N, reldiff(np, grv, g), reldiff(ns, dr, gY0));
      PetscFree4(YN, YNm1, dr, grv);
    }
    ck_assert_int_eq(ops->dense_leapfrog_tangent(act, n, N, s, h, th, NULL, traj, lin, NULL, dYN), 0); /* no direction: zero */
    for (long i = 0; i < ns; i++) ck_assert(dYN[i] == 0.0);
    PetscFree6(traj, tref, lin, dYN, g, gY0);
    PetscFree5(gY0b, thp, Y0p, tp, linp);
    FreeInputs(th, dth, Y0, dY0, W, g0);
  }
  ck_assert_int_eq(ops->dense_leapfrog_forward(act, 0, 2, 3, 0.1, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
  ck_assert_msg(strstr(ops->last_error(), "dense_leapfrog_forward: need n >= 1, N >= 0, s >= 0, got n = 0"), "message: %s", ops->last_error());
  ck_assert_int_eq(ops->dense_leapfrog_adjoint(act, 2, 2, 3, 0.1, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
  ck_assert_msg(strstr(ops->last_error(), "dense_leapfrog_adjoint: theta and lin (dense_leapfrog_linsize() = 12 values) must be arrays of the backend"), "message: %s", ops->last_error());
  ck_assert_int_eq(ops->dense_leapfrog_tangent(act, 2, 2, 0, 0.1, NULL, NULL, NULL, NULL, NULL, NULL), 0); /* no example: nothing to do */
  ck_assert_int_eq(ops->dense_leapfrog_adjoint_reversible(act, 2, 2, 3, 0.1, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
  ck_assert_msg(strstr(ops->last_error(), "dense_leapfrog_adjoint_reversible: theta, the states and the output must be arrays of the backend"), "message: %s", ops->last_error());
  ck_assert_int_eq(ops->dense_leapfrog_forward_final(act, 2, -1, 3, 0.1, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
  ck_assert_int_eq(ops->dense_leapfrog_tangent_y0(7, 2, 2, 3, 0.1, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
}
END_TEST

/*
  The host table's whole-block Verlet tanh sweeps against the plain loops of src/backend/host/verletref.c (also the GPU
  tests' reference): the same 1e-13 and its reasons as for Euler (tanh of vtanh.h within 3 ulp of libm's, BLAS sums in
  another order, non-expanding steps with h ||K|| < 1 here); lin holds sigma' of both faces, checked against the
  states; the gradient is accumulated onto what gtheta held. Then the statuses of bad arguments.
*/
START_TEST(test_host_dense_verlet)
{
  const OdynBackendOps *ops = odyn_backend_hostref();
  const int             act = Acts[_i];
  const long            shapes[4][4] = {{1, 1, 1, 1}, {2, 2, 4, 7}, {2, 4, 5, 33}, {20, 12, 3, 17}}; /* n, m, N, s */

  for (int k = 0; k < 4; k++) {
    const long   n = shapes[k][0], m = shapes[k][1], N = shapes[k][2], s = shapes[k][3], np = N * (n * m + n + m), ns = n * s, ms = m * s;
    const double h = 1.5 / N;
    const long   nl = ops->dense_verlet_linsize(n, m, N, s);
    double      *th = rnd(11, np), *dth = rnd(12, np), *Y0 = rnd(13, ns), *dY0 = rnd(14, ns), *W = rnd(15, ns), *g = rnd(16, np), *gr = rnd(16, np);
    double      *yt, *zt, *yr, *zr, *lin, *o, *r;

    ck_assert_int_eq(nl, N * (n + m) * s);
    for (long i = 0; i < np; i++) th[i] /= sqrt((double)(n > m ? n : m));
    ck_assert(PetscMalloc5((N + 1) * ns, &yt, (N + 1) * ms, &zt, (N + 1) * ns, &yr, (N + 1) * ms, &zr, nl, &lin) == 0);
    ck_assert(PetscMalloc2(ns, &o, ns, &r) == 0);
    ck_assert_int_eq(ops->dense_verlet_forward(act, n, m, N, s, h, th, Y0, yt, zt, lin), 0);
    ck_assert_int_eq(odyn_verlet_ref_forward(act, n, m, N, s, h, th, Y0, yr, zr), 0);
    ck_assert_msg(reldiff((N + 1) * ns, yt, yr) <= 1e-13, "forward Y n %ld m %ld N %ld s %ld: %g", n, m, N, s, reldiff((N + 1) * ns, yt, yr));
    ck_assert_msg(reldiff((N + 1) * ms, zt, zr) <= 1e-13, "forward Z n %ld m %ld N %ld s %ld: %g", n, m, N, s, reldiff((N + 1) * ms, zt, zr));
    for (long i = 0; i < ms; i++) ck_assert_msg(zt[i] == 0.0, "Z_{-1/2} must be 0");
    for (long j = 0; j < N; j++) { /* lin: sigma' of face G (m s) then face F (n s) of every step */
      const double *DG = lin + j * (ms + ns), *DF = DG + ms;
      for (long i = 0; i < ms; i++) {
        const double t = (zt[j * ms + i] - zt[(j + 1) * ms + i]) / h;
        ck_assert_msg(LinMatches(act, DG[i], t, 1e-12), "DG step %ld [%ld] = %g, sigma = %g", j, i, DG[i], t);
      }
      for (long i = 0; i < ns; i++) {
        const double t = (yt[(j + 1) * ns + i] - yt[j * ns + i]) / h;
        ck_assert_msg(LinMatches(act, DF[i], t, 1e-12), "DF step %ld [%ld] = %g, sigma = %g", j, i, DF[i], t);
      }
    }
    ck_assert_int_eq(ops->dense_verlet_tangent(act, n, m, N, s, h, th, dth, yt, zt, lin, dY0, o), 0);
    ck_assert_int_eq(odyn_verlet_ref_tangent(act, n, m, N, s, h, th, dth, Y0, dY0, r), 0);
    ck_assert_msg(reldiff(ns, o, r) <= 1e-13, "tangent n %ld m %ld: %g", n, m, reldiff(ns, o, r));
    ck_assert_int_eq(ops->dense_verlet_tangent(act, n, m, N, s, h, th, NULL, yt, zt, lin, dY0, o), 0);
    ck_assert_int_eq(odyn_verlet_ref_tangent(act, n, m, N, s, h, th, NULL, Y0, dY0, r), 0);
    ck_assert_msg(reldiff(ns, o, r) <= 1e-13, "tangent in Y0 n %ld m %ld: %g", n, m, reldiff(ns, o, r));
    ck_assert_int_eq(ops->dense_verlet_tangent(act, n, m, N, s, h, th, dth, yt, zt, lin, NULL, o), 0);
    ck_assert_int_eq(odyn_verlet_ref_tangent(act, n, m, N, s, h, th, dth, Y0, NULL, r), 0);
    ck_assert_msg(reldiff(ns, o, r) <= 1e-13, "tangent in theta n %ld m %ld: %g", n, m, reldiff(ns, o, r));
    ck_assert_int_eq(ops->dense_verlet_adjoint(act, n, m, N, s, h, th, yt, zt, lin, W, g, o), 0);
    ck_assert_int_eq(odyn_verlet_ref_adjoint(act, n, m, N, s, h, th, yr, zr, W, gr, r), 0);
    ck_assert_msg(reldiff(np, g, gr) <= 1e-13, "adjoint gtheta n %ld m %ld: %g", n, m, reldiff(np, g, gr));
    ck_assert_msg(reldiff(ns, o, r) <= 1e-13, "adjoint gY0 n %ld m %ld: %g", n, m, reldiff(ns, o, r));
    ck_assert_int_eq(ops->dense_verlet_adjoint(act, n, m, N, s, h, th, yt, zt, lin, W, NULL, r), 0); /* gY0 alone: the same */
    ck_assert_msg(reldiff(ns, r, o) == 0.0, "adjoint gY0 alone n %ld m %ld", n, m);
    { /* the reversible references (memory flat in N): the forward's last states bit for bit, and the adjoint that
         rebuilds the states backwards against the stored one (round-off of the walk: measured <= 6e-16) */
      double *yN, *zN, *gv, *gs, *y0r;
      ck_assert(PetscMalloc3(ns, &yN, ms, &zN, ns, &y0r) == 0);
      ck_assert(PetscCalloc2(np, &gv, np, &gs) == 0);
      ck_assert_int_eq(odyn_verlet_ref_forward_final(act, n, m, N, s, h, th, Y0, yN, zN), 0);
      ck_assert_msg(reldiff(ns, yN, yr + N * ns) == 0.0 && reldiff(ms, zN, zr + N * ms) == 0.0, "forward_final n %ld m %ld", n, m);
      ck_assert_int_eq(odyn_verlet_ref_adjoint(act, n, m, N, s, h, th, yr, zr, W, gs, r), 0);
      ck_assert_int_eq(odyn_verlet_ref_adjoint_reversible(act, n, m, N, s, h, th, yN, zN, W, gv, o, y0r), 0);
      ck_assert_msg(reldiff(np, gv, gs) <= 1e-13, "reversible gtheta n %ld m %ld: %g", n, m, reldiff(np, gv, gs));
      ck_assert_msg(reldiff(ns, o, r) <= 1e-13, "reversible gY0 n %ld m %ld: %g", n, m, reldiff(ns, o, r));
      ck_assert_msg(reldiff(ns, y0r, Y0) <= 1e-13, "reversible rebuilt Y0 n %ld m %ld: %g", n, m, reldiff(ns, y0r, Y0));
      PetscFree3(yN, zN, y0r);
      PetscFree2(gv, gs);
    }
    PetscFree5(yt, zt, yr, zr, lin);
    PetscFree2(o, r);
    PetscFree(th);
    PetscFree(dth);
    PetscFree(Y0);
    PetscFree(dY0);
    PetscFree(W);
    PetscFree(g);
    PetscFree(gr);
  }
  /* bad arguments: a status and a message, nothing written */
  ck_assert_int_eq(ops->dense_verlet_forward(act, 2, 0, 2, 3, 0.1, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
  ck_assert_msg(strstr(ops->last_error(), "dense_verlet_forward: need n >= 1, m >= 1, N >= 0, s >= 0, got n = 2, m = 0"), "message: %s", ops->last_error());
  ck_assert_int_eq(ops->dense_verlet_tangent(act, 2, 2, 2, -1, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
  ck_assert_int_eq(ops->dense_verlet_adjoint(act, 2, 3, 2, 3, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
  ck_assert_msg(strstr(ops->last_error(), "dense_verlet_adjoint: theta and lin (dense_verlet_linsize() = 30 values) must be arrays of the backend"), "message: %s", ops->last_error());
  {
    double th[8] = {0}, lin[8] = {0}, y[4] = {0};
    ck_assert_int_eq(ops->dense_verlet_forward(act, 2, 2, 1, 1, 0.1, th, y, y, NULL, lin), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "dense_verlet_forward: Y0, Ytraj and Ztraj must be arrays of the backend"), "message: %s", ops->last_error());
  }
  ck_assert_int_eq(ops->dense_verlet_forward(act, 2, 2, 2, 0, 0.1, NULL, NULL, NULL, NULL, NULL), 0); /* no example: nothing to do */
  ck_assert_int_eq(ops->dense_verlet_adjoint_reversible(-1, 2, 2, 2, 3, 0.1, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
  ck_assert_msg(strstr(ops->last_error(), "dense_verlet_adjoint_reversible: activation -1 is none of"), "message: %s", ops->last_error());
  ck_assert_int_eq(odyn_verlet_ref_forward(ODYN_PW_PERONAMALIK, 2, 2, 1, 1, 0.1, NULL, NULL, NULL, NULL), ODYN_CUDA_ERR_ARG);
  ck_assert_int_eq(ops->dense_verlet_forward(act, 2, 2, (long)1 << 62, 3, 0.1, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
}
END_TEST

START_TEST(test_backend_options)
{
  const OdynBackendOps *ops = NULL;
  PetscBool             built;
  OdynNet               net;
  PetscErrorCode        ierr = 0;

  ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, ODYNBACKENDHOST, &ops));
  ck_assert_str_eq(ops->name, "host");
  odyn_ck_error_contains(OdynBackendGet(PETSC_COMM_WORLD, "opencl", &ops), "Unknown compute backend \"opencl\" (-odyn_backend): the known backends are host, hostref, cuda");
  ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, ODYNBACKENDHOSTREF, &ops));
  ck_assert_str_eq(ops->name, "hostref");
  ck_assert_ptr_eq(ops->dense_euler_forward, odyn_backend_host()->dense_euler_forward);
  ODYN_CK(OdynBackendFromOptions(PETSC_COMM_WORLD, &ops));
  ck_assert_str_eq(ops->name, "host");
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_backend", "gpu"));
  odyn_ck_error_contains(OdynBackendFromOptions(PETSC_COMM_WORLD, &ops), "Unknown compute backend \"gpu\"");

  /* cuda: in a build without it, how to rebuild; in a build with it, no device here (CI, the build machines), or the
     table where there is one */
  ODYN_CK(OdynBackendIsBuilt(ODYNBACKENDCUDA, &built));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_backend", "cuda"));
  if (!built) {
    odyn_ck_error_contains(OdynBackendFromOptions(PETSC_COMM_WORLD, &ops), "odyn was built without CUDA. Rebuild with cmake -DODYN_WITH_CUDA=ON (nvcc on PATH or at /usr/local/cuda/bin");
  } else {
    OdynTestCaptureErrorsBegin();
    ierr = OdynBackendFromOptions(PETSC_COMM_WORLD, &ops);
    OdynTestCaptureErrorsEnd();
    if (ierr) {
      ck_assert_int_eq(ierr, PETSC_ERR_SUP_SYS);
      ck_assert_msg(strstr(OdynTestLastErrorMessage(), "-odyn_backend cuda: no CUDA device was found on rank") && strstr(OdynTestLastErrorMessage(), "cudaGetDeviceCount"), "message: %s", OdynTestLastErrorMessage());
    } else ck_assert_str_eq(ops->name, "cuda");
  }

  /* a network given cuda: the same errors where there is no CUDA build or no device (its blocks run on the device
     where there is one: tests/gpu/test_gpu_netbackend.c) */
  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  if (!built) odyn_ck_error_contains(OdynNetSetFromOptions(net), "odyn was built without CUDA");
  else if (ierr) odyn_ck_error_contains(OdynNetSetFromOptions(net), "-odyn_backend cuda: no CUDA device was found on rank");
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_backend", "tpu"));
  odyn_ck_error_contains(OdynNetSetFromOptions(net), "the known backends are host, hostref, cuda");
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_backend", "host"));
  ODYN_CK(OdynNetSetFromOptions(net));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_backend"));
  ODYN_CK(OdynNetDestroy(&net));

  /* status codes to PETSc errors */
  ops = odyn_backend_host();
  ODYN_CK(OdynBackendCheckStatus(ops, ODYN_BACKEND_OK, "gemm"));
  ck_assert_int_eq(ops->axpy(-2, 1.0, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
  OdynTestCaptureErrorsBegin();
  ierr = OdynBackendCheckStatus(ops, ODYN_BACKEND_ERR_SIZE, "axpy");
  OdynTestCaptureErrorsEnd();
  ck_assert_int_eq(ierr, PETSC_ERR_ARG_OUTOFRANGE);
  ck_assert_msg(strstr(OdynTestLastErrorMessage(), "host backend: axpy failed (status 1): axpy: negative length -2"), "message: %s", OdynTestLastErrorMessage());
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("backend");
  TCase *t = tcase_create("host");
  tcase_add_test(t, test_host_gemm);
  tcase_add_test(t, test_host_elementwise);
  tcase_add_test(t, test_host_memory);
  tcase_add_test(t, test_host_loss);
  tcase_add_loop_test(t, test_host_dense_euler, 0, 3);
  tcase_add_loop_test(t, test_host_dense_verlet, 0, 3);
  tcase_add_loop_test(t, test_host_dense_leapfrog, 0, 3);
  tcase_add_loop_test(t, test_host_dense_parabolic, 0, 3);
  tcase_add_test(t, test_tables_complete);
  tcase_add_test(t, test_backend_options);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
