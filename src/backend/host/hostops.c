/*
   The host backend's operations table (include/odyn/private/backend.h): the host kernels of hostblas.c behind the
   table's calling convention, so that the cuda table (src/backend/cuda/backend.cu) has a reference on the same
   inputs and callers can be written once for both. No PETSc header here by design: memory comes from malloc (not
   PetscMalloc) because the table is plain C; src/sys/backend.c turns its status codes into PETSc errors.
*/
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <odyn/private/backend.h>
#include <odyn/private/pointwise.h>
#include <odyn/private/cudakernels.h>
#include <odyn/private/lossfn.h>

static char last_msg[512] = "no error";

static int fail(int code, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
  va_end(ap);
  return code;
}

static const char *host_last_error(void) { return last_msg; }

static int host_init(int rank) { return ODYN_BACKEND_OK; }

static int host_finalize(void) { return ODYN_BACKEND_OK; }

static int host_mem_alloc(size_t bytes, void **ptr)
{
  *ptr = NULL;
  if (!bytes) return ODYN_BACKEND_OK;
  *ptr = malloc(bytes);
  if (!*ptr) return fail(ODYN_BACKEND_ERR_MEM, "malloc of %zu bytes failed on the host", bytes);
  return ODYN_BACKEND_OK;
}

static int host_mem_free(void *ptr)
{
  free(ptr);
  return ODYN_BACKEND_OK;
}

static int host_mem_set(void *ptr, int value, size_t bytes)
{
  if (bytes) memset(ptr, value, bytes);
  return ODYN_BACKEND_OK;
}

/* all three copies are host to host here; memmove, because the table does not promise distinct buffers */
static int host_copy(void *dst, const void *src, size_t bytes)
{
  if (bytes) memmove(dst, src, bytes);
  return ODYN_BACKEND_OK;
}

static int host_synchronize(void) { return ODYN_BACKEND_OK; }

static int check_trans(char t, const char *which)
{
  if (t == 'N' || t == 'T') return ODYN_BACKEND_OK;
  return fail(ODYN_BACKEND_ERR_ARG, "gemm: %s must be 'N' or 'T', got '%c'", which, t);
}

static int host_gemm(char transa, char transb, long m, long n, long k, double alpha, const double *A, long lda, const double *B, long ldb, double beta, double *C, long ldc)
{
  int st;

  if ((st = check_trans(transa, "transa")) || (st = check_trans(transb, "transb"))) return st;
  if (odyn_gemm(transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)) return fail(ODYN_BACKEND_ERR_SIZE, "gemm: a size (m %ld, n %ld, k %ld, lda %ld, ldb %ld, ldc %ld) is negative or exceeds the BLAS integer", m, n, k, lda, ldb, ldc);
  return ODYN_BACKEND_OK;
}

/* OpenBLAS 0.3.21 (Debian 12) has no batched DGEMM: one call per matrix. The batched form is for many mid-sized
   products (convolution channels, per-block weights), where each GEMM is large enough to be worth a BLAS call. */
static int host_gemm_strided_batched(char transa, char transb, long m, long n, long k, double alpha, const double *A, long lda, long strideA, const double *B, long ldb, long strideB, double beta, double *C, long ldc, long strideC, long batch)
{
  if (batch < 0 || batch > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "gemm_strided_batched: batch count %ld is negative or exceeds the BLAS integer", batch);
  for (long i = 0; i < batch; i++) {
    int st = host_gemm(transa, transb, m, n, k, alpha, A + i * strideA, lda, B + i * strideB, ldb, beta, C + i * strideC, ldc);
    if (st) return st;
  }
  return ODYN_BACKEND_OK;
}

static int check_len(long len, const char *op)
{
  return len < 0 ? fail(ODYN_BACKEND_ERR_SIZE, "%s: negative length %ld", op, len) : ODYN_BACKEND_OK;
}

