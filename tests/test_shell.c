/*
  SHELL layers: user callbacks written here pass the layer-level Taylor, dot-product and accumulate tests, and the
  network-level Taylor and dot-product tests inside euler and leapfrog blocks (one face) and a verlet block (two faces).
  The context pointer reaches every callback; a shell without all its callbacks fails SetUp with a message naming them.

  One face (n x s -> n x s), theta = [a, b, c (n)]:       F_i = a tanh(Y_i) + b Y_i Y_{i+1 mod n} + c_i
  Two faces, n = 3, m = 2, theta = [a, b, c (n), d (m)]:  face 0 (Z -> Y)  F_i = a tanh(Z_{i mod m}) + c_i
                                                          face 1 (Y -> Z)  G_k = b tanh(Y_k + Y_{k+1}) + d_k
*/
#include <string.h>
#include "odyntest.h"

#define USER_MAGIC 0x5e11

typedef struct {
  PetscInt magic, nfaces, n, m;
  PetscInt calls[5]; /* apply, JAC_X, JAC_THETA, JAC_X_T, JAC_THETA_T */
} UserCtx;

static PetscReal Sech2(PetscReal x) { return 1.0 - PetscTanhReal(x) * PetscTanhReal(x); }

/* Row i of face `face` at the example x: F_i = theta[ia] t1 + theta[ic] (+ theta[1] x_p x_q with one face), where F_i
   depends on x[p] and x[q] (q < 0: none) with the derivatives wp = dF_i/dx_p, wq = dF_i/dx_q */
typedef struct {
  PetscInt    p, q, ia, ic;
  PetscScalar wp, wq, t1;
} Row;

static Row UserRow(const UserCtx *u, PetscInt face, const PetscScalar th[], const PetscScalar x[], PetscInt i)
{
  const PetscInt n = u->n, m = u->m;
  Row            r;
  if (u->nfaces == 1) {
    r.p = i, r.q = (i + 1) % n, r.ia = 0, r.ic = 2 + i, r.t1 = PetscTanhReal(x[r.p]);
    r.wp = th[0] * Sech2(x[r.p]) + th[1] * x[r.q], r.wq = th[1] * x[r.p];
  } else if (face == 0) {
    r.p = i % m, r.q = -1, r.ia = 0, r.ic = 2 + i, r.t1 = PetscTanhReal(x[r.p]);
    r.wp = th[0] * Sech2(x[r.p]), r.wq = 0;
  } else {
    r.p = i, r.q = i + 1, r.ia = 1, r.ic = 2 + n + i, r.t1 = PetscTanhReal(x[r.p] + x[r.q]);
    r.wp = r.wq = th[1] * Sech2(x[r.p] + x[r.q]);
  }
  return r;
}

static PetscErrorCode UserApply(OdynLayer layer, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar F[], void *ctx)
{
  UserCtx *u = (UserCtx *)ctx;

  PetscFunctionBegin;
  PetscCheck(u && u->magic == USER_MAGIC, PETSC_COMM_SELF, PETSC_ERR_PLIB, "context did not reach the apply callback");
  const PetscInt nin = u->nfaces == 1 || face ? u->n : u->m, nout = u->nfaces == 2 && face ? u->m : u->n;
  u->calls[0]++;
  for (PetscInt e = 0; e < s; e++) {
    for (PetscInt i = 0; i < nout; i++) {
      const PetscScalar *x = X + e * nin;
      const Row          r = UserRow(u, face, th, x, i);
      F[e * nout + i]      = th[r.ia] * r.t1 + th[r.ic] + (u->nfaces == 1 ? th[1] * x[r.p] * x[r.q] : 0);
    }
  }
  PetscFunctionReturn(0);
}

