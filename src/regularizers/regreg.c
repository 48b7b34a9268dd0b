#include <odyn/private/regimpl.h>

PETSC_INTERN PetscErrorCode OdynRegularizerCreate_Smooth(OdynRegularizer);
PETSC_INTERN PetscErrorCode OdynRegularizerCreate_Tikhonov(OdynRegularizer);
PETSC_INTERN PetscErrorCode OdynRegularizerCreate_TV(OdynRegularizer);
PETSC_INTERN PetscErrorCode OdynRegularizerCreate_Image(OdynRegularizer);

PetscFunctionList OdynRegularizerList              = NULL;
PetscBool         OdynRegularizerRegisterAllCalled = PETSC_FALSE;

/*@C
   OdynRegularizerRegister - adds a regularizer implementation, so that -odyn_reg_type name selects it

   Not Collective

   Input Parameters:
+  sname - the name of the type
-  create - the routine that fills the ops table of a new regularizer of that type

   Level: advanced

.seealso: `OdynRegularizerRegisterAll()`, `OdynRegularizerSetType()`
@*/
PetscErrorCode OdynRegularizerRegister(const char sname[], PetscErrorCode (*create)(OdynRegularizer))
{
  PetscFunctionBegin;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscFunctionListAdd(&OdynRegularizerList, sname, create));
  PetscFunctionReturn(0);
}

/*@C
   OdynRegularizerRegisterAll - registers the built-in regularizer types

   Level: developer

.seealso: `OdynRegularizerRegister()`
@*/
PetscErrorCode OdynRegularizerRegisterAll(void)
{
  PetscFunctionBegin;
  if (OdynRegularizerRegisterAllCalled) PetscFunctionReturn(0);
  OdynRegularizerRegisterAllCalled = PETSC_TRUE;
  PetscCall(OdynRegularizerRegister(ODYNREGSMOOTH, OdynRegularizerCreate_Smooth));
  PetscCall(OdynRegularizerRegister(ODYNREGTIKHONOV, OdynRegularizerCreate_Tikhonov));
  PetscCall(OdynRegularizerRegister(ODYNREGTV, OdynRegularizerCreate_TV));
  PetscCall(OdynRegularizerRegister(ODYNREGIMAGE, OdynRegularizerCreate_Image));
  PetscFunctionReturn(0);
}
