static const char help[] = "A layer function of your own, plugged into an odyn network through the SHELL layer type.\n\n"
                           "The layer is F(theta, Y)_i = a tanh(Y_i) + b Y_i Y_{i+1 mod n} + c_i with theta = [a, b, c_0..c_{n-1}]\n"
                           "per step. The example builds a one-block network (leapfrog by default; try -odyn_scheme_type euler,\n"
                           "-odyn_scheme_num_steps 20), runs the forward sweep, the gradient of the loss 0.5 ||Y_N||^2 through the\n"
                           "adjoint sweep (J^T w with w = Y_N), checks it against the tangent sweep (J v), and prints one line.\n\n";

/*
  What a user writes to bring a layer of their own:

    1. a context (optional) with whatever the callbacks need; here only the width n;
    2. apply:   F = F(theta, X) for s examples, X and F column-major n x s (one example per column);
    3. the four Jacobian products at the point (theta, X) that odyn passes in (the last OdynLayerLinearize()):
         JAC_X        out += alpha dF/dX V              V   n x s,  out n x s
         JAC_THETA    out += alpha dF/dtheta v          v   nparam, out n x s
         JAC_X_T      out += alpha (dF/dX)^T W          W   n x s,  out n x s
         JAC_THETA_T  g   += alpha (dF/dtheta)^T W      W   n x s,  g   nparam (summed over the examples)
       They ACCUMULATE (out += ...): the schemes rely on it to add up contributions without temporaries;
    4. OdynLayerSetType(layer, "shell"), OdynLayerShellSetSizes(), ...SetContext(), ...SetApply(), ...SetProduct().

  odyn then runs the exact tangent-linear and adjoint sweeps of the scheme on top of these products. If the products
  are wrong, so are the gradients: check them once with a Taylor test and a dot-product test (tests/test_shell.c does).
*/
#include <odyn.h>

typedef struct {
  PetscInt n; /* width of the state */
} UserCtx;

static PetscErrorCode Apply(OdynLayer layer, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar F[], void *ctx)
{
  const PetscInt n = ((UserCtx *)ctx)->n;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *x = X + e * n;
    for (PetscInt i = 0; i < n; i++) F[e * n + i] = th[0] * PetscTanhReal(x[i]) + th[1] * x[i] * x[(i + 1) % n] + th[2 + i];
  }
  PetscFunctionReturn(0);
}

/* dF_i = (a sech^2(x_i) + b x_{i+1}) dx_i + b x_i dx_{i+1} */
static PetscErrorCode JacX(OdynLayer layer, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar alpha, const PetscScalar V[], PetscScalar out[], void *ctx)
{
  const PetscInt n = ((UserCtx *)ctx)->n;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *x = X + e * n, *v = V + e * n;
    for (PetscInt i = 0; i < n; i++) {
      const PetscInt    j  = (i + 1) % n;
      const PetscScalar t  = PetscTanhReal(x[i]);
      out[e * n + i] += alpha * ((th[0] * (1 - t * t) + th[1] * x[j]) * v[i] + th[1] * x[i] * v[j]);
    }
  }
  PetscFunctionReturn(0);
}

/* the transpose of JacX: row i of dF/dX sends W_i back to x_i and x_{i+1} */
static PetscErrorCode JacXT(OdynLayer layer, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar alpha, const PetscScalar W[], PetscScalar out[], void *ctx)
{
  const PetscInt n = ((UserCtx *)ctx)->n;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *x = X + e * n, *w = W + e * n;
    for (PetscInt i = 0; i < n; i++) {
      const PetscInt    j = (i + 1) % n;
      const PetscScalar t = PetscTanhReal(x[i]);
      out[e * n + i] += alpha * (th[0] * (1 - t * t) + th[1] * x[j]) * w[i];
      out[e * n + j] += alpha * th[1] * x[i] * w[i];
    }
  }
  PetscFunctionReturn(0);
}

/* dF_i = da tanh(x_i) + db x_i x_{i+1} + dc_i */
static PetscErrorCode JacTheta(OdynLayer layer, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar alpha, const PetscScalar dth[], PetscScalar out[], void *ctx)
{
  const PetscInt n = ((UserCtx *)ctx)->n;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *x = X + e * n;
    for (PetscInt i = 0; i < n; i++) out[e * n + i] += alpha * (dth[0] * PetscTanhReal(x[i]) + dth[1] * x[i] * x[(i + 1) % n] + dth[2 + i]);
  }
  PetscFunctionReturn(0);
}

/* the transpose of JacTheta, summed over the examples */
static PetscErrorCode JacThetaT(OdynLayer layer, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar alpha, const PetscScalar W[], PetscScalar g[], void *ctx)
{
  const PetscInt n = ((UserCtx *)ctx)->n;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *x = X + e * n, *w = W + e * n;
    for (PetscInt i = 0; i < n; i++) {
      g[0] += alpha * PetscTanhReal(x[i]) * w[i];
      g[1] += alpha * x[i] * x[(i + 1) % n] * w[i];
      g[2 + i] += alpha * w[i];
    }
  }
  PetscFunctionReturn(0);
}

