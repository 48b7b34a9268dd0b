static const char help[] = "Times the forward, tangent and adjoint sweeps of a dense tanh ResNet (forward Euler) and compares\n"
                           "their GFLOP/s with OpenBLAS DGEMM on the same GEMM shape, measured in the same run.\n"
                           "  -n <n>     feature width (default: both 8 and 64)\n"
                           "  -s <s>     number of examples (default 10000)\n"
                           "  -N <N>     number of layers (time steps) (default 64)\n"
                           "  -reps <r>  repetitions; the best time is reported (default 3)\n\n";

/*
  Flop counts follow what the code does (src/layers/impls/affine.c, src/schemes/impls/euler.c,
  src/backend/host/hostblas.c), per time step, with a GEMM of an m x k by k x n product counted as 2 m n k.
  Evaluations of tanh are not counted as flops; they are counted apart ("tanh"), and their cost is measured apart,
  because at these sizes libm's scalar tanh, not the GEMMs, takes most of the time.

  forward  (Apply + Euler update):
    GEMM K Y                                   2 n^2 s
    bias + tanh                                1 n s   (+ 1 tanh per entry)
    Y_{j+1} = Y_j + h F   (axpby)              3 n s
  tangent  (Linearize + JacX + JacTheta + copy):
    Linearize: GEMM K Y_j                      2 n^2 s
               bias, sigma' = 1 - t^2          3 n s   (+ 1 tanh per entry: the source calls tanh for sigma and for
                                                        sigma'; GCC -O2 merges the two calls, see objdump of hostblas.c.o)
    JacX:      GEMM K V                        2 n^2 s
               out += h D .* T                 3 n s
    JacTheta:  GEMM dK Y_j                     2 n^2 s
               + db, out += h D .* T           4 n s
  adjoint  (Linearize + JacThetaT + JacXT + copy):
    Linearize: GEMM K Y_j                      2 n^2 s
               bias, sigma'                    3 n s   (+ 1 tanh per entry)
    JacThetaT: T = D .* P                      1 n s
               GEMM T Y_j^T                    2 n^2 s
               gK += h G, gb += h rowsum(T)    2 n^2 + 2 n s
    JacXT:     T = D .* P                      1 n s
               GEMM K^T T (beta = 1)           2 n^2 s
*/
#include <math.h>
#include <cblas.h>
#include <odyn.h>

typedef struct {
  double gemm;  /* GEMM flops of one sweep */
  double elem;  /* elementwise flops of one sweep */
  double tanh;  /* tanh evaluations of one sweep (not in the flop count) */
} SweepCount;

/*
  With the library's default -odyn_scheme_cache_linearization, the first derivative sweep after a forward sweep
  linearizes (one GEMM K Y_j, the bias and sigma' per step) and saves sigma'; the later ones restore it. The timings
  are the best of several repetitions, i.e. the cached sweeps, so those are what is counted: no linearization GEMM,
  no tanh. (-odyn_scheme_cache_linearization false switches the cache off, and the count with it.)
*/
static void CountFlops(PetscInt n, PetscInt s, PetscInt N, PetscBool cached, SweepCount *fwd, SweepCount *tan, SweepCount *adj)
{
  const double nn = (double)n, ss = (double)s, NN = (double)N, lin = cached ? 0 : 1;

  fwd->gemm = NN * 2 * nn * nn * ss;
  fwd->elem = NN * 4 * nn * ss;
  fwd->tanh = NN * nn * ss;
  tan->gemm = NN * (2 + lin) * 2 * nn * nn * ss;
  tan->elem = NN * (3 * lin + 3 + 4) * nn * ss;
  tan->tanh = lin * NN * nn * ss;
  adj->gemm = NN * (2 + lin) * 2 * nn * nn * ss;
  adj->elem = NN * ((3 * lin + 1 + 2 + 1) * nn * ss + 2 * nn * nn);
  adj->tanh = lin * NN * nn * ss;
}

