#include "datasetimpl.h"

#define SWISSROLL_M 513 /* points on each curve */

/*MC
   ODYNPROBLEMSWISSROLL - "swissroll": two interleaved spirals (001 Sec. 6.2)

   The curves f1(r, t) = r (cos t, sin t) (class 0) and f2(r, t) = (r + 0.2) (cos t, sin t) (class 1) are sampled
   at 513 points each, jointly in r and t along the curve:

$     t_i = 4 pi i / 512,   r_i = t_i / (4 pi) = i / 512,   i = 0 .. 512.

   Every other point along each curve goes to validation: even i to the training set (257 per class, 514 in all),
   odd i to the validation set (256 per class, 512 in all). Within a set the examples are ordered by i, the class-0
   point before the class-1 point. The data are deterministic: the random stream is not used.

   Paper's settings (problems/options/swissroll.opts): T = 20, width n = 4 by duplicating the features
   (n = 2 for Verlet), logistic regression, tanh, alpha = 5e-3, levels 4 .. 1024.

   Level: beginner

.seealso: `OdynProblemCreate()`, `ODYNPROBLEMELLIPSE`, `ODYNPROBLEMPEAKS`
M*/
PetscErrorCode OdynProblemCreate_SwissRoll(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val)
{
  PetscScalar *X;
  PetscInt    *labels, *itrain, *ival, ntrain = 0, nval = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(4 * SWISSROLL_M, &X, 2 * SWISSROLL_M, &labels, 2 * SWISSROLL_M, &itrain, 2 * SWISSROLL_M, &ival));
  for (PetscInt i = 0; i < SWISSROLL_M; i++) {
    const PetscReal r = (PetscReal)i / (SWISSROLL_M - 1), t = 4 * PETSC_PI * r;

    for (PetscInt c = 0; c < 2; c++) {
      const PetscInt  e   = 2 * i + c; /* example index: the two curves interleaved */
      const PetscReal rad = c ? r + 0.2 : r;

      X[2 * e]     = rad * PetscCosReal(t);
      X[2 * e + 1] = rad * PetscSinReal(t);
      labels[e]    = c;
      if (i % 2) ival[nval++] = e;
      else itrain[ntrain++] = e;
    }
  }
  PetscCall(OdynProblemSplit(comm, 2, 2, X, labels, ntrain, itrain, nval, ival, train, val));
  PetscCall(PetscFree4(X, labels, itrain, ival));
  PetscFunctionReturn(0);
}