/* one routine for the four products; which = the OdynLayerShellProduct */
static PetscErrorCode UserProduct(OdynLayerShellProduct which, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar alpha, const PetscScalar in[], PetscScalar out[], UserCtx *u)
{
  PetscFunctionBegin;
  PetscCheck(u && u->magic == USER_MAGIC, PETSC_COMM_SELF, PETSC_ERR_PLIB, "context did not reach the product callback");
  const PetscInt nin = u->nfaces == 1 || face ? u->n : u->m, nout = u->nfaces == 2 && face ? u->m : u->n;
  u->calls[1 + which]++;
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *x = X + e * nin;
    /* per-example views of in and out; the theta-shaped ones are not offset */
    const PetscScalar *vin  = which == ODYN_LAYER_SHELL_JAC_THETA ? in : in + e * (which == ODYN_LAYER_SHELL_JAC_X ? nin : nout);
    PetscScalar       *vout = which == ODYN_LAYER_SHELL_JAC_THETA_T ? out : out + e * (which == ODYN_LAYER_SHELL_JAC_X_T ? nin : nout);
    for (PetscInt i = 0; i < nout; i++) {
      const Row r = UserRow(u, face, th, x, i);
      if (which == ODYN_LAYER_SHELL_JAC_X) vout[i] += alpha * (r.wp * vin[r.p] + (r.q >= 0 ? r.wq * vin[r.q] : 0));
      else if (which == ODYN_LAYER_SHELL_JAC_THETA) vout[i] += alpha * (vin[r.ia] * r.t1 + vin[r.ic] + (u->nfaces == 1 ? vin[1] * x[r.p] * x[r.q] : 0));
      else if (which == ODYN_LAYER_SHELL_JAC_X_T) {
        vout[r.p] += alpha * r.wp * vin[i];
        if (r.q >= 0) vout[r.q] += alpha * r.wq * vin[i];
      } else {
        vout[r.ia] += alpha * r.t1 * vin[i];
        vout[r.ic] += alpha * vin[i];
        if (u->nfaces == 1) vout[1] += alpha * x[r.p] * x[r.q] * vin[i];
      }
    }
  }
  PetscFunctionReturn(0);
}

#define USER_PRODUCT(Name, which) \
  static PetscErrorCode Name(OdynLayer l, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar alpha, const PetscScalar in[], PetscScalar out[], void *ctx) \
  { \
    return UserProduct(which, face, th, s, X, alpha, in, out, (UserCtx *)ctx); \
  }
USER_PRODUCT(UserJacX, ODYN_LAYER_SHELL_JAC_X)
USER_PRODUCT(UserJacTheta, ODYN_LAYER_SHELL_JAC_THETA)
USER_PRODUCT(UserJacXT, ODYN_LAYER_SHELL_JAC_X_T)
USER_PRODUCT(UserJacThetaT, ODYN_LAYER_SHELL_JAC_THETA_T)

/* makes layer a shell with u's sizes; nproducts < 4 leaves the last ones unset */
static PetscErrorCode MakeShell(OdynLayer layer, UserCtx *u, PetscInt nproducts)
{
  OdynLayerShellProductFn fns[4] = {UserJacX, UserJacTheta, UserJacXT, UserJacThetaT};

  PetscFunctionBegin;
  PetscCall(OdynLayerSetType(layer, ODYNLAYERSHELL));
  PetscCall(OdynLayerShellSetSizes(layer, u->nfaces, u->n, u->nfaces == 2 ? u->m : 0, u->nfaces == 2 ? 2 + u->n + u->m : 2 + u->n));
  PetscCall(OdynLayerShellSetContext(layer, u));
  PetscCall(OdynLayerShellSetApply(layer, UserApply));
  for (PetscInt p = 0; p < nproducts; p++) PetscCall(OdynLayerShellSetProduct(layer, (OdynLayerShellProduct)p, fns[p]));
  PetscFunctionReturn(0);
}

/* network level: one block over the user layer */
typedef struct {
  OdynNet   net;
  Vec       theta, Y0, dtheta, dY0, Yp, thp, Y0p;
  PetscBool wrt_theta;
} NetCtx;

