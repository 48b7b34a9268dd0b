#ifndef ODYN_SCHEME_MULTISTEP_H
#define ODYN_SCHEME_MULTISTEP_H

#include <odyn/private/schemeimpl.h>
#include <odyn/private/odynimpl.h>

/*
   Two-step schemes with per-step coefficients (lmresnet.c holds the engine; dufortfrankel.c and fsi.c supply
   coefficients):

     Y_{j+1} = a_j Y_j + b_j P_j + c_j F(theta_j, Y_j),   P_j = Y_{j-1}, or P_j = Y_j at a (re)start

   Restarts: j = 0 always (Y_{-1} = Y_0), and every `cycle` steps when cycle > 0 (FSI cycles). (a_j, b_j, c_j) depend
   on h and on the scheme's own parameter e_j of step j (nextra = 1 when learned, 0 when fixed); `coef` returns them
   and their derivatives w.r.t. e_j.
*/
typedef struct _OdynScheme_Multistep OdynScheme_Multistep;
struct _OdynScheme_Multistep {
  PetscErrorCode (*coef)(OdynScheme, PetscInt j, const PetscScalar *e, PetscReal c[3], PetscReal dc[3]);
  PetscInt  cycle;  /* FSI cycle length (0: one cycle over the block) */
  PetscBool learn;  /* e_j is a parameter (nextra = 1) */
  PetscReal alpha;  /* Du Fort-Frankel: the fixed alpha, or the lower bound of the learned one */
};

PETSC_INTERN PetscErrorCode OdynSchemeMultistepSetOps_Private(OdynScheme, OdynScheme_Multistep *);
PETSC_INTERN PetscErrorCode OdynSchemeMultistepSetUp_Private(OdynScheme);

#endif
