/*
  The 1-D denoising problem of Alt et al. (paper 002 Sec. 7.1.1): piecewise-affine signals with jumps, corrupted by
  Gaussian noise; the features are the noisy signals and the (regression) targets the clean ones.
*/
#include "datasetimpl.h"

/* One standard normal value by the Box-Muller transform from two uniforms of the stream (the cosine branch only, so
   that every value costs exactly two uniforms and the stream position does not depend on anything else). */
static PetscErrorCode Gaussian(PetscRandom rnd, PetscReal *g)
{
  PetscReal u1, u2;

  PetscFunctionBegin;
  PetscCall(PetscRandomGetValueReal(rnd, &u1));
  PetscCall(PetscRandomGetValueReal(rnd, &u2));
  *g = PetscSqrtReal(-2 * PetscLogReal(1 - u1)) * PetscCosReal(2 * PETSC_PI * u2); /* 1 - u1 in (0, 1] */
  PetscFunctionReturn(0);
}

/* uniform integer in lo .. hi */
static PetscErrorCode UniformInt(PetscRandom rnd, PetscInt lo, PetscInt hi, PetscInt *k)
{
  PetscReal u;

  PetscFunctionBegin;
  PetscCall(PetscRandomGetValueReal(rnd, &u));
  *k = lo + PetscMin((PetscInt)(u * (hi - lo + 1)), hi - lo);
  PetscFunctionReturn(0);
}

/*@
   OdynProblemDenoise1DSignal - draws one clean piecewise-affine signal of the denoising problem

   Not Collective

   Input Parameters:
+  rnd - a random stream with values in [0, 1)
-  n - the signal length, >= 10

   Output Parameters:
+  clean - the n values, all in [0, 255]
.  nseg - the number of segments (or NULL)
-  starts - the first index of each segment, at most n / ceil(n/10) + 1 entries, followed by n (or NULL)

   Level: developer

   Notes:
   Every segment spans between ceil(n/10) and floor(n/2) samples (1/10 to 1/2 of the length, paper 002 Sec. 7.1.1):
   each length is drawn uniformly from the values that leave room for a valid last segment, and a remainder of at
   most floor(n/2) becomes the last segment. On each segment the signal is affine, from a value a to a value b both
   uniform in [0, 255]; drawn independently per segment, consecutive segments meet with a jump.

.seealso: `OdynProblemDenoise1DCreate()`, `ODYNPROBLEMDENOISE1D`
@*/
PetscErrorCode OdynProblemDenoise1DSignal(PetscRandom rnd, PetscInt n, PetscScalar clean[], PetscInt *nseg, PetscInt starts[])
{
  const PetscInt lmin = (n + 9) / 10, lmax = n / 2;
  PetscInt       pos = 0, k = 0;

  PetscFunctionBegin;
  PetscCheck(n >= 10, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "The denoising signals need a length >= 10 (segments of 1/10 to 1/2 of it), got %" PetscInt_FMT " (-odyn_denoise1d_length)", n);
  while (pos < n) {
    const PetscInt r = n - pos;
    PetscInt       len = r; /* initialized for GCC -Wmaybe-uninitialized at -O2 */
    PetscReal      a, b;

    if (r <= lmax) len = r; /* r >= lmin: the previous draw left room for it */
    else PetscCall(UniformInt(rnd, lmin, PetscMin(lmax, r - lmin), &len));
    PetscCall(PetscRandomGetValueReal(rnd, &a));
    PetscCall(PetscRandomGetValueReal(rnd, &b));
    a *= 255;
    b *= 255;
    for (PetscInt i = 0; i < len; i++) clean[pos + i] = a + (b - a) * (len > 1 ? (PetscReal)i / (len - 1) : 0);
    if (starts) starts[k] = pos;
    k++;
    pos += len;
  }
  if (starts) starts[k] = n;
  if (nseg) *nseg = k;
  PetscFunctionReturn(0);
}

