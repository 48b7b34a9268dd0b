/*
  Data parallelism: a two-block network on PETSC_COMM_WORLD with s = 37 examples split unevenly over the ranks
  (PetscSplitOwnership: 19 + 18 on 2 ranks) must give the same forward output, Jacobian products J dtheta, J dY0 and
  gradients J^T W (theta and Y0) as the same network on PETSC_COMM_SELF holding all 37 examples on every rank.
  Run on 2 ranks (test_mpi) and on 1 rank (test_mpi_1): both agree with the serial network, hence with each other.
  Data and parameters come from OdynTestRandomVec, so they are the same whatever the number of ranks.
*/
#include <string.h>
#include "odyntest.h"

#define NEX 37 /* examples, globally */
#define NW  4  /* width */

typedef struct {
  const char        *stype, *ltype;
  PetscInt           N, m; /* steps; hidden width (hamiltonian) */
  PetscReal          T;
  OdynTrajectoryType tt;
  OdynActivationType act;
} BlockSpec;

typedef struct {
  const char *name;
  BlockSpec   b[2];
} NetSpec;

static const NetSpec specs[2] = {
  {"euler/antisym + verlet/hamiltonian (store)",
   {{ODYNSCHEMEEULER, ODYNLAYERANTISYM, 6, 0, 1.0, ODYN_TRAJECTORY_STORE, ODYN_ACTIVATION_TANH}, {ODYNSCHEMEVERLET, ODYNLAYERHAMILTONIAN, 5, 3, 1.0, ODYN_TRAJECTORY_STORE, ODYN_ACTIVATION_TANH}}},
  {"leapfrog/negdef + verlet/hamiltonian (recompute)",
   {{ODYNSCHEMELEAPFROG, ODYNLAYERNEGDEF, 8, 0, 2.0, ODYN_TRAJECTORY_RECOMPUTE, ODYN_ACTIVATION_TANH}, {ODYNSCHEMEVERLET, ODYNLAYERHAMILTONIAN, 4, 5, 1.0, ODYN_TRAJECTORY_RECOMPUTE, ODYN_ACTIVATION_RELU}}}
};

static PetscErrorCode BuildNet(MPI_Comm comm, const NetSpec *spec, OdynNet *net)
{
  PetscFunctionBegin;
  PetscCall(OdynNetCreate(comm, net));
  for (int b = 0; b < 2; b++) {
    const BlockSpec *bs = &spec->b[b];
    OdynScheme       scheme;
    OdynLayer        layer;

    PetscCall(OdynSchemeCreate(comm, &scheme));
    PetscCall(OdynSchemeSetType(scheme, bs->stype));
    PetscCall(OdynSchemeSetNumSteps(scheme, bs->N));
    PetscCall(OdynSchemeSetFinalTime(scheme, bs->T));
    PetscCall(OdynSchemeSetTrajectoryType(scheme, bs->tt));
    PetscCall(OdynSchemeGetLayer(scheme, &layer));
    PetscCall(OdynLayerSetType(layer, bs->ltype));
    PetscCall(OdynLayerSetWidth(layer, NW));
    if (bs->m) PetscCall(OdynLayerSetHiddenWidth(layer, bs->m));
    PetscCall(OdynLayerSetActivation(layer, bs->act));
    PetscCall(OdynNetAddBlock(*net, scheme));
    PetscCall(OdynSchemeDestroy(&scheme));
  }
  PetscFunctionReturn(0);
}

enum {
  R_YN,
  R_JDTHETA,
  R_JDY0,
  R_GTHETA,
  R_GY0,
  R_NUM
};
static const char *rnames[R_NUM] = {"Y_N", "J dtheta", "J dY0", "J^T W (theta)", "J^T W (Y0)"};

/* All results of one network on comm, with slocal examples on this rank. */
static PetscErrorCode Compute(MPI_Comm comm, const NetSpec *spec, PetscInt slocal, Vec r[R_NUM])
{
  OdynNet  net;
  Vec      theta, dtheta, Y0, dY0, W;
  PetscInt nin, nout;

  PetscFunctionBegin;
  PetscCall(BuildNet(comm, spec, &net));
  PetscCall(OdynNetGetInputWidth(net, &nin));
  PetscCall(OdynNetGetOutputWidth(net, &nout));
  PetscCall(OdynNetCreateParameterVec(net, &theta));
  PetscCall(VecDuplicate(theta, &dtheta));
  PetscCall(VecDuplicate(theta, &r[R_GTHETA]));
  PetscCall(OdynTestRandomVec(101, 0.6, theta));
  PetscCall(OdynTestRandomVec(102, 1.0, dtheta));
  PetscCall(VecCreateMPI(comm, nin * slocal, nin * NEX, &Y0));
  PetscCall(VecDuplicate(Y0, &dY0));
  PetscCall(VecDuplicate(Y0, &r[R_GY0]));
  PetscCall(OdynTestRandomVec(103, 1.0, Y0));
  PetscCall(OdynTestRandomVec(104, 1.0, dY0));
  PetscCall(VecCreateMPI(comm, nout * slocal, nout * NEX, &W));
  PetscCall(VecDuplicate(W, &r[R_YN]));
  PetscCall(VecDuplicate(W, &r[R_JDTHETA]));
  PetscCall(VecDuplicate(W, &r[R_JDY0]));
  PetscCall(OdynTestRandomVec(105, 1.0, W));

  PetscCall(OdynNetForward(net, theta, Y0, r[R_YN]));
  PetscCall(OdynNetJacobianMult(net, dtheta, NULL, r[R_JDTHETA]));
  PetscCall(OdynNetJacobianMult(net, NULL, dY0, r[R_JDY0]));
  PetscCall(OdynNetJacobianMultTranspose(net, W, r[R_GTHETA], r[R_GY0]));

  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&dtheta));
  PetscCall(VecDestroy(&Y0));
  PetscCall(VecDestroy(&dY0));
  PetscCall(VecDestroy(&W));
  PetscCall(OdynNetDestroy(&net));
  PetscFunctionReturn(0);
}