/* Best time of `reps` runs of cblas_dgemm on the shape op(A) (m x k) times op(B) (k x ncol), each run doing `calls`
   GEMMs (as many as one sweep does), so that the timing is as long as a sweep's. All ranks run concurrently. */
static PetscErrorCode TimeDgemm(MPI_Comm comm, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, PetscInt m, PetscInt ncol, PetscInt k, PetscInt calls, PetscInt reps, PetscLogDouble *best)
{
  PetscScalar *A, *B, *C;
  PetscRandom  rnd;
  const int    lda = (int)(ta == CblasNoTrans ? m : k), ldb = (int)(tb == CblasNoTrans ? k : ncol);

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(m * k, &A, k * ncol, &B, m * ncol, &C));
  PetscCall(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  PetscCall(PetscRandomSetInterval(rnd, -1.0, 1.0));
  for (PetscInt i = 0; i < m * k; i++) PetscCall(PetscRandomGetValue(rnd, &A[i]));
  for (PetscInt i = 0; i < k * ncol; i++) PetscCall(PetscRandomGetValue(rnd, &B[i]));
  PetscCall(PetscArrayzero(C, m * ncol));
  PetscCall(PetscRandomDestroy(&rnd));
  cblas_dgemm(CblasColMajor, ta, tb, (int)m, (int)ncol, (int)k, 1.0, A, lda, B, ldb, 0.0, C, (int)m); /* warm-up */
  *best = PETSC_MAX_REAL;
  for (PetscInt r = 0; r < reps; r++) {
    PetscLogDouble t0, t1, t;

    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    for (PetscInt c = 0; c < calls; c++) cblas_dgemm(CblasColMajor, ta, tb, (int)m, (int)ncol, (int)k, 1.0, A, lda, B, ldb, 0.0, C, (int)m);
    PetscCall(PetscTime(&t1));
    t = t1 - t0;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, comm));
    *best = PetscMin(*best, t);
  }
  PetscCall(PetscFree3(A, B, C));
  PetscFunctionReturn(0);
}

/* Best time of `reps` runs of `calls` passes of libm tanh over len values of moderate size (what one sweep evaluates) */
static PetscErrorCode TimeTanh(MPI_Comm comm, PetscInt len, PetscInt calls, PetscInt reps, PetscLogDouble *best)
{
  PetscScalar *x, *y;
  PetscRandom  rnd;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(len, &x, len, &y));
  PetscCall(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  PetscCall(PetscRandomSetInterval(rnd, -2.0, 2.0));
  for (PetscInt i = 0; i < len; i++) PetscCall(PetscRandomGetValue(rnd, &x[i]));
  PetscCall(PetscRandomDestroy(&rnd));
  *best = PETSC_MAX_REAL;
  for (PetscInt r = 0; r < reps; r++) {
    PetscLogDouble t0, t1, t;

    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    for (PetscInt c = 0; c < calls; c++)
      for (PetscInt i = 0; i < len; i++) y[i] = tanh(x[i] + 1e-3 * y[i]); /* the dependence on y keeps the loop alive */
    PetscCall(PetscTime(&t1));
    t = t1 - t0;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, comm));
    *best = PetscMin(*best, t);
  }
  PetscCall(PetscFree2(x, y));
  PetscFunctionReturn(0);
}

typedef enum {
  SWEEP_FORWARD,
  SWEEP_TANGENT,
  SWEEP_ADJOINT
} SweepKind;

