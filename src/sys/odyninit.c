#include <odyn/private/layerimpl.h>
#include <odyn/private/schemeimpl.h>
#include <odyn/private/netimpl.h>
#include <odyn/private/lossimpl.h>
#include <odyn/private/regimpl.h>

const char *const OdynActivationTypes[]  = {"identity", "tanh", "relu", "charbonnier", "peronamalik", "OdynActivationType", "ODYN_ACTIVATION_", NULL};
const char *const OdynTrajectoryTypes[] = {"store", "recompute", "OdynTrajectoryType", "ODYN_TRAJECTORY_", NULL};

PetscClassId  ODYNLAYER_CLASSID, ODYNSCHEME_CLASSID, ODYNNET_CLASSID;
PetscClassId  ODYNDATASET_CLASSID; /* OdynDataset: problems/dataset.c */
PetscLogEvent ODYN_LayerApply, ODYN_LayerLinearize, ODYN_LayerProduct;
PetscLogEvent ODYN_SchemeForward, ODYN_SchemeTangent, ODYN_SchemeAdjoint;
PetscLogEvent ODYN_NetForward, ODYN_NetTangent, ODYN_NetAdjoint;
PetscLogEvent ODYN_BackendToDevice, ODYN_BackendToHost;
PetscClassId  ODYNLOSS_CLASSID, ODYNREG_CLASSID; /* OdynLoss: src/losses, OdynRegularizer: src/regularizers */
PetscLogEvent ODYN_LossEval, ODYN_LossHess, ODYN_RegEval, ODYN_RegHess, ODYN_RegPC;

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
  PetscCall(PetscFunctionListDestroy(&OdynLossList));
  PetscCall(PetscFunctionListDestroy(&OdynRegularizerList));
  OdynLossRegisterAllCalled        = PETSC_FALSE;
  OdynRegularizerRegisterAllCalled = PETSC_FALSE;
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
  PetscCall(PetscLogEventRegister("OdynBackendToDev", ODYNSCHEME_CLASSID, &ODYN_BackendToDevice)); /* the copies of the blocks and the loss */
  PetscCall(PetscLogEventRegister("OdynBackendToHost", ODYNSCHEME_CLASSID, &ODYN_BackendToHost));
  PetscCall(PetscClassIdRegister("OdynLoss", &ODYNLOSS_CLASSID));
  PetscCall(PetscClassIdRegister("OdynRegularizer", &ODYNREG_CLASSID));
  PetscCall(OdynLossRegisterAll());
  PetscCall(OdynRegularizerRegisterAll());
  PetscCall(PetscLogEventRegister("OdynLossEval", ODYNLOSS_CLASSID, &ODYN_LossEval));
  PetscCall(PetscLogEventRegister("OdynLossHess", ODYNLOSS_CLASSID, &ODYN_LossHess));
  PetscCall(PetscLogEventRegister("OdynRegEval", ODYNREG_CLASSID, &ODYN_RegEval));
  PetscCall(PetscLogEventRegister("OdynRegHess", ODYNREG_CLASSID, &ODYN_RegHess));
  PetscCall(PetscLogEventRegister("OdynRegPC", ODYNREG_CLASSID, &ODYN_RegPC));
  PetscCall(PetscRegisterFinalize(OdynFinalizePackage));
  PetscFunctionReturn(0);
}
