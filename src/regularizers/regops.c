/* OdynRegularizer: value, gradient, Hessian product, assembled Hessian and the CHOLMOD preconditioner. */
#include <petscksp.h>
#include <odyn/private/regimpl.h>

static PetscErrorCode OdynRegularizerCheckVec_Private(OdynRegularizer reg, Vec x, const char *name)
{
  PetscInt N, n;

  PetscFunctionBegin;
  PetscCall(VecGetSize(x, &N));
  PetscCall(VecGetLocalSize(x, &n));
  PetscCheck(N == reg->n, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_SIZ, "%s has length %" PetscInt_FMT " but the %s regularizer acts on %" PetscInt_FMT " values: create it with %s", name, N, ((PetscObject)reg)->type_name, reg->n, reg->net ? "OdynNetCreateParameterVec()" : "OdynRegularizerCreateVec()");
  PetscCheck(n == reg->nlocal, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s has local length %" PetscInt_FMT " but the regularizer expects the PETSC_DECIDE layout (%" PetscInt_FMT " on this rank): create it with %s", name, n, reg->nlocal, reg->net ? "OdynNetCreateParameterVec()" : "OdynRegularizerCreateVec()");
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerEvaluate - the value alpha R(x) and the gradient alpha dR/dx

   Collective

   Input Parameters:
+  reg - the regularizer
-  x - the parameters (theta of the net, or wmu for image)

   Output Parameters:
+  R - the value, the same on every rank (or NULL)
-  g - the gradient, like x (or NULL)

   Level: beginner

.seealso: `OdynRegularizerHessianMult()`, `OdynRegularizerSetWeight()`
@*/
PetscErrorCode OdynRegularizerEvaluate(OdynRegularizer reg, Vec x, PetscReal *R, Vec g)
{
  PetscReal r = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidHeaderSpecific(x, VEC_CLASSID, 2);
  PetscCall(OdynRegularizerSetUp(reg));
  PetscCall(OdynRegularizerCheckVec_Private(reg, x, "Parameter Vec x"));
  if (g) PetscCall(OdynRegularizerCheckVec_Private(reg, g, "Gradient g"));
  PetscCall(PetscLogEventBegin(ODYN_RegEval, reg, 0, 0, 0));
  PetscUseTypeMethod(reg, evaluate, x, &r, g);
  if (R) *R = reg->weight * r;
  if (g) PetscCall(VecScale(g, reg->weight));
  PetscCall(PetscLogEventEnd(ODYN_RegEval, reg, 0, 0, 0));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerHessianMult - the exact Hessian product Hv = alpha d2R(x) v

   Collective

   Input Parameters:
+  reg - the regularizer
.  x - the point (ignored by the quadratic types smooth, tikhonov, image; may be NULL for them)
-  v - the direction, like x

   Output Parameter:
.  Hv - like x

   Level: beginner

.seealso: `OdynRegularizerEvaluate()`, `OdynRegularizerGetHessianMatrix()`
@*/
PetscErrorCode OdynRegularizerHessianMult(OdynRegularizer reg, Vec x, Vec v, Vec Hv)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidHeaderSpecific(v, VEC_CLASSID, 3);
  PetscValidHeaderSpecific(Hv, VEC_CLASSID, 4);
  PetscCheck(v != Hv, PETSC_COMM_SELF, PETSC_ERR_ARG_IDN, "v and Hv must be different Vecs");
  PetscCall(OdynRegularizerSetUp(reg));
  if (x) PetscCall(OdynRegularizerCheckVec_Private(reg, x, "Parameter Vec x"));
  PetscCall(OdynRegularizerCheckVec_Private(reg, v, "Direction v"));
  PetscCall(OdynRegularizerCheckVec_Private(reg, Hv, "Hessian product Hv"));
  PetscCall(PetscLogEventBegin(ODYN_RegHess, reg, 0, 0, 0));
  PetscUseTypeMethod(reg, hessmult, x, v, Hv);
  PetscCall(VecScale(Hv, reg->weight));
  PetscCall(PetscLogEventEnd(ODYN_RegHess, reg, 0, 0, 0));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerGetHessianMatrix - the assembled sparse matrix alpha d2R(x) (parallel AIJ, borrowed)

   Collective

   Input Parameters:
+  reg - the regularizer
-  x - the point (may be NULL for smooth, tikhonov, image)

   Output Parameter:
.  H - the matrix; owned by the regularizer and overwritten by the next call

   Level: intermediate

   Notes:
   For smooth, tikhonov and image H is constant and assembled once. For tv it is, by default, the lagged-diffusivity
   operator D^T diag(1/(h sqrt(x^2 + tau))) D at x (positive definite on the differences, the usual TV preconditioner);
   with -odyn_reg_tv_lagged_diffusivity false it is the exact Hessian D^T diag(phi''(x)/h) D.

.seealso: `OdynRegularizerHessianMult()`, `OdynRegularizerGetPC()`
@*/
PetscErrorCode OdynRegularizerGetHessianMatrix(OdynRegularizer reg, Vec x, Mat *H)
{
  Mat              A;
  PetscObjectId    aid;
  PetscObjectState astate;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidPointer(H, 3);
  PetscCall(OdynRegularizerSetUp(reg));
  if (x) PetscCall(OdynRegularizerCheckVec_Private(reg, x, "Parameter Vec x"));
  PetscUseTypeMethod(reg, hessmat, x, &A);
  PetscCall(PetscObjectGetId((PetscObject)A, &aid));
  PetscCall(PetscObjectStateGet((PetscObject)A, &astate));
  if (!reg->hvalid || aid != reg->aid || astate != reg->astate || reg->hweight != reg->weight) {
    if (reg->H && reg->hvalid && aid == reg->aid) PetscCall(MatCopy(A, reg->H, SAME_NONZERO_PATTERN));
    else {
      PetscCall(MatDestroy(&reg->H));
      PetscCall(MatDestroy(&reg->P));
      PetscCall(MatDuplicate(A, MAT_COPY_VALUES, &reg->H));
    }
    PetscCall(MatScale(reg->H, reg->weight));
    reg->aid     = aid;
    reg->astate  = astate;
    reg->hweight = reg->weight;
    reg->hvalid  = PETSC_TRUE;
    reg->pvalid  = PETSC_FALSE;
  }
  *H = reg->H;
  PetscFunctionReturn(0);
}

/* P = H + shift I; the first time with the union of H's pattern and the diagonal (H may lack diagonal entries). */
static PetscErrorCode OdynRegularizerAssemblePC_Private(OdynRegularizer reg)
{
  PetscFunctionBegin;
  if (!reg->P) {
    PetscInt rstart, rend;

    PetscCall(MatCreateAIJ(PetscObjectComm((PetscObject)reg), reg->nlocal, reg->nlocal, reg->n, reg->n, 1, NULL, 0, NULL, &reg->P));
    PetscCall(MatGetOwnershipRange(reg->P, &rstart, &rend));
    for (PetscInt i = rstart; i < rend; i++) PetscCall(MatSetValue(reg->P, i, i, 0.0, INSERT_VALUES));
    PetscCall(MatAssemblyBegin(reg->P, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(reg->P, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAXPY(reg->P, 1.0, reg->H, DIFFERENT_NONZERO_PATTERN));
  }
  PetscCall(MatZeroEntries(reg->P));
  PetscCall(MatShift(reg->P, reg->shift));
  PetscCall(MatAXPY(reg->P, 1.0, reg->H, SUBSET_NONZERO_PATTERN));
  PetscCall(MatSetOption(reg->P, MAT_SYMMETRIC, PETSC_TRUE));
  PetscCall(MatSetOption(reg->P, MAT_SPD, PETSC_TRUE));
  reg->pshift = reg->shift;
  reg->pvalid = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* One rank: sparse Cholesky by CHOLMOD. Several: PCREDUNDANT gathers the matrix and every rank factors it with CHOLMOD. */
static PetscErrorCode OdynRegularizerCreatePC_Private(OdynRegularizer reg)
{
  PetscMPIInt size;
  const char *prefix;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(PetscObjectComm((PetscObject)reg), &size));
  PetscCall(PCCreate(PetscObjectComm((PetscObject)reg), &reg->pc));
  PetscCall(PCSetOperators(reg->pc, reg->P, reg->P));
  if (size == 1) {
    PetscCall(PCSetType(reg->pc, PCCHOLESKY));
    PetscCall(PCFactorSetMatSolverType(reg->pc, MATSOLVERCHOLMOD));
  } else {
    KSP inner;
    PC  ipc;

    PetscCall(PCSetType(reg->pc, PCREDUNDANT));
    PetscCall(PCRedundantGetKSP(reg->pc, &inner));
    PetscCall(KSPGetPC(inner, &ipc));
    PetscCall(PCSetType(ipc, PCCHOLESKY));
    PetscCall(PCFactorSetMatSolverType(ipc, MATSOLVERCHOLMOD));
  }
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)reg, &prefix));
  PetscCall(PCSetOptionsPrefix(reg->pc, prefix));
  PetscCall(PCAppendOptionsPrefix(reg->pc, "odyn_reg_"));
  PetscCall(PCSetFromOptions(reg->pc));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerGetPC - a set-up preconditioner: the sparse Cholesky factorization of alpha d2R(x) + shift I

   Collective

   Input Parameters:
+  reg - the regularizer
-  x - the point (may be NULL for smooth, tikhonov, image)

   Output Parameter:
.  pc - the PC, owned by the regularizer (borrowed); apply it with PCApply(pc, r, z)

   Options Database Keys:
+  -odyn_reg_pc_shift <1e-3> - the shift
-  -odyn_reg_pc_type, -odyn_reg_pc_factor_mat_solver_type, -odyn_reg_redundant_pc_type ... - override the PC

   Level: beginner

   Notes:
   The matrix is OdynRegularizerGetHessianMatrix() plus shift I (for tv, the lagged-diffusivity operator at x). On one
   rank the PC is PCCHOLESKY with MATSOLVERCHOLMOD; on several ranks PCREDUNDANT, every rank factoring the whole
   matrix with CHOLMOD. The factorization is redone only when the matrix, the weight or the shift changed, so for the
   quadratic types it is done once per network layout (once per level of multilevel training).

   To precondition a KSP whose operator is a Hessian shell, either give this PC's matrix as Pmat
   (KSPSetOperators(ksp, Hshell, P) with P from PCGetOperators()) and configure the KSP's PC the same way, or wrap
   this PC in a PCSHELL whose apply calls PCApply().

.seealso: `OdynRegularizerGetHessianMatrix()`, `OdynRegularizerSetShift()`
@*/
PetscErrorCode OdynRegularizerGetPC(OdynRegularizer reg, Vec x, PC *pc)
{
  Mat H;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidPointer(pc, 3);
  PetscCall(PetscLogEventBegin(ODYN_RegPC, reg, 0, 0, 0));
  PetscCall(OdynRegularizerGetHessianMatrix(reg, x, &H));
  if (!reg->pvalid || reg->pshift != reg->shift || !reg->P) PetscCall(OdynRegularizerAssemblePC_Private(reg));
  if (!reg->pc) PetscCall(OdynRegularizerCreatePC_Private(reg));
  else PetscCall(PCSetOperators(reg->pc, reg->P, reg->P));
  PetscCall(PCSetUp(reg->pc));
  PetscCall(PetscLogEventEnd(ODYN_RegPC, reg, 0, 0, 0));
  *pc = reg->pc;
  PetscFunctionReturn(0);
}

/* An m x n parallel AIJ matrix (rows PETSC_DECIDE, columns the layout of x) whose row r is given by rowfn. */
PetscErrorCode OdynRegularizerBuildMatrix_Private(OdynRegularizer reg, PetscInt m, PetscInt maxnz, OdynRegRowFn rowfn, Mat *L)
{
  PetscInt     rstart, rend, *cols;
  PetscScalar *vals;

  PetscFunctionBegin;
  PetscCall(MatCreateAIJ(PetscObjectComm((PetscObject)reg), PETSC_DECIDE, reg->nlocal, m, reg->n, maxnz, NULL, maxnz, NULL, L));
  PetscCall(MatGetOwnershipRange(*L, &rstart, &rend));
  PetscCall(PetscMalloc2(maxnz, &cols, maxnz, &vals));
  for (PetscInt r = rstart; r < rend; r++) {
    PetscInt nz;

    PetscCall(rowfn(reg, r, &nz, cols, vals));
    PetscCheck(nz <= maxnz, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Row %" PetscInt_FMT " has %" PetscInt_FMT " > %" PetscInt_FMT " entries", r, nz, maxnz);
    PetscCall(MatSetValues(*L, 1, &r, nz, cols, vals, INSERT_VALUES));
  }
  PetscCall(PetscFree2(cols, vals));
  PetscCall(MatAssemblyBegin(*L, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*L, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

/* Number of time differences theta_{j,k} - theta_{j-1,k}, j = 1..N_b-1, over all blocks. */
PetscErrorCode OdynRegularizerTimeDiffRows_Private(OdynRegularizer reg, PetscInt *m)
{
  PetscFunctionBegin;
  *m = 0;
  for (PetscInt b = 0; b < reg->nblocks; b++) *m += (reg->bN[b] - 1) * reg->bnp[b];
  PetscFunctionReturn(0);
}

/* Difference r: the index of theta_{j,k} (cj), of theta_{j-1,k} (cjm1), and the step size h of its block. */
PetscErrorCode OdynRegularizerTimeDiffRow_Private(OdynRegularizer reg, PetscInt r, PetscInt *cj, PetscInt *cjm1, PetscReal *h)
{
  PetscFunctionBegin;
  for (PetscInt b = 0; b < reg->nblocks; b++) {
    const PetscInt rows = (reg->bN[b] - 1) * reg->bnp[b];
    if (r < rows) {
      /* rows of block b are ordered like theta_1 .. theta_{N-1}: difference r belongs to theta[np + r] */
      *cj   = reg->boff[b] + reg->bsh[b] + reg->bnp[b] + r;
      *cjm1 = *cj - reg->bnp[b];
      *h    = reg->bh[b];
      PetscFunctionReturn(0);
    }
    r -= rows;
  }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "Time difference row out of range");
}
