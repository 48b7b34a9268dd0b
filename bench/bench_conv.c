static const char help[] = "Times the forward, tangent and adjoint sweeps of a convolutional ResNet (forward Euler, conv layer, 3x3 stencils,\n"
                           "tanh) and compares their convolution GFLOP/s with OpenBLAS DGEMM measured in the same run.\n"
                           "  -n <N>        number of layers (default 16)\n"
                           "  -batch <s>    number of examples (default 5000)\n"
                           "  -image <h,w>  image size (default 28,28)\n"
                           "  -channels <c> channels (default 6)\n"
                           "  -reps <r>     repetitions; the best time is reported (default 3)\n"
                           "  -tvnorm       with total-variation normalization\n"
                           "  -chunk <n>    im2col block size in scalars (odyn_conv_set_chunk_target(); default 98304)\n"
                           "  -method <m>   convolution kernels: auto (size rule), direct or gemm (odyn_conv_set_method(); default: the\n"
                           "                environment variable ODYN_CONV_METHOD, else auto)\n\n";

/*
  Flop count: a k x k convolution from cin to cout channels on h x w images costs 2 cout cin k^2 h w flops per example
  (its GEMM: M = h w examples, N = cout, K = cin k^2), and so do its adjoint in the input and in the stencil. The sweeps
  do, per step (src/layers/impls/convcore.c, src/schemes/impls/euler.c):
    forward:  1 convolution                                  (+ bias, tanh, Euler update: not counted)
    tangent:  2 (JacX: K V; JacTheta: dK Y_j)                (+ 1 for the linearization when it is not cached)
    adjoint:  2 (JacThetaT: stencil gradient; JacXT: K^T P)   (+ 1 likewise)
  With the default -odyn_scheme_cache_linearization the first derivative sweep after a forward sweep linearizes and
  saves sigma'; later ones restore it. The reported times are the best of several runs, i.e. cached sweeps, so the
  linearization is not counted. Only convolution flops are counted: the rate says how close the sweeps come to the
  GEMMs they are built on.

  References measured in the same run (single thread with OPENBLAS_NUM_THREADS=1):
    DGEMM (conv shape): the GEMM of one im2col chunk, M = h w x chunk, N = cout, K = cin k^2, as many flops as a sweep
    DGEMM (square):     2000 x 2000 x 2000, what OpenBLAS reaches at its best
*/
#include <math.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include <odyn.h>
#include <odyn/private/convkernels.h>

/* CPU time of this process: on a machine shared with other jobs it says what the sweep costs when it has a core */
static double CpuTime(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static PetscErrorCode TimeDgemm(PetscInt m, PetscInt n, PetscInt k, double flops, PetscInt reps, double *rate, double *ratecpu)
{
  double bestcpu = PETSC_MAX_REAL;
  PetscScalar   *A, *B, *C;
  PetscInt       calls = PetscMax(1, (PetscInt)(flops / (2.0 * m * n * k)));
  PetscLogDouble best  = PETSC_MAX_REAL;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(m * k, &A, k * n, &B, m * n, &C));
  for (PetscInt i = 0; i < m * k; i++) A[i] = sin((double)i);
  for (PetscInt i = 0; i < k * n; i++) B[i] = cos((double)i);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0, A, (int)m, B, (int)k, 0.0, C, (int)m);
  for (PetscInt r = 0; r < reps; r++) {
    PetscLogDouble t0, t1;
    double         c0 = CpuTime();
    PetscCall(PetscTime(&t0));
    for (PetscInt c = 0; c < calls; c++) cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0, A, (int)m, B, (int)k, 0.0, C, (int)m);
    PetscCall(PetscTime(&t1));
    best    = PetscMin(best, t1 - t0);
    bestcpu = PetscMin(bestcpu, CpuTime() - c0);
  }
  *rate    = calls * 2.0 * m * n * k / best * 1e-9;
  *ratecpu = calls * 2.0 * m * n * k / bestcpu * 1e-9;
  PetscCall(PetscFree3(A, B, C));
  PetscFunctionReturn(0);
}

typedef enum {
  SWEEP_FORWARD,
  SWEEP_TANGENT,
  SWEEP_ADJOINT
} SweepKind;