static int check_ns(long n, long s, const char *op)
{
  if (n < 0 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: negative size n %ld, s %ld", op, n, s);
  return ODYN_BACKEND_OK;
}

static int host_bias_act(int act, long n, long s, const double *b, double *A, double *D)
{
  int st = check_ns(n, s, "bias_act");

  if (st) return st;
  if (act < ODYN_PW_IDENTITY || act > ODYN_PW_PERONAMALIK) return fail(ODYN_BACKEND_ERR_ARG, "bias_act: unknown activation %d (ODYN_PW_* of pointwise.h)", act);
  odyn_bias_act(act, n, s, b, A, D);
  return ODYN_BACKEND_OK;
}

static int host_scaled_hadamard_add(long len, double alpha, const double *D, const double *T, double *out)
{
  int st = check_len(len, "scaled_hadamard_add");

  if (!st) odyn_scaled_hadamard_add(len, alpha, D, T, out);
  return st;
}

static int host_hadamard_inplace(long len, const double *D, double *T)
{
  int st = check_len(len, "hadamard_inplace");

  if (!st) odyn_hadamard_inplace(len, D, T);
  return st;
}

static int host_rowsum_add(long n, long s, double alpha, const double *T, double *g)
{
  int st = check_ns(n, s, "rowsum_add");

  if (!st) odyn_rowsum_add(n, s, alpha, T, g);
  return st;
}

static int host_add_bias(long n, long s, const double *b, double *A)
{
  int st = check_ns(n, s, "add_bias");

  if (!st) odyn_add_bias(n, s, b, A);
  return st;
}

static int host_axpy(long len, double alpha, const double *x, double *y)
{
  int st = check_len(len, "axpy");

  if (!st) odyn_axpy(len, alpha, x, y);
  return st;
}

static int host_axpby(long len, double alpha, const double *x, double beta, double *y)
{
  int st = check_len(len, "axpby");

  if (!st) odyn_axpby(len, alpha, x, beta, y);
  return st;
}

/* plain recursive summation: the error bound (len - 1) u sum |x_i| is what the parity tests allow for */
static int host_sum(long len, const double *x, double *result)
{
  int    st = check_len(len, "sum");
  double r  = 0.0;

  if (st) return st;
  for (long i = 0; i < len; i++) r += x[i];
  *result = r;
  return ODYN_BACKEND_OK;
}

/* OpenBLAS's DDOT in pieces that fit its int length */
static int host_dot(long len, const double *x, const double *y, double *result)
{
  int    st = check_len(len, "dot");
  double r  = 0.0;

  if (st) return st;
  for (long i = 0; i < len; i += INT_MAX) {
    const long m = len - i < INT_MAX ? len - i : INT_MAX;
    r += cblas_ddot((int)m, x + i, 1, y + i, 1);
  }
  *result = r;
  return ODYN_BACKEND_OK;
}

/* the loss functions (lossfns.c) */
static int host_loss_value(int fn, long nc, long s, double scale, const double *Z, const double *C, double *G, double *sum)
{
  const int st = odyn_lossfn_check("loss_value", fn, nc, s, Z, C, last_msg, sizeof(last_msg));

  if (st) return st;
  odyn_host_loss_value(fn, nc, s, scale, Z, C, G, sum);
  return ODYN_BACKEND_OK;
}

static int host_loss_hessmult(int fn, long nc, long s, double scale, const double *Z, const double *C, const double *dZ, double *H)
{
  const int st = odyn_lossfn_check("loss_hessmult", fn, nc, s, Z, C, last_msg, sizeof(last_msg));

  if (st) return st;
  odyn_host_loss_hessmult(fn, nc, s, scale, Z, C, dZ, H);
  return ODYN_BACKEND_OK;
}

/* the activations of the dense and conv sweeps (their act): identity, tanh or relu, as paper 000's CNNs use (the
   diffusion fluxes of the pointwise table need a contrast, which the layers on the backends do not learn) */
static int check_act(const char *op, int act)
{
  if (odyn_act_is_plain(act)) return ODYN_BACKEND_OK;
  return fail(ODYN_BACKEND_ERR_ARG, "%s: activation %d is none of identity, tanh and relu (ODYN_PW_IDENTITY, _TANH, _RELU)", op, act);
}

/* the whole-block dense Euler and leapfrog sweeps (denseeuler.c, denseleapfrog.c): sizes and arrays checked here,
   where the messages are; op is "<family>_<sweep>", whose family names the linsize operation */
static int check_dense_sizes(const char *op, int act, long n, long N, long s)
{
  if (check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  if (n < 1 || N < 0 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need n >= 1, N >= 0, s >= 0, got n = %ld, N = %ld, s = %ld", op, n, N, s);
  if (n > INT_MAX || s > INT_MAX || N > LONG_MAX / (n * n + n) / (s > 0 ? s : 1)) return fail(ODYN_BACKEND_ERR_SIZE, "%s: n = %ld, N = %ld, s = %ld exceed the BLAS integer or the address range", op, n, N, s);
  return ODYN_BACKEND_OK;
}

static int check_euler(const char *op, int act, long n, long N, long s, const double *theta, const double *lin)
{
  int st = check_dense_sizes(op, act, n, N, s);

  if (st || !s || !N) return st;
  if (!theta || !lin) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin (%.*s_linsize() = %ld values) must be arrays of the backend", op, (int)(strrchr(op, '_') - op), op, N * n * s);
  return ODYN_BACKEND_OK;
}

static long host_dense_euler_linsize(long n, long N, long s) { return odyn_host_dense_euler_linsize(n, N, s); }

static int host_dense_euler_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  int st = check_euler("dense_euler_forward", act, n, N, s, theta, lin);

  if (st) return st;
  if (s && (!Y0 || !Ytraj)) return fail(ODYN_BACKEND_ERR_ARG, "dense_euler_forward: Y0 and Ytraj must be arrays of the backend");
  return odyn_host_dense_euler_forward(act, n, N, s, h, theta, Y0, Ytraj, lin);
}

static int host_dense_euler_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  int st = check_euler("dense_euler_tangent", act, n, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !dYN)) return fail(ODYN_BACKEND_ERR_ARG, "dense_euler_tangent: Ytraj and dYN must be arrays of the backend");
  if ((st = odyn_host_dense_euler_tangent(act, n, N, s, h, theta, dtheta, Ytraj, lin, dY0, dYN))) return fail(st, "dense_euler_tangent: could not allocate %ld doubles of scratch on the host", n * s);
  return ODYN_BACKEND_OK;
}

static int host_dense_euler_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  int st = check_euler("dense_euler_adjoint", act, n, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !W)) return fail(ODYN_BACKEND_ERR_ARG, "dense_euler_adjoint: Ytraj and W must be arrays of the backend");
  if ((st = odyn_host_dense_euler_adjoint(act, n, N, s, h, theta, Ytraj, lin, W, gtheta, gY0))) return fail(st, "dense_euler_adjoint: could not allocate %ld doubles of scratch on the host", 2 * n * s + n * n);
  return ODYN_BACKEND_OK;
}

static long host_dense_leapfrog_linsize(long n, long N, long s) { return odyn_host_dense_leapfrog_linsize(n, N, s); }

static int host_dense_leapfrog_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  int st = check_euler("dense_leapfrog_forward", act, n, N, s, theta, lin);

  if (st) return st;
  if (s && (!Y0 || !Ytraj)) return fail(ODYN_BACKEND_ERR_ARG, "dense_leapfrog_forward: Y0 and Ytraj must be arrays of the backend");
  return odyn_host_dense_leapfrog_forward(act, n, N, s, h, theta, Y0, Ytraj, lin);
}

static int host_dense_leapfrog_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  int st = check_euler("dense_leapfrog_tangent", act, n, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !dYN)) return fail(ODYN_BACKEND_ERR_ARG, "dense_leapfrog_tangent: Ytraj and dYN must be arrays of the backend");
  if ((st = odyn_host_dense_leapfrog_tangent(act, n, N, s, h, theta, dtheta, Ytraj, lin, dY0, dYN))) return fail(st, "dense_leapfrog_tangent: could not allocate %ld doubles of scratch on the host", 5 * n * s);
  return ODYN_BACKEND_OK;
}

static int host_dense_leapfrog_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  int st = check_euler("dense_leapfrog_adjoint", act, n, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !W)) return fail(ODYN_BACKEND_ERR_ARG, "dense_leapfrog_adjoint: Ytraj and W must be arrays of the backend");
  if ((st = odyn_host_dense_leapfrog_adjoint(act, n, N, s, h, theta, Ytraj, lin, W, gtheta, gY0))) return fail(st, "dense_leapfrog_adjoint: could not allocate %ld doubles of scratch on the host", 4 * n * s + n * n);
  return ODYN_BACKEND_OK;
}

