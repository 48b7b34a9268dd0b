/*
  -odyn_bcd_chunk_size (solvers/bcd/chunks.c): the propagation step's sweeps, gradient and Gauss-Newton products
  summed over chunks of local examples give the unchunked training run to round-off (objective history, gradient
  norms, steps, accuracies), with the Hessian sub-sample equal to the batch and a proper sub-sample of it; a chunk at
  least as large as the local examples is the unchunked run bit for bit; and the peak of PETSc-allocated memory goes
  down with chunks on a deep network (its stored trajectory dominates). Runs on 1 and on 2 ranks (the ranks' chunk
  counts are agreed on, so the collective calls match). Each trainer reads its settings from a private options
  database.
*/
#include "odyntest.h"
#include "trainrun.h"
#include <odyn/private/schemeimpl.h> /* the blocks' and the loss's host <-> backend byte counts */
#include <odyn/private/lossimpl.h>

typedef OdynTestRun Run;

/* trains on the ellipses with the settings `opts`, one level of N layers, the network on backend bk (NULL: host) with
   the hand-over of states in its memory on or off; peak: PETSc-allocated peak during the solve */
static PetscErrorCode TrainOn(MPI_Comm comm, const char *opts, PetscInt N, const char *bk, PetscBool handover, Run *r, PetscLogDouble *peak)
{
  OdynDataset     tr, va;
  OdynTestRunSpec spec;
  const PetscInt  levels[1] = {N};

  PetscFunctionBegin;
  PetscCall(OdynProblemCreate(comm, "ellipse", &tr, &va));
  OdynTestRunSpecEllipse(&spec); /* forward Euler block of N dense tanh layers of width 2, T = 20 */
  spec.steps = N;
  PetscCall(OdynTestRunCreate(comm, &spec, tr, va, opts, 1, levels, r));
  if (bk) PetscCall(OdynNetSetBackend(r->net, bk));
  PetscCall(OdynNetSetBackendHandover(r->net, handover));
  PetscCall(OdynDatasetDestroy(&tr)); /* the trainer holds them */
  PetscCall(OdynDatasetDestroy(&va));
  {
    /* PETSc updates the pushed maxima only while it logs memory; the peak is counted from the usage before the solve */
    const PetscBool logmem = PetscLogMemory;
    PetscLogDouble  before;
    PetscCall(PetscMallocGetCurrentUsage(&before));
    PetscLogMemory = PETSC_TRUE;
    PetscCall(PetscMallocPushMaximumUsage(1));
    PetscCall(OdynTrainerSolve(r->t, &r->theta, &r->wmu));
    PetscCall(PetscMallocPopMaximumUsage(1, peak));
    PetscLogMemory = logmem;
    *peak -= before;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Train(MPI_Comm comm, const char *opts, PetscInt N, Run *r, PetscLogDouble *peak) { return TrainOn(comm, opts, N, NULL, PETSC_TRUE, r, peak); }

/* largest relative difference of the histories (objectives, gradient norm, step); counts differing accuracies */
static PetscReal HistoryDiff(Run *a, Run *b, PetscInt nexpect, PetscInt *nacc)
{
  const OdynTrainerHistoryEntry *ha, *hb;
  PetscInt                       na, nb;
  PetscReal                      dmax = 0;

  ODYN_CK(OdynTrainerGetHistory(a->t, &na, &ha));
  ODYN_CK(OdynTrainerGetHistory(b->t, &nb, &hb));
  ck_assert_msg(na == nexpect && nb == nexpect, "histories of %d and %d iterations, expected %d", (int)na, (int)nb, (int)nexpect);
  *nacc = 0;
  for (PetscInt i = 0; i < na; i++) {
    const PetscReal x[4] = {ha[i].obj_classifier, ha[i].obj_propagation, ha[i].gnorm, ha[i].step}, y[4] = {hb[i].obj_classifier, hb[i].obj_propagation, hb[i].gnorm, hb[i].step};
    for (int k = 0; k < 4; k++) dmax = PetscMax(dmax, PetscAbsReal(x[k] - y[k]) / PetscMax(PetscAbsReal(y[k]), 1e-300));
    if (ha[i].train_acc != hb[i].train_acc || ha[i].val_acc != hb[i].val_acc) (*nacc)++;
  }
  return dmax;
}

/*
   chunked vs unchunked histories, Hessian sub-sample = batch and a sub-sample; a huge chunk is the plain run bit for
   bit. CG amplifies the round-off of the summation order: with 3 PCG iterations the runs agree to ~1e-13, with 5 only
   to ~1e-7 (as the histories of test_train's ranks test), so 3 keeps the tolerance tight enough to see a wrong product.
*/
START_TEST(test_chunk_history)
{
  /* 501 examples on 2 ranks are 251 + 250: 6 chunks of 50 and 5, so the second rank takes part with an empty chunk */
  const char    *base[2]  = {"-odyn_bcd_max_it 4 -odyn_bcd_init_scale 0.5 -odyn_bcd_batch_size 501 -odyn_bcd_gn_pcg_max_it 3", "-odyn_bcd_max_it 4 -odyn_bcd_init_scale 0.5 -odyn_bcd_batch_size 500 -odyn_bcd_hessian_size 230 -odyn_bcd_gn_pcg_max_it 3 -odyn_bcd_gn_max_it 2"};
  const PetscInt chunk[2] = {50, 37};

  for (int c = 0; c < 2; c++) {
    char           opts[512];
    Run            r0, r1, r2;
    PetscLogDouble p;
    PetscInt       nacc1, nacc2;
    PetscReal      d1, d2;

    ODYN_CK(Train(PETSC_COMM_WORLD, base[c], 8, &r0, &p));
    ODYN_CK(PetscSNPrintf(opts, sizeof(opts), "%s -odyn_bcd_chunk_size %d", base[c], (int)chunk[c]));
    ODYN_CK(Train(PETSC_COMM_WORLD, opts, 8, &r1, &p));
    ODYN_CK(PetscSNPrintf(opts, sizeof(opts), "%s -odyn_bcd_chunk_size 100000", base[c]));
    ODYN_CK(Train(PETSC_COMM_WORLD, opts, 8, &r2, &p));
    d1 = HistoryDiff(&r1, &r0, 4, &nacc1);
    d2 = HistoryDiff(&r2, &r0, 4, &nacc2);
    ck_assert(MPI_Allreduce(MPI_IN_PLACE, &d1, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD) == MPI_SUCCESS);
    ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "test_chunk: %s: chunks of %d vs none: max relative history difference %.3e; chunk 100000: %.3e\n", c ? "batch 500, Hessian sub-sample 230" : "batch 501, Hessian on the batch", (int)chunk[c], (double)d1, (double)d2));
    ODYN_CK(OdynTestRunDestroy(&r0));
    ODYN_CK(OdynTestRunDestroy(&r1));
    ODYN_CK(OdynTestRunDestroy(&r2));
    ck_assert_msg(d1 <= 1e-10 && nacc1 == 0, "chunked history differs from the unchunked one by %g (relative), %d accuracies differ", (double)d1, (int)nacc1);
    ck_assert_msg(d2 == 0 && nacc2 == 0, "one chunk is not the unchunked run bit for bit (%g, %d accuracies)", (double)d2, (int)nacc2);
  }
}
END_TEST

