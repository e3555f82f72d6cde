/* Stage 2 `proto_rbf` experts (SPEC.md §5): W = softmax(-tau |z - c_p|^2) over the
 * prototypes c_p, prediction W beta with beta in closed form, tau chosen on validation. */
#ifndef PRLE_PRLE_PROTO_RBF_H
#define PRLE_PRLE_PROTO_RBF_H

#include "prle/matrix.h"

/**
 * Solves (W^T W + lambda I) beta = W^T y + lambda a for every tau of a fixed grid (log-spaced,
 * documented in proto_rbf.c), with W from the training rows `ztr` and the prototypes `protos`
 * (P, D), `a` the prototypes' own (standardised) labels, and keeps the tau whose beta gives
 * the lowest validation MSE on `zva`/`yva` (the training MSE when nva = 0; `zva` may be NULL).
 * Writes `beta` (P) and `*tau`. Labels are standardised. `lambda` (> 0; default 1e-2) is used as
 * lambda * n / P, so its strength relative to the data does not depend on n or P (see
 * proto_rbf.c). PRLE_EINVAL, PRLE_ENOMEM.
 */
int prle__rbf_fit(float *beta, double *tau, const prle_matrix *protos, const prle_matrix *ztr,
                  const float *ytr, const float *a, const prle_matrix *zva, const float *yva,
                  double lambda, int n_threads);

/** W (n, P) = softmax(-tau |z - c_p|^2) for the rows of `z`; E_p = beta_p for every row. */
int prle__rbf_weights(float *w, const prle_matrix *protos, const prle_matrix *z, double tau,
                      int n_threads);

#endif
