/* The Adam trainer type (Kingma & Ba), the optimizer of paper 002 Sec. 7.1.1 (solvers/firstorder/firstorder.c). */
#include "firstorder.h"

/* m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  x = x - lr (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps) */
static PetscErrorCode Update_Adam(OdynTrainer_FO *fo, PetscReal lr, PetscInt64 k, Vec x, Vec g, Vec s1, Vec s2)
{
  const PetscReal    b1 = fo->beta1, b2 = fo->beta2, c1 = 1 - PetscPowReal(b1, (PetscReal)k), c2 = 1 - PetscPowReal(b2, (PetscReal)k);
  PetscInt           n;
  PetscScalar       *xa, *m, *v;
  const PetscScalar *ga;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetArray(x, &xa));
  PetscCall(VecGetArrayRead(g, &ga));
  PetscCall(VecGetArray(s1, &m));
  PetscCall(VecGetArray(s2, &v));
  for (PetscInt i = 0; i < n; i++) { /* one fused loop: the parameters are few next to the sweeps' work */
    m[i] = b1 * m[i] + (1 - b1) * ga[i];
    v[i] = b2 * v[i] + (1 - b2) * ga[i] * ga[i];
    xa[i] -= lr * (m[i] / c1) / (PetscSqrtReal(PetscRealPart(v[i]) / c2) + fo->eps);
  }
  PetscCall(VecRestoreArray(s2, &v));
  PetscCall(VecRestoreArray(s1, &m));
  PetscCall(VecRestoreArrayRead(g, &ga));
  PetscCall(VecRestoreArray(x, &xa));
  PetscFunctionReturn(0);
}

/*MC
   ODYNTRAINERADAM - "adam": the Adam method on the full objective (loss + regularizers), theta and the classifier
   weights together; one iteration of the multilevel driver is one epoch of mini-batches. Paper 002 trains its
   denoising networks this way (learning rate 1e-3, Sec. 7.1.1).

$     m_k = b1 m_{k-1} + (1 - b1) g_k,   v_k = b2 v_{k-1} + (1 - b2) g_k^2,
$     x_k = x_{k-1} - eta_k (m_k / (1 - b1^k)) / (sqrt(v_k / (1 - b2^k)) + eps)

   with g_k the gradient of the mini-batch's objective (OdynTrainerComputeObjective()) plus weight_decay x_{k-1}; k
   counts the steps of the current level (the moments start from 0 on every level).

   Options Database Keys:
+  -odyn_epochs <20> - epochs per level (-odyn_bcd_max_it)
.  -odyn_batch_size <32> - examples per step (0: all)
.  -odyn_lr <1e-3> - eta
.  -odyn_lr_decay <none,step,cosine> - schedule over the epochs of a level; -odyn_lr_decay_epochs <10>,
   -odyn_lr_decay_rate <0.1> (step), -odyn_lr_min <0> (cosine)
.  -odyn_adam_beta1 <0.9>, -odyn_adam_beta2 <0.999>, -odyn_adam_eps <1e-8> - the method's constants
.  -odyn_weight_decay <0> - L2 decay (off by default)
-  -odyn_init_scale <0.5> - theta starts uniform in [-s, s] (paper 002: 0.1)

   Level: beginner

.seealso: `ODYNTRAINERSGD`, `ODYNTRAINERBCD`, `OdynTrainerSetType()`, `OdynTrainerComputeObjective()`
M*/
PetscErrorCode OdynTrainerCreate_Adam(OdynTrainer t)
{
  PetscFunctionBegin;
  PetscCall(OdynTrainerCreate_FirstOrder_Private(t, ODYNTRAINERADAM, Update_Adam, 1e-3));
  PetscFunctionReturn(0);
}
