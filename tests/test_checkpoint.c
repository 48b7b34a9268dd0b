/*
  Checkpoints and restarts of the trainer (solvers/bcd/checkpoint.c, trainstate.c, driver.c), on 1 and on 2 ranks:
  (a) a run that writes a checkpoint every k iterations, restarted from that file, gives the history of the
      uninterrupted run bit for bit (every field but the time), for checkpoints inside a level, at the end of a level
      and after the level change, with random batches, Hessian sub-samples and the adaptive damping (so that the
      random generator's replay and the damping's restore are needed);
  (d) bad checkpoints are refused with errors that name the file: missing, truncated, a flipped byte (checksum),
      a newer format version, not a checkpoint, another network, other data, other levels, another seed; a
      checkpoint that cannot be written fails before training and leaves nothing behind; a failed restart leaves the
      history CSV alone.
  The crash tests of the odyn program (SIGKILL, SIGTERM) are in tests/checkpoint/run.sh.
*/
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <stdint.h>
#include <petscviewerhdf5.h>
#include "odyntest.h"
#include "trainrun.h"

typedef OdynTestRun Run;

/* batches of 120 of the 500 ellipse examples, Hessian sub-samples of 40, adaptive damping, 2 levels of 4 iterations */
#define BASE_OPTS "-odyn_bcd_max_it 4 -odyn_bcd_batch_size 120 -odyn_bcd_hessian_size 40 -odyn_bcd_gn_damping_adapt -odyn_bcd_gn_pcg_max_it 5 -odyn_progress false"

/* the ellipse problem (problem seed `pseed`), a network of width `width` (2: the data's; 4: another network) */
static PetscErrorCode Setup(const char *opts, PetscInt width, PetscInt pseed, PetscInt nlev, Run *r)
{
  const PetscInt levels[3] = {4, 8, 16};
  MPI_Comm       comm      = PETSC_COMM_WORLD;
  char           seed[64], all[1024];
  OdynDataset    tr, va;
  OdynTestRunSpec spec;
  PetscErrorCode  ierr;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(seed, sizeof(seed), "%" PetscInt_FMT, pseed));
  PetscCall(PetscOptionsSetValue(NULL, "-odyn_problem_seed", seed));
  PetscCall(OdynProblemCreate(comm, "ellipse", &tr, &va));
  PetscCall(PetscOptionsClearValue(NULL, "-odyn_problem_seed"));
  if (width != 2) PetscCall(OdynDatasetDuplicateFeatures(tr, width / 2)); /* widen the data to the network */
  if (width != 2) PetscCall(OdynDatasetDuplicateFeatures(va, width / 2));
  OdynTestRunSpecEllipse(&spec);
  spec.width = width;
  PetscCall(PetscSNPrintf(all, sizeof(all), "%s %s", BASE_OPTS, opts));
  ierr = OdynTestRunCreate(comm, &spec, tr, va, all, nlev, levels, r); /* some cases expect an error here */
  PetscCall(OdynDatasetDestroy(&tr)); /* the trainer holds them */
  PetscCall(OdynDatasetDestroy(&va));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* The files of this test go to test_checkpoint_np<ranks>/, so that the 1- and 2-rank runs can go on at the same time. */
static void EnterWorkDir(void)
{
  static PetscBool in = PETSC_FALSE;
  PetscMPIInt      size, rank;
  char             dir[64];

  if (in) return;
  ck_assert(MPI_Comm_size(PETSC_COMM_WORLD, &size) == MPI_SUCCESS && MPI_Comm_rank(PETSC_COMM_WORLD, &rank) == MPI_SUCCESS);
  snprintf(dir, sizeof(dir), "test_checkpoint_np%d", (int)size);
  if (rank == 0) (void)mkdir(dir, 0755);
  ck_assert(MPI_Barrier(PETSC_COMM_WORLD) == MPI_SUCCESS);
  ck_assert_msg(chdir(dir) == 0, "cannot enter %s", dir);
  in = PETSC_TRUE;
}

static long FileSize(const char *f)
{
  FILE *fp = fopen(f, "rb");
  long  n;

  if (!fp) return -1;
  fseek(fp, 0, SEEK_END);
  n = ftell(fp);
  fclose(fp);
  return n;
}

