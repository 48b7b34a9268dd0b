static const char help[] = "Stability of time-stepping networks with identical layers: paper 001, Examples 1 and 2.\n\n"
                           "Example 1: forward Euler ResNet, N = 10, h = 0.1, tanh, b = 0, K+ (eigenvalues 2), K- (-2), K0 (+-i);\n"
                           "           features y1 = [0.1, 0.1], y2 = -y1, y3 = [0, 0.5].\n"
                           "Example 2: leapfrog with K- = -2I and h = 1; Verlet with a Hamiltonian layer (2 x 3 K) and h = 0.1;\n"
                           "           N = 500 and 5000; features y1 = [0.1, 0.1], y2 = -y1.\n"
                           "Prints norms and pairwise distances before and after each network (rank 0), and a PASS/FAIL line.\n"
                           "Every case is an OdynNet whose block carries the options prefix <case>_, e.g.\n"
                           "  -kplus_odyn_scheme_num_steps 20 -kplus_odyn_scheme_final_time 2 -kzero_odyn_layer_activation identity\n"
                           "(cases: kplus kminus kzero leapfrog500 leapfrog5000 verlet500 verlet5000). -stability_view views the nets.\n\n";

/*
  Matrices. Paper 001 asks for 2 x 2 matrices with double eigenvalue 2 (K+), double eigenvalue -2 (K-) and
  eigenvalues +-i (K0) (its eq. 3.10, whose entries are not legible in our text copy). As tests/test_paper.c does, we
  take K+ = [2 -2; 0 2], K- = [-2 0; 2 -2] (both Jordan blocks) and K0 = [0 -1; 1 0] for Example 1. Example 2's
  leapfrog network y'' = tanh(K y) needs a diagonalizable K-: with the Jordan block, the second component is driven
  by the first at its own frequency (resonance) and grows without end (|y| x113 after 500 layers, x700 after 5000,
  also in a hand-written recurrence), so Example 2 uses the only diagonalizable real matrix with double eigenvalue -2,
  -2 I (put Kminus for Kdiag in cases[] below to see the Jordan case). The Verlet matrix of Example 2 is
  not legible either; the paper stresses that Verlet handles non-square kernels, so we take the 2 x 3 matrix
  Kv = [-1 0 1; 0 1 -1] (n = 2, m = 3), for which the linearized dynamics Y'' = -Kv Kv^T Y oscillates with angular
  frequencies 1 and sqrt(3) (h omega <= 0.18, well inside Verlet's bound 2). tests/test_paper.c uses a square Kv.

  What to expect. Example 1: K+ pushes the features apart and away from 0, K- pulls them together into 0, K0 rotates
  them (forward Euler adds a factor sqrt(1 + h^2) per step, 5% over 10 steps). Example 2: both networks oscillate;
  the final norms are snapshots of an oscillation, neither near 0 nor large, after 500 as after 5000 layers.

  The examples are data-parallel: each rank owns a contiguous slice of the features (with 2 ranks, 2 + 1 of the 3
  features of Example 1). The norms and distances are computed on rank 0 after a gather.
*/
#include <odyn.h>

typedef struct {
  const char        *prefix;  /* options prefix of the case's block, without the trailing underscore */
  const char        *label;
  OdynSchemeType     scheme;
  OdynLayerType      layer;
  PetscInt           N;
  PetscReal          h;
  PetscInt           m;       /* hidden width (columns of K of the Hamiltonian layer); 0 for square layers */
  const PetscScalar *K;       /* n x m (or n x n), column-major */
  PetscInt           s;       /* number of features */
  const PetscScalar *Y0;      /* 2 x s, column-major (one feature per column) */
} StabilityCase;

#define NMAX 3 /* features per case */

typedef struct {
  PetscReal norm0[NMAX], normN[NMAX];             /* ||y_i|| before and after */
  PetscReal dist0[NMAX * NMAX], distN[NMAX * NMAX]; /* ||y_i - y_k||, i < k, at index i * NMAX + k */
  PetscInt  N;
  PetscReal h;
} StabilityResult;