static PetscErrorCode TimeSweep(OdynNet net, SweepKind kind, Vec theta, Vec Y0, Vec YN, Vec dtheta, Vec W, Vec gtheta, PetscInt reps, PetscLogDouble *best)
{
  MPI_Comm comm = PetscObjectComm((PetscObject)net);

  PetscFunctionBegin;
  *best = PETSC_MAX_REAL;
  for (PetscInt r = 0; r < reps + 1; r++) { /* run 0 is a warm-up (first touch of the trajectory and work arrays) */
    PetscLogDouble t0, t1, t;

    PetscCallMPI(MPI_Barrier(comm));
    PetscCall(PetscTime(&t0));
    switch (kind) {
    case SWEEP_FORWARD:
      PetscCall(OdynNetForward(net, theta, Y0, YN));
      break;
    case SWEEP_TANGENT:
      PetscCall(OdynNetJacobianMult(net, dtheta, NULL, YN));
      break;
    case SWEEP_ADJOINT:
      PetscCall(OdynNetJacobianMultTranspose(net, W, gtheta, NULL));
      break;
    }
    PetscCall(PetscTime(&t1));
    t = t1 - t0;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, comm));
    if (r > 0) *best = PetscMin(*best, t);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RunCase(PetscInt n, PetscInt s, PetscInt N, PetscInt reps)
{
  MPI_Comm        comm = PETSC_COMM_WORLD;
  OdynScheme      scheme;
  OdynLayer       layer;
  OdynNet         net;
  Vec             theta, dtheta, gtheta, Y0, YN, W;
  PetscRandom     rnd;
  PetscMPIInt     size, rank;
  PetscInt        slocal;
  PetscLogDouble  tg = 0, tgT = 0, tt = 0, t[3] = {0, 0, 0};
  SweepCount      cnt[3];
  const char     *names[3] = {"forward", "tangent", "adjoint"};
  double          gemmrate, gemmTrate;
  PetscBool       cached = PETSC_TRUE;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  slocal = s / size + (rank < s % size ? 1 : 0); /* examples are split over the ranks, whole examples each */

  PetscCall(OdynSchemeCreate(comm, &scheme));
  PetscCall(OdynSchemeSetType(scheme, ODYNSCHEMEEULER));
  PetscCall(OdynSchemeSetNumSteps(scheme, N));
  PetscCall(OdynSchemeSetFinalTime(scheme, 1.0));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-odyn_scheme_cache_linearization", &cached, NULL));
  PetscCall(OdynSchemeSetCacheLinearization(scheme, cached));
  PetscCall(OdynSchemeGetLayer(scheme, &layer));
  PetscCall(OdynLayerSetType(layer, ODYNLAYERDENSE));
  PetscCall(OdynLayerSetWidth(layer, n));
  PetscCall(OdynLayerSetActivation(layer, ODYN_ACTIVATION_TANH));
  PetscCall(OdynNetCreate(comm, &net));
  PetscCall(OdynNetAddBlock(net, scheme));
  PetscCall(OdynSchemeDestroy(&scheme));

  PetscCall(OdynNetCreateParameterVec(net, &theta));
  PetscCall(VecDuplicate(theta, &dtheta));
  PetscCall(VecDuplicate(theta, &gtheta));
  PetscCall(VecCreateMPI(comm, n * slocal, PETSC_DETERMINE, &Y0));
  PetscCall(VecDuplicate(Y0, &YN));
  PetscCall(VecDuplicate(Y0, &W));
  PetscCall(PetscRandomCreate(comm, &rnd));
  PetscCall(PetscRandomSetFromOptions(rnd));
  /* K entries of size 1/sqrt(n) keep K Y of order one, so tanh is neither linear nor saturated */
  PetscCall(PetscRandomSetInterval(rnd, -1.0 / PetscSqrtReal((PetscReal)n), 1.0 / PetscSqrtReal((PetscReal)n)));
  PetscCall(VecSetRandom(theta, rnd));
  PetscCall(VecSetRandom(dtheta, rnd));
  PetscCall(PetscRandomSetInterval(rnd, -1.0, 1.0));
  PetscCall(VecSetRandom(Y0, rnd));
  PetscCall(VecSetRandom(W, rnd));
  PetscCall(PetscRandomDestroy(&rnd));

  CountFlops(n, s, N, cached, &cnt[0], &cnt[1], &cnt[2]);
  PetscCall(TimeSweep(net, SWEEP_FORWARD, theta, Y0, YN, dtheta, W, gtheta, reps, &t[0]));
  PetscCall(TimeSweep(net, SWEEP_TANGENT, theta, Y0, YN, dtheta, W, gtheta, reps, &t[1]));
  PetscCall(TimeSweep(net, SWEEP_ADJOINT, theta, Y0, YN, dtheta, W, gtheta, reps, &t[2]));
  /* the reference: the GEMM every sweep is built on, K (n x n) times Y (n x s_local), N times per run; and the
     adjoint's gradient GEMM (D .* P) Y^T, an n x s times s x n product with a long inner dimension */
  PetscCall(TimeDgemm(comm, CblasNoTrans, CblasNoTrans, n, slocal, n, N, reps, &tg));
  PetscCall(TimeDgemm(comm, CblasNoTrans, CblasTrans, n, n, slocal, N, reps, &tgT));
  PetscCall(TimeTanh(comm, n * slocal, N, reps, &tt));
  gemmrate  = N * 2.0 * n * n * (double)s / tg * 1e-9;
  gemmTrate = N * 2.0 * n * n * (double)s / tgT * 1e-9;

  PetscCall(PetscPrintf(comm, "bench n=%" PetscInt_FMT " s=%" PetscInt_FMT " N=%" PetscInt_FMT " ranks=%d: stored trajectory (N+1) n s = %.0f doubles = %.1f MiB\n", n, s, N, (int)size, (double)(N + 1) * n * s, (double)(N + 1) * n * s * sizeof(PetscScalar) / 1048576.0));
  for (int k = 0; k < 3; k++) {
    const double flops = cnt[k].gemm + cnt[k].elem;
    const double rate  = flops / t[k] * 1e-9;
    PetscCall(PetscPrintf(comm, "bench n=%" PetscInt_FMT " s=%" PetscInt_FMT " N=%" PetscInt_FMT " %s: %.4f s  GFLOP/s %.2f  (DGEMM same shape: %.2f GFLOP/s, %.0f%%)  [%.3g GFLOP: %.0f%% in GEMMs; %.3g tanh not counted]\n", n, s, N, names[k], (double)t[k], rate, gemmrate, 100.0 * rate / gemmrate, flops * 1e-9, 100.0 * cnt[k].gemm / flops, cnt[k].tanh));
  }
  PetscCall(PetscPrintf(comm, "bench n=%" PetscInt_FMT " s=%" PetscInt_FMT " N=%" PetscInt_FMT " reference: DGEMM n x n * n x s %.4f s for %" PetscInt_FMT " calls (%.2f GFLOP/s); DGEMM n x s * (n x s)^T, the adjoint's gradient shape, %.2f GFLOP/s; libm tanh %.4f s for N n s = %.3g values (%.1f ns each)\n", n, s, N, (double)tg, N, gemmrate, gemmTrate, (double)tt, (double)N * n * s, tt / ((double)N * n * s) * 1e9 * size));

  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&dtheta));
  PetscCall(VecDestroy(&gtheta));
  PetscCall(VecDestroy(&Y0));
  PetscCall(VecDestroy(&YN));
  PetscCall(VecDestroy(&W));
  PetscCall(OdynNetDestroy(&net));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt  n = 0, s = 10000, N = 64, reps = 3;
  PetscBool flg;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n", &n, &flg));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-s", &s, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-N", &N, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
  PetscCheck(s >= 1 && N >= 1 && reps >= 1 && (!flg || n >= 1), PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-n, -s, -N and -reps must be positive");
  if (flg) PetscCall(RunCase(n, s, N, reps));
  else {
    PetscCall(RunCase(8, s, N, reps));
    PetscCall(RunCase(64, s, N, reps));
  }
  PetscCall(PetscFinalize());
  return 0;
}