/* entries equal bit for bit, field by field (the struct has padding), the time aside: the clock is not state */
static PetscBool SameEntry(const OdynTrainerHistoryEntry *a, const OdynTrainerHistoryEntry *b)
{
  const PetscReal x[7] = {a->obj_classifier, a->obj_propagation, a->gnorm, a->step, a->train_acc, a->val_acc, 0};
  const PetscReal y[7] = {b->obj_classifier, b->obj_propagation, b->gnorm, b->step, b->train_acc, b->val_acc, 0};

  return (a->level == b->level && a->layers == b->layers && a->it == b->it && !memcmp(x, y, sizeof(x))) ? PETSC_TRUE : PETSC_FALSE;
}

/* Item (a): checkpoints every k iterations, restart from the last one: the same history, the same parameters. */
static void CheckRestart(PetscInt nlev, PetscInt k, const char *file, PetscInt expect_done)
{
  const OdynTrainerHistoryEntry *hf, *hr;
  PetscInt                       nf, nr, bestf, bestr;
  PetscReal                      accf, accr;
  PetscBool                      eq;
  Run                            full, rest;
  char                           opts[256];

  ODYN_CK(PetscSNPrintf(opts, sizeof(opts), "-odyn_checkpoint %s -odyn_checkpoint_every %" PetscInt_FMT, file, k));
  ODYN_CK(Setup(opts, 2, 1, nlev, &full));
  ODYN_CK(OdynTrainerSolve(full.t, &full.theta, &full.wmu));
  ODYN_CK(PetscSNPrintf(opts, sizeof(opts), "-odyn_restart %s", file));
  ODYN_CK(Setup(opts, 2, 1, nlev, &rest));
  ODYN_CK(OdynTrainerSolve(rest.t, &rest.theta, &rest.wmu));
  ODYN_CK(OdynTrainerGetHistory(full.t, &nf, &hf));
  ODYN_CK(OdynTrainerGetHistory(rest.t, &nr, &hr));
  ck_assert_int_eq(nf, 4 * nlev);
  ck_assert_int_eq(nr, nf);
  for (PetscInt i = 0; i < nf; i++) ck_assert_msg(SameEntry(&hf[i], &hr[i]), "k = %d: iteration %d of the restarted run differs: objective %.17g vs %.17g", (int)k, (int)i, (double)hr[i].obj_propagation, (double)hf[i].obj_propagation);
  ODYN_CK(OdynTrainerGetBest(full.t, &bestf, &accf));
  ODYN_CK(OdynTrainerGetBest(rest.t, &bestr, &accr));
  ck_assert(bestf == bestr && accf == accr);
  ODYN_CK(VecEqual(full.theta, rest.theta, &eq));
  ck_assert_msg(eq, "best theta differs after the restart");
  ODYN_CK(VecEqual(full.wmu, rest.wmu, &eq));
  ck_assert_msg(eq, "best classifier weights differ after the restart");
  /* the restarted run really started from the checkpoint: its history up to there came from the file */
  ck_assert(hr[expect_done - 1].time == hf[expect_done - 1].time || expect_done == 0);
  ODYN_CK(OdynTestRunDestroy(&full));
  ODYN_CK(OdynTestRunDestroy(&rest));
}

START_TEST(test_restart_bitwise)
{
  EnterWorkDir();
  CheckRestart(2, 3, "test_ckpt_a3.h5", 6);  /* level 1, iteration 2 */
  CheckRestart(2, 4, "test_ckpt_a4.h5", 8);  /* the very end: nothing left to do but the summary */
  CheckRestart(2, 5, "test_ckpt_a5.h5", 5);  /* the first iteration after the level change */
  CheckRestart(3, 4, "test_ckpt_a4l.h5", 12); /* the end of level 1: the next level starts from the file's level best */
  CheckRestart(3, 7, "test_ckpt_a7.h5", 7);  /* inside level 1 with an adapted damping */
}
END_TEST

/* The error of a restart from `file` with the given setting; the history CSV (which holds "keep") stays untouched. */
static void CheckRestartError(const char *file, const char *extra, PetscInt width, PetscInt pseed, PetscInt nlev, const char *needle)
{
  Run         r;
  char        opts[512], buf[16] = "";
  PetscMPIInt rank;
  FILE       *fp;

  ck_assert(MPI_Comm_rank(PETSC_COMM_WORLD, &rank) == MPI_SUCCESS);
  if (rank == 0) {
    fp = fopen("test_ckpt_hist.csv", "w");
    fputs("keep", fp);
    fclose(fp);
  }
  ck_assert(MPI_Barrier(PETSC_COMM_WORLD) == MPI_SUCCESS);
  ODYN_CK(PetscSNPrintf(opts, sizeof(opts), "-odyn_restart %s -odyn_history_csv test_ckpt_hist.csv %s", file, extra));
  ODYN_CK(Setup(opts, width, pseed, nlev, &r));
  odyn_ck_error_contains(OdynTrainerSolve(r.t, &r.theta, &r.wmu), needle);
  ck_assert(strstr(OdynTestLastErrorMessage(), file) != NULL);
  ck_assert(!r.theta && !r.wmu);
  ODYN_CK(OdynTestRunDestroy(&r));
  if (rank == 0) {
    fp = fopen("test_ckpt_hist.csv", "r");
    ck_assert(fp && fgets(buf, sizeof(buf), fp));
    fclose(fp);
    ck_assert_str_eq(buf, "keep");
  }
}

