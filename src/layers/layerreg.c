#include <odyn/private/layerimpl.h>

PETSC_INTERN PetscErrorCode OdynLayerCreate_Dense(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_Antisym(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_Negdef(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_Symmetric(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_Hamiltonian(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_Shell(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_Diffusion(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_DiffusionConv(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_DiffusionConvRes(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_Conv(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_ConvAntisym(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_ConvSymmetric(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_ConvHamiltonian(OdynLayer);
PETSC_INTERN PetscErrorCode OdynLayerCreate_GlobalAvg(OdynLayer);

PetscFunctionList OdynLayerList              = NULL;
PetscBool         OdynLayerRegisterAllCalled = PETSC_FALSE;

/*@C
   OdynLayerRegister - adds a layer implementation, so that -odyn_layer_type name selects it

   Not Collective

   Input Parameters:
+  sname - the name of the type
-  create - the routine that fills the ops table of a new layer of that type

   Level: advanced

.seealso: `OdynLayerRegisterAll()`, `OdynLayerSetType()`
@*/
PetscErrorCode OdynLayerRegister(const char sname[], PetscErrorCode (*create)(OdynLayer))
{
  PetscFunctionBegin;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscFunctionListAdd(&OdynLayerList, sname, create));
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerRegisterAll - registers the built-in layer types

   Level: developer

.seealso: `OdynLayerRegister()`
@*/
PetscErrorCode OdynLayerRegisterAll(void)
{
  PetscFunctionBegin;
  if (OdynLayerRegisterAllCalled) PetscFunctionReturn(0);
  OdynLayerRegisterAllCalled = PETSC_TRUE;
  PetscCall(OdynLayerRegister(ODYNLAYERDENSE, OdynLayerCreate_Dense));
  PetscCall(OdynLayerRegister(ODYNLAYERANTISYM, OdynLayerCreate_Antisym));
  PetscCall(OdynLayerRegister(ODYNLAYERNEGDEF, OdynLayerCreate_Negdef));
  PetscCall(OdynLayerRegister(ODYNLAYERSYMMETRIC, OdynLayerCreate_Symmetric));
  PetscCall(OdynLayerRegister(ODYNLAYERHAMILTONIAN, OdynLayerCreate_Hamiltonian));
  PetscCall(OdynLayerRegister(ODYNLAYERSHELL, OdynLayerCreate_Shell));
  PetscCall(OdynLayerRegister(ODYNLAYERDIFFUSION, OdynLayerCreate_Diffusion));
  PetscCall(OdynLayerRegister(ODYNLAYERDIFFUSIONCONV, OdynLayerCreate_DiffusionConv));
  PetscCall(OdynLayerRegister(ODYNLAYERDIFFUSIONCONVRES, OdynLayerCreate_DiffusionConvRes));
  PetscCall(OdynLayerRegister(ODYNLAYERCONV, OdynLayerCreate_Conv));
  PetscCall(OdynLayerRegister(ODYNLAYERCONVANTISYM, OdynLayerCreate_ConvAntisym));
  PetscCall(OdynLayerRegister(ODYNLAYERCONVSYMMETRIC, OdynLayerCreate_ConvSymmetric));
  PetscCall(OdynLayerRegister(ODYNLAYERCONVHAMILTONIAN, OdynLayerCreate_ConvHamiltonian));
  PetscCall(OdynLayerRegister(ODYNLAYERGLOBALAVG, OdynLayerCreate_GlobalAvg));
  PetscFunctionReturn(0);
}