static PetscErrorCode TimeSweep(OdynNet net, SweepKind kind, Vec theta, Vec Y0, Vec YN, Vec dtheta, Vec W, Vec gtheta, PetscInt reps, PetscLogDouble *best, double *bestcpu)
{
  PetscFunctionBegin;
  *best    = PETSC_MAX_REAL;
  *bestcpu = PETSC_MAX_REAL;
  for (PetscInt r = 0; r < reps + 1; r++) { /* run 0 is a warm-up (first touch; the first derivative sweep saves sigma') */
    PetscLogDouble t0, t1;
    double         c0 = CpuTime();
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
    if (r > 0) *best = PetscMin(*best, t1 - t0);
    if (r > 0) *bestcpu = PetscMin(*bestcpu, CpuTime() - c0);
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt        N = 16, s = 5000, img[2] = {28, 28}, nimg = 2, c = 6, reps = 3, nin, kk = 9;
  PetscBool       tv = PETSC_FALSE;
  OdynScheme      scheme;
  OdynLayer       layer;
  OdynNet         net;
  Vec             theta, dtheta, gtheta, Y0, YN, W;
  PetscRandom     rnd;
  PetscMPIInt     size;
  PetscLogDouble  t[3];
  double          tc[3];
  const char     *names[3] = {"forward", "tangent", "adjoint"};
  const double    nconv[3] = {1, 2, 2};
  double          conv1, rshape, rsquare, cshape, csquare;
  odyn_conv_geom  g;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCheck(size == 1, PETSC_COMM_WORLD, PETSC_ERR_SUP, "bench_conv runs on one rank (bench_sweeps measures several)");
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n", &N, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-batch", &s, NULL));
  PetscCall(PetscOptionsGetIntArray(NULL, NULL, "-image", img, &nimg, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-channels", &c, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-tvnorm", &tv, NULL));
  {
    PetscInt chunk = 0;
    PetscCall(PetscOptionsGetInt(NULL, NULL, "-chunk", &chunk, NULL));
    odyn_conv_set_chunk_target((long)chunk);
  }
  {
    char      m[16] = "";
    PetscBool flg;
    PetscCall(PetscOptionsGetString(NULL, NULL, "-method", m, sizeof(m), &flg));
    if (flg) {
      PetscCheck(!strcmp(m, "auto") || !strcmp(m, "direct") || !strcmp(m, "gemm"), PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "-method must be auto, direct or gemm, got %s", m);
      odyn_conv_set_method(!strcmp(m, "direct") ? ODYN_CONV_METHOD_DIRECT : !strcmp(m, "gemm") ? ODYN_CONV_METHOD_GEMM : ODYN_CONV_METHOD_AUTO);
    }
  }
  if (nimg == 1) img[1] = img[0];
  PetscCheck(N >= 1 && s >= 1 && c >= 1 && reps >= 1 && img[0] >= 1 && img[1] >= 1, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-n, -batch, -image, -channels and -reps must be positive");

  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &scheme));
  PetscCall(OdynSchemeSetType(scheme, ODYNSCHEMEEULER));
  PetscCall(OdynSchemeSetNumSteps(scheme, N));
  PetscCall(OdynSchemeSetFinalTime(scheme, 1.0));
  PetscCall(OdynSchemeGetLayer(scheme, &layer));
  PetscCall(OdynLayerSetType(layer, ODYNLAYERCONV));
  PetscCall(OdynLayerConvSetImage(layer, img[0], img[1]));
  PetscCall(OdynLayerConvSetChannels(layer, c, c));
  PetscCall(OdynLayerConvSetTVNorm(layer, tv, PETSC_DEFAULT));
  PetscCall(OdynLayerSetActivation(layer, ODYN_ACTIVATION_TANH));
  PetscCall(OdynSchemeSetFromOptions(scheme)); /* -odyn_scheme_cache_linearization false etc. */
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, &net));
  PetscCall(OdynNetAddBlock(net, scheme));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscCall(OdynNetGetInputWidth(net, &nin));

  PetscCall(OdynNetCreateParameterVec(net, &theta));
  PetscCall(VecDuplicate(theta, &dtheta));
  PetscCall(VecDuplicate(theta, &gtheta));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, nin * s, PETSC_DETERMINE, &Y0));
  PetscCall(VecDuplicate(Y0, &YN));
  PetscCall(VecDuplicate(Y0, &W));
  PetscCall(PetscRandomCreate(PETSC_COMM_WORLD, &rnd));
  /* stencil entries of size 1/sqrt(9 c) keep K Y of order one: tanh neither linear nor saturated */
  PetscCall(PetscRandomSetInterval(rnd, -1.0 / PetscSqrtReal(kk * c), 1.0 / PetscSqrtReal(kk * c)));
  PetscCall(VecSetRandom(theta, rnd));
  PetscCall(VecSetRandom(dtheta, rnd));
  PetscCall(PetscRandomSetInterval(rnd, -1.0, 1.0));
  PetscCall(VecSetRandom(Y0, rnd));
  PetscCall(VecSetRandom(W, rnd));
  PetscCall(PetscRandomDestroy(&rnd));
  if (tv) { /* scale 1 */
    PetscInt     np;
    PetscScalar *th;
    PetscCall(OdynLayerGetNumParameters(layer, &np));
    PetscCall(VecGetArray(theta, &th));
    for (PetscInt j = 0; j < N; j++)
      for (PetscInt i = 0; i < c; i++) th[j * np + c * c * kk + c + i] = 1.0;
    PetscCall(VecRestoreArray(theta, &th));
  }

  PetscCall(TimeSweep(net, SWEEP_FORWARD, theta, Y0, YN, dtheta, W, gtheta, reps, &t[0], &tc[0]));
  PetscCall(TimeSweep(net, SWEEP_TANGENT, theta, Y0, YN, dtheta, W, gtheta, reps, &t[1], &tc[1]));
  PetscCall(TimeSweep(net, SWEEP_ADJOINT, theta, Y0, YN, dtheta, W, gtheta, reps, &t[2], &tc[2]));

  conv1 = 2.0 * c * c * kk * img[0] * img[1] * (double)s * N; /* one convolution per step, whole batch */
  g.h = img[0], g.w = img[1], g.cin = c, g.cout = c, g.k = 3;
  {
    /* the chunk the kernels use: the im2col block of odyn_conv_work_size() minus the stencil, divided per example */
    const long ws = odyn_conv_work_size(&g), per = img[0] * img[1] * c * (kk + 1);
    const long M  = (ws - c * c * kk) / per * img[0] * img[1];
    PetscCall(TimeDgemm(M, c, c * kk, conv1, reps, &rshape, &cshape));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "bench_conv N=%" PetscInt_FMT " batch=%" PetscInt_FMT " image %" PetscInt_FMT "x%" PetscInt_FMT " channels %" PetscInt_FMT "%s: state %.1f MiB, stored trajectory %.1f MiB; kernels: %s; im2col GEMM M=%ld N=%" PetscInt_FMT " K=%" PetscInt_FMT "\n", N, s, img[0], img[1], c, tv ? " tvnorm" : "", nin * (double)s * 8 / 1048576.0, (N + 1) * nin * (double)s * 8 / 1048576.0, odyn_conv_uses_direct(&g) ? "direct" : "im2col + GEMM", M, c, c * kk));
  }
  PetscCall(TimeDgemm(2000, 2000, 2000, 2 * 16e9, 1, &rsquare, &csquare));
  for (int k = 0; k < 3; k++) {
    const double rate = nconv[k] * conv1 / t[k] * 1e-9;
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "bench_conv %s: %.4f s  conv GFLOP/s %.2f  (%.0f%% of DGEMM conv shape %.2f, %.0f%% of DGEMM square %.2f)  [%.3g GFLOP]\n", names[k], (double)t[k], rate, 100.0 * rate / rshape, rshape, 100.0 * rate / rsquare, rsquare, nconv[k] * conv1 * 1e-9));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "bench_conv %s by CPU time: %.4f s  conv GFLOP/s %.2f  (%.0f%% of DGEMM conv shape %.2f, %.0f%% of DGEMM square %.2f)\n", names[k], tc[k], nconv[k] * conv1 / tc[k] * 1e-9, 100.0 * nconv[k] * conv1 / tc[k] * 1e-9 / cshape, cshape, 100.0 * nconv[k] * conv1 / tc[k] * 1e-9 / csquare, csquare));
  }

  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&dtheta));
  PetscCall(VecDestroy(&gtheta));
  PetscCall(VecDestroy(&Y0));
  PetscCall(VecDestroy(&YN));
  PetscCall(VecDestroy(&W));
  PetscCall(OdynNetDestroy(&net));
  PetscCall(PetscFinalize());
  return 0;
}
