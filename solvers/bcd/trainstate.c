/*
   The driver's state in a checkpoint and back (checkpoint.c holds the file format): theta and the classifier weights,
   the level's and the run's best parameters and accuracies, the history, the position (level, iteration, times), the
   count of random draws and the type's own state (ops->checkpointwrite/read). A checkpoint continues only the run it
   was written by: OdynTrainerRunDescription_Private lists what must match.
*/
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include <odyn/private/trainimpl.h>
#include <odyn/private/fileimpl.h>
#include <odyn/private/netimpl.h>

#define HIST_FIELDS 10

/* An order-free hash of a data set (features and labels of every example with its global index): the same on any
   number of ranks, without gathering the data. */
static PetscErrorCode DataHash(OdynDataset ds, uint64_t *hash)
{
  Vec                X;
  const PetscScalar *x;
  const PetscInt    *lab;
  PetscInt           nf, nloc, start;
  uint64_t           sum = 0;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(OdynDatasetGetSizes(ds, &nf, NULL, &nloc, NULL));
  PetscCall(OdynDatasetGetOwnershipRange(ds, &start, NULL));
  PetscCall(OdynDatasetGetLabels(ds, &lab));
  PetscCall(VecGetArrayRead(X, &x));
  for (PetscInt i = 0; i < nloc; i++) {
    uint64_t h = 0xcbf29ce484222325ULL;
    int64_t  g = (int64_t)(start + i), c = (int64_t)lab[i];

    OdynFnv(&h, &g, sizeof(g));
    OdynFnvValues(&h, x + i * nf, nf);
    OdynFnv(&h, &c, sizeof(c));
    sum += h;
  }
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCallMPI(MPI_Allreduce(&sum, hash, 1, MPI_UINT64_T, MPI_SUM, PetscObjectComm((PetscObject)ds)));
  PetscFunctionReturn(0);
}

/*
   What a checkpoint must agree on with the run that reads it, one "key=value" line each: the network (blocks,
   schemes, layers, widths, parameters on the first level), the loss, the data (sizes and a hash), the levels, the
   iterations per level, the batch and Hessian sample sizes and the seed (they decide the random draws).
*/
PetscErrorCode OdynTrainerRunDescription_Private(OdynTrainer t, char **run)
{
  PetscInt     nb, nin, nout, np, nf, nc, ntr, nva, len = 0, cap = 4096;
  OdynLossType lt;
  uint64_t     htr, hva;
  char        *s;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(cap, &s));
  PetscCall(OdynNetGetNumBlocks(t->net, &nb));
  PetscCall(OdynNetGetInputWidth(t->net, &nin));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  PetscCall(OdynTrainerSetSteps_Private(t->net, t->levels[0]));
  PetscCall(OdynNetGetNumParameters(t->net, &np));
  PetscCall(OdynLossGetType(t->loss, &lt));
  PetscCall(OdynDatasetGetSizes(t->train, &nf, &nc, NULL, &ntr));
  PetscCall(OdynDatasetGetSizes(t->val, NULL, NULL, NULL, &nva));
  PetscCall(DataHash(t->train, &htr));
  PetscCall(DataHash(t->val, &hva));
  #define PUT(...) len += (PetscInt)snprintf(s + len, (size_t)(cap - len), __VA_ARGS__)
  PUT("net=%" PetscInt_FMT " blocks, input width %" PetscInt_FMT ", output width %" PetscInt_FMT ", %" PetscInt_FMT " parameters on the first level\n", nb, nin, nout, np);
  for (PetscInt b = 0; b < nb && len < cap - 600; b++) {
    OdynScheme     sc;
    OdynLayer      l;
    OdynSchemeType st;
    OdynLayerType  ly;

    PetscCall(OdynNetGetBlock(t->net, b, &sc));
    PetscCall(OdynSchemeGetType(sc, &st));
    PetscCall(OdynSchemeGetLayer(sc, &l));
    PetscCall(OdynLayerGetType(l, &ly));
    PUT("block%" PetscInt_FMT "=%.200s scheme, %.200s layer\n", b, st, ly);
  }
  PUT("loss=%.200s\n", lt);
  PUT("training data=%" PetscInt_FMT " examples, %" PetscInt_FMT " features, %" PetscInt_FMT " classes, hash %016" PRIx64 "\n", ntr, nf, nc, htr);
  PUT("validation data=%" PetscInt_FMT " examples, hash %016" PRIx64 "\n", nva, hva);
  PUT("levels=");
  for (PetscInt l = 0; l < t->nlevels; l++) PUT("%s%" PetscInt_FMT, l ? "," : "", t->levels[l]);
  PUT("\niterations per level=%" PetscInt_FMT "\n", t->max_it);
  PUT("batch size=%" PetscInt_FMT "\nHessian sample size=%" PetscInt_FMT "\nseed=%lu\n", t->batch_size, t->hess_size, t->seed);
  #undef PUT
  PetscCheck(len < cap, PetscObjectComm((PetscObject)t), PETSC_ERR_PLIB, "Run description too long");
  *run = s;
  PetscFunctionReturn(0);
}