static PetscErrorCode PerturbNet(void *ctx, PetscReal eps, PetscScalar out[])
{
  NetCtx            *c = (NetCtx *)ctx;
  const PetscScalar *y;
  PetscInt           len;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(c->thp, c->wrt_theta ? eps : 0.0, c->dtheta, c->theta));
  PetscCall(VecWAXPY(c->Y0p, c->wrt_theta ? 0.0 : eps, c->dY0, c->Y0));
  PetscCall(OdynNetForward(c->net, c->thp, c->Y0p, c->Yp));
  PetscCall(VecGetLocalSize(c->Yp, &len));
  PetscCall(VecGetArrayRead(c->Yp, &y));
  PetscCall(PetscArraycpy(out, y, len));
  PetscCall(VecRestoreArrayRead(c->Yp, &y));
  PetscFunctionReturn(0);
}

/* Taylor and dot-product tests of a one-block network (scheme stype over the user layer) w.r.t. theta and Y0 */
static PetscErrorCode CheckNet(const char *stype, UserCtx *u)
{
  const PetscInt     n = u->n, s = 7;
  OdynScheme         scheme;
  OdynLayer          layer;
  NetCtx             c;
  Vec               *tv, *yv, YN, Jv[2], W, gth, gY0;
  const PetscScalar *yn, *jv;
  PetscScalar        a, b;
  OdynTaylorOptions  topt;
  char               label[64];

  PetscFunctionBegin;
  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &scheme));
  PetscCall(OdynSchemeSetType(scheme, stype));
  PetscCall(OdynSchemeSetNumSteps(scheme, 5));
  PetscCall(OdynSchemeSetFinalTime(scheme, 1.5));
  PetscCall(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  PetscCall(MakeShell(layer, u, 4));
  PetscCall(OdynSchemeSetLayer(scheme, layer));
  PetscCall(OdynLayerDestroy(&layer));
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, &c.net));
  PetscCall(OdynNetAddBlock(c.net, scheme));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscCall(OdynNetCreateParameterVec(c.net, &c.theta));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, n * s, PETSC_DETERMINE, &c.Y0));
  PetscCall(VecDuplicateVecs(c.theta, 3, &tv));
  PetscCall(VecDuplicateVecs(c.Y0, 8, &yv));
  c.dtheta = tv[0], c.thp = tv[1], gth = tv[2];
  c.dY0 = yv[0], c.Y0p = yv[1], c.Yp = yv[2], YN = yv[3], Jv[0] = yv[4], Jv[1] = yv[5], W = yv[6], gY0 = yv[7];
  PetscCall(OdynTestRandomVec(1201, 0.7, c.theta));
  PetscCall(OdynTestRandomVec(2333, 1.0, c.dtheta));
  PetscCall(OdynTestRandomVec(3467, 1.0, c.Y0));
  PetscCall(OdynTestRandomVec(4523, 1.0, c.dY0));
  PetscCall(OdynTestRandomVec(5651, 1.0, W));

  PetscCall(OdynNetForward(c.net, c.theta, c.Y0, YN));
  PetscCall(OdynNetJacobianMult(c.net, c.dtheta, NULL, Jv[0]));
  PetscCall(OdynNetJacobianMult(c.net, NULL, c.dY0, Jv[1]));
  PetscCall(OdynNetJacobianMultTranspose(c.net, W, gth, gY0));
  for (PetscInt k = 0; k < 2; k++) {
    PetscCall(VecDot(Jv[k], W, &a));
    PetscCall(VecDot(k ? c.dY0 : c.dtheta, k ? gY0 : gth, &b));
    ck_assert_msg(PetscAbsScalar(a - b) <= 1e-12 * PetscMax(PetscAbsScalar(a), PetscAbsScalar(b)), "%s/shell dot test %s: %.16e vs %.16e", stype, k ? "Y0" : "theta", (double)a, (double)b);
  }
  OdynTaylorOptionsDefault(&topt);
  PetscCall(VecGetArrayRead(YN, &yn));
  for (PetscInt k = 0; k < 2; k++) {
    c.wrt_theta = k == 0 ? PETSC_TRUE : PETSC_FALSE;
    PetscCall(PetscSNPrintf(label, sizeof(label), "%s/shell d/d%s", stype, k ? "Y0" : "theta"));
    PetscCall(VecGetArrayRead(Jv[k], &jv));
    ck_assert_msg(OdynTaylorTest(label, n * s, yn, jv, PerturbNet, &c, &topt), "Taylor test failed: %s", label);
    PetscCall(VecRestoreArrayRead(Jv[k], &jv));
  }
  PetscCall(VecRestoreArrayRead(YN, &yn));
  PetscCall(VecDestroyVecs(3, &tv));
  PetscCall(VecDestroyVecs(8, &yv));
  PetscCall(VecDestroy(&c.theta));
  PetscCall(VecDestroy(&c.Y0));
  PetscCall(OdynNetDestroy(&c.net));
  PetscFunctionReturn(0);
}