/* the reversible leapfrog sweeps: the sizes as above, then the arrays */
static int check_leapfrog_rev(const char *op, int act, long n, long N, long s, const double *theta, const double *a, const double *b, const double *out)
{
  int st = check_dense_sizes(op, act, n, N, s);

  if (st || !s) return st;
  if ((N && !theta) || !a || !b || !out) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta, the states and the output must be arrays of the backend", op);
  return ODYN_BACKEND_OK;
}

static int host_dense_leapfrog_forward_final(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1)
{
  int st = check_leapfrog_rev("dense_leapfrog_forward_final", act, n, N, s, theta, Y0, YN, YNm1);

  if (st || !s) return st;
  if ((st = odyn_host_dense_leapfrog_forward_final(act, n, N, s, h, theta, Y0, YN, YNm1))) return fail(st, "dense_leapfrog_forward_final: could not allocate %ld doubles of scratch on the host", 3 * n * s);
  return ODYN_BACKEND_OK;
}

static int host_dense_leapfrog_tangent_y0(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  int st = check_leapfrog_rev("dense_leapfrog_tangent_y0", act, n, N, s, theta, Y0, Y0, dYN);

  if (st || !s) return st;
  if ((st = odyn_host_dense_leapfrog_tangent_y0(act, n, N, s, h, theta, dtheta, Y0, dY0, dYN))) return fail(st, "dense_leapfrog_tangent_y0: could not allocate %ld doubles of scratch on the host", 9 * n * s);
  return ODYN_BACKEND_OK;
}

static int host_dense_leapfrog_adjoint_reversible(int act, long n, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0)
{
  int st = check_leapfrog_rev("dense_leapfrog_adjoint_reversible", act, n, N, s, theta, YN, YNm1, W);

  if (st || !s) return st;
  if ((st = odyn_host_dense_leapfrog_adjoint_reversible(act, n, N, s, h, theta, YN, YNm1, W, gtheta, gY0))) return fail(st, "dense_leapfrog_adjoint_reversible: could not allocate %ld doubles of scratch on the host", 8 * n * s + n * n);
  return ODYN_BACKEND_OK;
}

/* the sizes of a block of two widths, n and m (Verlet's Z, the parabolic layer's rows of K): N steps of at most
   n m + n + m parameters, s examples */
static int check_two_widths(const char *op, int act, long n, long m, long N, long s)
{
  if (check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  if (n < 1 || m < 1 || N < 0 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need n >= 1, m >= 1, N >= 0, s >= 0, got n = %ld, m = %ld, N = %ld, s = %ld", op, n, m, N, s);
  if (n > INT_MAX || m > INT_MAX || s > INT_MAX || n > LONG_MAX / m || N > LONG_MAX / (n * m + n + m) / (s > 0 ? s : 1) / 2) return fail(ODYN_BACKEND_ERR_SIZE, "%s: n = %ld, m = %ld, N = %ld, s = %ld exceed the BLAS integer or the address range", op, n, m, N, s);
  return ODYN_BACKEND_OK;
}

/* the parabolic sweeps (denseparabolic.c): the sizes, then the arrays */
static int check_parabolic(const char *op, int act, long n, long m, long N, long s, const double *theta, const double *lin, const double *a, const double *b, const char *names)
{
  int st = check_two_widths(op, act, n, m, N, s);

  if (st || !s) return st;
  if (N && (!theta || !lin)) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin (dense_parabolic_linsize() = %ld values) must be arrays of the backend", op, 2 * N * m * s);
  if (!a || !b) return fail(ODYN_BACKEND_ERR_ARG, "%s: %s must be arrays of the backend", op, names);
  return ODYN_BACKEND_OK;
}

static long host_dense_parabolic_linsize(long n, long m, long N, long s) { return odyn_host_dense_parabolic_linsize(n, m, N, s); }

static int host_dense_parabolic_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  int st = check_parabolic("dense_parabolic_forward", act, n, m, N, s, theta, lin, Y0, Ytraj, "Y0 and Ytraj");

  return st ? st : odyn_host_dense_parabolic_forward(act, n, m, N, s, h, theta, Y0, Ytraj, lin);
}

static int host_dense_parabolic_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  int st = check_parabolic("dense_parabolic_tangent", act, n, m, N, s, theta, lin, Ytraj, dYN, "Ytraj and dYN");

  if (st) return st;
  if ((st = odyn_host_dense_parabolic_tangent(act, n, m, N, s, h, theta, dtheta, Ytraj, lin, dY0, dYN))) return fail(st, "dense_parabolic_tangent: could not allocate %ld doubles of scratch on the host", m * s);
  return ODYN_BACKEND_OK;
}

static int host_dense_parabolic_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  int st = check_parabolic("dense_parabolic_adjoint", act, n, m, N, s, theta, lin, Ytraj, W, "Ytraj and W");

  if (st) return st;
  if ((st = odyn_host_dense_parabolic_adjoint(act, n, m, N, s, h, theta, Ytraj, lin, W, gtheta, gY0))) return fail(st, "dense_parabolic_adjoint: could not allocate %ld doubles of scratch on the host", (n + m) * s);
  return ODYN_BACKEND_OK;
}

/* the whole-block Verlet sweeps (denseverlet.c), checked the same way */
static int check_verlet(const char *op, int act, long n, long m, long N, long s, const double *theta, const double *lin)
{
  int st = check_two_widths(op, act, n, m, N, s);

  if (st || !s || !N) return st;
  if (!theta || !lin) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin (dense_verlet_linsize() = %ld values) must be arrays of the backend", op, N * (n + m) * s);
  return ODYN_BACKEND_OK;
}

static long host_dense_verlet_linsize(long n, long m, long N, long s) { return odyn_host_dense_verlet_linsize(n, m, N, s); }

static int host_dense_verlet_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin)
{
  int st = check_verlet("dense_verlet_forward", act, n, m, N, s, theta, lin);

  if (st) return st;
  if (s && (!Y0 || !Ytraj || !Ztraj)) return fail(ODYN_BACKEND_ERR_ARG, "dense_verlet_forward: Y0, Ytraj and Ztraj must be arrays of the backend");
  return odyn_host_dense_verlet_forward(act, n, m, N, s, h, theta, Y0, Ytraj, Ztraj, lin);
}

