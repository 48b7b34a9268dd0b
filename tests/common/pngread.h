#ifndef ODYN_TEST_PNGREAD_H
#define ODYN_TEST_PNGREAD_H
/* Header-only so that only the tests that include it (and link PkgConfig::PNG) need libpng. */
#include <string.h>
#include <png.h>
#include "odyntest.h"

/* Reads an RGB PNG that must be W x H pixels; the caller frees *img with PetscFree(). */
static inline void OdynTestReadPNG(const char *fname, int W, int H, unsigned char **img)
{
  png_image pi;

  memset(&pi, 0, sizeof(pi));
  pi.version = PNG_IMAGE_VERSION;
  ck_assert_msg(png_image_begin_read_from_file(&pi, fname), "cannot read %s back: %s", fname, pi.message);
  ck_assert_int_eq(pi.width, W);
  ck_assert_int_eq(pi.height, H);
  pi.format = PNG_FORMAT_RGB;
  ODYN_CK(PetscMalloc(PNG_IMAGE_SIZE(pi), img));
  ck_assert_msg(png_image_finish_read(&pi, NULL, *img, 0, NULL), "decoding %s failed: %s", fname, pi.message);
}
#endif