/* rank 0 copies the first n bytes of in to out (n < 0: all) and flips the bits `mask` of the byte at `at` (at >= 0) */
static void CopyFile(const char *in, const char *out, long n, long at, unsigned char mask)
{
  PetscMPIInt rank;

  ck_assert(MPI_Comm_rank(PETSC_COMM_WORLD, &rank) == MPI_SUCCESS);
  if (rank == 0) {
    long           len = FileSize(in);
    unsigned char *b;
    FILE          *fp = fopen(in, "rb");

    ck_assert(fp && len > 0);
    b = (unsigned char *)malloc((size_t)len);
    ck_assert(fread(b, 1, (size_t)len, fp) == (size_t)len);
    fclose(fp);
    if (at >= 0) b[at] ^= mask;
    fp = fopen(out, "wb");
    ck_assert(fwrite(b, 1, (size_t)(n < 0 ? len : n), fp) == (size_t)(n < 0 ? len : n));
    fclose(fp);
    free(b);
  }
  ck_assert(MPI_Barrier(PETSC_COMM_WORLD) == MPI_SUCCESS);
}

/* where the 8 bytes of v (as the file stores it: little-endian IEEE) first occur in file, or -1 */
static long FindDouble(const char *file, double v)
{
  long           len = FileSize(file), at = -1;
  unsigned char *b, pat[8];
  FILE          *fp  = fopen(file, "rb");
  uint64_t       bits;

  memcpy(&bits, &v, 8);
  for (int i = 0; i < 8; i++) pat[i] = (unsigned char)(bits >> (8 * i));
  b = (unsigned char *)malloc((size_t)len);
  ck_assert(fread(b, 1, (size_t)len, fp) == (size_t)len);
  fclose(fp);
  for (long i = 0; i + 8 <= len && at < 0; i++)
    if (!memcmp(b + i, pat, 8)) at = i;
  free(b);
  return at;
}