static int host_dense_verlet_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, const double *lin, const double *dY0, double *dYN)
{
  int st = check_verlet("dense_verlet_tangent", act, n, m, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !Ztraj || !dYN)) return fail(ODYN_BACKEND_ERR_ARG, "dense_verlet_tangent: Ytraj, Ztraj and dYN must be arrays of the backend");
  if ((st = odyn_host_dense_verlet_tangent(act, n, m, N, s, h, theta, dtheta, Ytraj, Ztraj, lin, dY0, dYN))) return fail(st, "dense_verlet_tangent: could not allocate %ld doubles of scratch on the host", (n > m ? n : m) * s + m * s);
  return ODYN_BACKEND_OK;
}

static int host_dense_verlet_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  int st = check_verlet("dense_verlet_adjoint", act, n, m, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !Ztraj || !W)) return fail(ODYN_BACKEND_ERR_ARG, "dense_verlet_adjoint: Ytraj, Ztraj and W must be arrays of the backend");
  if ((st = odyn_host_dense_verlet_adjoint(act, n, m, N, s, h, theta, Ytraj, Ztraj, lin, W, gtheta, gY0))) return fail(st, "dense_verlet_adjoint: could not allocate %ld doubles of scratch on the host", (n > m ? n : m) * s + (m + n) * s);
  return ODYN_BACKEND_OK;
}

/* the reversible Verlet sweeps (states recomputed, no lin): the host references of verletref.c, which follow the
   device kernels' formulas one example at a time; their only failure is the allocation of a few steps' scratch */
static int host_dense_verlet_forward_final(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN)
{
  int st = check_verlet("dense_verlet_forward_final", act, n, m, N, 0, theta, NULL);

  if (st) return st;
  if (s < 0 || s > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "dense_verlet_forward_final: s = %ld out of range", s);
  if (s && ((N && !theta) || !Y0 || !YN || !ZN)) return fail(ODYN_BACKEND_ERR_ARG, "dense_verlet_forward_final: theta, Y0, YN and ZN must be arrays of the backend");
  if (odyn_verlet_ref_forward_final(act, n, m, N, s, h, theta, Y0, YN, ZN)) return fail(ODYN_BACKEND_ERR_MEM, "dense_verlet_forward_final: could not allocate %ld doubles of scratch on the host", n + m);
  return ODYN_BACKEND_OK;
}

static int host_dense_verlet_tangent_y0(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  int st = check_verlet("dense_verlet_tangent_y0", act, n, m, N, 0, theta, NULL);

  if (st) return st;
  if (s < 0 || s > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "dense_verlet_tangent_y0: s = %ld out of range", s);
  if (s && ((N && !theta) || !Y0 || !dYN)) return fail(ODYN_BACKEND_ERR_ARG, "dense_verlet_tangent_y0: theta, Y0 and dYN must be arrays of the backend");
  if (odyn_verlet_ref_tangent(act, n, m, N, s, h, theta, dtheta, Y0, dY0, dYN)) return fail(ODYN_BACKEND_ERR_MEM, "dense_verlet_tangent_y0: could not allocate the scratch on the host");
  return ODYN_BACKEND_OK;
}

static int host_dense_verlet_adjoint_reversible(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0)
{
  int st = check_verlet("dense_verlet_adjoint_reversible", act, n, m, N, 0, theta, NULL);

  if (st) return st;
  if (s < 0 || s > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "dense_verlet_adjoint_reversible: s = %ld out of range", s);
  if (!s || (!gtheta && !gY0)) return ODYN_BACKEND_OK;
  if ((N && !theta) || !YN || !ZN || !W) return fail(ODYN_BACKEND_ERR_ARG, "dense_verlet_adjoint_reversible: theta, YN, ZN and W must be arrays of the backend");
  if (gY0 && (gY0 == YN || gY0 == ZN)) return fail(ODYN_BACKEND_ERR_ARG, "dense_verlet_adjoint_reversible: gY0 must not alias YN or ZN");
  if (odyn_verlet_ref_adjoint_reversible(act, n, m, N, s, h, theta, YN, ZN, W, gtheta, gY0, NULL)) return fail(ODYN_BACKEND_ERR_MEM, "dense_verlet_adjoint_reversible: could not allocate the scratch (N (n m + n + m) long doubles) on the host");
  return ODYN_BACKEND_OK;
}

/* the whole-block convolutional Euler tanh sweeps (convsingle.c): sizes, eps and arrays checked here, where the messages are */
static int check_conv(const char *op, int act, long c, double eps, long ih, long iw, long N, long s, const double *theta, const double *lin)
{
  if (check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  if (c < 1 || ih < 1 || iw < 1 || N < 0 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need c, ih, iw >= 1, N >= 0, s >= 0, got c = %ld, ih = %ld, iw = %ld, N = %ld, s = %ld", op, c, ih, iw, N, s);
  if (c > INT_MAX / 9 || ih > INT_MAX / iw || c * ih * iw > INT_MAX || s > INT_MAX || (N + 1) > LONG_MAX / (2 * c * ih * iw) / (s > 0 ? s : 1)) return fail(ODYN_BACKEND_ERR_SIZE, "%s: c = %ld, ih = %ld, iw = %ld, N = %ld, s = %ld exceed the BLAS integer or the address range", op, c, ih, iw, N, s);
  if (!(eps >= 0) || isinf(eps)) return fail(ODYN_BACKEND_ERR_ARG, "%s: eps of the TV normalization must be finite and >= 0 (0: none), got %g", op, eps);
  if (!s || !N) return ODYN_BACKEND_OK;
  if (!theta || !lin) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin (conv_euler_linsize() = %ld values) must be arrays of the backend", op, odyn_host_conv_euler_linsize(c, eps, ih, iw, N, s));
  return ODYN_BACKEND_OK;
}

static long host_conv_euler_linsize(long c, double eps, long ih, long iw, long N, long s) { return eps >= 0 ? odyn_host_conv_euler_linsize(c, eps, ih, iw, N, s) : -1; }

static int conv_status(int st, const char *op)
{
  if (st == ODYN_BACKEND_ERR_MEM) return fail(st, "%s: could not allocate the convolution scratch on the host", op);
  if (st) return fail(st, "%s: a size exceeds the BLAS integer (use fewer examples per sweep)", op);
  return ODYN_BACKEND_OK;
}

static int host_conv_euler_forward(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  int st = check_conv("conv_euler_forward", act, c, eps, ih, iw, N, s, theta, lin);

  if (st) return st;
  if (s && (!Y0 || !Ytraj)) return fail(ODYN_BACKEND_ERR_ARG, "conv_euler_forward: Y0 and Ytraj must be arrays of the backend");
  return conv_status(odyn_host_conv_euler_forward(act, c, eps, ih, iw, N, s, h, theta, Y0, Ytraj, lin), "conv_euler_forward");
}

static int host_conv_euler_tangent(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  int st = check_conv("conv_euler_tangent", act, c, eps, ih, iw, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !dYN)) return fail(ODYN_BACKEND_ERR_ARG, "conv_euler_tangent: Ytraj and dYN must be arrays of the backend");
  return conv_status(odyn_host_conv_euler_tangent(act, c, eps, ih, iw, N, s, h, theta, dtheta, Ytraj, lin, dY0, dYN), "conv_euler_tangent");
}

static int host_conv_euler_adjoint(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  int st = check_conv("conv_euler_adjoint", act, c, eps, ih, iw, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !W)) return fail(ODYN_BACKEND_ERR_ARG, "conv_euler_adjoint: Ytraj and W must be arrays of the backend");
  return conv_status(odyn_host_conv_euler_adjoint(act, c, eps, ih, iw, N, s, h, theta, Ytraj, lin, W, gtheta, gY0), "conv_euler_adjoint");
}

