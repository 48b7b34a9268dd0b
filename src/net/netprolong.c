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

/*
  thetaf = the prolongation of thetac, for blocks b of N[b] coarse steps with np[b] parameters each, at offsets offc[b]
  in thetac and offf[b] in thetaf. Every rank prolongs the whole vector (theta is small) and keeps its part.
*/
static PetscErrorCode ProlongVec(PetscInt nb, const PetscInt N[], const PetscInt np[], const PetscInt nsh[], const PetscInt offc[], const PetscInt offf[], Vec thetac, Vec thetaf)
{
  Vec                allc, allf;
  VecScatter         toc, tof;
  const PetscScalar *c;
  PetscScalar       *f;

  PetscFunctionBegin;
  PetscCall(VecScatterCreateToAll(thetac, &toc, &allc));
  PetscCall(VecScatterCreateToAll(thetaf, &tof, &allf));
  PetscCall(VecScatterBegin(toc, thetac, allc, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(toc, thetac, allc, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(allc, &c));
  PetscCall(VecGetArray(allf, &f));
  /* the parameters shared by all steps of a block (OdynSchemeGetParameterLayout()) are copied, the time slots prolonged */
  for (PetscInt b = 0; b < nb; b++) {
    for (PetscInt i = 0; i < nsh[b]; i++) f[offf[b] + i] = c[offc[b] + i];
    ProlongBlock(N[b], np[b], c + offc[b] + nsh[b], f + offf[b] + nsh[b]);
  }
  PetscCall(VecRestoreArray(allf, &f));
  PetscCall(VecRestoreArrayRead(allc, &c));
  /* a forward scatter run in reverse with INSERT keeps each rank's part of the fine theta */
  PetscCall(VecScatterBegin(tof, allf, thetaf, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(tof, allf, thetaf, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterDestroy(&toc));
  PetscCall(VecScatterDestroy(&tof));
  PetscCall(VecDestroy(&allc));
  PetscCall(VecDestroy(&allf));
  PetscFunctionReturn(0);
}

/* Steps, parameters per time slot and shared parameters of each block (the offsets are net->offset). */
static PetscErrorCode GetLayout(OdynNet net, PetscInt **N, PetscInt **np, PetscInt **nsh)
{
  PetscFunctionBegin;
  PetscCall(PetscMalloc3(net->nblocks, N, net->nblocks, np, net->nblocks, nsh));
  for (PetscInt b = 0; b < net->nblocks; b++) {
    (*N)[b] = net->blocks[b]->N;
    PetscCall(OdynSchemeGetParameterLayout(net->blocks[b], &(*nsh)[b], &(*np)[b], NULL));
    /* a block that applies its layer once (single: opening layer, connector) is not refined: all copied, no time slots */
    if (net->blocks[b]->onestep) {
      (*N)[b]   = 0;
      (*nsh)[b] = net->blocks[b]->nparam;
    }
  }
  PetscFunctionReturn(0);
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
   Sec. 5.3, multi-level learning); see docs/derivations.md. The time slots of each block (the layer's parameters of a
   step and the scheme's own, e.g. LM-ResNet k_j) are interpolated; parameters shared by all steps are copied
   (OdynSchemeGetParameterLayout()).

.seealso: `OdynNetCreateParameterVec()`, `OdynSchemeSetNumSteps()`
@*/
PetscErrorCode OdynNetProlongParameters(OdynNet coarse, Vec thetac, OdynNet fine, Vec thetaf)
{
  PetscInt *N, *np, *nsh;

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
    PetscCheck(sf->N == 2 * sc->N || (sf->onestep && sc->onestep), PetscObjectComm((PetscObject)fine), PETSC_ERR_ARG_INCOMP, "Block %" PetscInt_FMT ": the fine network must have twice the steps of the coarse one, got %" PetscInt_FMT " and %" PetscInt_FMT, b, sf->N, sc->N);
    PetscCheck(sf->layer->nparam == sc->layer->nparam, PetscObjectComm((PetscObject)fine), PETSC_ERR_ARG_INCOMP, "Block %" PetscInt_FMT ": layers differ (%" PetscInt_FMT " and %" PetscInt_FMT " parameters per step)", b, sc->layer->nparam, sf->layer->nparam);
    PetscCheck(sf->nshared == sc->nshared && sf->nslot == sc->nslot, PetscObjectComm((PetscObject)fine), PETSC_ERR_ARG_INCOMP, "Block %" PetscInt_FMT ": parameter layouts differ (%" PetscInt_FMT " shared + %" PetscInt_FMT " per step, and %" PetscInt_FMT " + %" PetscInt_FMT "): use the same scheme type and -odyn_scheme_shared_weights", b, sc->nshared, sc->nslot, sf->nshared, sf->nslot);
  }
  PetscCall(GetLayout(coarse, &N, &np, &nsh));
  PetscCall(ProlongVec(coarse->nblocks, N, np, nsh, coarse->offset, fine->offset, thetac, thetaf));
  PetscCall(PetscFree3(N, np, nsh));
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
  PetscInt *offc, *N, *np, *nsh, len;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidHeaderSpecific(thetac, VEC_CLASSID, 2);
  PetscValidPointer(thetaf, 3);
  PetscCall(OdynNetSetUp(net));
  PetscCall(VecGetSize(thetac, &len));
  PetscCheck(len == net->nparam, PetscObjectComm((PetscObject)net), PETSC_ERR_ARG_SIZ, "Parameter Vec has length %" PetscInt_FMT " but the network has %" PetscInt_FMT " parameters", len, net->nparam);
  /* the coarse layout, kept before the blocks change */
  PetscCall(GetLayout(net, &N, &np, &nsh));
  PetscCall(PetscMalloc1(net->nblocks + 1, &offc));
  PetscCall(PetscArraycpy(offc, net->offset, net->nblocks + 1));
  for (PetscInt b = 0; b < net->nblocks; b++)
    if (N[b]) PetscCall(OdynSchemeSetNumSteps(net->blocks[b], 2 * N[b])); /* N[b] = 0: a single block, kept */
  PetscCall(OdynNetReset_Private(net));
  PetscCall(OdynNetCreateParameterVec(net, thetaf));
  PetscCall(ProlongVec(net->nblocks, N, np, nsh, offc, net->offset, thetac, *thetaf));
  PetscCall(PetscFree3(N, np, nsh));
  PetscCall(PetscFree(offc));
  PetscFunctionReturn(0);
}
