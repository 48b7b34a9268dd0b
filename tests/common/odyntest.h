#ifndef ODYNTEST_H
#define ODYNTEST_H

/* Helpers shared by odyn's unit tests: deterministic random data, Taylor and dot-product tests, error capture. */
#include <check.h>
#include <odyn.h>

/* Fills a[0..len) with uniform values in [-scale, scale], the same on every rank for the same seed. */
PetscErrorCode OdynTestRandom(unsigned long seed, PetscInt len, PetscReal scale, PetscScalar a[]);
/* Fills the local part of a parallel Vec from the global random sequence (so 1 and 2 ranks see the same data). */
PetscErrorCode OdynTestRandomVec(unsigned long seed, PetscReal scale, Vec v);

/* Evaluates F(x + eps v) into out (length nf); the test supplies it. */
typedef PetscErrorCode (*OdynTestPerturbedFn)(void *ctx, PetscReal eps, PetscScalar out[]);

typedef struct {
  PetscInt  halvings;      /* number of halvings of eps (>= 6) */
  PetscReal eps0;          /* first eps */
  PetscReal order2_min;    /* smallest accepted ratio of successive second-order remainders (4 for smooth F) */
  PetscInt  tail;          /* > 0: check the second-order ratios only over the last `tail` halvings (piecewise smooth F,
                              e.g. ReLU, whose kinks are crossed inside the larger eps-balls) */
  PetscBool verbose;
} OdynTaylorOptions;

/* Default: 8 halvings from eps0 = 0.1, all second-order ratios in [3.2, 4.8] (eps^2 up to round-off). */
void OdynTaylorOptionsDefault(OdynTaylorOptions *);

/*
  Taylor test: with E1(eps) = ||F(x + eps v) - F(x)|| and E2(eps) = ||F(x + eps v) - F(x) - eps J v||, checks that
  E1 falls like eps and E2 like eps^2 over the halvings. Halvings where E2 is at round-off level are skipped; if E2 is
  at round-off level everywhere (F linear in that direction) that is accepted. Returns PETSC_TRUE on success and
  prints the table on failure (or when verbose).
*/
PetscBool OdynTaylorTest(const char *label, PetscInt nf, const PetscScalar F0[], const PetscScalar Jv[], OdynTestPerturbedFn fn, void *ctx, const OdynTaylorOptions *opt);

/* A network's output F(theta, Y0) as an OdynTestPerturbedFn for the Taylor tests of whole networks: the point (theta,
   Y0), the directions (dtheta, dY0), work vectors thp (like theta), Y0p (like Y0) and Yp (like the output). */
typedef struct {
  OdynNet net;
  Vec     theta, dtheta, thp, Y0, dY0, Y0p, Yp;
} OdynTestNetCtx;
/* out = the local part of F(theta + eps dtheta, Y0), resp. F(theta, Y0 + eps dY0); ctx is an OdynTestNetCtx */
PetscErrorCode OdynTestNetPerturbTheta(void *ctx, PetscReal eps, PetscScalar out[]);
PetscErrorCode OdynTestNetPerturbY0(void *ctx, PetscReal eps, PetscScalar out[]);
/* Dot-product (1e-12) and Taylor tests of a whole network at (theta, Y0) in the directions (dtheta, dY0): the caller
   creates c->net, theta (filled), dtheta (filled), thp, Y0, dY0, Y0p, and YN in the output's layout; this fills Y0, dY0
   and a weight W from seeds 3, 4, 5, creates and destroys c->Yp and its other work vectors. Failures are ck_assert
   failures naming label and backend; the verdicts hold on all ranks. */