/* Item (d) */
START_TEST(test_bad_checkpoints)
{
  const char *good = "test_ckpt_d.h5";
  Run         r;
  PetscMPIInt rank;
  PetscViewer v;
  PetscInt    ver = 99;
  long        at  = -1;

  EnterWorkDir();
  ck_assert(MPI_Comm_rank(PETSC_COMM_WORLD, &rank) == MPI_SUCCESS);
  /* a good checkpoint after the 4 iterations of level 0 (it holds the returned best theta) */
  ODYN_CK(Setup("-odyn_checkpoint test_ckpt_d.h5 -odyn_checkpoint_every 4", 2, 1, 1, &r));
  ODYN_CK(OdynTrainerSolve(r.t, &r.theta, &r.wmu));
  if (rank == 0) {
    ck_assert(FileSize(good) > 0);
    ck_assert_int_eq(FileSize("test_ckpt_d.h5.tmp"), -1);
  }
  { /* the first value of the best theta is in the file: flipping its lowest mantissa bit breaks the checksum only */
    const PetscScalar *x;
    double             v0 = 0;
    ODYN_CK(VecGetArrayRead(r.theta, &x));
    if (rank == 0) v0 = PetscRealPart(x[0]);
    ODYN_CK(VecRestoreArrayRead(r.theta, &x));
    if (rank == 0) at = FindDouble(good, v0);
    ck_assert(MPI_Bcast(&at, 1, MPI_LONG, 0, PETSC_COMM_WORLD) == MPI_SUCCESS);
    ck_assert_msg(at >= 0, "the best theta's first value is not in the checkpoint file");
  }
  ODYN_CK(OdynTestRunDestroy(&r));
  CheckRestartError("test_ckpt_none.h5", "", 2, 1, 1, "Checkpoint file test_ckpt_none.h5 does not exist");
  CopyFile(good, "test_ckpt_cut.h5", FileSize(good) / 2, -1, 0);
  CheckRestartError("test_ckpt_cut.h5", "", 2, 1, 1, "is truncated or corrupt");
  CopyFile(good, "test_ckpt_flip.h5", -1, at, 0x01);
  CheckRestartError("test_ckpt_flip.h5", "", 2, 1, 1, "is corrupt: checksum mismatch");
  CopyFile(good, "test_ckpt_v99.h5", -1, -1, 0);
  ODYN_CK(PetscViewerHDF5Open(PETSC_COMM_WORLD, "test_ckpt_v99.h5", FILE_MODE_APPEND, &v));
  ODYN_CK(PetscViewerHDF5WriteAttribute(v, "/odyn_checkpoint", "format_version", PETSC_INT, &ver));
  ODYN_CK(PetscViewerDestroy(&v));
  CheckRestartError("test_ckpt_v99.h5", "", 2, 1, 1, "has format version 99 (written by odyn");
  /* an HDF5 file that is not a checkpoint: a model file's cousin */
  ODYN_CK(PetscViewerHDF5Open(PETSC_COMM_WORLD, "test_ckpt_other.h5", FILE_MODE_WRITE, &v));
  ODYN_CK(PetscViewerHDF5WriteAttribute(v, "/x", "y", PETSC_INT, &ver));
  ODYN_CK(PetscViewerDestroy(&v));
  CheckRestartError("test_ckpt_other.h5", "", 2, 1, 1, "is an HDF5 file but not an odyn checkpoint");
  /* other runs */
  CheckRestartError(good, "", 4, 1, 1, "does not match this run: it was written for \"net=1 blocks, input width 2");
  CheckRestartError(good, "", 2, 2, 1, "does not match this run: it was written for \"training data=");
  CheckRestartError(good, "", 2, 1, 2, "does not match this run: it was written for \"levels=4\", this run has \"levels=4,8\"");
  CheckRestartError(good, "-odyn_bcd_seed 7", 2, 1, 1, "this run has \"seed=7\"");
  CheckRestartError(good, "-odyn_bcd_batch_size 100", 2, 1, 1, "this run has \"batch size=100\"");
  /* a checkpoint that cannot be written: refused before training, nothing left behind */
  ODYN_CK(Setup("-odyn_checkpoint test_ckpt_no_such_dir/c.h5", 2, 1, 1, &r));
  odyn_ck_error_contains(OdynTrainerSolve(r.t, &r.theta, &r.wmu), "Cannot write the checkpoint file test_ckpt_no_such_dir/c.h5: cannot create test_ckpt_no_such_dir/c.h5.tmp");
  ck_assert(!r.theta && !r.wmu);
  ODYN_CK(OdynTestRunDestroy(&r));
  ck_assert_int_eq(FileSize("test_ckpt_no_such_dir/c.h5"), -1);
  /* the good file still restarts after all this, and bad settings of the options are refused */
  ODYN_CK(Setup("-odyn_restart test_ckpt_d.h5", 2, 1, 1, &r));
  ODYN_CK(OdynTrainerSolve(r.t, &r.theta, &r.wmu));
  ODYN_CK(OdynTestRunDestroy(&r));
  odyn_ck_error_contains(Setup("-odyn_checkpoint_every -1", 2, 1, 1, &r), "-odyn_checkpoint_every must be >= 0, got -1");
  ODYN_CK(OdynTestRunDestroy(&r));
}
END_TEST

/* the trainer types: bcd is the default and the registry refuses unknown names */
START_TEST(test_types)
{
  Run             r;
  OdynTrainerType type;

  ODYN_CK(Setup("", 2, 1, 1, &r));
  ODYN_CK(OdynTrainerGetType(r.t, &type));
  ck_assert_str_eq(type, ODYNTRAINERBCD);
  odyn_ck_error_contains(OdynTrainerSetType(r.t, "nosuchtype"), "Unknown trainer type nosuchtype");
  ODYN_CK(OdynTestRunDestroy(&r));
  odyn_ck_error_contains(Setup("-odyn_trainer_type adamx", 2, 1, 1, &r), "Unknown trainer type adamx");
  ODYN_CK(OdynTestRunDestroy(&r));
}
END_TEST