/* a deep net (256 layers): the stored trajectory of the 1000-example batch dominates the peak, chunks cut it */
START_TEST(test_chunk_memory)
{
  const char    *base = "-odyn_bcd_max_it 1 -odyn_bcd_init_scale 0.5 -odyn_bcd_gn_pcg_max_it 2 -odyn_bcd_classifier_newton_max_it 1";
  char           opts[256];
  Run            r0, r1;
  PetscLogDouble p0, p1;
  PetscInt       nacc;
  PetscReal      d;

  ODYN_CK(Train(PETSC_COMM_WORLD, base, 256, &r0, &p0));
  ODYN_CK(PetscSNPrintf(opts, sizeof(opts), "%s -odyn_bcd_chunk_size 50", base));
  ODYN_CK(Train(PETSC_COMM_WORLD, opts, 256, &r1, &p1));
  d = HistoryDiff(&r1, &r0, 1, &nacc);
  ck_assert(MPI_Allreduce(MPI_IN_PLACE, &p0, 1, MPIU_PETSCLOGDOUBLE, MPI_MAX, PETSC_COMM_WORLD) == MPI_SUCCESS);
  ck_assert(MPI_Allreduce(MPI_IN_PLACE, &p1, 1, MPIU_PETSCLOGDOUBLE, MPI_MAX, PETSC_COMM_WORLD) == MPI_SUCCESS);
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "test_chunk: 256 layers, 1000 examples: peak PETSc memory per rank %.2f MiB unchunked, %.2f MiB in chunks of 50 (history difference %.3e)\n", p0 / 1048576, p1 / 1048576, (double)d));
  ODYN_CK(OdynTestRunDestroy(&r0));
  ODYN_CK(OdynTestRunDestroy(&r1));
  ck_assert_msg(p0 > 0, "PETSc's malloc tracing is off: run with -malloc_dump or -malloc_debug");
  ck_assert_msg(p1 < 0.5 * p0, "chunks did not lower the peak memory enough: %g vs %g bytes", (double)p1, (double)p0);
  ck_assert_msg(d <= 1e-10 && nacc == 0, "chunked history differs by %g, %d accuracies", (double)d, (int)nacc);
}
END_TEST