/* the one-step conv tanh layer cin -> cout (convsingle.c, conv_single_*): sizes and arrays checked here */
static int check_conv1(const char *op, int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *lin)
{
  if (check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  if (cin < 1 || cout < 1 || ih < 1 || iw < 1 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need cin, cout, ih, iw >= 1, s >= 0, got cin = %ld, cout = %ld, ih = %ld, iw = %ld, s = %ld", op, cin, cout, ih, iw, s);
  if (k != 1 && k != 3) return fail(ODYN_BACKEND_ERR_SIZE, "%s: 1x1 or 3x3 stencils only, got k = %ld", op, k);
  if (pool && (ih % 2 || iw % 2)) return fail(ODYN_BACKEND_ERR_SIZE, "%s: 2x2 pooling needs an even image, got %ld x %ld", op, ih, iw);
  if (cin > INT_MAX / 9 / cout || ih > INT_MAX / iw || (cin > cout ? cin : cout) * ih * iw > INT_MAX || s > INT_MAX || (cin > cout ? cin : cout) * ih * iw > LONG_MAX / (s > 0 ? s : 1)) return fail(ODYN_BACKEND_ERR_SIZE, "%s: cin = %ld, cout = %ld, ih = %ld, iw = %ld, s = %ld exceed the BLAS integer or the address range", op, cin, cout, ih, iw, s);
  if (!(eps >= 0) || isinf(eps)) return fail(ODYN_BACKEND_ERR_ARG, "%s: eps of the TV normalization must be finite and >= 0 (0: none), got %g", op, eps);
  if (!s) return ODYN_BACKEND_OK;
  if (!theta || !lin) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin (conv_single_linsize() = %ld values) must be arrays of the backend", op, odyn_host_conv_single_linsize(cin, cout, k, pool, eps, ih, iw, s));
  return ODYN_BACKEND_OK;
}

static long host_conv_single_linsize(long cin, long cout, long k, int pool, double eps, long ih, long iw, long s) { return eps >= 0 ? odyn_host_conv_single_linsize(cin, cout, k, pool, eps, ih, iw, s) : -1; }

static int host_conv_single_forward(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *Y1, double *lin)
{
  int st = check_conv1("conv_single_forward", act, cin, cout, k, pool, eps, ih, iw, s, theta, lin);

  if (st) return st;
  if (s && (!Y0 || !Y1)) return fail(ODYN_BACKEND_ERR_ARG, "conv_single_forward: Y0 and Y1 must be arrays of the backend");
  return conv_status(odyn_host_conv_single_forward(act, cin, cout, k, pool, eps, ih, iw, s, theta, Y0, Y1, lin), "conv_single_forward");
}

static int host_conv_single_tangent(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *dtheta, const double *Y0, double *lin, const double *dY0, double *dY1)
{
  int st = check_conv1("conv_single_tangent", act, cin, cout, k, pool, eps, ih, iw, s, theta, lin);

  if (st) return st;
  if (s && (!Y0 || !dY1)) return fail(ODYN_BACKEND_ERR_ARG, "conv_single_tangent: Y0 and dY1 must be arrays of the backend");
  return conv_status(odyn_host_conv_single_tangent(act, cin, cout, k, pool, eps, ih, iw, s, theta, dtheta, Y0, lin, dY0, dY1), "conv_single_tangent");
}

static int host_conv_single_adjoint(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *lin, const double *W, double *gtheta, double *gY0)
{
  int st = check_conv1("conv_single_adjoint", act, cin, cout, k, pool, eps, ih, iw, s, theta, lin);

  if (st) return st;
  if (s && (!Y0 || !W)) return fail(ODYN_BACKEND_ERR_ARG, "conv_single_adjoint: Y0 and W must be arrays of the backend");
  return conv_status(odyn_host_conv_single_adjoint(act, cin, cout, k, pool, eps, ih, iw, s, theta, Y0, lin, W, gtheta, gY0), "conv_single_adjoint");
}

/* the whole-block convolutional Verlet tanh sweeps (convverlet.c, conv_verlet_*): sizes, the TV normalization's
   eps (finite and >= 0, 0: none) and arrays checked here, for the parabolic and leapfrog sweeps too; needlin 0: the
   reversible sweeps (and the other families, which check their lin themselves) */
static int check_conv_verlet(const char *op, int act, long c, long m, double eps, long ih, long iw, long N, long s, const double *theta, const double *lin, int needlin)
{
  if (check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  const long cm = c > m ? c : m;

  if (c < 1 || m < 1 || ih < 1 || iw < 1 || N < 0 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need c, m, ih, iw >= 1, N >= 0, s >= 0, got c = %ld, m = %ld, ih = %ld, iw = %ld, N = %ld, s = %ld", op, c, m, ih, iw, N, s);
  if (c > INT_MAX / 9 / m || ih > INT_MAX / iw || cm * ih * iw > INT_MAX || s > INT_MAX || (N + 1) > LONG_MAX / (2 * cm * ih * iw) / (s > 0 ? s : 1)) return fail(ODYN_BACKEND_ERR_SIZE, "%s: c = %ld, m = %ld, ih = %ld, iw = %ld, N = %ld, s = %ld exceed the BLAS integer or the address range", op, c, m, ih, iw, N, s);
  if (!(eps >= 0) || isinf(eps)) return fail(ODYN_BACKEND_ERR_ARG, "%s: eps of the TV normalization must be finite and >= 0 (0: none), got %g", op, eps);
  if (!s || !N) return ODYN_BACKEND_OK;
  if (!theta) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta must be an array of the backend", op);
  if (needlin && !lin) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin (conv_verlet_linsize() = %ld values) must be arrays of the backend", op, odyn_host_conv_verlet_linsize(c, m, eps, ih, iw, N, s));
  return ODYN_BACKEND_OK;
}

static long host_conv_verlet_linsize(long c, long m, double eps, long ih, long iw, long N, long s) { return eps >= 0 ? odyn_host_conv_verlet_linsize(c, m, eps, ih, iw, N, s) : -1; }

static int host_conv_verlet_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin)
{
  int st = check_conv_verlet("conv_verlet_forward", act, c, m, eps, ih, iw, N, s, theta, lin, 1);


  if (st) return st;
  if (s && (!Y0 || !Ytraj || !Ztraj)) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_forward: Y0, Ytraj and Ztraj must be arrays of the backend");
  return conv_status(odyn_host_conv_verlet_forward(act, c, m, eps, ih, iw, N, s, h, theta, Y0, Ytraj, Ztraj, lin), "conv_verlet_forward");
}

static int host_conv_verlet_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, double *lin, const double *dY0, double *dYN)
{
  int st = check_conv_verlet("conv_verlet_tangent", act, c, m, eps, ih, iw, N, s, theta, lin, 1);


  if (st) return st;
  if (s && (!Ytraj || !Ztraj || !dYN)) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_tangent: Ytraj, Ztraj and dYN must be arrays of the backend");
  return conv_status(odyn_host_conv_verlet_tangent(act, c, m, eps, ih, iw, N, s, h, theta, dtheta, Ytraj, Ztraj, lin, dY0, dYN), "conv_verlet_tangent");
}

static int host_conv_verlet_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  int st = check_conv_verlet("conv_verlet_adjoint", act, c, m, eps, ih, iw, N, s, theta, lin, 1);


  if (st) return st;
  if (s && (!Ytraj || !Ztraj || !W)) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_adjoint: Ytraj, Ztraj and W must be arrays of the backend");
  return conv_status(odyn_host_conv_verlet_adjoint(act, c, m, eps, ih, iw, N, s, h, theta, Ytraj, Ztraj, lin, W, gtheta, gY0), "conv_verlet_adjoint");
}

/* the reversible ones (states recomputed): the host sweeps take no work array from the caller (revsize 0) */
static long host_conv_verlet_revsize(long c, long m, double eps, long ih, long iw, long s) { return eps >= 0 ? odyn_host_conv_verlet_revsize(c, m, eps, ih, iw, s) : -1; }

static int host_conv_verlet_forward_final(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN, double *work)
{
  int st = check_conv_verlet("conv_verlet_forward_final", act, c, m, eps, ih, iw, N, s, theta, NULL, 0);


  (void)work;
  if (st) return st;
  if (s && (!Y0 || !YN || !ZN)) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_forward_final: Y0, YN and ZN must be arrays of the backend");
  return conv_status(odyn_host_conv_verlet_forward_final(act, c, m, eps, ih, iw, N, s, h, theta, Y0, YN, ZN), "conv_verlet_forward_final");
}

static int host_conv_verlet_tangent_y0(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, double *work, const double *dY0, double *dYN)
{
  int st = check_conv_verlet("conv_verlet_tangent_y0", act, c, m, eps, ih, iw, N, s, theta, NULL, 0);


  (void)work;
  if (st) return st;
  if (s && (!Y0 || !dYN)) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_tangent_y0: Y0 and dYN must be arrays of the backend");
  return conv_status(odyn_host_conv_verlet_tangent_y0(act, c, m, eps, ih, iw, N, s, h, theta, dtheta, Y0, dY0, dYN), "conv_verlet_tangent_y0");
}

static int host_conv_verlet_adjoint_reversible(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *ZN, double *work, const double *W, double *gtheta, double *gY0)
{
  int st = check_conv_verlet("conv_verlet_adjoint_reversible", act, c, m, eps, ih, iw, N, s, theta, NULL, 0);


  (void)work;
  if (st) return st;
  if (s && (!YN || !ZN || !W)) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_adjoint_reversible: YN, ZN and W must be arrays of the backend");
  if (gY0 && (gY0 == YN || gY0 == ZN)) return fail(ODYN_BACKEND_ERR_ARG, "conv_verlet_adjoint_reversible: gY0 must not alias YN or ZN");
  return conv_status(odyn_host_conv_verlet_adjoint_reversible(act, c, m, eps, ih, iw, N, s, h, theta, YN, ZN, W, gtheta, gY0), "conv_verlet_adjoint_reversible");
}

/* the whole-block convolutional parabolic tanh sweeps (convparabolic.c, conv_parabolic_*): sizes and arrays
   checked here (c -> m as the Verlet block's c and m), and eps (>= 0: 0 no normalization) */
static long host_conv_parabolic_linsize(long c, long m, double eps, long ih, long iw, long N, long s) { return eps >= 0 ? odyn_host_conv_parabolic_linsize(c, m, eps, ih, iw, N, s) : -1; }

static int check_conv_parabolic(const char *op, int act, long c, long m, double eps, long ih, long iw, long N, long s, const double *theta, const double *lin)
{
  const int st = check_conv_verlet(op, act, c, m, eps, ih, iw, N, s, theta, NULL, 0);

  if (st || !s || !N || lin) return st;
  return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin (conv_parabolic_linsize() = %ld values) must be arrays of the backend", op, odyn_host_conv_parabolic_linsize(c, m, eps, ih, iw, N, s));
}

static int host_conv_parabolic_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  int st = check_conv_parabolic("conv_parabolic_forward", act, c, m, eps, ih, iw, N, s, theta, lin);

  if (st) return st;
  if (s && (!Y0 || !Ytraj)) return fail(ODYN_BACKEND_ERR_ARG, "conv_parabolic_forward: Y0 and Ytraj must be arrays of the backend");
  return conv_status(odyn_host_conv_parabolic_forward(act, c, m, eps, ih, iw, N, s, h, theta, Y0, Ytraj, lin), "conv_parabolic_forward");
}

