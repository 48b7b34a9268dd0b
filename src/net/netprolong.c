#include <odyn/private/netimpl.h>

/*
  Multilevel in depth (paper 001 Sec. 5.3): theta_j of a block with N steps is taken as the value of a piecewise linear
  function of time at the cell centre t = (j + 1/2) h. The fine block (2N steps, h/2) samples that function at its own
  cell centres, so fine step 2k sits at coarse position k - 1/4 and step 2k+1 at k + 1/4:
      theta^f_{2k}   = 3/4 theta_k + 1/4 theta_{k-1},   theta^f_{2k+1} = 3/4 theta_k + 1/4 theta_{k+1},
  with theta_{-1} = theta_0 and theta_N = theta_{N-1} (constant extrapolation at the ends). Constant and linear
  functions of time are reproduced (linear ones away from the two end cells).
*/
static void ProlongBlock(PetscInt N, PetscInt np, const PetscScalar *c, PetscScalar *f)
{
  for (PetscInt k = 0; k < N; k++) {
    const PetscScalar *ck = c + k * np, *cm = c + PetscMax(k - 1, 0) * np, *cp = c + PetscMin(k + 1, N - 1) * np;
    PetscScalar       *f0 = f + 2 * k * np, *f1 = f + (2 * k + 1) * np;
    for (PetscInt i = 0; i < np; i++) {
      f0[i] = 0.75 * ck[i] + 0.25 * cm[i];
      f1[i] = 0.75 * ck[i] + 0.25 * cp[i];
    }
  }
}