/* max |par - ser| / max |ser| over the whole vector: each rank compares its slice with the same entries of the serial
   result (which every rank holds whole), and the maxima are reduced over the ranks. */
static PetscErrorCode CompareSlices(Vec par, Vec ser, PetscReal *rel)
{
  const PetscScalar *p, *q;
  PetscInt           rstart, rend, Np, Ns;
  PetscReal          m[2] = {0, 0};

  PetscFunctionBegin;
  PetscCall(VecGetSize(par, &Np));
  PetscCall(VecGetSize(ser, &Ns));
  PetscCheck(Np == Ns, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "sizes differ: %" PetscInt_FMT " vs %" PetscInt_FMT, Np, Ns);
  PetscCall(VecGetOwnershipRange(par, &rstart, &rend));
  PetscCall(VecGetArrayRead(par, &p));
  PetscCall(VecGetArrayRead(ser, &q));
  for (PetscInt i = rstart; i < rend; i++) m[0] = PetscMax(m[0], PetscAbsScalar(p[i - rstart] - q[i]));
  for (PetscInt i = 0; i < Ns; i++) m[1] = PetscMax(m[1], PetscAbsScalar(q[i]));
  PetscCall(VecRestoreArrayRead(par, &p));
  PetscCall(VecRestoreArrayRead(ser, &q));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, m, 2, MPIU_REAL, MPIU_MAX, PetscObjectComm((PetscObject)par)));
  *rel = m[1] > 0 ? m[0] / m[1] : m[0];
  PetscFunctionReturn(0);
}

/* Every spec on the parallel network with `slocal` local examples against the serial one with all of them. */
static void CompareAll(PetscInt slocal, PetscMPIInt size)
{
  for (int c = 0; c < 2; c++) {
    Vec rpar[R_NUM], rser[R_NUM];

    ODYN_CK(Compute(PETSC_COMM_WORLD, &specs[c], slocal, rpar));
    ODYN_CK(Compute(PETSC_COMM_SELF, &specs[c], NEX, rser));
    for (int k = 0; k < R_NUM; k++) {
      PetscReal rel, nrm;

      ODYN_CK(CompareSlices(rpar[k], rser[k], &rel));
      ODYN_CK(VecNorm(rser[k], NORM_INFINITY, &nrm));
      ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "  %s: %-14s max|ser| %.3e  %d rank(s) vs serial: rel diff %.3e\n", specs[c].name, rnames[k], (double)nrm, (int)size, (double)rel));
      /* the verdict is the same on every rank (rel is reduced), so no rank leaves the others in a collective */
      ck_assert_msg(nrm > 0, "%s: %s is zero, the comparison would be vacuous", specs[c].name, rnames[k]);
      ck_assert_msg(rel <= 1e-12, "%s: %s differs between %d rank(s) and serial: %g", specs[c].name, rnames[k], (int)size, (double)rel);
    }
    for (int k = 0; k < R_NUM; k++) {
      ODYN_CK(VecDestroy(&rpar[k]));
      ODYN_CK(VecDestroy(&rser[k]));
    }
  }
}

START_TEST(test_parallel_matches_serial)
{
  PetscMPIInt size, rank;
  PetscInt    slocal = PETSC_DECIDE, sglobal = NEX, scount[2];

  ODYN_CK(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  ODYN_CK(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  ODYN_CK(PetscSplitOwnership(PETSC_COMM_WORLD, &slocal, &sglobal));
  scount[0] = slocal;
  scount[1] = -slocal;
  ODYN_CK(MPI_Allreduce(MPI_IN_PLACE, scount, 2, MPIU_INT, MPI_MAX, PETSC_COMM_WORLD));
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "%d rank(s), %d examples: %d .. %d per rank\n", (int)size, NEX, (int)-scount[1], (int)scount[0]));
  if (size == 2) ck_assert_msg(scount[0] != -scount[1], "the split of %d examples over 2 ranks should be uneven", NEX);

  CompareAll(slocal, size);
}
END_TEST

/* A rank that holds no examples still takes part in every collective sweep (uneven data, more ranks than batches). */
START_TEST(test_rank_without_examples)
{
  PetscMPIInt size, rank;

  ODYN_CK(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  ODYN_CK(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  CompareAll(rank == 0 ? NEX : 0, size);
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("mpi");
  TCase *t = tcase_create("data-parallel");
  tcase_add_test(t, test_parallel_matches_serial);
  tcase_add_test(t, test_rank_without_examples);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
