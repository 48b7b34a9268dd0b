#ifndef ODYN_SETTINGSIMPL_H
#define ODYN_SETTINGSIMPL_H

/*
   Settings strings (src/sys/settings.c): an object's type-specific settings written as the options that set them,
   "-odyn_layer_diffusion_channels 16 -odyn_layer_diffusion_boundary zero", so that a model file can store them and
   rebuild the object with its own SetFromOptions (src/model/modeldesc.c) without knowing the type. Reals are printed
   with %.17g, which reads back to the same double; booleans as true/false; every setting is written, default or not.
*/
#include <petscsys.h>

#define ODYN_SETTINGS_MAX 4096 /* bytes of one object's settings string, with the terminating 0 */

/* Appends " " (unless buf is empty) and the printf-formatted text to buf (len bytes); an error if it does not fit. */
PETSC_INTERN PetscErrorCode OdynSettingsAppend(char buf[], size_t len, const char fmt[], ...) PETSC_ATTRIBUTE_FORMAT(3, 4);

#endif
