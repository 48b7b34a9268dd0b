/* The built-in trainer types: one OdynTrainerRegister() line per type (other solver folders add theirs here). */
#include <odyn/private/trainimpl.h>

PetscBool OdynTrainerRegisterAllCalled = PETSC_FALSE;

PetscErrorCode OdynTrainerRegisterAll_Private(void)
{
  PetscFunctionBegin;
  if (OdynTrainerRegisterAllCalled) PetscFunctionReturn(0);
  OdynTrainerRegisterAllCalled = PETSC_TRUE;
  PetscCall(OdynTrainerRegister(ODYNTRAINERBCD, OdynTrainerCreate_BCD));
  PetscCall(OdynTrainerRegister(ODYNTRAINERSGD, OdynTrainerCreate_SGD));
  PetscCall(OdynTrainerRegister(ODYNTRAINERADAM, OdynTrainerCreate_Adam));
  PetscFunctionReturn(0);
}
