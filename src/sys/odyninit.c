#include <odyn/private/layerimpl.h>
#include <odyn/private/schemeimpl.h>
#include <odyn/private/netimpl.h>

const char *const OdynActivationTypes[]  = {"identity", "tanh", "relu", "OdynActivationType", "ODYN_ACTIVATION_", NULL};
const char *const OdynTrajectoryTypes[] = {"store", "recompute", "OdynTrajectoryType", "ODYN_TRAJECTORY_", NULL};

PetscClassId  ODYNLAYER_CLASSID, ODYNSCHEME_CLASSID, ODYNNET_CLASSID;
PetscClassId  ODYNDATASET_CLASSID; /* OdynDataset: problems/dataset.c */
PetscLogEvent ODYN_LayerApply, ODYN_LayerLinearize, ODYN_LayerProduct;
PetscLogEvent ODYN_SchemeForward, ODYN_SchemeTangent, ODYN_SchemeAdjoint;
PetscLogEvent ODYN_NetForward, ODYN_NetTangent, ODYN_NetAdjoint;

static PetscBool OdynPackageInitialized = PETSC_FALSE;

/*@C
   OdynFinalizePackage - frees odyn's registries; called from PetscFinalize()

   Level: developer

.seealso: `OdynInitializePackage()`
@*/
PetscErrorCode OdynFinalizePackage(void)
{
  PetscFunctionBegin;
  PetscCall(PetscFunctionListDestroy(&OdynLayerList));
  PetscCall(PetscFunctionListDestroy(&OdynSchemeList));
  OdynLayerRegisterAllCalled  = PETSC_FALSE;
  OdynSchemeRegisterAllCalled = PETSC_FALSE;
  OdynPackageInitialized      = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynInitializePackage - registers odyn's classes, built-in types and log events; called by every Create

   Level: developer

   Notes:
   After this call -log_view reports odyn's events (OdynLayerApply, OdynNetForward, ...) and -info can be
   filtered by the classes OdynLayer, OdynScheme, OdynNet.

.seealso: `OdynFinalizePackage()`
@*/
PetscErrorCode OdynInitializePackage(void)
{
  PetscFunctionBegin;
  if (OdynPackageInitialized) PetscFunctionReturn(0);
  OdynPackageInitialized = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("OdynLayer", &ODYNLAYER_CLASSID));
  PetscCall(PetscClassIdRegister("OdynScheme", &ODYNSCHEME_CLASSID));
  PetscCall(PetscClassIdRegister("OdynNet", &ODYNNET_CLASSID));
  PetscCall(PetscClassIdRegister("OdynDataset", &ODYNDATASET_CLASSID));
  PetscCall(OdynLayerRegisterAll());
  PetscCall(OdynSchemeRegisterAll());
  PetscCall(PetscLogEventRegister("OdynLayerApply", ODYNLAYER_CLASSID, &ODYN_LayerApply));
  PetscCall(PetscLogEventRegister("OdynLayerLin", ODYNLAYER_CLASSID, &ODYN_LayerLinearize));
  PetscCall(PetscLogEventRegister("OdynLayerProd", ODYNLAYER_CLASSID, &ODYN_LayerProduct));
  PetscCall(PetscLogEventRegister("OdynSchemeFwd", ODYNSCHEME_CLASSID, &ODYN_SchemeForward));
  PetscCall(PetscLogEventRegister("OdynSchemeTan", ODYNSCHEME_CLASSID, &ODYN_SchemeTangent));
  PetscCall(PetscLogEventRegister("OdynSchemeAdj", ODYNSCHEME_CLASSID, &ODYN_SchemeAdjoint));
  PetscCall(PetscLogEventRegister("OdynNetForward", ODYNNET_CLASSID, &ODYN_NetForward));
  PetscCall(PetscLogEventRegister("OdynNetTangent", ODYNNET_CLASSID, &ODYN_NetTangent));
  PetscCall(PetscLogEventRegister("OdynNetAdjoint", ODYNNET_CLASSID, &ODYN_NetAdjoint));
  PetscCall(PetscRegisterFinalize(OdynFinalizePackage));
  PetscFunctionReturn(0);
}
