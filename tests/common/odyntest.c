#include <string.h>
#include <stdlib.h>
#include "odyntest.h"

PetscErrorCode OdynTestRandom(unsigned long seed, PetscInt len, PetscReal scale, PetscScalar a[])
{
  PetscRandom r;

  PetscFunctionBegin;
  PetscCall(PetscRandomCreate(PETSC_COMM_SELF, &r));
  PetscCall(PetscRandomSetType(r, PETSCRAND48));
  PetscCall(PetscRandomSetInterval(r, -scale, scale));
  PetscCall(PetscRandomSetSeed(r, seed));
  PetscCall(PetscRandomSeed(r));
  for (PetscInt i = 0; i < len; i++) PetscCall(PetscRandomGetValue(r, &a[i]));
  PetscCall(PetscRandomDestroy(&r));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTestRandomVec(unsigned long seed, PetscReal scale, Vec v)
{
  PetscInt     N, rstart, rend;
  PetscScalar *all, *a;

  PetscFunctionBegin;
  PetscCall(VecGetSize(v, &N));
  PetscCall(VecGetOwnershipRange(v, &rstart, &rend));
  PetscCall(PetscMalloc1(N, &all));
  PetscCall(OdynTestRandom(seed, N, scale, all));
  PetscCall(VecGetArray(v, &a));
  PetscCall(PetscArraycpy(a, all + rstart, rend - rstart));
  PetscCall(VecRestoreArray(v, &a));
  PetscCall(PetscFree(all));
  PetscFunctionReturn(0);
}

void OdynTaylorOptionsDefault(OdynTaylorOptions *o)
{
  o->halvings   = 8;
  o->eps0       = 0.1;
  o->order2_min = 3.2;
  o->tail       = 0;
  o->verbose    = PETSC_FALSE;
}

static PetscReal Norm2(PetscInt n, const PetscScalar *a)
{
  PetscReal s = 0;
  for (PetscInt i = 0; i < n; i++) s += PetscRealPart(a[i] * a[i]);
  return PetscSqrtReal(s);
}

PetscBool OdynTaylorTest(const char *label, PetscInt nf, const PetscScalar F0[], const PetscScalar Jv[], OdynTestPerturbedFn fn, void *ctx, const OdynTaylorOptions *opt)
{
  const PetscInt K = opt->halvings + 1;
  PetscReal      E1[64], E2[64], eps = opt->eps0;
  PetscScalar   *Fe;
  PetscReal      fscale = Norm2(nf, F0) + Norm2(nf, Jv), floor2;
  PetscBool      ok = PETSC_TRUE, linear = PETSC_TRUE;
  PetscInt       checked = 0;

  if (K > 64 || PetscMalloc1(nf, &Fe)) return PETSC_FALSE;
  for (PetscInt k = 0; k < K; k++, eps /= 2) {
    PetscReal s1 = 0, s2 = 0;
    if (fn(ctx, eps, Fe)) {
      PetscFree(Fe);
      return PETSC_FALSE;
    }
    for (PetscInt i = 0; i < nf; i++) {
      const PetscReal d = PetscRealPart(Fe[i] - F0[i]);
      s1 += d * d;
      s2 += (d - eps * PetscRealPart(Jv[i])) * (d - eps * PetscRealPart(Jv[i]));
    }
    E1[k] = PetscSqrtReal(s1);
    E2[k] = PetscSqrtReal(s2);
  }
  PetscFree(Fe);
  /* round-off in F(x + eps v) - F(x) is about 1e-15 ||F||; below ~1e3 times that E2 carries no information */
  floor2 = 1e-12 * (fscale > 0 ? fscale : 1.0);
  for (PetscInt k = opt->tail > 0 ? K - opt->tail : 0; k < K; k++)
    if (E2[k] > floor2 && E2[k] > 1e-10 * E1[k]) linear = PETSC_FALSE;
  for (PetscInt k = 1; k < K; k++) {
    const PetscReal r1 = E1[k - 1] / E1[k];
    if (E1[k] > floor2 && (r1 < 1.6 || r1 > 2.5)) ok = PETSC_FALSE; /* first order: a factor 2 */
    if (!linear && E2[k] > floor2 && (opt->tail <= 0 || k >= K - opt->tail)) {
      const PetscReal r2 = E2[k - 1] / E2[k];
      checked++;
      if (r2 < opt->order2_min || r2 > 4.8) ok = PETSC_FALSE;
    }
  }
  if (!linear && checked < PetscMin(5, opt->tail > 0 ? opt->tail : 5)) ok = PETSC_FALSE;
  if (!(E1[0] > 0)) ok = PETSC_FALSE; /* a direction that changes nothing tests nothing */
  if (!ok || opt->verbose) {
    PetscPrintf(PETSC_COMM_SELF, "Taylor test %s: %s%s\n", label, ok ? "passed" : "FAILED", linear ? " (linear in this direction)" : "");
    eps = opt->eps0;
    for (PetscInt k = 0; k < K; k++, eps /= 2) PetscPrintf(PETSC_COMM_SELF, "  eps %10.3e  E1 %10.3e  E2 %10.3e  ratios %6.3f %6.3f\n", (double)eps, (double)E1[k], (double)E2[k], k ? (double)(E1[k - 1] / E1[k]) : 0.0, k ? (double)(E2[k - 1] / E2[k]) : 0.0);
  }
  return ok;
}

PetscReal OdynDotTestRelDiff(PetscInt nf, const PetscScalar Jv[], const PetscScalar w[], PetscInt nx, const PetscScalar v[], const PetscScalar JTw[])
{
  PetscReal a = 0, b = 0, d;
  for (PetscInt i = 0; i < nf; i++) a += PetscRealPart(Jv[i] * w[i]);
  for (PetscInt i = 0; i < nx; i++) b += PetscRealPart(v[i] * JTw[i]);
  d = PetscMax(PetscAbsReal(a), PetscAbsReal(b));
  return d > 0 ? PetscAbsReal(a - b) / d : PetscAbsReal(a - b);
}

static char odyn_test_errmsg[4096];

static PetscErrorCode CaptureHandler(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  /* keep the first (innermost) message: that is the one PetscCheck wrote */
  if (p == PETSC_ERROR_INITIAL && mess) PetscStrncpy(odyn_test_errmsg, mess, sizeof(odyn_test_errmsg));
  return n;
}

void OdynTestCaptureErrorsBegin(void)
{
  odyn_test_errmsg[0] = 0;
  PetscPushErrorHandler(CaptureHandler, NULL);
}

void OdynTestCaptureErrorsEnd(void) { PetscPopErrorHandler(); }

const char *OdynTestLastErrorMessage(void) { return odyn_test_errmsg; }

int OdynTestMain(int argc, char **argv, Suite *(*make)(void))
{
  SRunner *sr;
  int      failed, rank;

  if (PetscInitialize(&argc, &argv, NULL, NULL)) return 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  sr = srunner_create(make());
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, rank == 0 ? CK_NORMAL : CK_SILENT);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  /* every rank must agree on the verdict */
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
  if (PetscFinalize()) return 1;
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
