#include "datasetimpl.h"

#define PEAKS_GRID     256  /* grid points per direction on [-3, 3] */
#define PEAKS_NCLASS   5
#define PEAKS_PERCLASS 1000 /* samples drawn from the grid points of each class */
#define PEAKS_NVAL     1000 /* 20% of the 5,000 samples go to validation */

/*@
   OdynProblemPeaksFunction - MATLAB's peaks function, which defines the classes of the peaks problem (001 Sec. 6.3)

   Not Collective

   Input Parameters:
+  x1 - first coordinate
-  x2 - second coordinate

   Output:
   peaks(x1, x2) = 3 (1 - x1)^2 exp(-x1^2 - (x2 + 1)^2) - 10 (x1/5 - x1^3 - x2^5) exp(-x1^2 - x2^2)
                   - 1/3 exp(-(x1 + 1)^2 - x2^2)

   Level: developer

.seealso: `OdynProblemPeaksGetThresholds()`, `ODYNPROBLEMPEAKS`
@*/
PetscReal OdynProblemPeaksFunction(PetscReal x1, PetscReal x2)
{
  return 3 * (1 - x1) * (1 - x1) * PetscExpReal(-x1 * x1 - (x2 + 1) * (x2 + 1)) - 10 * (x1 / 5 - x1 * x1 * x1 - PetscPowReal(x2, 5)) * PetscExpReal(-x1 * x1 - x2 * x2) - PetscExpReal(-(x1 + 1) * (x1 + 1) - x2 * x2) / 3;
}

static inline PetscReal GridPoint(PetscInt i) { return -3.0 + 6.0 * (PetscReal)i / (PEAKS_GRID - 1); }

/* The values at the grid points, g = i1 + 256 i2 with x1 = GridPoint(i1), x2 = GridPoint(i2). */
static void GridValues(PetscReal f[])
{
  for (PetscInt i2 = 0; i2 < PEAKS_GRID; i2++)
    for (PetscInt i1 = 0; i1 < PEAKS_GRID; i1++) f[i1 + PEAKS_GRID * i2] = OdynProblemPeaksFunction(GridPoint(i1), GridPoint(i2));
}

/* Class of the value f given the thresholds: the number of thresholds below it. */
static inline PetscInt PeaksClass(PetscReal f, const PetscReal thr[])
{
  PetscInt c = 0;
  while (c < PEAKS_NCLASS - 1 && f > thr[c]) c++;
  return c;
}

const char *const OdynPeaksClassesTypes[] = {"value", "area", "OdynPeaksClasses", "ODYN_PEAKS_CLASSES_", NULL};