/* v[k] = scale * sin(freq * (k + 1)) at the global index k: the same data on any number of ranks */
static PetscErrorCode FillVec(Vec v, PetscReal scale, PetscReal freq)
{
  PetscInt     rstart, rend;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(v, &rstart, &rend));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt k = rstart; k < rend; k++) a[k - rstart] = scale * PetscSinReal(freq * (k + 1));
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  UserCtx     user = {3};
  PetscInt    s = 40, slocal = PETSC_DECIDE;
  PetscMPIInt size;
  OdynLayer   layer;
  OdynScheme  block;
  OdynNet     net;
  Vec         theta, dtheta, grad, Y0, YN, JvN;
  PetscReal   loss, gnorm, rel;
  PetscScalar a, b;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-num_examples", &s, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));

  /* the user layer: one face, width n, 2 + n parameters per step */
  PetscCall(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  PetscCall(OdynLayerSetType(layer, ODYNLAYERSHELL));
  PetscCall(OdynLayerShellSetSizes(layer, 1, user.n, 0, 2 + user.n));
  PetscCall(OdynLayerShellSetContext(layer, &user));
  PetscCall(OdynLayerShellSetApply(layer, Apply));
  PetscCall(OdynLayerShellSetProduct(layer, ODYN_LAYER_SHELL_JAC_X, JacX));
  PetscCall(OdynLayerShellSetProduct(layer, ODYN_LAYER_SHELL_JAC_THETA, JacTheta));
  PetscCall(OdynLayerShellSetProduct(layer, ODYN_LAYER_SHELL_JAC_X_T, JacXT));
  PetscCall(OdynLayerShellSetProduct(layer, ODYN_LAYER_SHELL_JAC_THETA_T, JacThetaT));

  /* one block: a scheme over the user layer; the network keeps a reference to the block, the block to the layer */
  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &block));
  PetscCall(OdynSchemeSetType(block, ODYNSCHEMELEAPFROG));
  PetscCall(OdynSchemeSetNumSteps(block, 8));
  PetscCall(OdynSchemeSetFinalTime(block, 2.0));
  PetscCall(OdynSchemeSetLayer(block, layer));
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, &net));
  PetscCall(OdynNetAddBlock(net, block));
  PetscCall(OdynNetSetFromOptions(net)); /* -odyn_scheme_type, -odyn_scheme_num_steps, ... */
  PetscCall(OdynSchemeDestroy(&block));
  PetscCall(OdynLayerDestroy(&layer));

  /* parameters (all steps, one Vec) and features: every rank holds whole examples, n values each */
  PetscCall(OdynNetCreateParameterVec(net, &theta));
  PetscCall(VecDuplicate(theta, &dtheta));
  PetscCall(VecDuplicate(theta, &grad));
  PetscCall(FillVec(theta, 0.5, 0.7));
  PetscCall(FillVec(dtheta, 1.0, 1.3));
  PetscCall(PetscSplitOwnership(PETSC_COMM_WORLD, &slocal, &s));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, user.n * slocal, user.n * s, &Y0));
  PetscCall(VecDuplicate(Y0, &YN));
  PetscCall(VecDuplicate(Y0, &JvN));
  PetscCall(FillVec(Y0, 0.8, 0.37));

  /* forward sweep, loss 0.5 ||Y_N||^2 and its gradient J^T Y_N by the adjoint sweep */
  PetscCall(OdynNetForward(net, theta, Y0, YN));
  PetscCall(VecNorm(YN, NORM_2, &loss));
  loss = 0.5 * loss * loss;
  PetscCall(OdynNetJacobianMultTranspose(net, YN, grad, NULL));
  PetscCall(VecNorm(grad, NORM_2, &gnorm));

  /* the adjoint agrees with the tangent sweep: <J v, w> = <v, J^T w> */
  PetscCall(OdynNetJacobianMult(net, dtheta, NULL, JvN));
  PetscCall(VecDot(JvN, YN, &a));
  PetscCall(VecDot(dtheta, grad, &b));
  rel = PetscAbsScalar(a - b) / PetscMax(PetscAbsScalar(a), PetscAbsScalar(b));

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "custom_layer: %d rank(s), %" PetscInt_FMT " examples, loss %.6f, ||gradient|| %.6f, dot test %s\n", size, s, (double)loss, (double)gnorm, rel < 1e-12 ? "PASS" : "FAIL"));

  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&dtheta));
  PetscCall(VecDestroy(&grad));
  PetscCall(VecDestroy(&Y0));
  PetscCall(VecDestroy(&YN));
  PetscCall(VecDestroy(&JvN));
  PetscCall(OdynNetDestroy(&net));
  PetscCall(PetscFinalize());
  return 0;
}