/* theta of identical layers: every step holds the case's K and zero biases */
static PetscErrorCode FillConstantParameters(OdynNet net, const StabilityCase *c, Vec theta)
{
  OdynScheme   block;
  OdynLayer    layer;
  PetscInt     np, n, m, rstart, rend;
  PetscScalar *th;

  PetscFunctionBegin;
  PetscCall(OdynNetGetBlock(net, 0, &block));
  PetscCall(OdynSchemeGetLayer(block, &layer));
  PetscCall(OdynLayerGetNumParameters(layer, &np));
  PetscCall(OdynLayerGetWidth(layer, &n));
  PetscCall(OdynLayerGetHiddenWidth(layer, &m));
  if (!m) m = n;
  PetscCheck(n == 2 && m == (c->m ? c->m : 2), PETSC_COMM_WORLD, PETSC_ERR_ARG_INCOMP, "Case %s needs width 2 and hidden width %" PetscInt_FMT " (the matrix of the paper); got %" PetscInt_FMT " and %" PetscInt_FMT " from the options", c->prefix, c->m ? c->m : 2, n, m);
  PetscCall(VecGetOwnershipRange(theta, &rstart, &rend));
  PetscCall(VecGetArray(theta, &th));
  for (PetscInt i = rstart; i < rend; i++) {
    const PetscInt k = i % np; /* position within the step: [K (n x m, column-major) | biases] */
    th[i - rstart]   = k < n * m ? c->K[k] : 0.0;
  }
  PetscCall(VecRestoreArray(theta, &th));
  PetscFunctionReturn(0);
}

/* On rank 0: norms of the s columns of the gathered 2 x s features, and their pairwise distances */
static void Measure(PetscInt s, const PetscScalar *Y, PetscReal *norm, PetscReal *dist)
{
  for (PetscInt i = 0; i < s; i++) {
    norm[i] = PetscSqrtReal(PetscRealPart(Y[2 * i] * Y[2 * i] + Y[2 * i + 1] * Y[2 * i + 1]));
    for (PetscInt k = i + 1; k < s; k++) {
      const PetscScalar a = Y[2 * i] - Y[2 * k], b = Y[2 * i + 1] - Y[2 * k + 1];
      dist[i * NMAX + k]  = PetscSqrtReal(PetscRealPart(a * a + b * b));
    }
  }
}