/*@
   OdynProblemPeaksGetThresholds - gets the four values of the peaks function that separate its five classes

   Not Collective

   Input Parameter:
.  kind - `ODYN_PEAKS_CLASSES_VALUE` or `ODYN_PEAKS_CLASSES_AREA`

   Output Parameter:
.  thr - 4 increasing thresholds; a point with peaks value f is in class c = #{k : f > thr[k]}

   Level: developer

   Notes:
   `ODYN_PEAKS_CLASSES_VALUE` (the default of the peaks problem): thr[k] = min + (k + 1) (max - min) / 5 with min and
   max over the 256 x 256 grid, five bins of equal width in value, as the authors' MATLAB code (Meganet's
   setupPeaks.m) defines the classes. They have 1,829, 7,968, 47,557, 6,384 and 1,798 grid points; 1,000 samples per
   class then sample the two extreme classes (the peak and the pit) about 26 times more densely than the middle one.

   `ODYN_PEAKS_CLASSES_AREA`: the quintiles of the grid values; thr[k-1] lies halfway between the (k * 65536/5)-th
   and the next smallest grid value (rounded down), so the classes have 13,107, 13,107, 13,107, 13,107 and 13,108
   grid points (equal areas), and 1,000 samples from each class is the same as sampling the square uniformly. The
   class boundaries are longer, and the problem is harder (docs/reproduction.md).

.seealso: `OdynProblemPeaksFunction()`, `ODYNPROBLEMPEAKS`
@*/
PetscErrorCode OdynProblemPeaksGetThresholds(OdynPeaksClasses kind, PetscReal thr[])
{
  const PetscInt G = PEAKS_GRID * PEAKS_GRID;
  PetscReal     *f;

  PetscFunctionBegin;
  PetscValidRealPointer(thr, 2);
  PetscCheck(kind == ODYN_PEAKS_CLASSES_VALUE || kind == ODYN_PEAKS_CLASSES_AREA, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Unknown peaks class definition %d: use ODYN_PEAKS_CLASSES_VALUE or ODYN_PEAKS_CLASSES_AREA", (int)kind);
  PetscCall(PetscMalloc1(G, &f));
  GridValues(f);
  PetscCall(PetscSortReal(G, f));
  for (PetscInt k = 1; k < PEAKS_NCLASS; k++) {
    if (kind == ODYN_PEAKS_CLASSES_VALUE) thr[k - 1] = f[0] + k * (f[G - 1] - f[0]) / PEAKS_NCLASS;
    else {
      const PetscInt q = (k * G) / PEAKS_NCLASS;
      /* distinct values are needed for classes of the stated sizes; the peaks function on this grid has them */
      PetscCheck(f[q - 1] < f[q], PETSC_COMM_SELF, PETSC_ERR_PLIB, "Peaks: equal grid values at the quantile %" PetscInt_FMT, q);
      thr[k - 1] = 0.5 * (f[q - 1] + f[q]);
    }
  }
  PetscCall(PetscFree(f));
  PetscFunctionReturn(0);
}

/*MC
   ODYNPROBLEMPEAKS - "peaks": five classes given by the level sets of MATLAB's peaks function (001 Sec. 6.3)

   The peaks function (OdynProblemPeaksFunction()) is evaluated on the regular 256 x 256 grid of [-3, 3]^2
   (x = -3 + 6 i / 255). The grid points fall into 5 classes by function value, with the thresholds of
   OdynProblemPeaksGetThresholds(): -odyn_peaks_classes value (default: five equally wide value bins, as in the
   authors' code) or area (quintiles: classes of equal area). From each class 1,000 grid points are drawn at
   random without replacement (a partial Fisher-Yates shuffle per class, class 0 first; 5,000 samples); a random
   permutation of the 5,000 then gives the first 4,000 to the training set and the last 1,000 (20%) to validation.
   -odyn_peaks_replace draws with replacement, as the authors' code does: copies of training points then reach the
   validation set, most of them in the two small classes of "value".

   Paper's settings (problems/options/peaks.opts): T = 5, width n = 8 by duplicating the features 4 times
   (n = 2 for Verlet), softmax, tanh, alpha = 5e-6, levels 4 .. 1024.

   Level: beginner

.seealso: `OdynProblemCreate()`, `ODYNPROBLEMELLIPSE`, `ODYNPROBLEMSWISSROLL`
M*/
PetscErrorCode OdynProblemCreate_Peaks(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val)
{
  const PetscInt G = PEAKS_GRID * PEAKS_GRID, S = PEAKS_NCLASS * PEAKS_PERCLASS;
  PetscReal        thr[PEAKS_NCLASS - 1], *f;
  PetscInt        *members, *perm, *labels, s = 0;
  PetscScalar     *X;
  OdynPeaksClasses kind    = ODYN_PEAKS_CLASSES_VALUE;
  PetscBool        replace = PETSC_FALSE;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "Peaks problem (paper 001 Sec. 6.3)", "OdynProblem");
  PetscCall(PetscOptionsEnum("-odyn_peaks_classes", "How the function values define the 5 classes: equally wide value bins or equal areas", "OdynProblemPeaksGetThresholds", OdynPeaksClassesTypes, (PetscEnum)kind, (PetscEnum *)&kind, NULL));
  PetscCall(PetscOptionsBool("-odyn_peaks_replace", "Draw the samples of a class with replacement, as the authors' code (copies of training points can then be validation points)", "ODYNPROBLEMPEAKS", replace, &replace, NULL));
  PetscOptionsEnd();
  PetscCall(OdynProblemPeaksGetThresholds(kind, thr));
  PetscCall(PetscMalloc5(G, &f, G, &members, S, &perm, S, &labels, 2 * S, &X));
  GridValues(f);
  for (PetscInt c = 0; c < PEAKS_NCLASS; c++) {
    PetscInt m = 0;

    for (PetscInt g = 0; g < G; g++)
      if (PeaksClass(f[g], thr) == c) members[m++] = g;
    PetscCheck(m >= PEAKS_PERCLASS, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Peaks: class %" PetscInt_FMT " has %" PetscInt_FMT " grid points, fewer than %d", c, m, PEAKS_PERCLASS);
    for (PetscInt j = 0; j < PEAKS_PERCLASS; j++) { /* partial Fisher-Yates: members[0 .. j] is a uniform sample */
      PetscReal u;
      PetscInt  k, g;

      PetscCall(PetscRandomGetValueReal(rnd, &u));
      if (replace) { /* the authors' randi: any member, again and again */
        g = members[PetscMin((PetscInt)(u * m), m - 1)];
      } else {
        k          = PetscMin(j + (PetscInt)(u * (m - j)), m - 1);
        g          = members[k];
        members[k] = members[j];
        members[j] = g;
      }
      X[2 * s]     = GridPoint(g % PEAKS_GRID);
      X[2 * s + 1] = GridPoint(g / PEAKS_GRID);
      labels[s++]  = c;
    }
  }
  PetscCall(OdynProblemRandomPermutation(rnd, S, perm));
  PetscCall(OdynProblemSplit(comm, 2, PEAKS_NCLASS, X, labels, S - PEAKS_NVAL, perm, PEAKS_NVAL, perm + S - PEAKS_NVAL, train, val));
  PetscCall(PetscFree5(f, members, perm, labels, X));
  PetscFunctionReturn(0);
}
