/* Ridge regression with an intercept for many alphas from one eigendecomposition of the
 * centred Gram matrix Xc^T Xc = V diag(l) V^T (double): coef(alpha) = V diag(1 / (l + alpha))
 * V^T Xc^T yc, intercept = mean(y) - mean(x) . coef (scikit-learn's Ridge, fit_intercept).
 * Cheaper than an SVD of X when n >> d (STS-B: 0.1 s against 0.5 s); it squares the condition
 * number, which a path whose smallest alpha is 1e-3 can afford. Used by the ridge yardstick of
 * metrics.json and by the experts' warm start. */
#ifndef PRLE_MATH_RIDGE_EIG_H
#define PRLE_MATH_RIDGE_EIG_H

#include <stddef.h>

#include "prle/matrix.h"

typedef struct prle__ridge_eig {
    size_t d;
    double *mean, *v, *l, *vtb; /* (d), (d, d) eigenvectors in columns, (d), V^T Xc^T yc (d) */
    double ymean;
} prle__ridge_eig;

/** The decomposition for the rows of x (n, d) and labels y (n), the Gram matrix on `nt`
 *  threads (the same bits for any nt). PRLE_ENOMEM, PRLE_ERROR. */
int prle__ridge_eig_fit(prle__ridge_eig *r, const prle_matrix *x, const float *y, int nt);

/** coef (d) and the returned intercept of the ridge at `alpha` (> 0). */
double prle__ridge_eig_coef(double *coef, const prle__ridge_eig *r, double alpha);

/** yhat (x->rows) = intercept + x . coef. */
void prle__ridge_eig_predict(float *yhat, const double *coef, double intercept,
                             const prle_matrix *x);

/**
 * The index in alphas[n_alpha] whose ridge has the lowest mean squared error on (x, y) (ties:
 * the lower index); coef (d) and yhat (x->rows) are scratch.
 */
size_t prle__ridge_eig_choose(const prle__ridge_eig *r, const double *alphas, size_t n_alpha,
                              const prle_matrix *x, const float *y, double *coef, float *yhat);

void prle__ridge_eig_dispose(prle__ridge_eig *r);

#endif