/* the user layer u at layer level (every face) and inside a one-block network of each scheme */
static void RunShell(UserCtx *u, const char *schemes[], PetscInt nschemes)
{
  OdynLayer         layer;
  PetscInt          nf, np, nin[2], nout[2];
  void             *got;
  OdynTaylorOptions topt;

  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  ODYN_CK(MakeShell(layer, u, 4));
  ODYN_CK(OdynLayerGetNumFaces(layer, &nf));
  ODYN_CK(OdynLayerGetNumParameters(layer, &np));
  ck_assert(nf == u->nfaces && np == 2 + u->n + (nf == 2 ? u->m : 0));
  ODYN_CK(OdynLayerShellGetContext(layer, &got));
  ck_assert_ptr_eq(got, u);
  for (PetscInt f = 0; f < nf; f++) ODYN_CK(OdynLayerGetFaceSizes(layer, f, &nin[f], &nout[f]));
  if (nf == 1) ck_assert(nin[0] == u->n && nout[0] == u->n);
  else ck_assert(nin[0] == u->m && nout[0] == u->n && nin[1] == u->n && nout[1] == u->m);
  OdynTaylorOptionsDefault(&topt);
  for (PetscInt f = 0; f < nf; f++) ODYN_CK(OdynTestLayerFace(layer, f, 5, 40 + 10 * f, &topt, nf == 1 ? "shell" : f ? "shell face 1" : "shell face 0"));
  ODYN_CK(OdynLayerDestroy(&layer));
  for (PetscInt k = 0; k < nschemes; k++) ODYN_CK(CheckNet(schemes[k], u));
  for (PetscInt k = 0; k < 5; k++) ck_assert_msg(u->calls[k] > 0, "callback %d never called with the context", (int)k);
}

START_TEST(test_one_face)
{
  UserCtx     u          = {USER_MAGIC, 1, 3, 0, {0}};
  const char *schemes[2] = {ODYNSCHEMEEULER, ODYNSCHEMELEAPFROG};
  RunShell(&u, schemes, 2);
}
END_TEST

START_TEST(test_two_faces)
{
  UserCtx     u          = {USER_MAGIC, 2, 3, 2, {0}};
  const char *schemes[1] = {ODYNSCHEMEVERLET};
  RunShell(&u, schemes, 1);
}
END_TEST

START_TEST(test_incomplete_shell)
{
  UserCtx   u = {USER_MAGIC, 1, 3, 0, {0}};
  OdynLayer layer;

  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERSHELL));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "OdynLayerShellSetSizes()");
  ODYN_CK(MakeShell(layer, &u, 0));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "OdynLayerShellSetProduct(layer, ODYN_LAYER_SHELL_JAC_X,");
  ODYN_CK(MakeShell(layer, &u, 3)); /* all but the transposed theta product */
  odyn_ck_error_contains(OdynLayerSetUp(layer), "ODYN_LAYER_SHELL_JAC_THETA_T");
  ODYN_CK(OdynLayerShellSetApply(layer, NULL));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "OdynLayerShellSetApply()");
  ODYN_CK(OdynLayerDestroy(&layer));
  /* the context getter on a layer that is not a shell */
  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERDENSE));
  odyn_ck_error_contains(OdynLayerShellGetContext(layer, &u), "needs a layer of type shell");
  ODYN_CK(OdynLayerDestroy(&layer));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("shell");
  TCase *t = tcase_create("user layer");
  tcase_add_test(t, test_one_face);
  tcase_add_test(t, test_two_faces);
  tcase_add_test(t, test_incomplete_shell);
  tcase_set_timeout(t, 300);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
