#include "quadratic.h"

/*MC
   ODYNREGIMAGE - "image": spatial smoothness of the classifier weights (paper 001 Sec. 5.2, eq. 5.25)

     R(W, mu) = 1/2 sum_{k=1}^{nc} ||L W(:, k)||^2

   on the packed weights wmu = [W | mu] of an OdynLoss (mu is not regularized). Each column of W is an image on the
   n1 x n2 grid of the features with nch channels, stored with i1 fastest, then i2, then the channel:
   W(i1 + n1 (i2 + n2 c), k). L acts on each channel separately, with unit grid spacing (the weight beta absorbs the
   spacing) and Neumann boundaries:
+  gradient - forward differences in i1 and i2: L^T L is the 5-point Laplacian (R is the H1 seminorm)
-  laplacian - the 5-point Laplacian: L^T L is its square (the paper's choice for MNIST)

   A 1-D feature vector is the grid n1 = nf, n2 = 1. The preconditioner factors beta L^T L + shift I (its null space,
   the constant images and mu, is why the shift is needed).

   Options Database Keys:
+  -odyn_reg_image_grid <n1,n2[,nch]> - the grid (nch defaults to 1)
.  -odyn_reg_image_num_classes <nc> - the number of classes (columns of W)
-  -odyn_reg_image_operator <laplacian> - gradient or laplacian

   Level: beginner

   Design note: this is a type of OdynRegularizer rather than its own class because the solver needs exactly the same
   interface for the classifier step (value, gradient, Hessian product, assembled matrix, CHOLMOD preconditioner)
   as for the propagation step; with an options prefix (e.g. OdynRegularizerSetOptionsPrefix(reg, "cls_")) both live
   side by side: -odyn_reg_type smooth -cls_odyn_reg_type image.

.seealso: `OdynRegularizerSetType()`, `OdynRegularizerImageSetGrid()`, `OdynRegularizerImageSetNumClasses()`,
          `OdynRegularizerImageSetOperator()`, `OdynLossCreateWeightVec()`
M*/

typedef struct {
  OdynReg_Quadratic    q; /* first: the quadratic ops cast reg->data to it */
  PetscInt             n1, n2, nch, nc;
  OdynRegImageOperator op;
} OdynReg_Image;

/* rows of L per class and channel */
static PetscInt RowsPerChannel(OdynReg_Image *im)
{
  if (im->op == ODYN_REG_IMAGE_LAPLACIAN) return im->n1 * im->n2;
  return (im->n1 - 1) * im->n2 + im->n1 * (im->n2 - 1);
}

