/* Stage 2 expert meta-initialisation (SPEC.md §5, §12.2): one linear model fitted on the
 * value-space training rows, which prle_model_fit copies into every linear expert. */
#ifndef PRLE_PRLE_META_INIT_H
#define PRLE_PRLE_META_INIT_H

#include "prle/model.h"

/**
 * Fits y ~ w.z + c on the rows of `z` (n, D) and the standardised labels `y` (n) into
 * `w` (D) and `*c`. META_LINEAR: ridge (alpha 1e-3 on w, c unpenalised; OLS when that is
 * well posed, through LAPACKE); META_SVR: linear epsilon-SVR (C 1, epsilon 0.1 on the
 * standardised scale, seeded). PRLE_EINVAL for RANDOM or bad shapes, PRLE_ENOMEM.
 */
int prle__meta_init_linear(float *w, float *c, const prle_matrix *z, const float *y,
                           prle_expert_init how, uint64_t seed, int n_threads);

/**
 * PRLE_EXPERT_INIT_RIDGE: ridge y ~ w.z + c (c unpenalised) on the training rows, alpha
 * `given` when it is above 0 (zv unused: a refit's frozen choice), else the one of 1e-3 ...
 * 1e4 with the lowest validation MSE on (zv, yv), or 1 when zv is NULL or has fewer than 2
 * rows; `*alpha` (may be NULL) gets it. PRLE_EINVAL for bad shapes.
 */
int prle__meta_init_ridge(float *w, float *c, double *alpha, double given, const prle_matrix *z,
                          const float *y, const prle_matrix *zv, const float *yv, int n_threads);

#endif