static PetscErrorCode RunCase(const StabilityCase *c, PetscBool view, StabilityResult *r)
{
  MPI_Comm           comm = PETSC_COMM_WORLD;
  OdynScheme         block;
  OdynLayer          layer;
  OdynNet            net;
  Vec                theta, Y0, YN, all;
  VecScatter         tozero;
  PetscMPIInt        size, rank;
  PetscInt           slocal, first, Nsteps;
  PetscScalar       *y;
  const PetscScalar *a;
  char               prefix[64];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));

  /* the paper's settings as defaults; OdynNetSetFromOptions() lets -<case>_odyn_... override them */
  PetscCall(OdynSchemeCreate(comm, &block));
  PetscCall(OdynSchemeSetType(block, c->scheme));
  PetscCall(OdynSchemeSetNumSteps(block, c->N));
  PetscCall(OdynSchemeSetFinalTime(block, c->N * c->h));
  PetscCall(OdynSchemeGetLayer(block, &layer));
  PetscCall(OdynLayerSetType(layer, c->layer));
  PetscCall(OdynLayerSetWidth(layer, 2));
  PetscCall(OdynLayerSetHiddenWidth(layer, c->m));
  PetscCall(OdynLayerSetActivation(layer, ODYN_ACTIVATION_TANH));
  PetscCall(PetscSNPrintf(prefix, sizeof(prefix), "%s_", c->prefix));
  PetscCall(OdynSchemeSetOptionsPrefix(block, prefix));
  PetscCall(OdynNetCreate(comm, &net));
  PetscCall(OdynNetSetOptionsPrefix(net, prefix));
  PetscCall(OdynNetAddBlock(net, block));
  PetscCall(OdynSchemeDestroy(&block));
  PetscCall(OdynNetSetFromOptions(net));
  PetscCall(OdynNetSetUp(net));
  if (view) PetscCall(OdynNetView(net, PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(OdynNetGetBlock(net, 0, &block));
  PetscCall(OdynSchemeGetNumSteps(block, &Nsteps));
  PetscCall(OdynSchemeGetStepSize(block, &r->h));
  r->N = Nsteps;

  PetscCall(OdynNetCreateParameterVec(net, &theta));
  PetscCall(FillConstantParameters(net, c, theta));

  /* features: rank p owns a contiguous slice of the s examples, whole examples each */
  slocal = c->s / size + (rank < c->s % size ? 1 : 0);
  PetscCall(VecCreateMPI(comm, 2 * slocal, 2 * c->s, &Y0));
  PetscCall(VecDuplicate(Y0, &YN));
  PetscCall(VecGetOwnershipRange(Y0, &first, NULL));
  PetscCall(VecGetArray(Y0, &y));
  for (PetscInt i = 0; i < 2 * slocal; i++) y[i] = c->Y0[first + i];
  PetscCall(VecRestoreArray(Y0, &y));

  PetscCall(OdynNetForward(net, theta, Y0, YN));

  PetscCall(VecScatterCreateToZero(Y0, &tozero, &all));
  PetscCall(VecScatterBegin(tozero, Y0, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(tozero, Y0, all, INSERT_VALUES, SCATTER_FORWARD));
  if (rank == 0) {
    PetscCall(VecGetArrayRead(all, &a));
    Measure(c->s, a, r->norm0, r->dist0);
    PetscCall(VecRestoreArrayRead(all, &a));
  }
  PetscCall(VecScatterBegin(tozero, YN, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(tozero, YN, all, INSERT_VALUES, SCATTER_FORWARD));
  if (rank == 0) {
    PetscCall(VecGetArrayRead(all, &a));
    Measure(c->s, a, r->normN, r->distN);
    PetscCall(VecRestoreArrayRead(all, &a));
  }
  PetscCall(VecScatterDestroy(&tozero));
  PetscCall(VecDestroy(&all));
  PetscCall(VecDestroy(&Y0));
  PetscCall(VecDestroy(&YN));
  PetscCall(VecDestroy(&theta));
  PetscCall(OdynNetDestroy(&net));
  PetscFunctionReturn(0);
}

static PetscErrorCode PrintCase(const StabilityCase *c, const StabilityResult *r)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < c->s; i++)
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-6s %-9s %-12s %6" PetscInt_FMT " %5.2g   |y%" PetscInt_FMT "|       %10.4e %10.4e %10.4e\n", c->label, c->scheme, c->layer, r->N, (double)r->h, i + 1, (double)r->norm0[i], (double)r->normN[i], (double)(r->normN[i] / r->norm0[i])));
  for (PetscInt i = 0; i < c->s; i++)
    for (PetscInt k = i + 1; k < c->s; k++) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-6s %-9s %-12s %6" PetscInt_FMT " %5.2g   |y%" PetscInt_FMT "-y%" PetscInt_FMT "|    %10.4e %10.4e %10.4e\n", c->label, c->scheme, c->layer, r->N, (double)r->h, i + 1, k + 1, (double)r->dist0[i * NMAX + k], (double)r->distN[i * NMAX + k], (double)(r->distN[i * NMAX + k] / r->dist0[i * NMAX + k])));
  PetscFunctionReturn(0);
}

/* The smallest and largest ratio final/initial over the norms and over the pairwise distances of a case */
static void Ratios(const StabilityCase *c, const StabilityResult *r, PetscReal *nmin, PetscReal *nmax, PetscReal *dmin, PetscReal *dmax)
{
  *nmin = *dmin = PETSC_MAX_REAL;
  *nmax = *dmax = 0.0;
  for (PetscInt i = 0; i < c->s; i++) {
    *nmin = PetscMin(*nmin, r->normN[i] / r->norm0[i]);
    *nmax = PetscMax(*nmax, r->normN[i] / r->norm0[i]);
    for (PetscInt k = i + 1; k < c->s; k++) {
      *dmin = PetscMin(*dmin, r->distN[i * NMAX + k] / r->dist0[i * NMAX + k]);
      *dmax = PetscMax(*dmax, r->distN[i * NMAX + k] / r->dist0[i * NMAX + k]);
    }
  }
}

int main(int argc, char **argv)
{
  /* column-major 2 x 2 (and 2 x 3) matrices of paper 001 eq. 3.10 and our Kv */
  static const PetscScalar Kplus[]  = {2, 0, -2, 2};     /* [2 -2; 0 2]  */
  static const PetscScalar Kminus[] = {-2, 2, 0, -2};    /* [-2 0; 2 -2] */
  static const PetscScalar Kdiag[]  = {-2, 0, 0, -2};    /* -2 I: Example 2's K- */
  static const PetscScalar Kzero[]  = {0, 1, -1, 0};     /* [0 -1; 1 0]  */
  static const PetscScalar Kv[]     = {-1, 0, 0, 1, 1, -1}; /* [-1 0 1; 0 1 -1] */
  static const PetscScalar Y1[]     = {0.1, 0.1, -0.1, -0.1, 0.0, 0.5}; /* y1, y2 = -y1, y3 */
  const StabilityCase      cases[]  = {
    {"kplus", "K+", ODYNSCHEMEEULER, ODYNLAYERDENSE, 10, 0.1, 0, Kplus, 3, Y1},
    {"kminus", "K-", ODYNSCHEMEEULER, ODYNLAYERDENSE, 10, 0.1, 0, Kminus, 3, Y1},
    {"kzero", "K0", ODYNSCHEMEEULER, ODYNLAYERDENSE, 10, 0.1, 0, Kzero, 3, Y1},
    {"leapfrog500", "-2I", ODYNSCHEMELEAPFROG, ODYNLAYERDENSE, 500, 1.0, 0, Kdiag, 2, Y1},
    {"leapfrog5000", "-2I", ODYNSCHEMELEAPFROG, ODYNLAYERDENSE, 5000, 1.0, 0, Kdiag, 2, Y1},
    {"verlet500", "Kv", ODYNSCHEMEVERLET, ODYNLAYERHAMILTONIAN, 500, 0.1, 3, Kv, 2, Y1},
    {"verlet5000", "Kv", ODYNSCHEMEVERLET, ODYNLAYERHAMILTONIAN, 5000, 0.1, 3, Kv, 2, Y1},
  };
  const PetscInt  ncases = (PetscInt)(sizeof(cases) / sizeof(cases[0]));
  StabilityResult res[sizeof(cases) / sizeof(cases[0])];
  PetscBool       view = PETSC_FALSE;
  PetscMPIInt     rank;
  int             ok[3] = {1, 1, 1}, bounded = 1, pass;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-stability_view", &view, NULL));
  PetscCall(PetscMemzero(res, sizeof(res)));
  for (PetscInt c = 0; c < ncases; c++) PetscCall(RunCase(&cases[c], view, &res[c]));

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Example 1 (paper 001): forward Euler ResNet, identical dense layers, tanh, b = 0\n"));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-6s %-9s %-12s %6s %5s   %-12s %10s %10s %10s\n", "K", "scheme", "layer", "N", "h", "quantity", "initial", "final", "ratio"));
  for (PetscInt c = 0; c < 3; c++) PetscCall(PrintCase(&cases[c], &res[c]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\nExample 2 (paper 001): leapfrog (dense, K- = -2I) and Verlet (hamiltonian, Kv 2 x 3), identical layers, tanh, b = 0\n"));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-6s %-9s %-12s %6s %5s   %-12s %10s %10s %10s\n", "K", "scheme", "layer", "N", "h", "quantity", "initial", "final", "ratio"));
  for (PetscInt c = 3; c < ncases; c++) PetscCall(PrintCase(&cases[c], &res[c]));

  /*
    The checks (rank 0 holds the numbers):
      K+ expands:   every norm and every pairwise distance grows (ratio > 1.2);
      K- contracts: every norm and every pairwise distance shrinks (ratio < 0.8);
      K0 preserves: every pairwise distance stays within 10% (forward Euler grows a rotation by sqrt(1 + h^2) per
                    step, 5% over 10 steps; tanh damps it);
      Example 2:    the features neither vanish nor blow up: after 500 and after 5000 layers every norm and every
                    distance is within a factor 10 of its start (forward Euler with K- loses a factor 4 to 14 in
                    just 10 layers; the Jordan K- under leapfrog grows by a factor 113 in 500).
  */
  if (rank == 0) {
    PetscReal nmin, nmax, dmin, dmax;

    Ratios(&cases[0], &res[0], &nmin, &nmax, &dmin, &dmax);
    ok[0] = nmin > 1.2 && dmin > 1.2;
    Ratios(&cases[1], &res[1], &nmin, &nmax, &dmin, &dmax);
    ok[1] = nmax < 0.8 && dmax < 0.8;
    Ratios(&cases[2], &res[2], &nmin, &nmax, &dmin, &dmax);
    ok[2] = dmin > 0.9 && dmax < 1.1;
    for (PetscInt c = 3; c < ncases; c++) {
      Ratios(&cases[c], &res[c], &nmin, &nmax, &dmin, &dmax);
      bounded = bounded && nmin > 0.1 && dmin > 0.1 && nmax < 10 && dmax < 10;
    }
  }
  pass = ok[0] && ok[1] && ok[2] && bounded;
  PetscCallMPI(MPI_Bcast(&pass, 1, MPI_INT, 0, PETSC_COMM_WORLD));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\nstability: K+ %s, K- %s, K0 %s; leapfrog and verlet %s: %s\n", ok[0] ? "expands" : "does NOT expand", ok[1] ? "contracts" : "does NOT contract", ok[2] ? "preserves" : "does NOT preserve", bounded ? "neither vanish nor blow up" : "vanish or blow up", pass ? "PASS" : "FAIL"));
  PetscCall(PetscFinalize());
  return pass ? 0 : 1;
}
