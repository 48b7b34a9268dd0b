#include "quadratic.h"

/*MC
   ODYNREGSMOOTH - "smooth": smoothness of the parameters in time (paper 001 eq. 5.23)

     R(theta) = sum_b h_b/2 sum_{j=1}^{N_b-1} ||(theta_j - theta_{j-1}) / h_b||^2

   over all parameters of a step, block by block. R = 1/2 ||L theta||^2 with L the time differences scaled by
   1/sqrt(h); the Hessian L^T L = (1/h) (1-D Neumann Laplacian in time) is assembled once. Its null space are the
   parameters that are constant in time: the preconditioner needs a positive shift.

   Level: beginner

.seealso: `OdynRegularizerSetType()`, `ODYNREGTIKHONOV`, `ODYNREGTV`
M*/

/*MC
   ODYNREGTIKHONOV - "tikhonov": weight decay, R(theta) = sum_b h_b/2 sum_{j=0}^{N_b-1} ||theta_j||^2

   The h keeps R a quadrature of 1/2 int ||theta(t)||^2 dt, independent of the depth. Hessian h I.

   Level: beginner

.seealso: `OdynRegularizerSetType()`, `ODYNREGSMOOTH`
M*/

static PetscErrorCode OdynRegularizerEvaluate_Quadratic(OdynRegularizer reg, Vec x, PetscReal *R, Vec g)
{
  OdynReg_Quadratic *q = (OdynReg_Quadratic *)reg->data;
  PetscReal          nrm;

  PetscFunctionBegin;
  /* through L, not A: 1/2 ||L x||^2 keeps its relative accuracy when x is nearly in the null space */
  PetscCall(MatMult(q->L, x, q->Lx));
  PetscCall(VecNorm(q->Lx, NORM_2, &nrm));
  *R = 0.5 * nrm * nrm;
  if (g) PetscCall(MatMultTranspose(q->L, q->Lx, g));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerHessMult_Quadratic(OdynRegularizer reg, Vec x, Vec v, Vec Hv)
{
  OdynReg_Quadratic *q = (OdynReg_Quadratic *)reg->data;

  PetscFunctionBegin;
  PetscCall(MatMult(q->A, v, Hv));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerHessMat_Quadratic(OdynRegularizer reg, Vec x, Mat *A)
{
  PetscFunctionBegin;
  *A = ((OdynReg_Quadratic *)reg->data)->A;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerReset_Quadratic(OdynRegularizer reg)
{
  OdynReg_Quadratic *q = (OdynReg_Quadratic *)reg->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&q->L));
  PetscCall(MatDestroy(&q->A));
  PetscCall(VecDestroy(&q->Lx));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerDestroy_Quadratic(OdynRegularizer reg)
{
  PetscFunctionBegin;
  PetscCall(OdynRegularizerReset_Quadratic(reg));
  PetscCall(PetscFree(reg->data));
  PetscFunctionReturn(0);
}

/* builds L with the type's buildL (the type's setup has set the size), then A = L^T L */
PetscErrorCode OdynRegularizerQuadraticSetUp_Private(OdynRegularizer reg)
{
  OdynReg_Quadratic *q = (OdynReg_Quadratic *)reg->data;

  PetscFunctionBegin;
  PetscCall(OdynRegularizerReset_Quadratic(reg));
  PetscCall(q->buildL(reg, &q->L));
  PetscCall(MatTransposeMatMult(q->L, q->L, MAT_INITIAL_MATRIX, PETSC_DEFAULT, &q->A));
  PetscCall(MatCreateVecs(q->L, NULL, &q->Lx));
  PetscFunctionReturn(0);
}

/* The ops shared by the quadratic types; the type keeps its own setup (which ends by calling OdynRegularizerQuadraticSetUp_Private()). */
PetscErrorCode OdynRegularizerQuadraticSetOps_Private(OdynRegularizer reg)
{
  PetscFunctionBegin;
  reg->ops->reset    = OdynRegularizerReset_Quadratic;
  reg->ops->evaluate = OdynRegularizerEvaluate_Quadratic;
  reg->ops->hessmult = OdynRegularizerHessMult_Quadratic;
  reg->ops->hessmat  = OdynRegularizerHessMat_Quadratic;
  reg->ops->destroy  = OdynRegularizerDestroy_Quadratic;
  PetscFunctionReturn(0);
}

/* smooth: row r = (theta_{j,k} - theta_{j-1,k}) / sqrt(h) */
static PetscErrorCode SmoothRow(OdynRegularizer reg, PetscInt r, PetscInt *nz, PetscInt cols[], PetscScalar vals[])
{
  PetscReal h;

  PetscFunctionBegin;
  PetscCall(OdynRegularizerTimeDiffRow_Private(reg, r, &cols[0], &cols[1], &h));
  vals[0] = 1.0 / PetscSqrtReal(h);
  vals[1] = -vals[0];
  *nz     = 2;
  PetscFunctionReturn(0);
}

static PetscErrorCode BuildL_Smooth(OdynRegularizer reg, Mat *L)
{
  PetscInt m;

  PetscFunctionBegin;
  PetscCall(OdynRegularizerTimeDiffRows_Private(reg, &m));
  PetscCall(OdynRegularizerBuildMatrix_Private(reg, m, 2, SmoothRow, L));
  PetscFunctionReturn(0);
}

/* tikhonov: row i = sqrt(h_b) theta_i */
static PetscErrorCode TikhonovRow(OdynRegularizer reg, PetscInt r, PetscInt *nz, PetscInt cols[], PetscScalar vals[])
{
  PetscInt b = reg->nblocks - 1;

  PetscFunctionBegin;
  while (b > 0 && r < reg->boff[b]) b--;
  cols[0] = r;
  vals[0] = PetscSqrtReal(reg->bh[b]);
  *nz     = 1;
  PetscFunctionReturn(0);
}

static PetscErrorCode BuildL_Tikhonov(OdynRegularizer reg, Mat *L)
{
  PetscFunctionBegin;
  PetscCall(OdynRegularizerBuildMatrix_Private(reg, reg->n, 1, TikhonovRow, L));
  PetscFunctionReturn(0);
}

/* smooth and tikhonov: the size is the net's number of parameters */
static PetscErrorCode OdynRegularizerSetUp_Time(OdynRegularizer reg)
{
  PetscInt n;

  PetscFunctionBegin;
  PetscCall(OdynRegularizerReadTimeLayout_Private(reg));
  PetscCall(OdynNetGetNumParameters(reg->net, &n));
  PetscCall(OdynRegularizerSetSize_Private(reg, n));
  PetscCall(OdynRegularizerQuadraticSetUp_Private(reg));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerCreate_TimeQuadratic(OdynRegularizer reg, PetscErrorCode (*buildL)(OdynRegularizer, Mat *))
{
  OdynReg_Quadratic *q;

  PetscFunctionBegin;
  PetscCall(PetscNew(&q));
  q->buildL = buildL;
  reg->data = q;
  PetscCall(OdynRegularizerQuadraticSetOps_Private(reg));
  reg->ops->setup = OdynRegularizerSetUp_Time;
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynRegularizerCreate_Smooth(OdynRegularizer reg)
{
  PetscFunctionBegin;
  PetscCall(OdynRegularizerCreate_TimeQuadratic(reg, BuildL_Smooth));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynRegularizerCreate_Tikhonov(OdynRegularizer reg)
{
  PetscFunctionBegin;
  PetscCall(OdynRegularizerCreate_TimeQuadratic(reg, BuildL_Tikhonov));
  PetscFunctionReturn(0);
}
