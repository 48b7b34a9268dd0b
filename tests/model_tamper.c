static const char help[] = "Makes broken model files for the tests of the odyn program:\n"
                           "  odyn_model_tamper flip IN OUT        one bit of theta flipped (checksum mismatch)\n"
                           "  odyn_model_tamper version IN OUT V   format_version set to V (a newer format)\n"
                           "  odyn_model_tamper truncate IN OUT N  the first N bytes\n";

#include <stdlib.h>
#include "modeltamper.h"

int main(int argc, char **argv)
{
  PetscBool flip, version, truncate;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCheck(argc >= 4, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "%s", help);
  PetscCall(PetscStrcmp(argv[1], "flip", &flip));
  PetscCall(PetscStrcmp(argv[1], "version", &version));
  PetscCall(PetscStrcmp(argv[1], "truncate", &truncate));
  PetscCheck(flip || ((version || truncate) && argc >= 5), PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "%s", help);
  if (flip) PetscCall(OdynTestModelFlipTheta(PETSC_COMM_WORLD, argv[2], argv[3]));
  if (version) PetscCall(OdynTestModelSetFormatVersion(PETSC_COMM_WORLD, argv[2], argv[3], atoi(argv[4])));
  if (truncate) PetscCall(OdynTestFileTruncate(PETSC_COMM_WORLD, argv[2], argv[3], atol(argv[4])));
  PetscCall(PetscFinalize());
  return 0;
}
