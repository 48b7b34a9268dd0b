#include "datasetimpl.h"

/* Geometry (the paper gives none; see docs/problems.md). Both ellipses have the semi-axes ratio A : B = 2 : 1. */
#define ELLIPSE_N      1200 /* points, half in each class */
#define ELLIPSE_NTRAIN 1000 /* the other 200 are the validation set */
#define ELLIPSE_A      1.0  /* semi-axis along x1 of the ellipse of elliptic radius 1 */
#define ELLIPSE_B      0.5  /* semi-axis along x2 */
#define ELLIPSE_RHO0   0.5  /* elliptic radius of class 0 (inner ellipse) */
#define ELLIPSE_RHO1   1.0  /* elliptic radius of class 1 (outer ellipse) */
#define ELLIPSE_NOISE  0.1  /* radii are perturbed uniformly in [-NOISE, NOISE] */

/*MC
   ODYNPROBLEMELLIPSE - "ellipse": two classes on two concentric ellipses (001 Sec. 6.1)

   Example i (i = 0 .. 1199) has class c = i mod 2 and is

$     y = rho (A cos phi, B sin phi),   rho = rho_c + delta,

   with A = 1, B = 0.5, rho_0 = 0.5 (inner ellipse), rho_1 = 1 (outer ellipse), the angle phi uniform in [0, 2 pi)
   and delta uniform in [-0.1, 0.1], drawn in this order (phi, delta) for each example from the seeded stream.
   The elliptic radius sqrt((y1/A)^2 + (y2/B)^2) is in [0.4, 0.6] for class 0 and in [0.9, 1.1] for class 1, so
   the classes are separated by the ellipse of elliptic radius 0.75 but by no straight line: the inner class lies in
   the convex hull of the outer one. A random permutation of the 1,200 points then gives the first 1,000 to the
   training set and the last 200 to the validation set (so each set is shuffled and roughly balanced).

   Paper's settings (problems/options/ellipse.opts): T = 20, width n = 2, logistic regression, tanh,
   alpha = 1e-3, levels 4 .. 1024.

   Level: beginner

.seealso: `OdynProblemCreate()`, `ODYNPROBLEMSWISSROLL`, `ODYNPROBLEMPEAKS`
M*/
PetscErrorCode OdynProblemCreate_Ellipse(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val)
{
  PetscScalar *X;
  PetscInt    *labels, *perm;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(2 * ELLIPSE_N, &X, ELLIPSE_N, &labels, ELLIPSE_N, &perm));
  for (PetscInt i = 0; i < ELLIPSE_N; i++) {
    const PetscInt c = i % 2;
    PetscReal      phi, delta, rho;

    PetscCall(PetscRandomGetValueReal(rnd, &phi));
    PetscCall(PetscRandomGetValueReal(rnd, &delta));
    phi          = 2 * PETSC_PI * phi;
    rho          = (c ? ELLIPSE_RHO1 : ELLIPSE_RHO0) + ELLIPSE_NOISE * (2 * delta - 1);
    X[2 * i]     = rho * ELLIPSE_A * PetscCosReal(phi);
    X[2 * i + 1] = rho * ELLIPSE_B * PetscSinReal(phi);
    labels[i]    = c;
  }
  PetscCall(OdynProblemRandomPermutation(rnd, ELLIPSE_N, perm));
  PetscCall(OdynProblemSplit(comm, 2, 2, X, labels, ELLIPSE_NTRAIN, perm, ELLIPSE_N - ELLIPSE_NTRAIN, perm + ELLIPSE_NTRAIN, train, val));
  PetscCall(PetscFree3(X, labels, perm));
  PetscFunctionReturn(0);
}
