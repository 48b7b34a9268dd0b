/*
   The multilevel driver every trainer type runs under (paper 001 Sec. 5.3, 6): on each level, max_it iterations of
   the type's ops->iterate followed by the training and validation accuracy; the parameters of best validation accuracy
   are kept, and the level's best theta is prolonged to twice the steps for the next level.

   At each iteration boundary the driver may write a checkpoint (-odyn_checkpoint, every -odyn_checkpoint_every
   iterations) and stops cleanly after SIGTERM or SIGUSR1: the handler only sets a flag, the ranks agree on it with a
   reduction, a checkpoint is written and OdynTrainerGetInterrupted() says which signal stopped the run. A run started
   with -odyn_restart continues from a checkpoint and gives the history the uninterrupted run would have given, bit
   for bit on the same number of ranks.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <odyn/private/trainimpl.h>
#include <odyn/private/netimpl.h>
#include <odyn/private/fileimpl.h>

/* the last SIGTERM or SIGUSR1 received while a solve ran (0: none); set by the handler, read at iteration boundaries */
static volatile sig_atomic_t OdynTrainerSignal = 0;

static void OdynTrainerSignalHandler(int sig) { OdynTrainerSignal = sig; } /* async-signal-safe: one store */

typedef struct {
  struct sigaction term, usr1;
  PetscBool        installed;
} SavedHandlers;

/*
   Replaces whatever handles SIGTERM and SIGUSR1 (PETSc's default handler, which would print a stack and abort, unless
   -no_signal_handler) for the duration of the solve; RestoreSignals() puts the previous handlers back.
*/
static PetscErrorCode CatchSignals(OdynTrainer t, SavedHandlers *saved)
{
  struct sigaction sa;

  PetscFunctionBegin;
  saved->installed = PETSC_FALSE;
  OdynTrainerSignal = 0;
  if (!t->catch_signals) PetscFunctionReturn(0);
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OdynTrainerSignalHandler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* a blocking read or MPI wait goes on; the flag is looked at after the iteration */
  PetscCheck(!sigaction(SIGTERM, &sa, &saved->term) && !sigaction(SIGUSR1, &sa, &saved->usr1), PETSC_COMM_SELF, PETSC_ERR_SYS, "Cannot install the SIGTERM/SIGUSR1 handler (-odyn_catch_signals false to train without)");
  saved->installed = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static void RestoreSignals(SavedHandlers *saved)
{
  if (!saved->installed) return;
  (void)sigaction(SIGTERM, &saved->term, NULL);
  (void)sigaction(SIGUSR1, &saved->usr1, NULL);
  saved->installed = PETSC_FALSE;
}

static const char *SignalName(PetscInt sig) { return sig == SIGTERM ? "SIGTERM" : sig == SIGUSR1 ? "SIGUSR1" : "a signal"; }

/* uniform in [-s, s], the same global sequence on every rank */
static PetscErrorCode RandomVec(OdynTrainer t, PetscReal s, Vec v)
{
  PetscInt     N, rs, re;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetSize(v, &N));
  PetscCall(VecGetOwnershipRange(v, &rs, &re));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = 0; i < N; i++) {
    PetscReal r;
    PetscCall(OdynTrainerRandomReal_Private(t, &r));
    if (i >= rs && i < re) a[i - rs] = s * (2 * r - 1);
  }
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

/* accuracy in percent of the current parameters on a data set */
static PetscErrorCode Accuracy(OdynTrainer t, OdynDataset ds, Vec YN, Vec C, PetscReal *acc)
{
  Vec X;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(OdynTrainerAccuracy_Private(t, X, YN, C, acc));
  *acc *= 100;
  PetscFunctionReturn(0);
}

/* "resnet", "antisym", "verlet", ... for the summary lines: the paper's names for its networks, after the first block
   that propagates (an opening layer or a connector, scheme single, says nothing about the network); the convolutional
   ResNet, antisymmetric and Hamiltonian networks get the names of their dense counterparts */
