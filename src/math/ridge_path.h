/* Ridge regression with an intercept (scikit-learn's Ridge, fit_intercept) for a few alphas
 * on the same rows: the centred Gram matrix G = Xc^T Xc and Xc^T yc once (double), then per
 * alpha one Cholesky factorisation of G + alpha I and its solve, coef(alpha) = (G + alpha
 * I)^-1 Xc^T yc (or, fewer rows than columns, Xc^T (Xc Xc^T + alpha I)^-1 yc), intercept =
 * mean(y) - mean(x) . coef. The alphas are shared among the
 * threads, each factorisation serial, so the bits do not depend on the thread count. Against
 * one eigendecomposition of G for all alphas (which it replaced on 2026-12-06): 7 alphas at
 * d = 1,280 in 0.12 s on 2 threads instead of 0.44 s, at d = 5,120 about 5 s instead of 28 s.
 * It squares the condition number, which alphas from 1e-3 up can afford. Used by the ridge
 * yardstick of metrics.json, the experts' warm start and the ridge baseline on tall data. */
#ifndef PRLE_MATH_RIDGE_PATH_H
#define PRLE_MATH_RIDGE_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "prle/matrix.h"

typedef struct prle__ridge_path {
    size_t d, m;   /* m: the order of the systems, d (tall data) or n (wide data) */
    bool dual;     /* n < d: the dual form, coef = Xc^T (Xc Xc^T + alpha I)^-1 yc */
    double *mean;  /* (d) */
    double *gram;  /* (m, m) the upper triangle, row-major: Xc^T Xc, or Xc Xc^T when dual */
    double *xty;   /* (m) Xc^T yc, or yc when dual */
    double *xct;   /* (d, n) Xc^T when dual, else NULL */
    double *scale; /* (d) the columns' factors s after prle__ridge_path_scale, else NULL */
    double ymean;
} prle__ridge_path;

/** The Gram matrix and its right-hand side for the rows of x (n, d) and labels y (n): the
 *  primal form when n >= d, the dual (systems of order n) when n < d, so a wide input costs
 *  what its rows do. The Gram matrix on `nt` threads (the same bits for any nt). PRLE_ENOMEM. */
int prle__ridge_path_fit(prle__ridge_path *r, const prle_matrix *x, const float *y, int nt);

/**
 * Makes r the path of the columns scaled by s (d): the ridge of y on (x - mean) diag(s), which
 * for s = 1 / the columns' standard deviations is a ridge on standardised columns. The Gram
 * matrix is rescaled in place (the dual form's, of order n, is computed again); the coef the
 * solves give stay those of the raw columns, coef_j = s_j c_j, so prediction and choice take
 * the raw rows as before. Once per path. PRLE_ENOMEM.
 */
int prle__ridge_path_scale(prle__ridge_path *r, const double *s, int nt);

/**
 * coef (n_alpha, d) and intercept (n_alpha) of the ridge at each alphas[m] (> 0), the alphas
 * shared among `nt` threads. An alpha whose factorisation fails (G + alpha I not positive
 * definite in rounding) gets a NaN intercept. Returns the number of such alphas, or
 * PRLE_ENOMEM.
 */
int prle__ridge_path_solve(double *coef, double *intercept, const prle__ridge_path *r,
                           const double *alphas, size_t n_alpha, int nt);

/** yhat (x->rows) = intercept + x . coef. */
void prle__ridge_path_predict(float *yhat, const double *coef, double intercept,
                              const prle_matrix *x);

/**
 * Of the n_alpha ridges prle__ridge_path_solve gave (coef (n_alpha, d), intercept), the index
 * of the one with the lowest mean squared error on (x, y) (ties: the lower index; NaN
 * intercepts skipped); n_alpha when every one was. yhat (x->rows) is scratch.
 */
size_t prle__ridge_path_choose(const double *coef, const double *intercept, size_t n_alpha,
                               const prle_matrix *x, const float *y, float *yhat);

void prle__ridge_path_dispose(prle__ridge_path *r);

/** The alpha grid of the ridge yardstick (metrics.json) and of the kernel's standardise test,
 *  wider than the baselines' (0.1 ... 100): the yardstick should be a good ridge. */
#define PRLE__RIDGE_REF_ALPHAS                                                                     \
    {                                                                                              \
        1e-2, 1e-1, 1, 10, 100, 1e3, 1e4                                                           \
    }
#define PRLE__RIDGE_N_REF_ALPHAS 7

/** One ridge of that grid, chosen on validation: coef (d, owned), intercept, alpha. */
typedef struct prle__ridge_choice {
    double *coef;
    double intercept, alpha;
    size_t d;
} prle__ridge_choice;

void prle__ridge_choice_dispose(prle__ridge_choice *c);

/**
 * The whole path for one choice: of the ridges of (x, y) at alphas[0..n_alpha) (ascending),
 * the one prle__ridge_path_choose picks on (xv, yv), or alphas[0]'s when xv is NULL. Its coef
 * (d) and intercept go to coef_out and *intercept_out; returns its index, n_alpha when no alpha
 * factorised (nothing written), or PRLE_ENOMEM. Not every alpha is solved: from the middle one
 * the search walks toward lower validation error and stops where it rises again: the whole
 * grid's choice where the error along the path has one minimum (the usual case; with two, the
 * one reached first), `nt` factorisations side by side, typically 2 rounds instead of
 * n_alpha / nt.
 */
int prle__ridge_path_best(double *coef_out, double *intercept_out, const prle_matrix *x,
                          const float *y, const prle_matrix *xv, const float *yv,
                          const double *alphas, size_t n_alpha, int nt);

/** prle__ridge_path_best on a path already fitted (and perhaps scaled): the same walk, the
 *  same returns; xv is not NULL. */
int prle__ridge_path_best_of(double *coef_out, double *intercept_out, const prle__ridge_path *r,
                             const prle_matrix *xv, const float *yv, const double *alphas,
                             size_t n_alpha, int nt);

#endif