void OdynTestNetDerivatives(OdynTestNetCtx *c, Vec YN, const char *label, const char *backend);
/* ||a - b|| / ||b|| (||a - b|| when b = 0) */
PetscReal OdynTestVecRelDiff(Vec a, Vec b);
/* a state Vec of n values per example: the same s examples on every rank, or (split = 1) all on rank 0 */
PetscErrorCode OdynTestStateVec(PetscInt n, PetscInt s, PetscInt split, Vec *v);
/* one-hot targets of nc classes for the examples of C (nc values each): example e (global index) in class 7 e mod nc */
PetscErrorCode OdynTestOneHotVec(PetscInt nc, Vec C);
/* ck_assert that a (the backend's) is within tol of b (the host's), relative; prints the line when tol > 0 */
void OdynTestExpectClose(const char *label, const char *what, const char *backend, PetscReal tol, Vec a, Vec b);
/* a network on a backend (bnet) against the same network on the host (hnet) at the same data: J (dtheta, dY0), each
   alone, J^T W (both, each alone, the parameter gradient accumulating onto 7), and the forward once more (the
   derivative sweeps must leave the trajectory alone); Yh, Yb (outputs), gh, gb (parameters), Gh, Gb (inputs) work */
void OdynTestNetCompareDerivatives(OdynNet hnet, OdynNet bnet, Vec th, Vec dth, Vec Y0, Vec dY0, Vec W, Vec Yh, Vec Yb, Vec gh, Vec gb, Vec Gh, Vec Gb, const char *label, const char *backend, PetscReal tol);

/* Dot-product test: |<Jv, w> - <v, JTw>| <= tol * max(|<Jv,w>|, |<v,JTw>|). Returns the relative difference. */
PetscReal OdynDotTestRelDiff(PetscInt nf, const PetscScalar Jv[], const PetscScalar w[], PetscInt nx, const PetscScalar v[], const PetscScalar JTw[]);

/*
  Layer-level conformance of one face of a set-up layer at random (theta, X) with s examples (seeded by `seed`):
  dot-product tests of dF/dtheta and dF/dX (1e-12), Taylor tests of both (with opt), the accumulate contract of the four
  products (out += alpha * product), that OdynLayerApply() leaves the linearization alone, and, on a two-face layer,
  that linearizing the other face does too. Failures are ck_assert failures that name `label`.
*/
PetscErrorCode OdynTestLayerFace(OdynLayer layer, PetscInt face, PetscInt s, unsigned long seed, const OdynTaylorOptions *opt, const char *label);

/* Error capture: runs with an error handler that records the message instead of printing it. */
void        OdynTestCaptureErrorsBegin(void);
void        OdynTestCaptureErrorsEnd(void);
const char *OdynTestLastErrorMessage(void);
/* true if the call failed and the captured message contains `needle` */
#define odyn_ck_error_contains(call, needle) \
  do { \
    PetscErrorCode ierr_; \
    OdynTestCaptureErrorsBegin(); \
    ierr_ = (call); \
    OdynTestCaptureErrorsEnd(); \
    ck_assert_msg(ierr_ != 0, "expected an error from %s", #call); \
    ck_assert_msg(strstr(OdynTestLastErrorMessage(), needle) != NULL, "error message of %s was \"%s\", expected it to contain \"%s\"", #call, OdynTestLastErrorMessage(), needle); \
  } while (0)

/* ck_assert on a PETSc error code */
#define ODYN_CK(call) \
  do { \
    PetscErrorCode ierr__ = (call); \
    ck_assert_msg(ierr__ == 0, "%s failed with PETSc error %d", #call, (int)ierr__); \
  } while (0)

/* main(): initializes PETSc, runs the suite without forking (MPI does not survive fork), returns failures != 0. */
int OdynTestMain(int argc, char **argv, Suite *(*make)(void));
/* the same for the n tests of list in one test case named tcase (600 s each), in a suite named suite */
int OdynTestMainList(int argc, char **argv, const char *suite, const char *tcase, int n, const TTest *const list[]);
/* a function OdynTestMainList() runs before each of its tests (a checked fixture): e.g. one that restores the shared
   settings of a test file, so that a test that fails half-way does not hand its settings to the next */
void OdynTestSetListSetup(void (*setup)(void));

#endif