static PetscErrorCode NetName(OdynNet net, char *buf, size_t len)
{
  OdynScheme     sc;
  OdynLayer      l;
  OdynSchemeType st;
  OdynLayerType  lt;
  PetscBool      euler, verlet, single, resnet, antisym, ham;
  PetscInt       nb;

  PetscFunctionBegin;
  PetscCall(OdynNetGetNumBlocks(net, &nb));
  PetscCall(OdynNetGetBlock(net, 0, &sc));
  for (PetscInt b = 0; b < nb; b++) {
    OdynScheme bs;

    PetscCall(OdynNetGetBlock(net, b, &bs));
    PetscCall(OdynSchemeGetType(bs, &st));
    PetscCall(PetscStrcmp(st, ODYNSCHEMESINGLE, &single));
    if (!single) {
      sc = bs;
      break;
    }
  }
  PetscCall(OdynSchemeGetType(sc, &st));
  PetscCall(OdynSchemeGetLayer(sc, &l));
  PetscCall(OdynLayerGetType(l, &lt));
  PetscCall(PetscStrcmp(st, ODYNSCHEMEEULER, &euler));
  PetscCall(PetscStrcmp(st, ODYNSCHEMEVERLET, &verlet));
  PetscCall(PetscStrcmp(lt, ODYNLAYERDENSE, &resnet));
  if (!resnet) PetscCall(PetscStrcmp(lt, ODYNLAYERCONV, &resnet));
  PetscCall(PetscStrcmp(lt, ODYNLAYERCONVANTISYM, &antisym));
  PetscCall(PetscStrcmp(lt, ODYNLAYERHAMILTONIAN, &ham));
  if (!ham) PetscCall(PetscStrcmp(lt, ODYNLAYERCONVHAMILTONIAN, &ham));
  if (euler && resnet) PetscCall(PetscStrncpy(buf, "resnet", len));
  else if (euler && antisym) PetscCall(PetscStrncpy(buf, "antisym", len));
  else if (euler) PetscCall(PetscStrncpy(buf, lt, len));
  else if (verlet && ham) PetscCall(PetscStrncpy(buf, "verlet", len));
  else PetscCall(PetscSNPrintf(buf, len, "%s-%s", st, lt));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerSetSteps_Private(OdynNet net, PetscInt N)
{
  PetscInt nb;

  PetscFunctionBegin;
  PetscCall(OdynNetGetNumBlocks(net, &nb));
  for (PetscInt b = 0; b < nb; b++) {
    OdynScheme sc;
    PetscCall(OdynNetGetBlock(net, b, &sc));
    PetscCall(OdynSchemeSetNumSteps(sc, N));
  }
  PetscCall(OdynNetReset_Private(net));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteCSVRow(OdynTrainer t, const OdynTrainerHistoryEntry *e, FILE *csv)
{
  PetscFunctionBegin;
  if (csv) PetscCall(PetscFPrintf(PetscObjectComm((PetscObject)t), csv, "%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT ",%.17g,%.17g,%.17g,%.17g,%.4f,%.4f,%.4f\n", e->level, e->layers, e->it, (double)e->obj_classifier, (double)e->obj_propagation, (double)e->gnorm, (double)e->step, (double)e->train_acc, (double)e->val_acc, (double)e->time));
  PetscFunctionReturn(0);
}

static PetscErrorCode AppendHistory(OdynTrainer t, const OdynTrainerHistoryEntry *e, FILE *csv)
{
  PetscFunctionBegin;
  if (t->nhist == t->histcap) {
    OdynTrainerHistoryEntry *h;
    PetscCall(PetscMalloc1(2 * t->histcap + 16, &h));
    if (t->nhist) PetscCall(PetscArraycpy(h, t->hist, t->nhist));
    PetscCall(PetscFree(t->hist));
    t->hist    = h;
    t->histcap = 2 * t->histcap + 16;
  }
  t->hist[t->nhist++] = *e;
  if (t->monitor)
    PetscCall(PetscPrintf(PetscObjectComm((PetscObject)t), "%4" PetscInt_FMT " BCD layers %4" PetscInt_FMT " classifier obj %.6e  propagation obj %.6e |g| %.3e step %.3g  train %6.2f%%  val %6.2f%%  %.2f s\n", e->it, e->layers, (double)e->obj_classifier, (double)e->obj_propagation, (double)e->gnorm, (double)e->step, (double)e->train_acc, (double)e->val_acc, (double)e->time));
  PetscCall(WriteCSVRow(t, e, csv));
  PetscFunctionReturn(0);
}

static PetscErrorCode SaveCopy(Vec src, Vec *dst)
{
  PetscFunctionBegin;
  PetscCall(VecDestroy(dst));
  PetscCall(VecDuplicate(src, dst));
  PetscCall(VecCopy(src, *dst));
  PetscFunctionReturn(0);
}

/*
   The progress line (-odyn_progress, or a terminal on rank 0 without -odyn_monitor): rewritten in place with \r;
   the time left extrapolates this level's seconds per iteration, doubling for each finer level (the cost grows with
   the layers).
*/
static PetscErrorCode Progress(OdynTrainer t, const OdynTrainerHistoryEntry *e, PetscInt done_here, PetscReal secs_here)
{
  PetscReal per = done_here > 0 ? secs_here / done_here : 0, left = per * (t->max_it - e->it);

  PetscFunctionBegin;
  for (PetscInt l = e->level + 1, f = 2; l < t->nlevels; l++, f *= 2) left += per * f * t->max_it;
  PetscCall(PetscPrintf(PetscObjectComm((PetscObject)t), "\rlevel %" PetscInt_FMT "/%" PetscInt_FMT " (%" PetscInt_FMT " layers) it %" PetscInt_FMT "/%" PetscInt_FMT "  obj %.4e  train %6.2f%%  val %6.2f%%  %.3g s/it  ~%.0f s left   ", e->level + 1, t->nlevels, e->layers, e->it, t->max_it, (double)e->obj_propagation, (double)e->train_acc, (double)e->val_acc, (double)per, (double)left));
  if (e->it == t->max_it) PetscCall(PetscPrintf(PetscObjectComm((PetscObject)t), "\n"));
  PetscFunctionReturn(0);
}

static PetscErrorCode UseProgress(OdynTrainer t, PetscBool *use)
{
  PetscMPIInt rank;
  int         tty = 0;

  PetscFunctionBegin;
  if (t->progress >= 0) {
    *use = t->progress ? PETSC_TRUE : PETSC_FALSE;
    PetscFunctionReturn(0);
  }
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)t), &rank));
  /* under a launcher a rank's stdout is often a pseudo-terminal (Open MPI's mpiexec) even when the job's output goes to
     a file: then the progress line is off unless -odyn_progress true (mpiexec: OMPI_COMM_WORLD_SIZE; MPICH's hydra:
     PMI_RANK; srun: SLURM_STEP_ID; a singleton has none of them) */
  if (rank == 0) tty = isatty(fileno(stdout)) && !getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_RANK") && !getenv("SLURM_STEP_ID");
  PetscCallMPI(MPI_Bcast(&tty, 1, MPI_INT, 0, PetscObjectComm((PetscObject)t)));
  *use = (tty && !t->monitor) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* the file a signal's checkpoint goes to: -odyn_checkpoint, else ODYN_DEFAULT_CHECKPOINT in the working directory */
#define ODYN_DEFAULT_CHECKPOINT "odyn-checkpoint.h5"

static PetscErrorCode Run(OdynTrainer t, const char *run)
{
  MPI_Comm              comm;
  char                  netname[64];
  const char           *ckfile = t->checkpoint[0] ? t->checkpoint : ODYN_DEFAULT_CHECKPOINT;
  PetscInt              width, l0 = 0, it0 = 0;
  PetscLogDouble        t0;
  PetscBool             stop = PETSC_FALSE, restarted = PETSC_FALSE, progress = PETSC_FALSE;
  OdynTrainerPosition   pos;
  OdynTrainerCheckpoint ck = NULL;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)t, &comm));
  PetscCall(NetName(t->net, netname, sizeof(netname)));
  PetscCall(OdynNetGetInputWidth(t->net, &width));
  PetscCall(UseProgress(t, &progress));
  PetscCall(PetscMemzero(&pos, sizeof(pos)));
  { /* a checkpoint that cannot be written fails now, not after hours of training */
    char        tmp[PETSC_MAX_PATH_LEN + 8];
    PetscMPIInt rank;

    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    PetscCall(OdynFileCreateTmp(comm, ckfile, "checkpoint file", tmp, sizeof(tmp)));
    if (rank == 0) (void)remove(tmp);
  }
  t->nhist      = 0;
  t->bestval    = -1;
  t->bestlayers = 0;
  PetscCall(OdynTrainerDestroyLevel_Private(t));
  PetscCall(OdynTrainerSetSteps_Private(t->net, t->levels[0]));
  if (t->restart[0]) {
    PetscCall(OdynTrainerReadCheckpoint_Private(t, t->restart, run, &pos, &ck));
    restarted = PETSC_TRUE;
    l0        = pos.level;
    it0       = pos.it;
    PetscCall(PetscPrintf(comm, "odyn: continuing from checkpoint %s after level %" PetscInt_FMT " iteration %" PetscInt_FMT " (%" PetscInt_FMT " iterations done)\n", t->restart, l0, it0, t->nhist));
  } else {
    PetscCall(OdynNetCreateParameterVec(t->net, &t->theta));
    PetscCall(RandomVec(t, t->init_scale, t->theta));
    PetscCall(VecZeroEntries(t->wmu));
    /* the initial guess is the best so far until an iteration beats it */
    t->bestlayers = t->levels[0];
    PetscCall(SaveCopy(t->theta, &t->thbest));
    PetscCall(VecCopy(t->wmu, t->wbest));
    PetscCall(SaveCopy(t->theta, &t->thlev));
    PetscCall(SaveCopy(t->wmu, &t->wlev));
  }
  if (t->csv) PetscCall(PetscFClose(comm, t->csv)); /* left open by a failed solve */
  t->csv = NULL;
  if (t->history_csv[0]) {
    PetscCall(PetscFOpen(comm, t->history_csv, "w", &t->csv));
    PetscCall(PetscFPrintf(comm, t->csv, "level,layers,iteration,classifier_objective,propagation_objective,gradient_norm,step,train_acc,val_acc,time\n"));
    for (PetscInt i = 0; i < t->nhist; i++) PetscCall(WriteCSVRow(t, &t->hist[i], t->csv)); /* a restart's file is whole */
  }
  PetscCall(PetscTime(&t0));
  t0 -= pos.elapsed;
  for (PetscInt l = l0; l < t->nlevels && !stop; l++) {
    const PetscBool resumed = (restarted && l == l0) ? PETSC_TRUE : PETSC_FALSE;
    PetscLogDouble  tl, tfirst;
    PetscInt        it, first = resumed ? it0 + 1 : 1;

    PetscCall(PetscTime(&tl));
    tfirst = tl;
    if (resumed) tl -= pos.levelapsed;
    else {
      pos.levbest  = -1;
      pos.levtrain = 0;
      t->nfailed   = 0;
      if (l > 0) {
        Vec thf;
        /* continue from the best parameters of the coarser level */
        PetscCall(VecCopy(t->thlev, t->theta));
        PetscCall(VecCopy(t->wlev, t->wmu));
        PetscCall(OdynNetRefineSteps(t->net, t->theta, &thf));
        PetscCall(VecDestroy(&t->theta));
        t->theta = thf;
      }
    }
    if (t->ops->levelsetup) PetscCall((*t->ops->levelsetup)(t, l));
    if (ck) { /* the type's state, after its level set-up */
      if (t->ops->checkpointread) PetscCall((*t->ops->checkpointread)(t, ck));
      PetscCall(OdynTrainerCheckpointDestroy(&ck));
    }
    if (t->monitor) {
      PetscInt np;
      PetscCall(VecGetSize(t->theta, &np));
      PetscCall(PetscPrintf(comm, "level %" PetscInt_FMT ": %" PetscInt_FMT " layers, %" PetscInt_FMT " parameters\n", l, t->levels[l], np));
    }
    for (it = first; it <= t->max_it; it++) {
      OdynTrainerHistoryEntry e;
      PetscLogDouble          now;
      PetscInt                sig = (PetscInt)OdynTrainerSignal;

      PetscCall(PetscMemzero(&e, sizeof(e)));
      PetscCall((*t->ops->iterate)(t, &e));
      PetscCall(PetscLogEventBegin(ODYN_TrainValidate, t, 0, 0, 0));
      PetscCall(Accuracy(t, t->train, t->YNtrain, t->Ctrain, &e.train_acc));
      PetscCall(Accuracy(t, t->val, t->YNval, t->Cval, &e.val_acc));
      PetscCall(PetscLogEventEnd(ODYN_TrainValidate, t, 0, 0, 0));
      PetscCall(PetscTime(&now));
      { /* the iteration boundary: did any rank get a signal (before or during this iteration)? One reduction also
           gives every rank the same clock (the slowest rank's), so that the history is the same on every rank */
        PetscReal v[2] = {(PetscReal)PetscMax(sig, (PetscInt)OdynTrainerSignal), (PetscReal)(now - t0)};
        PetscCall(MPIU_Allreduce(MPI_IN_PLACE, v, 2, MPIU_REAL, MPIU_MAX, comm));
        sig    = (PetscInt)v[0];
        e.time = v[1]; /* not now - t0 again: t0 differs between the ranks, and so would the rounding */
      }
      e.level  = l;
      e.layers = t->levels[l];
      e.it     = it;
      PetscCall(AppendHistory(t, &e, t->csv));
      if (progress) PetscCall(Progress(t, &e, it - first + 1, (PetscReal)(now - tfirst)));
      if (PetscIsInfOrNanReal(e.obj_classifier) || PetscIsInfOrNanReal(e.obj_propagation)) {
        PetscCall(PetscPrintf(comm, "%sodyn: NaN or Inf in the objective at level %" PetscInt_FMT " iteration %" PetscInt_FMT ": stopping; the best parameters so far are kept\n", progress ? "\n" : "", l, it));
        stop = PETSC_TRUE;
        break;
      }
      if (e.val_acc > pos.levbest) {
        pos.levbest  = e.val_acc;
        pos.levtrain = e.train_acc;
        PetscCall(SaveCopy(t->theta, &t->thlev));
        PetscCall(SaveCopy(t->wmu, &t->wlev));
      }
      if (e.val_acc > t->bestval) {
        t->bestval    = e.val_acc;
        t->bestlayers = t->levels[l];
        PetscCall(SaveCopy(t->theta, &t->thbest));
        PetscCall(VecCopy(t->wmu, t->wbest));
      }
      if (sig || (t->checkpoint[0] && t->checkpoint_every > 0 && t->nhist % t->checkpoint_every == 0)) {
        pos.level      = l;
        pos.it         = it;
        pos.elapsed    = e.time;
        pos.levelapsed = (PetscReal)(now - tl);
        PetscCall(OdynTrainerWriteCheckpoint_Private(t, ckfile, run, &pos));
      }
      if (sig) {
        PetscCall(PetscPrintf(comm, "%sodyn: caught %s: stopped after level %" PetscInt_FMT " iteration %" PetscInt_FMT "; checkpoint written to %s; continue with -odyn_restart %s (odyn train exits with status %d)\n", progress && it < t->max_it ? "\n" : "", SignalName(sig), l, it, ckfile, ckfile, ODYN_EXIT_INTERRUPTED));
        t->interrupted = sig;
        stop           = PETSC_TRUE;
        break;
      }
    }
    if (!t->interrupted) {
      PetscLogDouble now;
      PetscCall(PetscTime(&now));
      if (t->nfailed) PetscCall(PetscPrintf(comm, "odyn: in %" PetscInt_FMT " of %" PetscInt_FMT " iterations the Gauss-Newton line search failed and theta was kept (see -info)\n", t->nfailed, PetscMin(it, t->max_it)));
      PetscCall(PetscPrintf(comm, "odyn level: problem=%s net=%s width=%" PetscInt_FMT " layers=%" PetscInt_FMT " iters=%" PetscInt_FMT " train_acc=%.2f val_acc=%.2f time=%.1f\n", t->problem, netname, width, t->levels[l], PetscMin(it, t->max_it), (double)pos.levtrain, (double)pos.levbest, (double)(now - tl)));
    }
  }
  PetscCall(OdynTrainerCheckpointDestroy(&ck)); /* a restart after the last iteration of the last level */
  if (!t->interrupted) PetscCall(PetscPrintf(comm, "odyn best: problem=%s net=%s layers=%" PetscInt_FMT " val_acc=%.2f\n", t->problem, netname, t->bestlayers, (double)t->bestval));
  if (t->csv) PetscCall(PetscFClose(comm, t->csv));
  t->csv = NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerSolveMultilevel_Private(OdynTrainer t)
{
  SavedHandlers  saved;
  PetscErrorCode ierr;
  char          *run;

  PetscFunctionBegin;
  PetscCheck(t->ops->iterate, PetscObjectComm((PetscObject)t), PETSC_ERR_SUP, "Trainer type %s has neither an iteration nor a solve", ((PetscObject)t)->type_name);
  t->interrupted = 0;
  PetscCall(OdynTrainerRunDescription_Private(t, &run));
  PetscCall(CatchSignals(t, &saved));
  ierr = Run(t, run);
  RestoreSignals(&saved); /* on an error too: a later SIGTERM must end the program again */
  PetscCall(PetscFree(run));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}