static int host_conv_parabolic_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  int st = check_conv_parabolic("conv_parabolic_tangent", act, c, m, eps, ih, iw, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !dYN)) return fail(ODYN_BACKEND_ERR_ARG, "conv_parabolic_tangent: Ytraj and dYN must be arrays of the backend");
  return conv_status(odyn_host_conv_parabolic_tangent(act, c, m, eps, ih, iw, N, s, h, theta, dtheta, Ytraj, lin, dY0, dYN), "conv_parabolic_tangent");
}

static int host_conv_parabolic_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  int st = check_conv_parabolic("conv_parabolic_adjoint", act, c, m, eps, ih, iw, N, s, theta, lin);

  if (st) return st;
  if (s && (!Ytraj || !W)) return fail(ODYN_BACKEND_ERR_ARG, "conv_parabolic_adjoint: Ytraj and W must be arrays of the backend");
  return conv_status(odyn_host_conv_parabolic_adjoint(act, c, m, eps, ih, iw, N, s, h, theta, Ytraj, lin, W, gtheta, gY0), "conv_parabolic_adjoint");
}

/* the whole-block convolutional leapfrog tanh sweeps (convleapfrog.c, conv_leapfrog_*): sizes and arrays checked
   here; sym 0 (layer conv) needs m = c */