static PetscErrorCode ImageRow(OdynRegularizer reg, PetscInt r, PetscInt *nz, PetscInt cols[], PetscScalar vals[])
{
  OdynReg_Image *im = (OdynReg_Image *)reg->data;
  const PetscInt n1 = im->n1, n2 = im->n2, rc = RowsPerChannel(im), nf = n1 * n2 * im->nch;
  const PetscInt k = r / (im->nch * rc), c = (r % (im->nch * rc)) / rc, q = r % rc;
  const PetscInt base = k * nf + c * n1 * n2; /* W(:, k), channel c */

  PetscFunctionBegin;
  if (im->op == ODYN_REG_IMAGE_LAPLACIAN) {
    const PetscInt i1 = q % n1, i2 = q / n1, p = base + q;
    *nz = 1;
    if (i1 > 0) cols[(*nz)++] = p - 1;
    if (i1 < n1 - 1) cols[(*nz)++] = p + 1;
    if (i2 > 0) cols[(*nz)++] = p - n1;
    if (i2 < n2 - 1) cols[(*nz)++] = p + n1;
    cols[0] = p;
    vals[0] = -(PetscScalar)(*nz - 1);
    for (PetscInt j = 1; j < *nz; j++) vals[j] = 1.0;
  } else {
    const PetscInt rx = (n1 - 1) * n2;
    PetscInt       p, step;
    if (q < rx) { /* difference in i1 */
      p    = base + (q % (n1 - 1)) + n1 * (q / (n1 - 1));
      step = 1;
    } else { /* difference in i2 */
      p    = base + (q - rx);
      step = n1;
    }
    cols[0] = p + step;
    cols[1] = p;
    vals[0] = 1.0;
    vals[1] = -1.0;
    *nz     = 2;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode BuildL_Image(OdynRegularizer reg, Mat *L)
{
  OdynReg_Image *im = (OdynReg_Image *)reg->data;

  PetscFunctionBegin;
  PetscCall(OdynRegularizerBuildMatrix_Private(reg, im->nc * im->nch * RowsPerChannel(im), 5, ImageRow, L));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerSetUp_Image(OdynRegularizer reg)
{
  OdynReg_Image *im = (OdynReg_Image *)reg->data;

  PetscFunctionBegin;
  PetscCheck(im->n1 > 0 && im->n2 > 0 && im->nch > 0, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_WRONGSTATE, "The image regularizer needs the grid of the features: call OdynRegularizerImageSetGrid() or use -odyn_reg_image_grid n1,n2[,channels]");
  PetscCheck(im->nc > 0, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_WRONGSTATE, "The image regularizer needs the number of classes: call OdynRegularizerImageSetNumClasses() or use -odyn_reg_image_num_classes");
  PetscCall(OdynRegularizerSetSize_Private(reg, im->n1 * im->n2 * im->nch * im->nc + im->nc));
  PetscCall(OdynRegularizerQuadraticSetUp_Private(reg));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerImageSetGrid_Image(OdynRegularizer reg, PetscInt n1, PetscInt n2, PetscInt nch)
{
  OdynReg_Image *im = (OdynReg_Image *)reg->data;

  PetscFunctionBegin;
  PetscCheck(n1 > 0 && n2 > 0 && nch > 0, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_OUTOFRANGE, "The grid must have positive sizes, got %" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT, n1, n2, nch);
  if (n1 != im->n1 || n2 != im->n2 || nch != im->nch) PetscCall(OdynRegularizerReset_Private(reg));
  im->n1  = n1;
  im->n2  = n2;
  im->nch = nch;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerImageSetNumClasses_Image(OdynRegularizer reg, PetscInt nc)
{
  OdynReg_Image *im = (OdynReg_Image *)reg->data;

  PetscFunctionBegin;
  PetscCheck(nc > 0, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_OUTOFRANGE, "The number of classes must be positive, got %" PetscInt_FMT, nc);
  if (nc != im->nc) PetscCall(OdynRegularizerReset_Private(reg));
  im->nc = nc;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerImageSetOperator_Image(OdynRegularizer reg, OdynRegImageOperator op)
{
  OdynReg_Image *im = (OdynReg_Image *)reg->data;

  PetscFunctionBegin;
  PetscCheck(op == ODYN_REG_IMAGE_GRADIENT || op == ODYN_REG_IMAGE_LAPLACIAN, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_OUTOFRANGE, "Unknown image operator %d", (int)op);
  if (op != im->op) PetscCall(OdynRegularizerReset_Private(reg));
  im->op = op;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerSetFromOptions_Image(OdynRegularizer reg, PetscOptionItems *PetscOptionsObject)
{
  OdynReg_Image       *im      = (OdynReg_Image *)reg->data;
  PetscInt             grid[3] = {im->n1, im->n2, im->nch ? im->nch : 1}, ng = 3, nc = im->nc;
  OdynRegImageOperator op      = im->op;
  PetscBool            flg;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "OdynRegularizer image options");
  PetscCall(PetscOptionsIntArray("-odyn_reg_image_grid", "Grid n1,n2[,channels] of the features", "OdynRegularizerImageSetGrid", grid, &ng, &flg));
  if (flg) {
    PetscCheck(ng >= 2, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_WRONG, "-odyn_reg_image_grid needs n1,n2[,channels], got %" PetscInt_FMT " value(s)", ng);
    PetscCall(OdynRegularizerImageSetGrid_Image(reg, grid[0], grid[1], ng > 2 ? grid[2] : 1));
  }
  PetscCall(PetscOptionsInt("-odyn_reg_image_num_classes", "Number of classes (columns of W)", "OdynRegularizerImageSetNumClasses", nc, &nc, &flg));
  if (flg) PetscCall(OdynRegularizerImageSetNumClasses_Image(reg, nc));
  PetscCall(PetscOptionsEnum("-odyn_reg_image_operator", "Operator L", "OdynRegularizerImageSetOperator", OdynRegImageOperators, (PetscEnum)op, (PetscEnum *)&op, &flg));
  if (flg) PetscCall(OdynRegularizerImageSetOperator_Image(reg, op));
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerView_Image(OdynRegularizer reg, PetscViewer viewer)
{
  OdynReg_Image *im = (OdynReg_Image *)reg->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "grid %" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT ", %" PetscInt_FMT " classes, operator %s\n", im->n1, im->n2, im->nch, im->nc, OdynRegImageOperators[im->op]));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerDestroy_Image(OdynRegularizer reg)
{
  OdynReg_Image *im = (OdynReg_Image *)reg->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&im->q.L));
  PetscCall(MatDestroy(&im->q.A));
  PetscCall(VecDestroy(&im->q.Lx));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerImageSetGrid_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerImageSetNumClasses_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerImageSetOperator_C", NULL));
  PetscCall(PetscFree(reg->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynRegularizerCreate_Image(OdynRegularizer reg)
{
  OdynReg_Image *im;

  PetscFunctionBegin;
  PetscCall(PetscNew(&im));
  im->q.buildL = BuildL_Image;
  im->nch      = 1;
  im->op       = ODYN_REG_IMAGE_LAPLACIAN;
  reg->data    = im;
  PetscCall(OdynRegularizerQuadraticSetOps_Private(reg));
  reg->ops->setup          = OdynRegularizerSetUp_Image;
  reg->ops->setfromoptions = OdynRegularizerSetFromOptions_Image;
  reg->ops->view           = OdynRegularizerView_Image;
  reg->ops->destroy        = OdynRegularizerDestroy_Image;
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerImageSetGrid_C", OdynRegularizerImageSetGrid_Image));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerImageSetNumClasses_C", OdynRegularizerImageSetNumClasses_Image));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerImageSetOperator_C", OdynRegularizerImageSetOperator_Image));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerImageSetGrid - sets the grid n1 x n2 with nch channels of the features (image regularizer only;
   ignored by other types)

   Logically Collective

   Options Database Key:
.  -odyn_reg_image_grid <n1,n2[,nch]> - the grid

   Level: beginner

   Notes:
   n1 n2 nch must be the number of features nf of the OdynLoss; feature i1 + n1 (i2 + n2 c) is pixel (i1, i2) of channel c.

.seealso: `ODYNREGIMAGE`, `OdynRegularizerImageSetNumClasses()`
@*/
PetscErrorCode OdynRegularizerImageSetGrid(OdynRegularizer reg, PetscInt n1, PetscInt n2, PetscInt nch)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscTryMethod(reg, "OdynRegularizerImageSetGrid_C", (OdynRegularizer, PetscInt, PetscInt, PetscInt), (reg, n1, n2, nch));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerImageSetNumClasses - sets the number of classes nc, the columns of W (image regularizer only)

   Logically Collective

   Options Database Key:
.  -odyn_reg_image_num_classes <nc> - the number of classes

   Level: beginner

.seealso: `ODYNREGIMAGE`, `OdynLossSetNumClasses()`
@*/
PetscErrorCode OdynRegularizerImageSetNumClasses(OdynRegularizer reg, PetscInt nc)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscTryMethod(reg, "OdynRegularizerImageSetNumClasses_C", (OdynRegularizer, PetscInt), (reg, nc));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerImageSetOperator - sets L: the discrete gradient or the Laplacian (image regularizer only)

   Logically Collective

   Options Database Key:
.  -odyn_reg_image_operator <laplacian> - gradient or laplacian

   Level: intermediate

.seealso: `ODYNREGIMAGE`
@*/
PetscErrorCode OdynRegularizerImageSetOperator(OdynRegularizer reg, OdynRegImageOperator op)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscTryMethod(reg, "OdynRegularizerImageSetOperator_C", (OdynRegularizer, OdynRegImageOperator), (reg, op));
  PetscFunctionReturn(0);
}
