/*
   Settings strings (include/odyn/private/settingsimpl.h): the options that rebuild an object's type-specific
   settings, written by the types' `settings` ops and read back by the model files through SetFromOptions.
*/
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <odyn/private/settingsimpl.h>

PetscErrorCode OdynSettingsAppend(char buf[], size_t len, const char fmt[], ...)
{
  size_t  used = strlen(buf);
  va_list ap;
  int     n;

  PetscFunctionBegin;
  PetscCheck(used + 1 < len, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Settings string longer than %zu characters", len - 1);
  if (used) buf[used++] = ' ';
  buf[used] = 0;
  /* the C library's vsnprintf: %.17g must print all 17 digits (the round trip of every double depends on it) */
  va_start(ap, fmt);
  n = vsnprintf(buf + used, len - used, fmt, ap);
  va_end(ap);
  PetscCheck(n >= 0 && (size_t)n < len - used, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Settings string longer than %zu characters: \"%s...\"", len - 1, buf);
  PetscFunctionReturn(0);
}