/*@
   OdynNetProlongParameters - prolongs the parameters of a network to one with twice as many steps in every block,
   by linear interpolation in time

   Collective

   Input Parameters:
+  coarse - the trained network
.  thetac - its parameters
-  fine - a network with the same blocks (types, layers, final times) and twice the steps in each

   Output Parameter:
.  thetaf - the fine network's parameters (a Vec from OdynNetCreateParameterVec(fine))

   Level: intermediate

   Notes:
   theta_j is read as the value at the cell centre (j + 1/2) h of a piecewise linear function of time (paper 001
   Sec. 5.3, multi-level learning); see docs/derivations.md.

.seealso: `OdynNetCreateParameterVec()`, `OdynSchemeSetNumSteps()`
@*/
PetscErrorCode OdynNetProlongParameters(OdynNet coarse, Vec thetac, OdynNet fine, Vec thetaf)
{
  Vec                allc, allf;
  VecScatter         toc, tof;
  const PetscScalar *c;
  PetscScalar       *f;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(coarse, ODYNNET_CLASSID, 1);
  PetscValidHeaderSpecific(thetac, VEC_CLASSID, 2);
  PetscValidHeaderSpecific(fine, ODYNNET_CLASSID, 3);
  PetscValidHeaderSpecific(thetaf, VEC_CLASSID, 4);
  PetscCall(OdynNetSetUp(coarse));
  PetscCall(OdynNetSetUp(fine));
  PetscCheck(coarse->nblocks == fine->nblocks, PetscObjectComm((PetscObject)fine), PETSC_ERR_ARG_INCOMP, "Coarse network has %" PetscInt_FMT " blocks, fine one %" PetscInt_FMT, coarse->nblocks, fine->nblocks);
  for (PetscInt b = 0; b < coarse->nblocks; b++) {
    OdynScheme sc = coarse->blocks[b], sf = fine->blocks[b];
    PetscCheck(sf->N == 2 * sc->N, PetscObjectComm((PetscObject)fine), PETSC_ERR_ARG_INCOMP, "Block %" PetscInt_FMT ": the fine network must have twice the steps of the coarse one, got %" PetscInt_FMT " and %" PetscInt_FMT, b, sf->N, sc->N);
    PetscCheck(sf->layer->nparam == sc->layer->nparam, PetscObjectComm((PetscObject)fine), PETSC_ERR_ARG_INCOMP, "Block %" PetscInt_FMT ": layers differ (%" PetscInt_FMT " and %" PetscInt_FMT " parameters per step)", b, sc->layer->nparam, sf->layer->nparam);
  }
  PetscCall(VecScatterCreateToAll(thetac, &toc, &allc));
  PetscCall(VecScatterCreateToAll(thetaf, &tof, &allf));
  PetscCall(VecScatterBegin(toc, thetac, allc, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(toc, thetac, allc, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(allc, &c));
  PetscCall(VecGetArray(allf, &f));
  for (PetscInt b = 0; b < coarse->nblocks; b++) ProlongBlock(coarse->blocks[b]->N, coarse->blocks[b]->layer->nparam, c + coarse->offset[b], f + fine->offset[b]);
  PetscCall(VecRestoreArray(allf, &f));
  PetscCall(VecRestoreArrayRead(allc, &c));
  /* every rank computed the whole fine theta: keep the local part (a forward scatter in reverse with INSERT) */
  PetscCall(VecScatterBegin(tof, allf, thetaf, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(tof, allf, thetaf, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterDestroy(&toc));
  PetscCall(VecScatterDestroy(&tof));
  PetscCall(VecDestroy(&allc));
  PetscCall(VecDestroy(&allf));
  PetscFunctionReturn(0);
}

/*@
   OdynNetRefineSteps - doubles the number of steps of every block and prolongs theta to the refined network

   Collective

   Input Parameters:
+  net - the network; on return every block has twice as many steps (same final time)
-  thetac - the parameters before refinement

   Output Parameter:
.  thetaf - a new Vec with the prolonged parameters (the caller destroys it)

   Level: intermediate

   Notes:
   This is one level of multilevel learning in depth (paper 001 Sec. 5.3), with the same interpolation as
   OdynNetProlongParameters(). Trajectories of the previous depth are freed.

.seealso: `OdynNetProlongParameters()`
@*/
PetscErrorCode OdynNetRefineSteps(OdynNet net, Vec thetac, Vec *thetaf)
{
  Vec                allc, allf;
  VecScatter         toc, tof;
  const PetscScalar *c;
  PetscScalar       *f;
  PetscInt          *offc, *Nc;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidHeaderSpecific(thetac, VEC_CLASSID, 2);
  PetscValidPointer(thetaf, 3);
  PetscCall(OdynNetSetUp(net));
  {
    PetscInt N;
    PetscCall(VecGetSize(thetac, &N));
    PetscCheck(N == net->nparam, PetscObjectComm((PetscObject)net), PETSC_ERR_ARG_SIZ, "Parameter Vec has length %" PetscInt_FMT " but the network has %" PetscInt_FMT " parameters", N, net->nparam);
  }
  PetscCall(PetscMalloc2(net->nblocks + 1, &offc, net->nblocks, &Nc));
  PetscCall(PetscArraycpy(offc, net->offset, net->nblocks + 1));
  for (PetscInt b = 0; b < net->nblocks; b++) Nc[b] = net->blocks[b]->N;
  PetscCall(VecScatterCreateToAll(thetac, &toc, &allc));
  PetscCall(VecScatterBegin(toc, thetac, allc, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(toc, thetac, allc, INSERT_VALUES, SCATTER_FORWARD));
  for (PetscInt b = 0; b < net->nblocks; b++) PetscCall(OdynSchemeSetNumSteps(net->blocks[b], 2 * Nc[b]));
  PetscCall(OdynNetReset_Private(net));
  PetscCall(OdynNetCreateParameterVec(net, thetaf));
  PetscCall(VecScatterCreateToAll(*thetaf, &tof, &allf));
  PetscCall(VecGetArrayRead(allc, &c));
  PetscCall(VecGetArray(allf, &f));
  for (PetscInt b = 0; b < net->nblocks; b++) ProlongBlock(Nc[b], net->blocks[b]->layer->nparam, c + offc[b], f + net->offset[b]);
  PetscCall(VecRestoreArray(allf, &f));
  PetscCall(VecRestoreArrayRead(allc, &c));
  PetscCall(VecScatterBegin(tof, allf, *thetaf, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(tof, allf, *thetaf, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterDestroy(&toc));
  PetscCall(VecScatterDestroy(&tof));
  PetscCall(VecDestroy(&allc));
  PetscCall(VecDestroy(&allf));
  PetscCall(PetscFree2(offc, Nc));
  PetscFunctionReturn(0);
}