/* the bytes a trained run's network (all blocks) and loss copied between host and backend memory, this rank */
static PetscLogDouble Traffic(Run *r)
{
  PetscInt       nb;
  PetscLogDouble to, back, sum = 0;

  ODYN_CK(OdynNetGetNumBlocks(r->net, &nb));
  for (PetscInt b = 0; b < nb; b++) {
    OdynScheme sc;

    ODYN_CK(OdynNetGetBlock(r->net, b, &sc));
    ODYN_CK(OdynSchemeBackendGetTraffic_Private(sc, &to, &back));
    sum += to + back;
  }
  ODYN_CK(OdynLossBackendGetTraffic_Private(r->loss, &to, &back));
  return sum + to + back;
}

/*
   Chunks on a backend (hostref): the chunked run equals the host's chunked run bit for bit (the loss normalizes each
   chunk by the whole sample, on both paths), and its sweeps and Gauss-Newton products go through backend memory (each
   chunk's output handed to the loss's mirror there, dY and HdY kept there, the accuracies counted there): it copies less between host and backend than the same run
   with the hand-over off (OdynNetSetBackendHandover(), every chunk's dY and HdY through the host), which is bit for bit
   the host's too.
*/
START_TEST(test_chunk_backend)
{
  const char    *base = "-odyn_bcd_max_it 3 -odyn_bcd_init_scale 0.5 -odyn_bcd_batch_size 501 -odyn_bcd_hessian_size 230 -odyn_bcd_gn_pcg_max_it 3 -odyn_bcd_chunk_size 40";
  Run            rh, rb, ro;
  PetscLogDouble p, tb, to;
  PetscInt       nacc, naccof;
  PetscReal      d, dof;

  ODYN_CK(TrainOn(PETSC_COMM_WORLD, base, 8, NULL, PETSC_TRUE, &rh, &p));
  ODYN_CK(TrainOn(PETSC_COMM_WORLD, base, 8, ODYNBACKENDHOSTREF, PETSC_TRUE, &rb, &p));
  ODYN_CK(TrainOn(PETSC_COMM_WORLD, base, 8, ODYNBACKENDHOSTREF, PETSC_FALSE, &ro, &p));
  d   = HistoryDiff(&rb, &rh, 3, &nacc);
  dof = HistoryDiff(&ro, &rh, 3, &naccof);
  tb  = Traffic(&rb);
  to  = Traffic(&ro);
  ck_assert(MPI_Allreduce(MPI_IN_PLACE, &d, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD) == MPI_SUCCESS);
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "test_chunk: chunks of 40 on hostref vs host: history difference %.3e (hand-over off: %.3e); copies host <-> backend %.2f MiB with the hand-over, %.2f MiB without (rank 0)\n", (double)d, (double)dof, tb / 1048576, to / 1048576));
  ODYN_CK(OdynTestRunDestroy(&rh));
  ODYN_CK(OdynTestRunDestroy(&rb));
  ODYN_CK(OdynTestRunDestroy(&ro));
  ck_assert_msg(d == 0 && dof == 0 && nacc == 0 && naccof == 0, "chunked run on hostref differs from the host's: %g (hand-over off: %g), %d accuracies (hand-over off: %d)", (double)d, (double)dof, (int)nacc, (int)naccof);
  /* each chunk's product with the hand-over off moves dY down, HdY and the chunk's Y_N up (3 x 2 doubles per example
     here, the 2-D features; 3 x 4,704 for MNIST's), and each chunked forward sweep its outputs down and the loss's
     mirror of them up: with it on, none of them, so strictly fewer bytes (the rest, the inputs and the parameters, is
     the same both ways; test_netchain's test_chunks counts the loss's copies exactly) */
  ck_assert_msg(tb < to, "the chunked Gauss-Newton products did not stay in backend memory: %g bytes copied, %g with the hand-over off", tb, to);
}
END_TEST

/* a negative chunk size is refused with the option's name */
START_TEST(test_chunk_bad)
{
  Run            r;
  PetscLogDouble p;

  odyn_ck_error_contains(Train(PETSC_COMM_WORLD, "-odyn_bcd_chunk_size -3", 4, &r, &p), "-odyn_bcd_chunk_size must be >= 0");
  ODYN_CK(OdynTestRunDestroy(&r));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("chunk");
  TCase *t = tcase_create("bcd");
  tcase_add_test(t, test_chunk_history);
  tcase_add_test(t, test_chunk_memory);
  tcase_add_test(t, test_chunk_bad);
  tcase_add_test(t, test_chunk_backend);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