/* the history as one Vec of HIST_FIELDS reals per iteration, all on rank 0 */
static PetscErrorCode HistoryVec(OdynTrainer t, Vec *h)
{
  PetscMPIInt  rank;
  PetscScalar *a;
  PetscInt     n;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)t), &rank));
  n = rank == 0 ? HIST_FIELDS * t->nhist : 0;
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)t), n, PETSC_DETERMINE, h));
  PetscCall(VecGetArray(*h, &a));
  for (PetscInt i = 0; i < n / HIST_FIELDS; i++) {
    const OdynTrainerHistoryEntry *e = &t->hist[i];
    PetscScalar                   *r = a + HIST_FIELDS * i;

    r[0] = e->level, r[1] = e->layers, r[2] = e->it, r[3] = e->obj_classifier, r[4] = e->obj_propagation;
    r[5] = e->gnorm, r[6] = e->step, r[7] = e->train_acc, r[8] = e->val_acc, r[9] = e->time;
  }
  PetscCall(VecRestoreArray(*h, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerWriteCheckpoint_Private(OdynTrainer t, const char file[], const char run[], const OdynTrainerPosition *pos)
{
  OdynTrainerCheckpoint ck;
  Vec                   h;
  PetscReal             times[2] = {pos->elapsed, pos->levelapsed};

  PetscFunctionBegin;
  /* every rank must write the same attributes: rank 0's clock */
  PetscCallMPI(MPI_Bcast(times, 2, MPIU_REAL, 0, PetscObjectComm((PetscObject)t)));
  PetscCall(OdynTrainerCheckpointCreate(PetscObjectComm((PetscObject)t), ((PetscObject)t)->type_name, run, &ck));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "level", (PetscReal)pos->level));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "iteration", (PetscReal)pos->it));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "level_best_val_acc", pos->levbest));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "level_best_train_acc", pos->levtrain));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "elapsed", times[0]));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "level_elapsed", times[1]));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "best_val_acc", t->bestval));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "best_layers", (PetscReal)t->bestlayers));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "failed_steps", (PetscReal)t->nfailed));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "random_draws", (PetscReal)t->ndraws)); /* exact up to 2^53 */
  PetscCall(OdynTrainerCheckpointAddReal(ck, "history_length", (PetscReal)t->nhist));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "theta", t->theta));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "wmu", t->wmu));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "level_best_theta", t->thlev));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "level_best_wmu", t->wlev));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "best_theta", t->thbest));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "best_wmu", t->wbest));
  PetscCall(HistoryVec(t, &h));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "history", h));
  PetscCall(VecDestroy(&h));
  if (t->ops->checkpointwrite) PetscCall((*t->ops->checkpointwrite)(t, ck));
  PetscCall(OdynTrainerCheckpointWrite(ck, file, t->checkpoint_delay));
  PetscCall(OdynTrainerCheckpointDestroy(&ck));
  PetscFunctionReturn(0);
}

/* The first line of run that is not in file's description, for the message. */
static PetscErrorCode FirstDifference(const char *mine, const char *theirs, char *a, char *b, size_t len)
{
  const char *p = mine, *q = theirs;

  PetscFunctionBegin;
  a[0] = b[0] = 0;
  while (*p || *q) {
    size_t lp = strcspn(p, "\n"), lq = strcspn(q, "\n");
    if (lp != lq || strncmp(p, q, lp)) {
      snprintf(a, len, "%.*s", (int)lp, p);
      snprintf(b, len, "%.*s", (int)lq, q);
      break;
    }
    p += lp + (p[lp] ? 1 : 0);
    q += lq + (q[lq] ? 1 : 0);
  }
  PetscFunctionReturn(0);
}