static long host_conv_leapfrog_linsize(int sym, long c, long m, double eps, long ih, long iw, long N, long s) { return (sym || m == c) && eps >= 0 ? odyn_host_conv_leapfrog_linsize(sym, c, m, eps, ih, iw, N, s) : -1; }

/* needlin 0: the reversible sweeps, which take no lin (their work array is unused here) */
static int check_conv_leapfrog(const char *op, int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, const double *theta, const double *lin, int needlin, const double *a, const double *b, const char *ab)
{
  const int st = check_conv_verlet(op, act, c, m, eps, ih, iw, N, s, theta, NULL, 0);

  if (st) return st;
  if (!sym && m != c) return fail(ODYN_BACKEND_ERR_SIZE, "%s: layer conv (sym 0) maps c to c channels, got c = %ld, m = %ld", op, c, m);
  if (!s) return ODYN_BACKEND_OK;
  if (needlin && N && !lin) return fail(ODYN_BACKEND_ERR_ARG, "%s: theta and lin (conv_leapfrog_linsize() = %ld values) must be arrays of the backend", op, odyn_host_conv_leapfrog_linsize(sym, c, m, eps, ih, iw, N, s));
  if (!a || !b) return fail(ODYN_BACKEND_ERR_ARG, "%s: %s must be arrays of the backend", op, ab);
  return ODYN_BACKEND_OK;
}

static int host_conv_leapfrog_forward(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  int st = check_conv_leapfrog("conv_leapfrog_forward", act, sym, c, m, eps, ih, iw, N, s, theta, lin, 1, Y0, Ytraj, "Y0 and Ytraj");

  return st ? st : conv_status(odyn_host_conv_leapfrog_forward(act, sym, c, m, eps, ih, iw, N, s, h, theta, Y0, Ytraj, lin), "conv_leapfrog_forward");
}

static int host_conv_leapfrog_tangent(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN)
{
  int st = check_conv_leapfrog("conv_leapfrog_tangent", act, sym, c, m, eps, ih, iw, N, s, theta, lin, 1, Ytraj, dYN, "Ytraj and dYN");

  return st ? st : conv_status(odyn_host_conv_leapfrog_tangent(act, sym, c, m, eps, ih, iw, N, s, h, theta, dtheta, Ytraj, lin, dY0, dYN), "conv_leapfrog_tangent");
}

static int host_conv_leapfrog_adjoint(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0)
{
  int st = check_conv_leapfrog("conv_leapfrog_adjoint", act, sym, c, m, eps, ih, iw, N, s, theta, lin, 1, Ytraj, W, "Ytraj and W");

  return st ? st : conv_status(odyn_host_conv_leapfrog_adjoint(act, sym, c, m, eps, ih, iw, N, s, h, theta, Ytraj, lin, W, gtheta, gY0), "conv_leapfrog_adjoint");
}

/* the reversible ones (states recomputed): the host sweeps take no work array from the caller (revsize 0) */
static long host_conv_leapfrog_revsize(int sym, long c, long m, double eps, long ih, long iw, long s) { return (sym || m == c) && eps >= 0 ? odyn_host_conv_leapfrog_revsize(sym, c, m, eps, ih, iw, s) : -1; }

static int host_conv_leapfrog_forward_final(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1, double *work)
{
  int st = check_conv_leapfrog("conv_leapfrog_forward_final", act, sym, c, m, eps, ih, iw, N, s, theta, NULL, 0, Y0, YN && YNm1 ? YN : NULL, "Y0, YN and YNm1");

  (void)work;
  return st ? st : conv_status(odyn_host_conv_leapfrog_forward_final(act, sym, c, m, eps, ih, iw, N, s, h, theta, Y0, YN, YNm1), "conv_leapfrog_forward_final");
}

static int host_conv_leapfrog_tangent_y0(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, double *work, const double *dY0, double *dYN)
{
  int st = check_conv_leapfrog("conv_leapfrog_tangent_y0", act, sym, c, m, eps, ih, iw, N, s, theta, NULL, 0, Y0, dYN, "Y0 and dYN");

  (void)work;
  return st ? st : conv_status(odyn_host_conv_leapfrog_tangent_y0(act, sym, c, m, eps, ih, iw, N, s, h, theta, dtheta, Y0, dY0, dYN), "conv_leapfrog_tangent_y0");
}