/* A data set of N (noisy, clean) pairs drawn from rnd; each rank keeps its slice, every rank draws them all. */
static PetscErrorCode CreateSet(MPI_Comm comm, PetscRandom rnd, PetscInt n, PetscReal sigma, PetscInt N, OdynDataset *ds)
{
  OdynDataset  d;
  Vec          T;
  PetscScalar *x, *t, *clean;
  PetscInt     rstart, nloc;

  PetscFunctionBegin;
  PetscCall(OdynDatasetCreate(comm, &d));
  PetscCall(OdynDatasetSetSizes(d, n, n, PETSC_DECIDE, N));
  PetscCall(OdynDatasetGetOwnershipRange(d, &rstart, NULL));
  PetscCall(OdynDatasetGetSizes(d, NULL, NULL, &nloc, NULL));
  PetscCall(VecDuplicate(d->X, &T));
  PetscCall(PetscMalloc1(n, &clean));
  PetscCall(VecGetArrayWrite(d->X, &x));
  PetscCall(VecGetArrayWrite(T, &t));
  for (PetscInt e = 0; e < N; e++) {
    const PetscBool mine = (e >= rstart && e < rstart + nloc) ? PETSC_TRUE : PETSC_FALSE;

    PetscCall(OdynProblemDenoise1DSignal(rnd, n, clean, NULL, NULL));
    for (PetscInt i = 0; i < n; i++) {
      PetscReal g = 0;
      PetscCall(Gaussian(rnd, &g));
      if (mine) { /* no clipping: noisy values may leave [0, 255] */
        x[(e - rstart) * n + i] = clean[i] + sigma * g;
        t[(e - rstart) * n + i] = clean[i];
      }
    }
  }
  PetscCall(VecRestoreArrayWrite(T, &t));
  PetscCall(VecRestoreArrayWrite(d->X, &x));
  PetscCall(OdynDatasetSetTargets(d, T));
  PetscCall(VecDestroy(&T));
  PetscCall(PetscFree(clean));
  *ds = d;
  PetscFunctionReturn(0);
}

