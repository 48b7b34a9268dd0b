#include <odyn/private/lossimpl.h>

PETSC_INTERN PetscErrorCode OdynLossCreate_Softmax(OdynLoss);
PETSC_INTERN PetscErrorCode OdynLossCreate_Logistic(OdynLoss);
PETSC_INTERN PetscErrorCode OdynLossCreate_LSQ(OdynLoss);

PetscFunctionList OdynLossList              = NULL;
PetscBool         OdynLossRegisterAllCalled = PETSC_FALSE;

/*@C
   OdynLossRegister - adds a loss implementation, so that -odyn_loss_type name selects it

   Not Collective

   Input Parameters:
+  sname - the name of the type
-  create - the routine that fills the ops table of a new loss of that type

   Level: advanced

.seealso: `OdynLossRegisterAll()`, `OdynLossSetType()`
@*/
PetscErrorCode OdynLossRegister(const char sname[], PetscErrorCode (*create)(OdynLoss))
{
  PetscFunctionBegin;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscFunctionListAdd(&OdynLossList, sname, create));
  PetscFunctionReturn(0);
}

/*@C
   OdynLossRegisterAll - registers the built-in loss types

   Level: developer

.seealso: `OdynLossRegister()`
@*/
PetscErrorCode OdynLossRegisterAll(void)
{
  PetscFunctionBegin;
  if (OdynLossRegisterAllCalled) PetscFunctionReturn(0);
  OdynLossRegisterAllCalled = PETSC_TRUE;
  PetscCall(OdynLossRegister(ODYNLOSSSOFTMAX, OdynLossCreate_Softmax));
  PetscCall(OdynLossRegister(ODYNLOSSLOGISTIC, OdynLossCreate_Logistic));
  PetscCall(OdynLossRegister(ODYNLOSSLSQ, OdynLossCreate_LSQ));
  PetscFunctionReturn(0);
}
