/* The SGD trainer type: stochastic gradient descent with heavy-ball momentum (solvers/firstorder/firstorder.c). */
#include "firstorder.h"

/* v = momentum v + g;  x = x - lr v  (v in s1; plain SGD when momentum = 0) */
static PetscErrorCode Update_SGD(OdynTrainer_FO *fo, PetscReal lr, PetscInt64 k, Vec x, Vec g, Vec s1, Vec s2)
{
  PetscFunctionBegin;
  (void)k;
  (void)s2;
  PetscCall(VecAYPX(s1, fo->momentum, g));
  PetscCall(VecAXPY(x, -lr, s1));
  PetscFunctionReturn(0);
}

/*MC
   ODYNTRAINERSGD - "sgd": stochastic gradient descent with momentum on the full objective (loss + regularizers),
   theta and the classifier weights together; one iteration of the multilevel driver is one epoch of mini-batches

$     v_{k+1} = m v_k + g_k,   x_{k+1} = x_k - eta_k v_{k+1}

   with g_k the gradient of the mini-batch's objective (OdynTrainerComputeObjective()) plus weight_decay x_k.

   Options Database Keys:
+  -odyn_epochs <20> - epochs per level (-odyn_bcd_max_it)
.  -odyn_batch_size <32> - examples per step (0: all: gradient descent)
.  -odyn_lr <0.01> - eta
.  -odyn_lr_decay <none,step,cosine> - schedule over the epochs of a level; -odyn_lr_decay_epochs <10>,
   -odyn_lr_decay_rate <0.1> (step), -odyn_lr_min <0> (cosine)
.  -odyn_momentum <0.9> - m
.  -odyn_weight_decay <0> - L2 decay (off by default)
-  -odyn_init_scale <0.5> - theta starts uniform in [-s, s]

   Level: beginner

.seealso: `ODYNTRAINERADAM`, `ODYNTRAINERBCD`, `OdynTrainerSetType()`, `OdynTrainerComputeObjective()`
M*/
PetscErrorCode OdynTrainerCreate_SGD(OdynTrainer t)
{
  PetscFunctionBegin;
  PetscCall(OdynTrainerCreate_FirstOrder_Private(t, ODYNTRAINERSGD, Update_SGD, 0.01));
  PetscFunctionReturn(0);
}