static PetscErrorCode Denoise1DCreate(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val, OdynDataset *test)
{
  PetscInt  n = 256, ntrain = 10000, nval = 1000, ntest = 1000;
  PetscReal sigma = 10;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "1-D denoising problem (paper 002 Sec. 7.1)", "OdynProblem");
  PetscCall(PetscOptionsInt("-odyn_denoise1d_length", "Signal length", "OdynProblemDenoise1DCreate", n, &n, NULL));
  PetscCall(PetscOptionsInt("-odyn_denoise1d_num_train", "Training pairs", "OdynProblemDenoise1DCreate", ntrain, &ntrain, NULL));
  PetscCall(PetscOptionsInt("-odyn_denoise1d_num_val", "Validation pairs", "OdynProblemDenoise1DCreate", nval, &nval, NULL));
  PetscCall(PetscOptionsInt("-odyn_denoise1d_num_test", "Test pairs", "OdynProblemDenoise1DCreate", ntest, &ntest, NULL));
  PetscCall(PetscOptionsReal("-odyn_denoise1d_noise", "Standard deviation of the Gaussian noise", "OdynProblemDenoise1DCreate", sigma, &sigma, NULL));
  PetscOptionsEnd();
  PetscCheck(n >= 10, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_denoise1d_length must be >= 10 (segments span 1/10 to 1/2 of it), got %" PetscInt_FMT, n);
  PetscCheck(ntrain >= 1 && nval >= 1 && ntest >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_denoise1d_num_train and -odyn_denoise1d_num_val must be >= 1 and -odyn_denoise1d_num_test >= 0, got %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT, ntrain, nval, ntest);
  PetscCheck(sigma >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_denoise1d_noise must be >= 0, got %g", (double)sigma);
  /* drawn in the order train, validation, test: the first two do not depend on whether the test set is asked for */
  PetscCall(CreateSet(comm, rnd, n, sigma, ntrain, train));
  PetscCall(CreateSet(comm, rnd, n, sigma, nval, val));
  if (test) PetscCall(CreateSet(comm, rnd, n, sigma, ntest, test));
  PetscFunctionReturn(0);
}

/*MC
   ODYNPROBLEMDENOISE1D - "denoise1d": denoising of piecewise-affine 1-D signals (paper 002 Sec. 7.1.1)

   Each example is a pair (noisy signal, clean signal) of length n = 256: the clean signal is piecewise affine with
   segments of 1/10 to 1/2 of the length and jumps between them, values in [0, 255] (OdynProblemDenoise1DSignal());
   the noisy one adds Gaussian noise of standard deviation 10 to every value, without clipping. The features are
   the noisy signals (nf = n) and the regression targets (OdynDatasetGetTargets()) the clean ones (nc = n). The paper
   has 10,000 training, 1,000 validation and 1,000 test pairs; OdynProblemCreate() makes the first two and
   OdynProblemDenoise1DCreate() all three. The quality measure is the PSNR with peak 255 (OdynPSNR()); the noisy
   inputs have about 28.1 dB.

   Options Database Keys:
+  -odyn_denoise1d_length <256> - n
.  -odyn_denoise1d_num_train <10000> - training pairs
.  -odyn_denoise1d_num_val <1000> - validation pairs
.  -odyn_denoise1d_num_test <1000> - test pairs
-  -odyn_denoise1d_noise <10> - sigma

   Level: beginner

   Notes:
   Train with the lsq loss and the identity classifier (-odyn_loss_type lsq -odyn_loss_identity_classifier), so that
   the network's output is the restored signal; see problems/options/denoise1d.opts and docs/denoising.md.

.seealso: `OdynProblemCreate()`, `OdynProblemDenoise1DCreate()`, `OdynDatasetSetTargets()`, `OdynLossGetPSNR()`
M*/
PetscErrorCode OdynProblemCreate_Denoise1D(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val)
{
  PetscFunctionBegin;
  PetscCall(Denoise1DCreate(comm, rnd, train, val, NULL));
  PetscFunctionReturn(0);
}

/*@
   OdynProblemDenoise1DCreate - makes the training, validation and test sets of the 1-D denoising problem

   Collective

   Input Parameter:
.  comm - the communicator over which the examples are distributed

   Output Parameters:
+  train - the training set (named "denoise1d-train")
.  val - the validation set ("denoise1d-validation")
-  test - the test set ("denoise1d-test")

   Options Database Keys:
+  -odyn_problem_seed <1> - seed of the random stream, as in OdynProblemCreate(): the same seed gives the same
   training and validation sets as OdynProblemCreate(comm, "denoise1d", ...), on any number of ranks
.  -odyn_problem_duplicate <1> - stack this many copies of the features (channels; the targets keep their width)
-  -odyn_denoise1d_* - the sizes and the noise, see ODYNPROBLEMDENOISE1D

   Level: beginner

.seealso: `ODYNPROBLEMDENOISE1D`, `OdynProblemCreate()`, `OdynPSNR()`
@*/
PetscErrorCode OdynProblemDenoise1DCreate(MPI_Comm comm, OdynDataset *train, OdynDataset *val, OdynDataset *test)
{
  PetscInt    seed = 1, dup = 1;
  PetscRandom rnd;

  PetscFunctionBegin;
  PetscValidPointer(train, 2);
  PetscValidPointer(val, 3);
  PetscValidPointer(test, 4);
  *train = *val = *test = NULL;
  PetscOptionsBegin(comm, NULL, "Test problems (data sets)", "OdynProblem");
  PetscCall(PetscOptionsInt("-odyn_problem_seed", "Seed of the random stream that draws the data", "OdynProblemCreate", seed, &seed, NULL));
  PetscCall(PetscOptionsInt("-odyn_problem_duplicate", "Copies of the features stacked into each example", "OdynDatasetDuplicateFeatures", dup, &dup, NULL));
  PetscOptionsEnd();
  PetscCheck(seed >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_problem_seed must be >= 0, got %" PetscInt_FMT, seed);
  /* the same stream as OdynProblemCreate() */
  PetscCall(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  PetscCall(PetscRandomSetType(rnd, PETSCRAND48));
  PetscCall(PetscRandomSetSeed(rnd, (unsigned long)seed));
  PetscCall(PetscRandomSeed(rnd));
  PetscCall(Denoise1DCreate(comm, rnd, train, val, test));
  PetscCall(PetscRandomDestroy(&rnd));
  PetscCall(OdynDatasetDuplicateFeatures(*train, dup));
  PetscCall(OdynDatasetDuplicateFeatures(*val, dup));
  PetscCall(OdynDatasetDuplicateFeatures(*test, dup));
  PetscCall(PetscObjectSetName((PetscObject)*train, "denoise1d-train"));
  PetscCall(PetscObjectSetName((PetscObject)*val, "denoise1d-validation"));
  PetscCall(PetscObjectSetName((PetscObject)*test, "denoise1d-test"));
  PetscFunctionReturn(0);
}
