#include <odyn/private/schemeimpl.h>

PETSC_INTERN PetscErrorCode OdynSchemeCreate_Euler(OdynScheme);
PETSC_INTERN PetscErrorCode OdynSchemeCreate_Leapfrog(OdynScheme);
PETSC_INTERN PetscErrorCode OdynSchemeCreate_Verlet(OdynScheme);
PETSC_INTERN PetscErrorCode OdynSchemeCreate_DuFortFrankel(OdynScheme);
PETSC_INTERN PetscErrorCode OdynSchemeCreate_FSI(OdynScheme);
PETSC_INTERN PetscErrorCode OdynSchemeCreate_LMResNet(OdynScheme);
PETSC_INTERN PetscErrorCode OdynSchemeCreate_Implicit(OdynScheme);
PETSC_INTERN PetscErrorCode OdynSchemeCreate_Single(OdynScheme);

PetscFunctionList OdynSchemeList              = NULL;
PetscBool         OdynSchemeRegisterAllCalled = PETSC_FALSE;

/*@C
   OdynSchemeRegister - adds a scheme implementation, so that -odyn_scheme_type name selects it

   Not Collective

   Input Parameters:
+  sname - the name of the type
-  create - the routine that fills the ops table of a new scheme of that type

   Level: advanced

.seealso: `OdynSchemeRegisterAll()`, `OdynSchemeSetType()`
@*/
PetscErrorCode OdynSchemeRegister(const char sname[], PetscErrorCode (*create)(OdynScheme))
{
  PetscFunctionBegin;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscFunctionListAdd(&OdynSchemeList, sname, create));
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeRegisterAll - registers the built-in schemes

   Level: developer

.seealso: `OdynSchemeRegister()`
@*/
PetscErrorCode OdynSchemeRegisterAll(void)
{
  PetscFunctionBegin;
  if (OdynSchemeRegisterAllCalled) PetscFunctionReturn(0);
  OdynSchemeRegisterAllCalled = PETSC_TRUE;
  PetscCall(OdynSchemeRegister(ODYNSCHEMEEULER, OdynSchemeCreate_Euler));
  PetscCall(OdynSchemeRegister(ODYNSCHEMELEAPFROG, OdynSchemeCreate_Leapfrog));
  PetscCall(OdynSchemeRegister(ODYNSCHEMEVERLET, OdynSchemeCreate_Verlet));
  PetscCall(OdynSchemeRegister(ODYNSCHEMEDUFORTFRANKEL, OdynSchemeCreate_DuFortFrankel));
  PetscCall(OdynSchemeRegister(ODYNSCHEMEFSI, OdynSchemeCreate_FSI));
  PetscCall(OdynSchemeRegister(ODYNSCHEMELMRESNET, OdynSchemeCreate_LMResNet));
  PetscCall(OdynSchemeRegister(ODYNSCHEMEIMPLICIT, OdynSchemeCreate_Implicit));
  PetscCall(OdynSchemeRegister(ODYNSCHEMESINGLE, OdynSchemeCreate_Single));
  PetscFunctionReturn(0);
}