static int host_conv_leapfrog_adjoint_reversible(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, double *work, const double *W, double *gtheta, double *gY0)
{
  int st = check_conv_leapfrog("conv_leapfrog_adjoint_reversible", act, sym, c, m, eps, ih, iw, N, s, theta, NULL, 0, YN && YNm1 ? YN : NULL, W, "YN, YNm1 and W");

  (void)work;
  if (st) return st;
  if (gY0 && (gY0 == YN || gY0 == YNm1)) return fail(ODYN_BACKEND_ERR_ARG, "conv_leapfrog_adjoint_reversible: gY0 must not alias YN or YNm1");
  return conv_status(odyn_host_conv_leapfrog_adjoint_reversible(act, sym, c, m, eps, ih, iw, N, s, h, theta, YN, YNm1, W, gtheta, gY0), "conv_leapfrog_adjoint_reversible");
}

static const OdynBackendOps host_ops = {
  .name                 = "host",
  .init                 = host_init,
  .finalize             = host_finalize,
  .last_error           = host_last_error,
  .mem_alloc            = host_mem_alloc,
  .mem_free             = host_mem_free,
  .mem_set              = host_mem_set,
  .copy_to_device       = host_copy,
  .copy_to_host         = host_copy,
  .copy_device          = host_copy,
  .synchronize          = host_synchronize,
  .gemm                 = host_gemm,
  .gemm_strided_batched = host_gemm_strided_batched,
  .bias_act             = host_bias_act,
  .scaled_hadamard_add  = host_scaled_hadamard_add,
  .hadamard_inplace     = host_hadamard_inplace,
  .rowsum_add           = host_rowsum_add,
  .add_bias             = host_add_bias,
  .axpy                 = host_axpy,
  .axpby                = host_axpby,
  .sum                  = host_sum,
  .dot                  = host_dot,
  .loss_value           = host_loss_value,
  .loss_hessmult        = host_loss_hessmult,
  .dense_euler_linsize   = host_dense_euler_linsize,
  .dense_euler_forward   = host_dense_euler_forward,
  .dense_euler_tangent   = host_dense_euler_tangent,
  .dense_euler_adjoint   = host_dense_euler_adjoint,
  .dense_leapfrog_linsize = host_dense_leapfrog_linsize,
  .dense_leapfrog_forward = host_dense_leapfrog_forward,
  .dense_leapfrog_tangent = host_dense_leapfrog_tangent,
  .dense_leapfrog_adjoint = host_dense_leapfrog_adjoint,
  .dense_leapfrog_forward_final      = host_dense_leapfrog_forward_final,
  .dense_leapfrog_tangent_y0         = host_dense_leapfrog_tangent_y0,
  .dense_leapfrog_adjoint_reversible = host_dense_leapfrog_adjoint_reversible,
  .dense_parabolic_linsize = host_dense_parabolic_linsize,
  .dense_parabolic_forward = host_dense_parabolic_forward,
  .dense_parabolic_tangent = host_dense_parabolic_tangent,
  .dense_parabolic_adjoint = host_dense_parabolic_adjoint,
  .dense_verlet_linsize  = host_dense_verlet_linsize,
  .dense_verlet_forward  = host_dense_verlet_forward,
  .dense_verlet_tangent  = host_dense_verlet_tangent,
  .dense_verlet_adjoint  = host_dense_verlet_adjoint,
  .dense_verlet_forward_final      = host_dense_verlet_forward_final,
  .dense_verlet_tangent_y0         = host_dense_verlet_tangent_y0,
  .dense_verlet_adjoint_reversible = host_dense_verlet_adjoint_reversible,
  .conv_euler_linsize = host_conv_euler_linsize,
  .conv_euler_forward = host_conv_euler_forward,
  .conv_euler_tangent = host_conv_euler_tangent,
  .conv_euler_adjoint = host_conv_euler_adjoint,
  .conv_single_linsize       = host_conv_single_linsize,
  .conv_single_forward       = host_conv_single_forward,
  .conv_single_tangent       = host_conv_single_tangent,
  .conv_single_adjoint       = host_conv_single_adjoint,
  .conv_verlet_linsize = host_conv_verlet_linsize,
  .conv_verlet_forward = host_conv_verlet_forward,
  .conv_verlet_tangent = host_conv_verlet_tangent,
  .conv_verlet_adjoint = host_conv_verlet_adjoint,
  .conv_verlet_revsize             = host_conv_verlet_revsize,
  .conv_verlet_forward_final       = host_conv_verlet_forward_final,
  .conv_verlet_tangent_y0          = host_conv_verlet_tangent_y0,
  .conv_verlet_adjoint_reversible  = host_conv_verlet_adjoint_reversible,
  .conv_parabolic_linsize = host_conv_parabolic_linsize,
  .conv_parabolic_forward = host_conv_parabolic_forward,
  .conv_parabolic_tangent = host_conv_parabolic_tangent,
  .conv_parabolic_adjoint = host_conv_parabolic_adjoint,
  .conv_leapfrog_linsize  = host_conv_leapfrog_linsize,
  .conv_leapfrog_forward  = host_conv_leapfrog_forward,
  .conv_leapfrog_tangent  = host_conv_leapfrog_tangent,
  .conv_leapfrog_adjoint  = host_conv_leapfrog_adjoint,
  .conv_leapfrog_revsize            = host_conv_leapfrog_revsize,
  .conv_leapfrog_forward_final      = host_conv_leapfrog_forward_final,
  .conv_leapfrog_tangent_y0         = host_conv_leapfrog_tangent_y0,
  .conv_leapfrog_adjoint_reversible = host_conv_leapfrog_adjoint_reversible,
};

const OdynBackendOps *odyn_backend_host(void) { return &host_ops; }

int odyn_backend_ops_first_missing(const OdynBackendOps *ops, int *count)
{
  /* every member is a pointer: the name, then function pointers, so the struct is an array of them */
  const int n = (int)(sizeof(OdynBackendOps) / sizeof(void (*)(void)));

  if (count) *count = n;
  for (int i = 0; i < n; i++) {
    void (*f)(void);

    memcpy(&f, (const char *)ops + (size_t)i * sizeof(f), sizeof(f));
    if (!f) return i;
  }
  return -1;
}

/* the same table under the name "hostref" (-odyn_backend hostref): the networks then take the path that hands whole
   blocks to a backend, with host memory and the host sweeps, so that path is tested on machines without a GPU */
const OdynBackendOps *odyn_backend_hostref(void)
{
  static OdynBackendOps hostref_ops;

  if (!hostref_ops.name) {
    hostref_ops      = host_ops;
    hostref_ops.name = "hostref";
  }
  return &hostref_ops;
}