/* a Vec of the checkpoint with the global size n, as a new Vec of the default layout */
static PetscErrorCode TakeVec(OdynTrainerCheckpoint ck, const char *file, const char *name, PetscInt n, Vec *out)
{
  Vec      v;
  PetscInt N;

  PetscFunctionBegin;
  PetscCall(OdynTrainerCheckpointGetVec(ck, name, &v));
  PetscCall(VecGetSize(v, &N));
  PetscCheck(N == n, PetscObjectComm((PetscObject)v), PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is inconsistent: %s has %" PetscInt_FMT " values, expected %" PetscInt_FMT, file, name, N, n);
  PetscCall(VecDestroy(out));
  PetscCall(VecDuplicate(v, out));
  PetscCall(VecCopy(v, *out));
  PetscFunctionReturn(0);
}

static PetscErrorCode GetInt(MPI_Comm comm, OdynTrainerCheckpoint ck, const char *file, const char *name, PetscInt lo, PetscInt hi, PetscInt *v)
{
  PetscReal r;

  PetscFunctionBegin;
  PetscCall(OdynTrainerCheckpointGetReal(ck, name, &r));
  PetscCheck(r == PetscFloorReal(r) && r >= lo && r <= hi, comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is inconsistent: %s = %g is not an integer in %" PetscInt_FMT "..%" PetscInt_FMT, file, name, (double)r, lo, hi);
  *v = (PetscInt)r;
  PetscFunctionReturn(0);
}

static PetscErrorCode Restore(OdynTrainer t, const char file[], const char run[], OdynTrainerCheckpoint ck, OdynTrainerPosition *pos)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)t);
  const char        *type, *theirs;
  char               a[512], b[512];
  PetscInt           np, nw, nbest, nh, ok = 0;
  PetscReal          r;
  Vec                h, hall;
  VecScatter         sc;
  const PetscScalar *x;

  PetscFunctionBegin;
  PetscCall(OdynTrainerCheckpointGetRun(ck, &type, &theirs));
  PetscCheck(!strcmp(type, ((PetscObject)t)->type_name), comm, PETSC_ERR_ARG_INCOMP, "Checkpoint file %s was written by trainer type %s, but this run uses %s (-odyn_trainer_type)", file, type, ((PetscObject)t)->type_name);
  PetscCall(FirstDifference(run, theirs, a, b, sizeof(a)));
  PetscCheck(!a[0] && !b[0], comm, PETSC_ERR_ARG_INCOMP, "Checkpoint file %s does not match this run: it was written for \"%s\", this run has \"%s\" (a checkpoint continues only the run that wrote it: same network, loss, data, levels, iterations, batches and seed)", file, b, a);
  /* everything below is covered by the checksum and the description; the checks catch a file made by hand */
  PetscCall(GetInt(comm, ck, file, "level", 0, t->nlevels - 1, &pos->level));
  PetscCall(GetInt(comm, ck, file, "iteration", 1, t->max_it, &pos->it));
  PetscCall(GetInt(comm, ck, file, "best_layers", t->levels[0], t->levels[pos->level], &t->bestlayers));
  PetscCall(GetInt(comm, ck, file, "failed_steps", 0, pos->it, &t->nfailed));
  PetscCall(GetInt(comm, ck, file, "history_length", 1, PETSC_MAX_INT / HIST_FIELDS, &nh));
  PetscCall(OdynTrainerCheckpointGetReal(ck, "random_draws", &r));
  PetscCheck(r >= 0 && r == PetscFloorReal(r), comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is inconsistent: random_draws = %g", file, (double)r);
  PetscCall(OdynTrainerCheckpointGetReal(ck, "level_best_val_acc", &pos->levbest));
  PetscCall(OdynTrainerCheckpointGetReal(ck, "level_best_train_acc", &pos->levtrain));
  PetscCall(OdynTrainerCheckpointGetReal(ck, "elapsed", &pos->elapsed));
  PetscCall(OdynTrainerCheckpointGetReal(ck, "level_elapsed", &pos->levelapsed));
  PetscCall(OdynTrainerCheckpointGetReal(ck, "best_val_acc", &t->bestval));
  /* the parameters, at the depths they belong to */
  PetscCall(OdynTrainerSetSteps_Private(t->net, t->bestlayers));
  PetscCall(OdynNetGetNumParameters(t->net, &nbest));
  PetscCall(OdynTrainerSetSteps_Private(t->net, t->levels[pos->level]));
  PetscCall(OdynNetGetNumParameters(t->net, &np));
  PetscCall(VecGetSize(t->wmu, &nw));
  PetscCall(TakeVec(ck, file, "theta", np, &t->theta));
  PetscCall(TakeVec(ck, file, "level_best_theta", np, &t->thlev));
  PetscCall(TakeVec(ck, file, "best_theta", nbest, &t->thbest));
  PetscCall(TakeVec(ck, file, "level_best_wmu", nw, &t->wlev));
  {
    Vec w;
    PetscCall(OdynTrainerCheckpointGetVec(ck, "wmu", &w));
    PetscCall(VecGetSize(w, &np));
    if (np == nw) PetscCall(VecCopy(w, t->wmu));
    PetscCall(OdynTrainerCheckpointGetVec(ck, "best_wmu", &w));
    PetscCall(VecGetSize(w, &nbest));
    if (nbest == nw && np == nw) {
      PetscCall(VecCopy(w, t->wbest));
      ok = 1;
    }
  }
  PetscCheck(ok, comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is inconsistent: its classifier weights do not have %" PetscInt_FMT " values", file, nw);
  /* the history, on every rank */
  PetscCall(OdynTrainerCheckpointGetVec(ck, "history", &h));
  PetscCall(VecGetSize(h, &np));
  PetscCheck(np == HIST_FIELDS * nh, comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is inconsistent: its history has %" PetscInt_FMT " values for %" PetscInt_FMT " iterations", file, np, nh);
  PetscCall(VecScatterCreateToAll(h, &sc, &hall));
  PetscCall(VecScatterBegin(sc, h, hall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, h, hall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(PetscFree(t->hist));
  PetscCall(PetscMalloc1(nh, &t->hist));
  t->nhist = t->histcap = nh;
  PetscCall(VecGetArrayRead(hall, &x));
  for (PetscInt i = 0; i < nh; i++) {
    OdynTrainerHistoryEntry *e = &t->hist[i];
    const PetscScalar       *q = x + HIST_FIELDS * i;

    e->level = (PetscInt)q[0], e->layers = (PetscInt)q[1], e->it = (PetscInt)q[2], e->obj_classifier = q[3], e->obj_propagation = q[4];
    e->gnorm = q[5], e->step = q[6], e->train_acc = q[7], e->val_acc = q[8], e->time = q[9];
  }
  PetscCall(VecRestoreArrayRead(hall, &x));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&hall));
  /* the random generator where the writer left it: re-seed and draw again what it had drawn */
  PetscCall(PetscRandomSetSeed(t->rnd, t->seed));
  PetscCall(PetscRandomSeed(t->rnd));
  t->ndraws = 0;
  for (PetscInt64 i = 0; i < (PetscInt64)r; i++) {
    PetscReal dummy;
    PetscCall(OdynTrainerRandomReal_Private(t, &dummy));
  }
  PetscFunctionReturn(0);
}

/*
   Restores the driver's state from file; the network is left at the checkpoint's level. *ck is kept for the type's
   ops->checkpointread, which the driver calls after ops->levelsetup (and then destroys it).
*/
PetscErrorCode OdynTrainerReadCheckpoint_Private(OdynTrainer t, const char file[], const char run[], OdynTrainerPosition *pos, OdynTrainerCheckpoint *ck)
{
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(OdynTrainerCheckpointRead(PetscObjectComm((PetscObject)t), file, ck));
  ierr = Restore(t, file, run, *ck, pos);
  if (ierr) PetscCall(OdynTrainerCheckpointDestroy(ck)); /* then raise the error */
  PetscCall(ierr);
  PetscFunctionReturn(0);
}
