/* Adam (Kingma & Ba 2015, Alg. 1) over flat arrays, bias-corrected, as PyTorch's torch.optim.Adam
 * (L2 weight decay added to the gradient, not decoupled). */
#ifndef PRLE_NN_ADAM_H
#define PRLE_NN_ADAM_H

#include <stdint.h>
#include <stddef.h>

typedef struct prle__adam_params {
    double lr;           /* learning rate */
    double beta1, beta2; /* 0.9, 0.999 */
    double eps;          /* 1e-8 */
    double weight_decay; /* g += weight_decay * p before the moments; 0 = none */
} prle__adam_params;

/** lr 1e-3, betas 0.9 / 0.999, eps 1e-8, no weight decay (PyTorch's defaults). */
prle__adam_params prle__adam_default_params(void);

/**
 * One step t (counting from 1) on n parameters: g' = g + wd p; m += (1 - b1)(g' - m);
 * v = b2 v + (1 - b2) g'^2; p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * Element-wise, so the result does not depend on `nt`.
 */
void prle__adam_step(float *p, const float *g, float *m, float *v, size_t n,
                     const prle__adam_params *ap, uint64_t t, int nt);

/** The per-step constants of prle__adam_step at step t, for applying it piece by piece. */
typedef struct prle__adam_coef {
    float w1, b2, w2, wd, bc2s, eps, neg_step;
} prle__adam_coef;

prle__adam_coef prle__adam_coef_at(const prle__adam_params *ap, uint64_t t);

/** prle__adam_step's update of n elements on the calling thread: the same bits. */
void prle__adam_range(float *p, const float *g, float *m, float *v, size_t n,
                      const prle__adam_coef *c);

/**
 * The epoch cap of a fit whose max_epochs is 0 (auto), which early stopping on validation
 * usually ends first: enough epochs for PRLE__STEP_BUDGET steps of `batch` rows out of
 * `rows`, within [20, 1000]. A small data set gets many epochs, a large one at least 20.
 */
int prle__epoch_budget(size_t rows, size_t batch);

/** Adam steps prle__epoch_budget aims at. */
#define PRLE__STEP_BUDGET 20000

/**
 * The early-stopping patience of a fit whose patience is auto (-1): the epochs that make
 * PRLE__PATIENCE_STEPS steps of `batch` rows out of `rows`, within [3, 50]. Patience in steps,
 * like the budget: a large data set learns (and overfits) more per epoch than a small one.
 */
int prle__patience_epochs(size_t rows, size_t batch);

/** Adam steps without a better validation loss that prle__patience_epochs allows. */
#define PRLE__PATIENCE_STEPS 300

#endif
