#include "trainrun.h"

void OdynTestRunSpecEllipse(OdynTestRunSpec *s)
{
  s->width    = 2;
  s->steps    = 4;
  s->T        = 20.0;
  s->act      = ODYN_ACTIVATION_TANH;
  s->loss     = ODYNLOSSLOGISTIC;
  s->identity = PETSC_FALSE;
  s->alpha    = 1e-3;
  s->problem  = "ellipse";
}

PetscErrorCode OdynTestEulerDenseNet(MPI_Comm comm, PetscInt width, PetscInt steps, PetscReal T, OdynActivationType act, OdynNet *net)
{
  OdynScheme sc;
  OdynLayer  layer;

  PetscFunctionBegin;
  PetscCall(OdynNetCreate(comm, net));
  PetscCall(OdynSchemeCreate(comm, &sc));
  PetscCall(OdynSchemeSetType(sc, ODYNSCHEMEEULER));
  PetscCall(OdynSchemeSetNumSteps(sc, steps));
  PetscCall(OdynSchemeSetFinalTime(sc, T));
  PetscCall(OdynSchemeGetLayer(sc, &layer));
  PetscCall(OdynLayerSetType(layer, ODYNLAYERDENSE));
  PetscCall(OdynLayerSetWidth(layer, width));
  PetscCall(OdynLayerSetActivation(layer, act));
  PetscCall(OdynNetAddBlock(*net, sc));
  PetscCall(OdynSchemeDestroy(&sc));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTestRunCreate(MPI_Comm comm, const OdynTestRunSpec *s, OdynDataset tr, OdynDataset va, const char *opts, PetscInt nlev, const PetscInt levels[], OdynTestRun *r)
{
  PetscFunctionBegin;
  PetscCall(PetscMemzero(r, sizeof(*r)));
  PetscCall(OdynTestEulerDenseNet(comm, s->width, s->steps, s->T, s->act, &r->net));
  PetscCall(OdynLossCreate(comm, &r->loss));
  PetscCall(OdynLossSetType(r->loss, s->loss));
  if (s->identity) PetscCall(OdynLossSetIdentityClassifier(r->loss, PETSC_TRUE));
  PetscCall(OdynRegularizerCreate(comm, &r->reg));
  PetscCall(OdynRegularizerSetType(r->reg, ODYNREGSMOOTH));
  PetscCall(OdynRegularizerSetWeight(r->reg, s->alpha));
  PetscCall(OdynTrainerCreate(comm, &r->t));
  PetscCall(OdynTrainerSetNet(r->t, r->net));
  PetscCall(OdynTrainerSetLoss(r->t, r->loss));
  PetscCall(OdynTrainerSetRegularizer(r->t, r->reg));
  PetscCall(OdynTrainerSetData(r->t, tr, va));
  if (s->problem) PetscCall(OdynTrainerSetProblemName(r->t, s->problem));
  PetscCall(PetscOptionsCreate(&r->opts));
  PetscCall(PetscOptionsInsertString(r->opts, opts));
  PetscCall(PetscObjectSetOptions((PetscObject)r->t, r->opts));
  PetscCall(OdynTrainerSetFromOptions(r->t));
  if (nlev > 0) PetscCall(OdynTrainerSetLevels(r->t, nlev, levels));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTestRunDestroy(OdynTestRun *r)
{
  PetscFunctionBegin;
  PetscCall(VecDestroy(&r->theta));
  PetscCall(VecDestroy(&r->wmu));
  PetscCall(OdynTrainerDestroy(&r->t));
  PetscCall(OdynRegularizerDestroy(&r->reg));
  PetscCall(OdynLossDestroy(&r->loss));
  PetscCall(OdynNetDestroy(&r->net));
  PetscCall(PetscOptionsDestroy(&r->opts));
  PetscFunctionReturn(0);
}