/*
  OdynLossHypothesis (the one map from features and weights to the model's output, used by OdynModelPredict): by hand
  on 3 examples per rank with nf = 2 features, for softmax (3 classes), logistic (2 outputs) and lsq (2 outputs),
  including scores large enough to overflow a naive exp.
*/
START_TEST(test_hypothesis)
{
  const char *types[3] = {ODYNLOSSSOFTMAX, ODYNLOSSLOGISTIC, ODYNLOSSLSQ};
  const PetscInt ncs[3] = {3, 2, 2}, nf = 2, s = 3;
  const PetscReal y[6] = {1.0, -2.0, 0.5, 0.25, 300.0, -1.0}; /* the third example's scores are ~ +-900 */

  for (int t = 0; t < 3; t++) {
    const PetscInt nc = ncs[t];
    OdynLoss       loss;
    Vec            w, Y, H;
    PetscScalar   *a, wv[12];
    const PetscScalar *h;
    PetscInt       nw;

    ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, &loss));
    ODYN_CK(OdynLossSetType(loss, types[t]));
    ODYN_CK(OdynLossSetNumFeatures(loss, nf));
    ODYN_CK(OdynLossSetNumClasses(loss, nc));
    ODYN_CK(OdynLossSetUp(loss));
    ODYN_CK(OdynLossCreateWeightVec(loss, &w));
    ODYN_CK(VecGetSize(w, &nw));
    ck_assert_int_eq(nw, nf * nc + nc);
    for (PetscInt i = 0; i < nw; i++) wv[i] = 0.3 * (i + 1) * (i % 2 ? -1 : 1); /* W (nf x nc, column k = class k), then mu */
    {
      PetscInt lo, hi;
      ODYN_CK(VecGetOwnershipRange(w, &lo, &hi));
      ODYN_CK(VecGetArray(w, &a));
      for (PetscInt i = lo; i < hi; i++) a[i - lo] = wv[i];
      ODYN_CK(VecRestoreArray(w, &a));
    }
    ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, nf * s, PETSC_DETERMINE, &Y));
    ODYN_CK(VecGetArray(Y, &a));
    for (PetscInt i = 0; i < nf * s; i++) a[i] = y[i];
    ODYN_CK(VecRestoreArray(Y, &a));
    ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, nc * s, PETSC_DETERMINE, &H));
    ODYN_CK(OdynLossHypothesis(loss, w, Y, H));
    ODYN_CK(VecGetArrayRead(H, &h));
    for (PetscInt e = 0; e < s; e++) {
      PetscReal z[3], m = -1e300, sum = 0, sumh = 0;
      for (PetscInt k = 0; k < nc; k++) {
        z[k] = PetscRealPart(wv[nf * nc + k]);
        for (PetscInt i = 0; i < nf; i++) z[k] += PetscRealPart(wv[i + k * nf]) * y[e * nf + i];
        m = PetscMax(m, z[k]);
      }
      for (PetscInt k = 0; k < nc; k++) sum += exp(z[k] - m);
      for (PetscInt k = 0; k < nc; k++) {
        PetscReal want = t == 0 ? exp(z[k] - m) / sum : t == 1 ? (z[k] >= 0 ? 1 / (1 + exp(-z[k])) : exp(z[k]) / (1 + exp(z[k]))) : z[k];
        PetscReal got  = PetscRealPart(h[e * nc + k]);
        ck_assert_msg(PetscIsNormalReal(got) || got == 0, "%s: example %d class %d: %g is not finite", types[t], (int)e, (int)k, (double)got);
        ck_assert_msg(PetscAbsReal(got - want) <= 1e-14 * PetscMax(1, PetscAbsReal(want)), "%s: example %d class %d: %.17g, by hand %.17g", types[t], (int)e, (int)k, (double)got, (double)want);
        sumh += got;
      }
      if (t == 0) ck_assert(PetscAbsReal(sumh - 1) < 1e-14);
    }
    ODYN_CK(VecRestoreArrayRead(H, &h));
    /* a wrong output length is refused, naming the sizes */
    ODYN_CK(VecDestroy(&H));
    ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, nc * s + 1, PETSC_DETERMINE, &H));
    odyn_ck_error_contains(OdynLossHypothesis(loss, w, Y, H), "OdynLossHypothesis: H has local length");
    ODYN_CK(VecDestroy(&H));
    ODYN_CK(VecDestroy(&Y));
    ODYN_CK(VecDestroy(&w));
    ODYN_CK(OdynLossDestroy(&loss));
  }
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("checkpoint");
  TCase *t = tcase_create("restart");
  tcase_add_test(t, test_restart_bitwise);
  tcase_add_test(t, test_bad_checkpoints);
  tcase_add_test(t, test_types);
  tcase_add_test(t, test_hypothesis);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
