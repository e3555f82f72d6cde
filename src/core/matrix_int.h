/* Internal matrix helpers shared across modules. */
#ifndef PRLE_CORE_MATRIX_INT_H
#define PRLE_CORE_MATRIX_INT_H

#include "prle/matrix.h"

/** Column means of `x` into `mean` (x->cols doubles), summed in double row by row. */
void prle__matrix_col_mean(double *mean, const prle_matrix *x);

/** Column standard deviations of `x` about `mean` (population, in double) into `scale`, as
 *  scikit-learn's StandardScaler.scale_: a constant column (var within the rounding of its sums)
 * gets 1. */
void prle__matrix_col_scale(double *scale, const double *mean, const prle_matrix *x);

/** Fails with PRLE_EINVAL "WHAT: row R (0-based), column C is nan" (or "infinite") at the
 *  first non-finite value of `m`; `what` names the rows (a path, "predictor: training rows"). */
int prle__check_finite(const prle_matrix *m, const char *what);

/** out (a->rows + b->rows, a->cols) newly allocated: a's rows, then b's (as wide); with y
 *  non-NULL, *y (malloc'd) the labels ya then yb likewise (train + validation for a refit).
 *  PRLE_ENOMEM naming `what`; on failure the caller disposes of what was set. */
int prle__matrix_stack(prle_matrix *out, float **y, const prle_matrix *a, const float *ya,
                       const prle_matrix *b, const float *yb, const char *what);

#endif
